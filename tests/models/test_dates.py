"""The standard-library dates agree with the pandas parsing the validator used before.

The old check was ``pd.Timestamp(value)`` for YYYY-MM-DD text and, for the fix,
``pd.to_datetime(value, dayfirst=True)`` then ``dayfirst=False``. Where that was wrong on
purpose-free grounds (a year written first had its month and day swapped: 2020/03/04 became
3 April; 'today' and '12:00' became today's date), the new reading differs, and the tests
below say so.
"""

from __future__ import annotations

import string
import warnings
from datetime import date, datetime, time

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from desktop_app.models.dates import is_real_iso_date, read_date

pd = pytest.importorskip("pandas")


def pandas_is_real(value: str) -> bool:
    try:
        pd.Timestamp(value)
    except ValueError:
        return False
    return True


def pandas_fix(value: str, dayfirst: tuple[bool, ...] = (True, False)) -> str | None:
    """The fix validation.py offered, with pandas."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for first in dayfirst:
            try:
                return str(pd.to_datetime(value, dayfirst=first).date().isoformat())
            except (ValueError, TypeError, OverflowError):
                continue
    return None


def ours(value: str) -> str | None:
    day = read_date(value)
    return None if day is None else day.isoformat()


iso_shaped = st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z")
ascii_iso_shaped = st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def pandas_reads_alike(value: str) -> bool:
    """pandas reads year 0000 only when every digit is ASCII: it accepts '0000-01-01' and
    refuses the same day written '0000-01-0١' (its other parser has no year 0), so for
    those it is no reference. Ours reads digits of every script alike."""
    return value.isascii() or int(value[:4]) != 0


@given(st.one_of(iso_shaped, ascii_iso_shaped).filter(pandas_reads_alike))
@example("2020-02-29")
@example("2021-02-29")
@example("1900-02-29")
@example("2000-02-29")
@example("0000-02-29")
@example("0000-01-01")
@example("9999-12-31")
@example("2020-00-10")
@example("2020-13-01")
@example("2020-04-31")
@example("٢٠٢٠-٠١-٠١")
def test_a_real_date_is_what_pandas_accepted(value: str) -> None:
    assert is_real_iso_date(value) == pandas_is_real(value)


@given(st.text())
@example(" 2020-01-01")
@example("2020-01-01 ")
@example("2020-1-01")
def test_only_yyyy_mm_dd_is_a_real_date(value: str) -> None:
    if is_real_iso_date(value):
        assert len(value) == 10
        assert pandas_is_real(value)


# What people type: (format, written year first?) for datetime.strftime; %-d has no
# portable spelling, so unpadded numbers are made by hand (see written()).
DAY_FIRST_FORMATS = [
    "{d}/{m}/{Y}",
    "{d}.{m}.{Y}",
    "{d}-{m}-{Y}",
    "{d}/{m}/{y}",
    "{d}.{m}.{y}",
    "{d} {B} {Y}",
    "{d} {b} {Y}",
    "{d}-{b}-{Y}",
    "{d}-{b}-{y}",
    "{A}, {d} {B} {Y}",
    "{B} {d}, {Y}",
    "{b} {d} {Y}",
    "{b}. {d}, {Y}",
]
YEAR_FIRST_FORMATS = ["{Y}-{m}-{d}", "{Y}/{m}/{d}", "{Y}.{m}.{d}"]
TIMES = ["", " {H}:{M}", " {H}:{M}:{S}", "T{H}:{M}:{S}", " {I}:{M} {p}"]


def written(day: date, at: time, pattern: str, padded: bool) -> str:
    def number(n: int) -> str:
        return f"{n:02d}" if padded else str(n)

    when = datetime.combine(day, at)
    return pattern.format(
        d=number(day.day),
        m=number(day.month),
        Y=f"{day.year:04d}",
        y=f"{day.year % 100:02d}",
        B=when.strftime("%B"),
        b=when.strftime("%b"),
        A=when.strftime("%A"),
        H=f"{at.hour:02d}",
        I=str(at.hour % 12 or 12),
        M=f"{at.minute:02d}",
        S=f"{at.second:02d}",
        p="AM" if at.hour < 12 else "PM",
    )


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
times = st.times().map(lambda t: t.replace(microsecond=0))
cases = st.sampled_from(["", " ", "upper", "lower"])


def dressed(text: str, case: str) -> str:
    return {"": text, " ": f"  {text} ", "upper": text.upper(), "lower": text.lower()}[case]


@given(
    days, times, st.sampled_from(DAY_FIRST_FORMATS), st.sampled_from(TIMES), st.booleans(), cases
)
def test_day_first_and_worded_dates_are_read_as_pandas_read_them(
    day: date, at: time, pattern: str, clock: str, padded: bool, case: str
) -> None:
    value = dressed(written(day, at, pattern + clock, padded), case)
    assert ours(value) == pandas_fix(value)


@given(days, times, st.sampled_from(YEAR_FIRST_FORMATS), st.sampled_from(TIMES), st.booleans())
def test_a_year_written_first_is_followed_by_the_month(
    day: date, at: time, pattern: str, clock: str, padded: bool
) -> None:
    value = written(day, at, pattern + clock, padded)
    # pandas with dayfirst=True swapped month and day here (2020/03/04 -> 2020-04-03);
    # read month first, it agrees, and it is what anyone writing the year first means.
    assert ours(value) == pandas_fix(value, dayfirst=(False,)) == day.isoformat()


@given(days)
def test_compact_dates_are_year_month_day(day: date) -> None:
    value = day.strftime("%Y%m%d")
    assert ours(value) == pandas_fix(value, dayfirst=(False,)) == day.isoformat()


@given(st.text(alphabet=string.printable + "٠١٢٣٤٥٦٧٨٩éß", max_size=30))
@example("31/02/2020")
@example("3 mrt 2020")
def test_any_text_reads_without_error_and_only_as_a_day_pandas_also_finds(value: str) -> None:
    day = read_date(value)
    if day is not None:
        assert pandas_fix(value) is not None
        assert ours(value) in (pandas_fix(value), pandas_fix(value, dayfirst=(False,)))


@pytest.mark.parametrize(
    ("value", "old", "new"),
    [
        ("2020/03/04", "2020-04-03", "2020-03-04"),
        ("2020-03-04 10:00:00", "2020-04-03", "2020-03-04"),
        ("20200304", "2020-04-03", "2020-03-04"),
        ("2020", "2020-01-01", None),
        ("March 2020", "2020-03-01", None),
    ],
)
def test_where_the_new_reading_differs_on_purpose(value: str, old: str, new: str | None) -> None:
    assert pandas_fix(value) == old
    assert ours(value) == new


@pytest.mark.parametrize("value", ["today", "now", "12:00"])
def test_words_that_need_today_get_no_fix(value: str) -> None:
    assert pandas_fix(value) == date.today().isoformat()
    assert read_date(value) is None


def test_two_digit_years_are_the_nearest_such_year() -> None:
    this = date.today().year
    assert ours(f"1/2/{this % 100:02d}") == f"{this}-02-01"
    later = (this + 49) % 100
    assert ours(f"1/2/{later:02d}") == f"{this + 49}-02-01" == pandas_fix(f"1/2/{later:02d}")
    earlier = (this + 50) % 100
    assert ours(f"1/2/{earlier:02d}") == f"{this - 50}-02-01" == pandas_fix(f"1/2/{earlier:02d}")


def test_distinct_values_are_read_fast() -> None:
    import time as clock

    values = [f"{d}/{m}/{y}" for d in range(1, 29) for m in range(1, 13) for y in range(1990, 2020)]
    read_date.cache_clear()
    started = clock.perf_counter()
    assert all(read_date(v) is not None for v in values)
    assert clock.perf_counter() - started < 1.0  # 10,080 distinct dates
