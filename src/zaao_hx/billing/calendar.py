"""Latvia's working days: public holidays and the government's moved working days.

The `holidays` package knows both: its Latvia calendar lists the public holidays (with
May 4 and Nov 18 observed on the Monday when they fall on a weekend) and the days off
"substituted" by cabinet orders ("Par darba dienu pārcelšanu"), and it records the
Saturdays worked instead in `weekend_workdays`, which `is_working_day` honours.
For years the package does not know yet, callers may pass their own extra holidays and
extra (weekend) working days.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from functools import lru_cache

import holidays

COUNTRY = "LV"


@lru_cache(maxsize=64)
def latvia(year: int) -> holidays.HolidayBase:
    """Latvia's calendar for `year`, with its neighbours populated.

    A day off substituted across the new year (say 2 January from a Saturday in December)
    is recorded while the later year is populated, so the next year is loaded as well.
    """
    return holidays.country_holidays(COUNTRY, years=range(year - 1, year + 2))


def is_working_day(
    day: datetime.date,
    *,
    extra_holidays: Collection[datetime.date] = (),
    extra_workdays: Collection[datetime.date] = (),
) -> bool:
    if day in extra_holidays:
        return False
    if day in extra_workdays:
        return True
    return latvia(day.year).is_working_day(day)


def nth_working_day(
    year: int,
    month: int,
    n: int,
    *,
    extra_holidays: Collection[datetime.date] = (),
    extra_workdays: Collection[datetime.date] = (),
) -> datetime.date:
    """The `n`-th (1-based) working day of the month."""
    if n < 1:
        raise ValueError("n counts from 1")
    day = datetime.date(year, month, 1)
    seen = 0
    while True:
        if is_working_day(day, extra_holidays=extra_holidays, extra_workdays=extra_workdays):
            seen += 1
            if seen == n:
                return day
        day += datetime.timedelta(days=1)


def second_working_day(
    year: int,
    month: int,
    *,
    extra_holidays: Collection[datetime.date] = (),
    extra_workdays: Collection[datetime.date] = (),
) -> datetime.date:
    """The day monthly invoices are issued (e.g. 2026-01-06: 1 Jan is New Year's Day and
    2 Jan 2026 a day off moved from Saturday 17 Jan)."""
    return nth_working_day(
        year, month, 2, extra_holidays=extra_holidays, extra_workdays=extra_workdays
    )
