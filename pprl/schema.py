"""Linkage schemas: reading, the rules they must follow (JSON Schema + semantic rules), the canonical
form and the fingerprint.

A schema is what agencies agree on before encoding. Every encoded file carries the schema's
fingerprint: a SHA-256 over the canonical schema (defaults filled in, descriptions left out) and over
every data table that decides tokens, so that files encoded under different rules never get linked.

Both sides import this module (the coordinator through :mod:`pprl.encoded`), so it imports nothing of
either: the one rule that reads values as the agency does (category spellings that normalise alike)
takes that reading as an argument, and :mod:`pprl.agency.validate` checks and loads schemas with it.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping

import jsonschema

from pprl import token_rules
from pprl.errors import SchemaError

SCHEMA_VERSION = 1

#: Sub-filters a field type is encoded into. Dates get one filter for the year and one for month
#: and day, so that a year-only value is compared on the year alone (month/day count as missing).
#: Person names add a "given" filter unless their option given_filter is false, and a "family" filter
#: when their option family_filter is true (see :func:`person_name_components`).
COMPONENTS: dict[str, tuple[str, ...]] = {
    "person_name": ("",),
    "date": ("year", "month_day"),
    "category": ("",),
    "string": ("",),
    "number": ("",),
}

#: Rough number of distinct tokens one value yields, per field type and component (for saturation checks).
_TYPICAL_TOKENS = {"person_name": 40, "given": 20, "family": 20, "year": 3, "month_day": 6, "category": 1, "string": 16,
                   "number": 3}
_SATURATION_ERROR = 0.8
_SATURATION_WARNING = 0.6


@dataclass(frozen=True)
class Problem:
    """One finding of schema validation, located by a JSON pointer."""

    pointer: str
    message: str
    severity: str = "error"  # or "warning"

    def render(self, file: str | Path) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{file}: {self.pointer or '/'}: {prefix}{self.message}"


def components_of(kind: str, options: Mapping[str, Any]) -> tuple[str, ...]:
    """The filter components of a field of type ``kind`` with these options."""
    if kind != "person_name":
        return COMPONENTS[kind]
    return ("",) + (("given",) if options.get("given_filter", True) else ()) + \
        (("family",) if options.get("family_filter", False) else ())


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    options: Mapping[str, Any]
    bits: int
    hashes: int
    weight: float
    missing: str

    @property
    def components(self) -> tuple[str, ...]:
        return components_of(self.type, self.options)

    def column(self, component: str) -> str:
        """Name of the filter column holding one component of this field."""
        return f"{self.name}.{component}" if component else self.name


@dataclass(frozen=True)
class Schema:
    document: Mapping[str, Any]  # canonical: defaults filled in
    fields: tuple[FieldSpec, ...]
    fingerprint: str

    @property
    def name(self) -> str:
        return self.document["name"]

    @property
    def linkage(self) -> Mapping[str, Any]:
        return self.document.get("linkage", {})

    def filter_columns(self) -> list[tuple[FieldSpec, str]]:
        """Every (field, component) pair in encoded-file order."""
        return [(field, component) for field in self.fields for component in field.components]


@cache
def meta_schema() -> dict[str, Any]:
    """The JSON Schema that linkage schema files are checked against (also in ``schemas/``)."""
    text = resources.files("pprl").joinpath("data/linkage-schema.v1.json").read_text(encoding="utf-8")
    return json.loads(text)


def _pointer(path) -> str:
    return "".join(f"/{str(part).replace('~', '~0').replace('/', '~1')}" for part in path)


def _known_keys(error: jsonschema.ValidationError) -> list[str]:
    return list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []


#: JSON Schema counts 6.0 as an integer; bit counts and hash counts must be whole numbers written as such.
_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)))


def _message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message in JSON's words: values as JSON (true, null; not Python's True, None), and for
    a choice of forms the forms themselves."""
    value = json.dumps(error.instance, ensure_ascii=False)
    value = value if len(value) <= 40 else value[:37] + "..."
    if error.validator == "type":
        return f"{value} is not of type {error.validator_value!r}"
    if error.validator in ("oneOf", "anyOf"):
        forms = " or ".join(_form(option) for option in error.validator_value)
        return f"{value} is none of: {forms}"
    return error.message


