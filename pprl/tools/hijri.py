"""Gregorian <-> Hijri dates in the tabular (arithmetical) Islamic calendar, on numpy arrays.

Months alternate 30 and 29 days (Dhu al-Hijjah 30 in leap years), 11 leap years in 30 (years 2, 5, 7,
10, 13, 16, 18, 21, 24, 26, 29 of each cycle), the civil epoch: 1 Muharram 1 AH = 16 July 622
(Julian). This is the calendar of convertdate's ``islamic`` module and of Microsoft's
``HijriCalendar``; it is one formula, so no dependency. Calendars by sighting and Saudi Arabia's Umm
al-Qura differ from it by a day or two in some months (1 Muharram 1445 is 19 July 2023 in both), as
real registers differ among themselves. Days are counted from 1970-01-01, as numpy's
``datetime64[D]`` counts them.
"""

from __future__ import annotations

import numpy as np

#: 1 Muharram 1 AH (civil epoch), in days from 1970-01-01 (Julian Day 1948439.5).
EPOCH = -492_148


def to_days(year, month, day) -> np.ndarray:
    """Days from 1970-01-01 of Hijri dates (arrays or scalars of int)."""
    y, m, d = (np.asarray(x, dtype=np.int64) for x in (year, month, day))
    # ceil(29.5 * (m - 1)) days before the month; (3 + 11 y) // 30 leap days before the year
    return d + (59 * (m - 1) + 1) // 2 + (y - 1) * 354 + (3 + 11 * y) // 30 + EPOCH - 1


def from_days(days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) in the Hijri calendar of days from 1970-01-01 (on or after the epoch)."""
    t = np.asarray(days, dtype=np.int64)
    year = (30 * (t - EPOCH) + 10_646) // 10_631
    since = t - (29 + to_days(year, 1, 1))
    month = np.minimum(12, -((-2 * since) // 59) + 1)     # ceil(since / 29.5) + 1
    day = t - to_days(year, month, 1) + 1
    return year, month, day


def from_gregorian(dates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) in the Hijri calendar of ``datetime64`` dates or ISO date strings."""
    return from_days(np.asarray(dates, dtype="datetime64[D]").astype(np.int64))
