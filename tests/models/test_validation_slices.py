"""A table checked a few rows at a time has exactly the problems of one pass."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.models import slicing, validation
from desktop_app.models.profiles import profile_named
from desktop_app.models.validation import UniqueIndex, Validator
from tests.models.test_validation import (
    ATLAS_HEADERS,
    ATLAS_VALUES,
    RAKOO_HEADERS,
    RAKOO_LISTS,
    RAKOO_VALUES,
)

KEYS = ["", " ", "000101", "000102", "000101 ", "E1", "e1"]


def _check(name: str, columns: list[list[str]], slice_rows: int, distinct: bool) -> Validator:
    headers = ATLAS_HEADERS if name == "atlas" else RAKOO_HEADERS
    lists = {} if name == "atlas" else RAKOO_LISTS
    before = slicing.SLICE_ROWS, validation.BLOCK_ROWS
    # The unique keys in blocks of a few rows too, not always a whole number of slices.
    slicing.SLICE_ROWS, validation.BLOCK_ROWS = slice_rows, min(3 * slice_rows + 1, 1 << 30)
    try:
        validator = Validator(profile_named(name), headers, [list(c) for c in columns], lists)
        validator.validate_all(distinct=[set(c) for c in columns] if distinct else None)
    finally:
        slicing.SLICE_ROWS, validation.BLOCK_ROWS = before
    return validator


@settings(max_examples=120, deadline=None)
@given(
    name=st.sampled_from(["atlas", "rakoo"]),
    rows=st.integers(0, 40).flatmap(
        lambda n: st.lists(
            st.tuples(
                st.sampled_from(KEYS),
                *[st.sampled_from(ATLAS_VALUES + RAKOO_VALUES) for _ in range(4)],
            ),
            min_size=n,
            max_size=n,
        )
    ),
    slice_rows=st.integers(1, 7),
    distinct=st.booleans(),
)
def test_problems_found_in_slices_are_those_of_one_pass(
    name: str, rows: list[tuple[str, ...]], slice_rows: int, distinct: bool
) -> None:
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(5)]
    whole = _check(name, columns, 1 << 20, distinct)
    sliced = _check(name, columns, slice_rows, distinct)
    assert sliced.problems == whole.problems
    assert sliced.unique.keys() == whole.unique.keys()
    for col, index in whole.unique.items():
        assert sliced.unique[col].single == index.single
        assert sliced.unique[col].groups == index.groups


@pytest.mark.parametrize("slice_rows", [1, 2, 3, 1 << 20])
def test_unique_index_groups_every_repeat_in_row_order(
    monkeypatch: pytest.MonkeyPatch, slice_rows: int
) -> None:
    monkeypatch.setattr(slicing, "SLICE_ROWS", slice_rows)
    monkeypatch.setattr(validation, "BLOCK_ROWS", 2 * slice_rows)
    index = UniqueIndex(["a", "b", "a", "", "c", "", "a", "b"])
    assert index.groups == {"a": [0, 2, 6], "b": [1, 7]}
    assert index.single == {"c": 4}
    assert index.rows_with("a") == [0, 2, 6]


def _index_in_blocks(keys: list[str], block_rows: int) -> UniqueIndex:
    before = validation.BLOCK_ROWS
    validation.BLOCK_ROWS = block_rows
    try:
        return UniqueIndex(list(keys))
    finally:
        validation.BLOCK_ROWS = before


@settings(max_examples=150, deadline=None)
@given(
    keys=st.lists(st.sampled_from(["", "", "a", "b", "c", "d"]), max_size=25),
    block_rows=st.integers(1, 9),
)
def test_unique_index_groups_the_repeated_keys_and_never_the_blank_ones(
    keys: list[str], block_rows: int
) -> None:
    """Against a count of each key: rows with a key seen twice or more are grouped, in row
    order; a key seen once is single; blank keys are neither, however many there are."""
    index = _index_in_blocks(keys, block_rows)
    rows: dict[str, list[int]] = {}
    for row, key in enumerate(keys):
        if key:
            rows.setdefault(key, []).append(row)
    assert index.groups == {key: found for key, found in rows.items() if len(found) > 1}
    assert index.single == {key: found[0] for key, found in rows.items() if len(found) == 1}


@settings(max_examples=80, deadline=None)
@given(
    keys=st.lists(st.sampled_from(KEYS), max_size=30),
    edits=st.lists(st.tuples(st.integers(0, 29), st.sampled_from(KEYS)), max_size=12),
    block_rows=st.integers(1, 9),
)
def test_unique_index_in_blocks_follows_edits(
    keys: list[str], edits: list[tuple[int, str]], block_rows: int
) -> None:
    """An index kept in blocks of a few rows, edit after edit, groups the repeats that one
    made afresh from the edited values in one block does, and says which rows each edit
    touched."""
    index = _index_in_blocks(keys, block_rows)
    values = list(keys)
    for row, new in edits:
        if row >= len(values):
            continue
        old = values[row]
        was = {k: list(index.rows_with(k)) for k in {old, new}}
        touched = index.move(row, old, new)
        values[row] = new
        fresh = UniqueIndex(list(values))
        assert index.groups == fresh.groups
        assert index.single == fresh.single
        # The row itself, the rows it shared its old value with, and those holding the new.
        expected = {row} | (set(was[old]) if len(was[old]) > 1 else set())
        assert touched == expected | (set(was[new]) if new else set())


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            # Mostly tidy values, with the joining character and inner spaces in some.
            st.sampled_from(["ann", "é", "Łukasz", "a b", "\xb6", "a\xb6 b", "x" * 6]),
            st.sampled_from([" ann", "ann ", " ", "", "\xb6 ", "a\tb", "a\u200b"]),
            st.text(alphabet=["a", "ł", " ", "\xb6", "\t", "\n", "\xa0", "\u200b", "\x01"]),
        ),
        max_size=12,
    ),
    max_length=st.sampled_from([0, 2, 5, -1]),
    slice_rows=st.sampled_from([1, 3, 1 << 20]),
)
def test_a_text_column_doubts_exactly_the_values_that_are_blank_untidy_or_too_long(
    values: list[str], max_length: int, slice_rows: int
) -> None:
    """Slices tested whole (their values joined) doubt the same rows as a test of each value:
    a blank, a space at either end, a character that cannot be seen or is too many."""
    rule = validation.ColumnRule(header="Phone", max_length=max_length or None)
    checker = validation.ColumnChecker("Phone", rule, [], is_key=False, key_required=False)
    limit = max_length or validation.CELL_LIMIT
    expected = [
        row
        for row, value in enumerate(values)
        if not value or not value.isprintable() or value.strip() != value or len(value) > limit
    ]
    before = slicing.SLICE_ROWS
    slicing.SLICE_ROWS = slice_rows
    try:
        assert list(slicing.rows_where(values, checker._doubtful)) == expected
    finally:
        slicing.SLICE_ROWS = before
