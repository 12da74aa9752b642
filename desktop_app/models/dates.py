"""Dates as the platform takes them (YYYY-MM-DD) and as people type them, standard library only.

``is_real_iso_date`` decides whether a date column's value is valid; ``read_date`` reads
what a person most likely meant by another way of writing a day (3/4/2020, 3 March 2020,
March 3, 2020, 2020/03/04 10:00), for the one-click fix. Both take any text, never raise,
and are cached by value, since a column repeats few distinct dates.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# A time of day after the date, as spreadsheets and exports write it; the day is kept.
_TIME = (
    r"(?:(?:[ ]+|t)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[ ]*[ap]\.?m\.?)?"
    r"(?:[ ]*(?:z|utc|gmt|[+-]\d{2}:?\d{2}))?)?"
)
# 2020-3-4, 2020/03/04, 2020.03.04 (year first: year, month, day).
_YEAR_FIRST = re.compile(rf"(\d{{4}})([-/.])(\d{{1,2}})\2(\d{{1,2}}){_TIME}")
# 20200304
_COMPACT = re.compile(rf"(\d{{4}})(\d{{2}})(\d{{2}}){_TIME}")
# 3/4/2020, 03.04.20, 3-4-2020 (day first, or month first when the day cannot be first).
_NUMERIC = re.compile(rf"(\d{{1,2}})([-/.])(\d{{1,2}})\2(\d{{4}}|\d{{1,2}}){_TIME}")

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = (
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?,?[ ]+)?"
)
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(\d{4}|\d{2})"
# 3 March 2020, 3-Mar-2020, Tuesday, 3rd March 2020
_DAY_MONTH = re.compile(rf"{_WEEKDAY}{_DAY}(?:[ ]+|-)(?:of[ ]+)?{_MONTH}(?:,?[ ]+|-){_YEAR}{_TIME}")
# March 3, 2020; Mar 3 2020
_MONTH_DAY = re.compile(rf"{_WEEKDAY}{_MONTH}[ ]+{_DAY},?[ ]+{_YEAR}{_TIME}")


def _days_in_month(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _DAYS[month - 1]


def is_real_iso_date(value: str) -> bool:
    """Whether ``value`` is YYYY-MM-DD and that day exists (2021-02-29 does not).

    Years 0000 to 9999 of the proleptic Gregorian calendar, digits of any script, as the
    validator has always accepted them.
    """
    match = _ISO.fullmatch(value)
    if match is None:
        return False
    year, month, day = (int(part) for part in match.groups())
    return 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)


def _full_year(digits: str, today: date) -> int:
    """A year as written; two digits mean the year of that name nearest today (as dateutil)."""
    year = int(digits)
    if len(digits) > 2:
        return year
    year += today.year // 100 * 100
    if year >= today.year + 50:
        year -= 100
    elif year < today.year - 50:
        year += 100
    return year


def _day(year: int, month: int, day: int) -> date | None:
    if 1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month):
        return date(year, month, day)
    return None


@lru_cache(maxsize=65536)
def read_date(value: str) -> date | None:
    """The day a person meant by ``value``, or None when it does not name one day.

    Numbers are read day first (3/4/2020 is 3 April) unless the day cannot come first
    (4/13/2020 is 13 April); a year written first is followed by the month (2020/03/04 is
    4 March). Words that need today's date ('today', '12:00') or that leave the day out
    ('March 2020') name no day, so they get no fix.
    """
    text = value.strip().casefold()
    today = date.today()
    if match := _YEAR_FIRST.fullmatch(text):
        year, _sep, first, second = (int(part) if part.isdigit() else 0 for part in match.groups())
        return _day(year, first, second) or _day(year, second, first)
    if match := _COMPACT.fullmatch(text):
        year, first, second = (int(part) for part in match.groups())
        return _day(year, first, second)
    if match := _NUMERIC.fullmatch(text):
        first_text, _, second_text, year_text = match.groups()
        year, first, second = _full_year(year_text, today), int(first_text), int(second_text)
        return _day(year, second, first) or _day(year, first, second)
    if match := _DAY_MONTH.fullmatch(text):
        day_text, month_name, year_text = match.groups()
        return _day(_full_year(year_text, today), _MONTHS[month_name], int(day_text))
    if match := _MONTH_DAY.fullmatch(text):
        month_name, day_text, year_text = match.groups()
        return _day(_full_year(year_text, today), _MONTHS[month_name], int(day_text))
    return None
