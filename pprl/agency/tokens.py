"""One field value -> the token set of each of its filter components, by field type.

Tokens carry a kind prefix so that tokens of different kinds never collide. What decides tokens is
this module (versioned by ``pprl.token_rules.TOKENS_VERSION``, part of every schema fingerprint) and
the data tables of ``names``/``translit``/``dates`` (their digests are part of the fingerprint too).
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Mapping

from pprl.agency import dates, names
from pprl.agency.normalise import normalise_text
from pprl.schema import FieldSpec


class Status(Enum):
    PRESENT = "present"
    MISSING = "missing"
    UNPARSABLE = "unparsable"


Components = dict[str, frozenset[str]]


def _gram_tokens(text: str, n: int) -> list[str]:
    """``g`` + each padded character n-gram of a normalised string (spaces separate words); repeats
    possible (a list: the caller's frozenset removes them faster than a set built here)."""
    if n == 1:
        return ["g" + ch for ch in text.replace(" ", "")]
    padded = f"_{text}_"
    return ["g" + padded[i:i + n] for i in range(len(padded) - n + 1)]


def _string_tokens(value: str, options: Mapping) -> frozenset[str]:
    text = normalise_text(value)
    if options.get("digits_only"):
        text = "".join(ch for ch in text if ch.isdigit())
    if not text:
        return frozenset()
    tokens = _gram_tokens(text, options.get("ngram", 2))
    if options.get("whole", True):
        tokens.append(f"w{text}")
    return frozenset(tokens)


def _number_tokens(value: str, options: Mapping) -> frozenset[str] | None:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    bucket = math.floor(number / options["tolerance"])
    return frozenset({f"b{bucket}", f"p{bucket - 1}-{bucket}", f"p{bucket}-{bucket + 1}"})


def _category_lookup(options: Mapping) -> dict[str, str]:
    return {normalise_text(spelling): canonical
            for canonical, spellings in options["values"].items()
            for spelling in [canonical, *spellings]}


class FieldTokeniser:
    """Turns raw values of one schema field into the token sets of its filter components."""

    def __init__(self, field: FieldSpec) -> None:
        self.field = field
        self._categories = _category_lookup(field.options) if field.type == "category" else {}

    def __call__(self, value: object, reference_year: int | None = None) -> tuple[Status, Components]:
        """An empty value is MISSING; a value that cannot be read as the field's type is UNPARSABLE and,
        like a missing one, yields no tokens. Neither is ever echoed.
        """
        field = self.field
        if value is None or value != value:  # None, NaN, NaT
            return Status.MISSING, {}
        if field.type == "date" and hasattr(value, "year") and hasattr(value, "month"):
            parsed = dates.from_datetime(value)  # an Excel or Parquet date cell
            return Status.PRESENT, self._date_components(parsed)
        text = str(value)
        if not text.strip():
            return Status.MISSING, {}
        if field.type == "date":
            parsed = dates.parse_date(text, field.options, reference_year)
            if parsed is None:
                return Status.UNPARSABLE, {}
            return Status.PRESENT, self._date_components(parsed)
        if field.type == "person_name":
            components = names.name_components(text, field.options)
            if not components[""]:
                return Status.MISSING, {}
            return Status.PRESENT, {c: components[c] for c in field.components}
        if field.type == "string":
            tokens = _string_tokens(text, field.options)
        elif field.type == "number":
            tokens = _number_tokens(text, field.options)
        else:  # category
            canonical = self._categories.get(normalise_text(text))
            tokens = None if canonical is None else frozenset({f"c{canonical}"})
        if tokens is None:
            return Status.UNPARSABLE, {}
        if not tokens:
            return Status.MISSING, {}
        return Status.PRESENT, {"": tokens}

    def _date_components(self, parsed: dates.PartialDate) -> Components:
        return {
            "year": dates.year_tokens(parsed, self.field.options.get("year_window", 1)),
            "month_day": dates.month_day_tokens(parsed),
        }
