"""Tests of pprl.agency.dates: parsing full and partial dates, and the tokens that compare them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from pprl.agency.dates import PartialDate, from_datetime, month_day_tokens, parse_date, year_tokens

DMY = {"order": "dmy"}
MDY = {"order": "mdy"}
YMD = {"order": "ymd"}


@pytest.mark.parametrize("text, expected", [
    ("2013-05-17", PartialDate(2013, 5, 17)),
    ("2013-5-7", PartialDate(2013, 5, 7)),
    ("2013-05-17T00:00:00", PartialDate(2013, 5, 17)),
    ("2013-05-17 10:30", PartialDate(2013, 5, 17)),
    ("2013-05", PartialDate(2013, 5)),
    ("17.05.2013", PartialDate(2013, 5, 17)),
    ("7.5.2013", PartialDate(2013, 5, 7)),
    ("17/05/2013", PartialDate(2013, 5, 17)),
    ("17-05-2013", PartialDate(2013, 5, 17)),
    ("20130517", PartialDate(2013, 5, 17)),
    ("2013/05/17", PartialDate(2013, 5, 17)),
    ("2013", PartialDate(2013)),
    ("  2013  ", PartialDate(2013)),
    ("05/2013", PartialDate(2013, 5)),
    ("5.2013", PartialDate(2013, 5)),
    ("2013/05", PartialDate(2013, 5)),
    ("~2013", PartialDate(2013, approximate=True)),
    ("~ 2013", PartialDate(2013, approximate=True)),
    ("ca. 2013", PartialDate(2013, approximate=True)),
    ("ca 2013", PartialDate(2013, approximate=True)),
    ("circa 2013", PartialDate(2013, approximate=True)),
    ("около 2013", PartialDate(2013, approximate=True)),
    ("2013 г.", PartialDate(2013, approximate=True)),
    ("2013?", PartialDate(2013, approximate=True)),
    ("2013 г.р.", PartialDate(2013, approximate=True)),
    ("17.05.2013 г.", PartialDate(2013, 5, 17)),  # "year" after a full date is no estimate
    # a time of day, as spreadsheets export dates
    ("17.05.2013 0:00:00", PartialDate(2013, 5, 17)),
    ("05/17/2013 12:00:00 AM", PartialDate(2013, 5, 17)),
    ("17.05.2013 13:45", PartialDate(2013, 5, 17)),
])
def test_formats(text, expected):
    assert parse_date(text, DMY) == expected


@pytest.mark.parametrize("text, expected", [
    ("17 мая 2013", PartialDate(2013, 5, 17)),
    ("17 мая 2013 г.", PartialDate(2013, 5, 17)),
    ("17-MAY-2013", PartialDate(2013, 5, 17)),
    ("17 May 2013", PartialDate(2013, 5, 17)),
    ("May 17, 2013", PartialDate(2013, 5, 17)),
    ("3 févr. 2011", PartialDate(2011, 2, 3)),
    ("3. März 2011", PartialDate(2011, 3, 3)),
    ("3 травня 2011", PartialDate(2011, 5, 3)),
    ("12 AĞUSTOS 2012", PartialDate(2012, 8, 12)),
    ("12 avqust 2012", PartialDate(2012, 8, 12)),
    ("12 тамыз 2012", PartialDate(2012, 8, 12)),
    ("٣ فبراير ٢٠١١", PartialDate(2011, 2, 3)),
    ("3 شباط 2011", PartialDate(2011, 2, 3)),
    ("февраль 2011", PartialDate(2011, 2)),
    ("Sept 2011", PartialDate(2011, 9)),
])
def test_month_names(text, expected):
    assert parse_date(text, DMY) == expected


@pytest.mark.parametrize("text", ["17 Foo 2013", "31 февраля 2013", "17 мая 13", "мая"])
def test_unknown_or_impossible_month_names_are_unreadable(text):
    assert parse_date(text, DMY) is None


def test_day_month_order_option():
    assert parse_date("03/04/2013", DMY) == PartialDate(2013, 4, 3)
    assert parse_date("03/04/2013", MDY) == PartialDate(2013, 3, 4)
    assert parse_date("03.04.2013", {}) == PartialDate(2013, 4, 3)  # dmy by default


def test_day_above_twelve_swaps_in_any_order():
    # 13/05 can only be 13 May, 05/13 only 13 May, whatever the declared order
    assert parse_date("13/05/2013", DMY) == PartialDate(2013, 5, 13)
    assert parse_date("13/05/2013", MDY) == PartialDate(2013, 5, 13)
    assert parse_date("05/13/2013", DMY) == PartialDate(2013, 5, 13)
    assert parse_date("05/13/2013", MDY) == PartialDate(2013, 5, 13)


@pytest.mark.parametrize("text", [
    "", "   ", "unknown", "n/a", "31.02.2013", "30/02/2013", "2013-13-01", "2013-00-10", "2013-02-30",
    "32.01.2013", "13/13/2013", "00.00.2013", "2013-05-17x", "17.05", "1850", "2250",
    "20131317", "2013-05-17-01", "29.02.2013",
])
def test_invalid_dates_are_none(text):
    assert parse_date(text, DMY) is None


def test_leap_day():
    assert parse_date("29.02.2012", DMY) == PartialDate(2012, 2, 29)


@pytest.mark.parametrize("text", ["17.05.13", "17/05/13", "05/17/13", "1.1.00", "13-05-17"])
def test_two_digit_years_are_refused(text):
    assert parse_date(text, DMY) is None
    assert parse_date(text, MDY) is None


def test_year_range_options():
    assert parse_date("1850", {"min_year": 1800}) == PartialDate(1850)
    assert parse_date("1950", {"min_year": 1960}) is None
    assert parse_date("2013", {"max_year": 2010}) is None


def test_ages_need_a_reference_year():
    assert parse_date("7 years", DMY) is None
    assert parse_date("7 лет", DMY, reference_year=2020) == PartialDate(2013, approximate=True)


def test_from_datetime():
    assert from_datetime(dt.date(2013, 5, 17)) == PartialDate(2013, 5, 17)
    assert from_datetime(dt.datetime(2013, 5, 17, 12, 0)) == PartialDate(2013, 5, 17)


# --- tokens ----------------------------------------------------------------------------------

def _dice(a: set, b: set) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else float("nan")


def test_year_only_agrees_with_the_full_date_on_the_year():
    full = parse_date("17.05.2013", DMY)
    year_only = parse_date("2013", DMY)
    approx = parse_date("~2013", DMY)
    for window in (0, 1, 2):
        assert year_tokens(full, window) == year_tokens(year_only, window)
        # an estimate agrees on every token of the year it names, and reaches one year further
        assert year_tokens(full, window) <= year_tokens(approx, window)
    assert _dice(year_tokens(full, 1), year_tokens(approx, 1)) >= 0.7
    assert month_day_tokens(year_only) == set()  # month/day missing: neutral, not a disagreement
    assert month_day_tokens(full)


def test_an_estimated_year_still_meets_a_true_year_two_years_off():
    y2015 = PartialDate(2015)
    assert not year_tokens(PartialDate(2013), 1) & year_tokens(y2015, 1)
    assert year_tokens(PartialDate(2013, approximate=True), 1) & year_tokens(y2015, 1)
    assert not year_tokens(PartialDate(2013, approximate=True), 1) & year_tokens(PartialDate(2016), 1)


def test_year_window_gives_partial_agreement_to_adjacent_years():
    y2013, y2014, y2016 = (PartialDate(y) for y in (2013, 2014, 2016))
    assert not year_tokens(y2013, 0) & year_tokens(y2014, 0)
    assert 0 < _dice(year_tokens(y2013, 1), year_tokens(y2014, 1)) < 1
    assert not year_tokens(y2013, 1) & year_tokens(y2016, 1)
    assert _dice(year_tokens(y2013, 2), year_tokens(y2014, 2)) > _dice(year_tokens(y2013, 2), year_tokens(y2016, 2)) >= 0


def test_day_month_swap_shares_month_day_tokens_partially():
    right = month_day_tokens(PartialDate(2013, 5, 3))
    swapped = month_day_tokens(PartialDate(2013, 3, 5))
    other = month_day_tokens(PartialDate(2013, 8, 21))
    assert 0 < _dice(right, swapped) < 1
    assert _dice(right, swapped) > _dice(right, other)
    assert _dice(right, right) == 1


def test_same_month_other_day_agrees_partially():
    a = month_day_tokens(PartialDate(2013, 5, 17))
    b = month_day_tokens(PartialDate(2013, 5, 18))
    month_only = month_day_tokens(PartialDate(2013, 5))
    assert 0 < _dice(a, b) < 1
    assert month_only and month_only < a


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_format_of_one_date_parses_the_same(day):
    expected = PartialDate(day.year, day.month, day.day)
    texts = [day.isoformat(), day.strftime("%d.%m.%Y"), day.strftime("%d/%m/%Y"), day.strftime("%Y%m%d"),
             f"{day.day}.{day.month}.{day.year}", day.strftime("%Y/%m/%d")]
    for text in texts:
        assert parse_date(text, DMY) == expected, text
    assert parse_date(day.strftime("%m/%d/%Y"), MDY) == expected
    assert parse_date(day.isoformat(), MDY) == expected  # ISO is never ambiguous


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30))
def test_parse_never_raises(text):
    result = parse_date(text, DMY)
    assert result is None or 1900 <= result.year <= 2100
