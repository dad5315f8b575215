"""What decides tokens: the versions of the tokenising rules and the data tables those rules read.

Both sides import this module: :func:`pprl.schema.fingerprint` (shared, reached from ``pprl link``)
puts the versions and the tables' digests into every schema fingerprint, and the agency's tokenisers
(:mod:`pprl.agency.names`, ``translit``, ``dates``) read their tables through here, so that the
fingerprint covers exactly the bytes they read. The digests are computed from the files' bytes; no
module of :mod:`pprl.agency` is needed for them.

Change a version whenever the rules it names would make other tokens from the same value: files
encoded before and after the change then carry different fingerprints and are never linked.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from typing import Mapping, Sequence

#: The rules of :mod:`pprl.agency.tokens` (one field value -> tokens, by field type).
TOKENS_VERSION = "3"
#: The rules of :mod:`pprl.agency.names` (name structure, variants, person-name tokens).
NAMES_VERSION = "4"
#: The folding tables of :mod:`pprl.agency.normalise`.
NORMALISE_VERSION = "1"

_TRANSLIT = "data/translit"


@lru_cache(maxsize=None)
def _data(path: str) -> bytes:
    return resources.files("pprl").joinpath(path).read_bytes()


def variant_table() -> bytes:
    """``pprl/data/name_variants.csv``: the spellings of one name (Magomed ~ Muhammad ~ محمد)."""
    return _data("data/name_variants.csv")


def arabic_readings() -> bytes:
    """``pprl/data/arabic_readings.json``: how Arabic-script letters read in known spellings of names."""
    return _data("data/arabic_readings.json")


def month_names() -> bytes:
    """``pprl/data/month_names.json``: month names in the languages dates are written in."""
    return _data("data/month_names.json")


# --- transliteration tables ----------------------------------------------------------------------

@lru_cache(maxsize=None)
def translit_table(name: str) -> tuple[dict, bytes]:
    """A transliteration table (``pprl/data/translit/NAME.json``) and its canonical bytes, which its
    digest covers; ValueError for a name that is not a shipped table."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unknown transliteration table {name!r}")
    try:
        text = resources.files("pprl").joinpath(f"{_TRANSLIT}/{name}.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"unknown transliteration table {name!r}") from None
    table = json.loads(text)
    canonical = json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return table, canonical.encode("utf-8")


@lru_cache(maxsize=None)
def _all_tables() -> tuple[str, ...]:
    folder = resources.files("pprl").joinpath(_TRANSLIT)
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json")))


def available_tables() -> list[str]:
    """Names of the shipped conventions (tables that only serve as another table's ``base`` excluded)."""
    names = _all_tables()
    bases = {translit_table(n)[0].get("base") for n in names}
    return [n for n in names if n not in bases]


def check_tables(tables: Sequence[str]) -> list[str]:
    """The names, each once, in their order; ValueError for an unknown one."""
    if isinstance(tables, str):
        raise TypeError("tables must be a sequence of table names, not a string")
    return list(checked_tables(tuple(tables)))


@lru_cache(maxsize=256)
def checked_tables(tables: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`check_tables` for a tuple, remembered (asked for every value encoded)."""
    known = set(available_tables())
    for name in tables:
        if name not in known:
            raise ValueError(f"unknown transliteration table {name!r}")
    return tuple(dict.fromkeys(tables))


def translit_digest(names: Sequence[str]) -> str:
    """sha256 (hex) over the canonical bytes of the named tables and of the base tables they use."""
    wanted: set[str] = set()
    for name in check_tables(names):
        while name and name not in wanted:
            wanted.add(name)
            name = translit_table(name)[0].get("base")
    digest = hashlib.sha256(b"pprl-translit\0")
    for name in sorted(wanted):
        digest.update(name.encode("utf-8") + b"\0" + translit_table(name)[1] + b"\0")
    return digest.hexdigest()


# --- person names and dates ----------------------------------------------------------------------

#: The options of a person-name field that decide its tokens, with their defaults (``tables``: every
#: shipped table, filled in by :func:`name_option_defaults`).
_NAME_DEFAULTS = {"tables": None, "variants": True, "ngram": 2, "phonetic": True, "structure": True}


def name_option_defaults() -> dict:
    """The options of a person-name field that its schema leaves out."""
    return {**_NAME_DEFAULTS, "tables": available_tables()}


def name_options(options: Mapping) -> dict:
    """The effective options of a person-name field: defaults filled in, tables checked, each once."""
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()
                       if k in _NAME_DEFAULTS))
    return dict(_options_of(key))


@lru_cache(maxsize=64)
def _options_of(key: tuple) -> tuple:
    opts = name_option_defaults()
    opts.update({k: v for k, v in key if v is not None})
    tables = opts["tables"]
    opts["tables"] = tuple(check_tables(list(tables)))  # validates the names
    n = int(opts["ngram"])
    if not 1 <= n <= 4:
        raise ValueError("ngram must be between 1 and 4")
    opts["ngram"] = n
    return tuple(opts.items())


def names_digest(options: Mapping) -> str:
    """sha256 (hex) over NAMES_VERSION, the normalisation version, the effective options and every data
    file that decides the tokens for these options."""
    opts = name_options(options)
    digest = hashlib.sha256(b"pprl-names\0")
    canonical = {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(opts.items())}
    digest.update(json.dumps({"tokens": NAMES_VERSION, "normalise": NORMALISE_VERSION,
                              "options": canonical}, sort_keys=True).encode("utf-8"))
    tables = list(opts["tables"])
    if opts["variants"]:  # the variant index is built with every shipped table
        tables = sorted(set(tables) | set(available_tables()))
        digest.update(b"\0variants\0" + variant_table())
        digest.update(b"\0readings\0" + arabic_readings())
    digest.update(b"\0translit\0" + translit_digest(tables).encode("ascii"))
    return digest.hexdigest()


def dates_digest() -> str:
    """sha256 (hex) of the month-name table."""
    return hashlib.sha256(month_names()).hexdigest()