def _form(option: Mapping[str, Any]) -> str:
    """A short description of one alternative of a oneOf/anyOf."""
    if "const" in option:
        return json.dumps(option["const"])
    if "enum" in option:
        return " / ".join(json.dumps(value) for value in option["enum"])
    low, high = option.get("minimum"), option.get("maximum")
    bounds = f" in [{low}, {high}]" if low is not None and high is not None else ""
    return f"a {option.get('type', 'value')}{bounds}"


def structural_problems(document: Any) -> list[Problem]:
    """What the JSON Schema says is wrong with a parsed document: unknown keys (with a suggestion), types,
    ranges."""
    validator = _Validator(meta_schema())
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        pointer = _pointer(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = _known_keys(error)
            for key in sorted(set(error.instance) - set(known)):
                hint = difflib.get_close_matches(key, known, n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else f" (allowed: {', '.join(sorted(known))})"
                problems.append(Problem(_pointer([*error.absolute_path, key]), f"unknown key {key!r}{suggestion}"))
            continue
        if error.validator in ("if", "allOf"):
            continue  # the nested errors are reported on their own
        problems.append(Problem(pointer, _message(error)))
    return problems


def fill_defaults(document: dict[str, Any]) -> dict[str, Any]:
    """A copy with every default of the meta-schema written out, so equal meaning gives equal fingerprints."""
    defs = meta_schema()["$defs"]
    filled = copy.deepcopy(document)
    filled.pop("$schema", None)
    filled.setdefault("hashing", {"kdf": "hkdf-sha256", "token_hash": "blake2b-keyed"})
    for key, spec in defs["linkage"]["properties"].items():
        filled.setdefault("linkage", {}).setdefault(key, spec["default"])
    for field in filled["fields"]:
        for key in ("weight", "missing", "shared_by_relatives"):
            field.setdefault(key, defs["field"]["properties"][key]["default"])
        options = field.setdefault("options", {})
        for key, spec in defs[f"{field['type']}_options"]["properties"].items():
            if "default" in spec:
                options.setdefault(key, spec["default"])
        if field["type"] == "person_name" and "tables" not in options:
            options["tables"] = token_rules.available_tables()
    return filled


def _strip_descriptions(filled: Mapping[str, Any]) -> dict[str, Any]:
    """The schema without its free-text descriptions, which the meta-schema allows on the schema and on
    each field only (elsewhere "description" may be data, e.g. a category value)."""
    stripped = {key: value for key, value in filled.items() if key != "description"}
    stripped["fields"] = [{key: value for key, value in field.items() if key != "description"}
                          for field in filled["fields"]]
    return stripped


def canonical_json(node: Any) -> bytes:
    return json.dumps(node, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical_schema(filled: Mapping[str, Any]) -> bytes:
    """What of a schema (defaults filled in) decides tokens, as canonical JSON: all but descriptions."""
    return canonical_json(_strip_descriptions(filled))


def fingerprint(filled: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical schema and the digests of every data table that decides tokens
    (:mod:`pprl.token_rules`)."""
    data = {
        "tokens_version": token_rules.TOKENS_VERSION,
        "tables": {
            field["name"]: token_rules.names_digest(field["options"]) if field["type"] == "person_name"
            else token_rules.dates_digest()
            for field in filled["fields"]
            if field["type"] in ("person_name", "date")
        },
    }
    payload = canonical_json({"schema": _strip_descriptions(filled), "data": data})
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def _fill_ratio(tokens: float, hashes: int, bits: int) -> float:
    return 1.0 - math.exp(-tokens * hashes / bits)


def semantic_problems(document: Mapping[str, Any], spelling_key: Callable[[str], str]) -> list[Problem]:
    """The rules beyond the JSON Schema, for a document without structural problems: unique field names,
    known tables, filters that would not saturate, weights that can make a pair likelier than not, a
    privacy warning for category fields, and no two category values with spellings that read alike
    under ``spelling_key`` (the agency's reading of a value: :func:`pprl.agency.normalise.normalise_text`)."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    total_weight = 0.0
    for i, field in enumerate(document["fields"]):
        at = f"/fields/{i}"
        name, kind = field["name"], field["type"]
        if name in seen:
            problems.append(Problem(f"{at}/name", f"field name {name!r} is already used by /fields/{seen[name]}"))
        seen.setdefault(name, i)
        total_weight += field.get("weight", 1)
        options = field.get("options", {})
        bits, hashes = field["filter"]["bits"], field["filter"]["hashes"]
        for component in components_of(kind, options):
            typical = _TYPICAL_TOKENS[component or kind]
            ratio = _fill_ratio(typical, hashes, bits)
            where = f" ({component})" if component else ""
            message = (f"filter{where} would be about {ratio:.0%} full with ~{typical} tokens x {hashes} hashes "
                       f"in {bits} bits; use more bits or fewer hashes")
            if ratio > _SATURATION_ERROR:
                problems.append(Problem(f"{at}/filter", message))
            elif ratio > _SATURATION_WARNING:
                problems.append(Problem(f"{at}/filter", message, "warning"))
        if kind == "person_name":
            known = set(token_rules.available_tables())
            for j, table in enumerate(options.get("tables", [])):
                if table not in known:
                    hint = difflib.get_close_matches(table, sorted(known), n=1)
                    suggestion = f" (did you mean {hint[0]!r}?)" if hint else f" (known: {', '.join(sorted(known))})"
                    problems.append(Problem(f"{at}/options/tables/{j}", f"unknown transliteration table {table!r}{suggestion}"))
        elif kind == "date":
            if options.get("min_year", 1900) > options.get("max_year", 2100):
                problems.append(Problem(f"{at}/options", "min_year is after max_year"))
        elif kind == "category":
            owner: dict[str, str] = {}
            for canonical, spellings in options.get("values", {}).items():
                for spelling in [canonical, *spellings]:
                    key = spelling_key(spelling)
                    if key in owner and owner[key] != canonical:
                        problems.append(Problem(f"{at}/options/values/{canonical}",
                                                f"spelling {spelling!r} also belongs to value {owner[key]!r}"))
                    owner.setdefault(key, canonical)
            problems.append(Problem(f"{at}", "a category field has few distinct filters: its values can be read "
                                    "off by frequency analysis; keep its weight low or leave it out", "warning"))
    if total_weight < math.log(1_000):
        problems.append(Problem("/fields", f"the weights add up to {total_weight:g}: even full agreement on every field "
                                f"cannot make a pair likelier than not among 1,000 x 1,000 records (needs >= {math.log(1_000):.1f})"))
    elif total_weight < math.log(1_000_000):
        problems.append(Problem("/fields", f"the weights add up to {total_weight:g}: below {math.log(1_000_000):.1f}, "
                                "prior weights alone cannot separate matches among a million records", "warning"))
    return problems


def read_document(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SchemaError(path, [("", "file not found")]) from None
    except IsADirectoryError:
        raise SchemaError(path, [("", "a directory, not a schema file")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SchemaError(path, [("", f"cannot read: {type(error).__name__}")]) from None
    try:
        return json.loads(text, parse_constant=_not_json, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise SchemaError(path, [("", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")]) from None
    except ValueError as error:
        raise SchemaError(path, [("", f"not valid JSON: {error}")]) from None


def _not_json(constant: str) -> None:
    """Python's json module reads NaN and Infinity, which JSON does not have."""
    raise ValueError(f"{constant} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are unique: with a key written twice, JSON readers disagree on which counts."""
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"key {repeated[0]!r} appears twice in one object")
    return dict(pairs)
