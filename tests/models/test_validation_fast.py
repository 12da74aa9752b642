"""The quick ways of checking give the same answers as the long ways they stand in for."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.models import validation
from desktop_app.models.profiles import profile_named
from desktop_app.models.validation import INVISIBLE, Validator

# Every profile with a column of each kind: text, email, choice, multi, flag, language,
# date, email_list, a key, lists from the file.
PROFILES = ("atlas", "scim", "rakoo", "udemy_business")
LISTS = {"Company": ["Acme", "Globex"], "Department": ["Sales", "IT", "R&D"]}

# Values near the edges of every check: spaces, tabs, line breaks, control and invisible
# characters, addresses good and bad, list separators, dates, flags and language names.
PIECES = [
    "",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\x00",
    "\x1b",
    "\x85",
    "\u2028",
    "\u3000",
    "\u2009",
    *INVISIBLE,
    "a",
    "Anna",
    "é",
    "@",
    ".",
    "..",
    ",",
    ";",
    "|",
    "-",
    "x",
    "X",
    "yes",
    "nl",
    "en",
    "Dutch",
    "Nederlands",
    "Active",
    "active",
    "Sales",
    "sales",
    "2021-02-29",
    "2021-13-01",
    "2024-01-15",
    "15/01/2024",
    "anna@example.com",
    "anna.@example.com",
    "anna@example",
    "anna@gmial.com",
    "anna@@example.com",
    "anna @example.com",
    "anna@-example.com",
    "anna@example.local",
    "a" * 70 + "@example.com",
]
values = st.lists(st.sampled_from(PIECES), max_size=4).map("".join) | st.text(max_size=12)


def checkers() -> list[validation.ColumnChecker]:
    found = []
    for name in PROFILES:
        profile = profile_named(name)
        headers = [rule.header for rule in profile.columns]
        lists = {i: LISTS[h] for i, h in enumerate(headers) if h in LISTS}
        found += Validator(profile, headers, [[] for _ in headers], lists).checkers
    return found


CHECKERS = checkers()


@settings(max_examples=400, deadline=None)
@given(values)
def test_a_tidy_value_is_checked_as_the_long_way_checks_it(value: str) -> None:
    for checker in CHECKERS:
        assert checker._check(value) == checker._check_any(value), (checker.header, value)


@settings(max_examples=400, deadline=None)
@given(values)
def test_the_quick_email_fix_is_the_long_ways(value: str) -> None:
    assert validation._email_fix(value) == validation._email_fix_any(value)


def test_the_invisible_characters_are_not_printable() -> None:
    # The quick check takes a printable value with no space at either end to be tidy.
    assert not any(char.isprintable() for char in INVISIBLE)
    assert not any(char.isprintable() for char in "\t\n\r\x00\x1f\x7f\x9f\ufffe\uffff")


@settings(max_examples=150, deadline=None)
@given(st.lists(values, max_size=30), st.booleans())
def test_a_columns_problems_are_each_cells_own(cells: list[str], with_distinct: bool) -> None:
    for checker in CHECKERS:
        rows, found = checker.problem_columns(cells, set(cells) if with_distinct else None)
        expected = [(row, checker.check(v)) for row, v in enumerate(cells) if checker.check(v)]
        if checker.is_key:
            expected = [(row, issues) for row, issues in expected if cells[row] == ""]
        assert list(zip(rows, found, strict=True)) == expected, checker.header
        assert list(checker.problem_cells(cells)) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.integers(0, 40), st.dictionaries(st.integers(0, 5), st.just(1), min_size=1)),
    st.sets(st.integers(0, 40)),
    st.integers(0, 6),
)
def test_a_columns_issues_go_in_place_in_the_order_they_were_put_before(
    before: dict[int, dict[int, Any]], rows: set[int], col: int
) -> None:
    validator = Validator(profile_named("atlas"), ["Email"], [[]])
    validator.problems = {row: dict(cells) for row, cells in before.items()}
    found = [(("issue", row),) for row in sorted(rows)]
    validator._add_problems(col, sorted(rows), found)  # type: ignore[arg-type]
    expected: dict[int, dict[int, Any]] = {row: dict(cells) for row, cells in before.items()}
    for row, issues in zip(sorted(rows), found, strict=True):  # the long way, a row at a time
        cells = expected.get(row)
        if cells is None:
            expected[row] = {col: issues}
        else:
            cells[col] = issues
    assert validator.problems == expected
    assert list(validator.problems) == list(expected)
    assert [list(cells) for cells in validator.problems.values()] == [
        list(cells) for cells in expected.values()
    ]
