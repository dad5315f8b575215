"""Full and partial dates as agencies export them, and the tokens that compare them.

A date is split into a year component and a month/day component, each hashed into its own filter:
a year-only or estimated value ("~2013") has no month/day, which then counts as missing (neutral),
so it still agrees fully with the exact birth date of the same person on the year.

Month names ("3 февраля 2011", "03-FEB-2011", "Feb 3, 2011", "٣ فبراير ٢٠١١") are read with the table
``data/month_names.json`` (read through :mod:`pprl.token_rules`: its digest is part of every schema
fingerprint); a time of day after a date ("03.02.2011 0:00:00", as spreadsheets export dates) is ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from pprl import token_rules

_APPROX = re.compile(r"^(?:~|ca\.?|c\.|circa|approx\.?|about|около|примерно|прибл\.?|حوالي)\s*|\s*(?:\?|гг\.?)$",
                     re.IGNORECASE)
#: "г." / "год" / "г.р." (year, year of birth) after a date; alone with a year it reads as an estimate.
_YEAR_WORD = re.compile(r"\s*(?:г\.?\s?р\.?|г\.?|года?)$", re.IGNORECASE)
_TIME = re.compile(r"(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?\s?[Mm]\.?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_NUMERIC = re.compile(r"^(\d{1,4})[./\-\s](\d{1,2})[./\-\s](\d{1,4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[./\-\s](\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[./](\d{1,2})$")
_WORD = r"([^\W\d_]+)\.?"
_DAY_WORD_YEAR = re.compile(r"^(\d{1,2})[\s./\-]*" + _WORD + r"[\s./\-,]*(\d{4})$")
_WORD_DAY_YEAR = re.compile(r"^" + _WORD + r"\s*(\d{1,2}),?\s+(\d{4})$")
_WORD_YEAR = re.compile(r"^" + _WORD + r"[\s./\-,]*(\d{4})$")
_AGE = re.compile(r"^(\d{1,3})\s*(?:y|yr|yrs|years?|j|ans?|лет|года?|سنة|سنوات)$", re.IGNORECASE)


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None
    approximate: bool = False


@lru_cache(maxsize=1)
def _month_table() -> dict[str, int]:
    """Month number of every known month name (case-folded)."""
    table: dict[str, int] = {}
    for months in json.loads(token_rules.month_names())["months"].values():
        for number, words in enumerate(months, 1):
            for word in words.split():
                table[word.casefold()] = number
    return table


def _month(word: str) -> int | None:
    return _month_table().get(word.casefold())


def _valid(year: int, month: int | None, day: int | None, options: Mapping) -> bool:
    if not options.get("min_year", 1900) <= year <= options.get("max_year", 2100):
        return False
    if month is None:
        return day is None
    if not 1 <= month <= 12:
        return False
    if day is None:
        return True
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _day_month(first: int, second: int, order: str) -> tuple[int, int]:
    """(day, month) of two leading numbers; an impossible month swaps them (13/05 is 13 May in any order)."""
    day, month = (second, first) if order == "mdy" else (first, second)
    if month > 12 >= day:
        day, month = month, day
    return day, month


def parse_date(text: str, options: Mapping, reference_year: int | None = None) -> PartialDate | None:
    """Parse one exported date; None when it cannot be read (the caller counts it, never shows it).

    ``reference_year`` turns an age ("7 years", "7 лет") into an estimated birth year.
    """
    value = text.strip()
    if not value:
        return None
    approximate = False
    year_word = False
    if not (value[0].isdigit() and value[-1].isdigit()):  # the markers of _APPROX are not digits
        stripped = _YEAR_WORD.sub("", value).strip()
        year_word, value = stripped != value, stripped
        stripped = _APPROX.sub("", value).strip()
        if stripped != value:
            approximate, value = True, stripped
    value = _TIME.sub("", value)
    order = options.get("order", "dmy")
    year = month = day = None
    if match := _ISO.match(value):
        year, month = int(match[1]), int(match[2])
        day = int(match[3]) if match[3] else None
    elif match := _COMPACT.match(value):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := _YEAR.match(value):
        year = int(match[1])
    elif match := _NUMERIC.match(value):
        a, b, c = int(match[1]), int(match[2]), int(match[3])
        if len(match[1]) == 4:  # YYYY/MM/DD
            year, month, day = a, b, c
        elif len(match[3]) == 4:
            year = c
            day, month = _day_month(a, b, order)
        else:
            return None  # two-digit years are ambiguous across a century
    elif match := _MONTH_YEAR.match(value):
        month, year = int(match[1]), int(match[2])
    elif match := _YEAR_MONTH.match(value):
        year, month = int(match[1]), int(match[2])
    elif (match := _DAY_WORD_YEAR.match(value)) and _month(match[2]):
        day, month, year = int(match[1]), _month(match[2]), int(match[3])
    elif (match := _WORD_DAY_YEAR.match(value)) and _month(match[1]):
        month, day, year = _month(match[1]), int(match[2]), int(match[3])
    elif (match := _WORD_YEAR.match(value)) and _month(match[1]):
        month, year = _month(match[1]), int(match[2])
    elif (match := _AGE.match(value)) and reference_year is not None:
        year, approximate = reference_year - int(match[1]), True
    else:
        return None
    if not _valid(year, month, day, options):
        return None
    return PartialDate(year, month, day, approximate or (year_word and month is None))


def from_datetime(value: dt.date) -> PartialDate:
    return PartialDate(value.year, value.month, value.day)


def year_tokens(date: PartialDate, window: int) -> frozenset[str]:
    """The year and the windows of adjacent years containing it: years ``window`` apart share tokens.
    An estimated year ("~2013", an age) also takes the windows one year further out on each side, so
    it still agrees partially with a true year that the estimate missed by ``window + 1``."""
    return _year_tokens(date.year, date.approximate, window)


@lru_cache(maxsize=1 << 12)  # a few hundred years occur, a full birth date is new nearly every row
def _year_tokens(year: int, approximate: bool, window: int) -> frozenset[str]:
    tokens = {f"y{year}"}
    reach = window + 1 if approximate and window else window
    for start in range(year - reach, year + reach - window + 1):
        if window:
            tokens.add(f"w{start}-{start + window}")
    return frozenset(tokens)


def month_day_tokens(date: PartialDate) -> frozenset[str]:
    """Month and day, ordered and unordered, so that a day/month swap still agrees partially."""
    return _month_day_tokens(date.month, date.day)


@lru_cache(maxsize=1 << 10)
def _month_day_tokens(month: int | None, day: int | None) -> frozenset[str]:
    if month is None:
        return frozenset()
    tokens = {f"m{month}"}
    if day is not None:
        low, high = sorted((day, month))
        tokens |= {f"d{day}", f"md{month}-{day}", f"n{day}", f"n{month}", f"s{low}-{high}"}
    return frozenset(tokens)
