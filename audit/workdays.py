"""Chinese working days (public holidays and 调休 make-up days) from the chinesecalendar package.

Dates outside the package's coverage fall back to Monday–Friday and are reported, never guessed.

Examples
--------
>>> import datetime as dt
>>> workdays_between(dt.date(2024, 2, 8), dt.date(2024, 2, 19))   # Spring Festival 2024
(3, False)
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar

__all__ = ["is_workday", "workdays_between"]


@lru_cache(maxsize=1 << 16)
def is_workday(day: dt.date) -> tuple[bool, bool]:
    """(is a working day, covered by the official calendar)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def workdays_between(start: dt.date, end: dt.date) -> tuple[int, bool]:
    """Working days after ``start`` up to and including ``end``; and whether any date was outside coverage."""
    n, outside = 0, False
    day = start + dt.timedelta(days=1)
    while day <= end:
        work, covered = is_workday(day)
        n += work
        outside |= not covered
        day += dt.timedelta(days=1)
    return n, outside
