"""Reading a sheet a few rows at a time, and its columns a slice at a time, gives what
one pass gives."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine as calamine
import python_calamine_plus as calamine_plus
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.models import readers, slicing
from desktop_app.models.readers import read_file, sheet_rows
from tests.helpers.files import write_xlsx

CELLS = st.one_of(
    st.none(),
    st.text(alphabet="ab 0é😀", max_size=3),
    st.integers(-5, 5),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.sampled_from(
        [
            1.5,
            2.0,
            dt.datetime(2021, 3, 4),
            dt.datetime(2020, 1, 2, 8, 30),
            dt.date(2019, 12, 31),
            dt.time(17, 45),
        ]
    ),
)


def _grid(rows: list[list[Any]]) -> dict[tuple[int, int], str]:
    """Every cell with something in it, as the text a person sees in Excel."""
    return {
        (r, c): readers.cell_text(value)
        for r, row in enumerate(rows)
        for c, value in enumerate(row)
        if value != ""
    }


def _upstream(path: Path) -> list[list[Any]]:
    """The sheet as upstream python-calamine lays it out whole."""
    workbook = calamine.load_workbook(str(path))
    try:
        return workbook.get_sheet_by_name(workbook.sheet_names[0]).to_python(skip_empty_area=False)
    finally:
        workbook.close()


def _streamed(path: Path) -> list[list[Any]]:
    workbook = calamine_plus.load_workbook(str(path))
    try:
        return sheet_rows(workbook, workbook.sheet_names[0])
    finally:
        workbook.close()


def _without_dimension(path: Path) -> Path:
    """The same workbook without the <dimension> that says how far each sheet reaches
    (many exporters leave it out)."""
    out = path.with_name("no-dimension-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension[^>]*/>", b"", data)
            target.writestr(item, data)
    return out


@settings(max_examples=40, deadline=None)
@given(
    top=st.integers(0, 3),
    left=st.integers(0, 3),
    cells=st.lists(st.lists(CELLS, max_size=5), max_size=12),
)
def test_streamed_rows_hold_what_upstream_calamine_reads(
    tmp_path_factory: pytest.TempPathFactory, top: int, left: int, cells: list[list[Any]]
) -> None:
    """Each cell is where the whole-sheet parse puts it and reads as the same text, with
    or without a <dimension>, streamed in one go or three rows at a time."""
    path = tmp_path_factory.mktemp("slices") / "sheet.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            if value is not None:
                sheet.cell(row=top + r + 1, column=left + c + 1, value=value)
    workbook.save(path)
    expected = _grid(_upstream(path))
    assert _grid(_streamed(path)) == expected
    bare = _without_dimension(path)
    assert _grid(_upstream(bare)) == expected
    before = readers.STREAM_ROWS
    readers.STREAM_ROWS = 3
    try:
        assert _grid(_streamed(bare)) == expected
    finally:
        readers.STREAM_ROWS = before


def test_rows_of_different_widths_make_the_same_columns(tmp_path: Path) -> None:
    """Without a <dimension> a row ends at its last cell, or at the widest row above it;
    the columns do not change."""
    rows = [["User ID", "Email", "First name", "Department"]] + [
        [f"id{i}", f"u{i}@example.com", "Ann", "Sales"] + (["a note"] if i == 20 else [])
        for i in range(40)
    ]
    path = tmp_path / "ragged.xlsx"
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    assert {len(r) for r in _streamed(_without_dimension(path))} == {4, 5}
    whole = read_file(path)
    ragged = read_file(_without_dimension(path))
    assert ragged.columns == whole.columns
    assert ragged.columns[3] == ["Sales"] * 40
    assert ragged.distinct == whole.distinct


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.sampled_from(["x", "y", "", "0"]), st.integers(0, 3), st.booleans()),
        max_size=60,
    )
)
def test_columns_made_in_slices_are_the_same(values: list[Any]) -> None:
    """A file laid out a few rows at a time gives the columns and distinct values of one pass."""
    path_rows = [["User ID", "Email", "Department"]] + [
        [f"id{i}", f"u{i}@example.com", v] for i, v in enumerate(values)
    ]
    rows = [list(r) for r in path_rows]
    whole = readers._build(Path("x.xlsx"), "xlsx", rows, None, convert=True)
    before = readers.STREAM_ROWS
    readers.STREAM_ROWS = 4
    try:
        sliced = readers._build(Path("x.xlsx"), "xlsx", [list(r) for r in path_rows], None, True)
    finally:
        readers.STREAM_ROWS = before
    assert sliced.columns == whole.columns
    assert sliced.distinct == whole.distinct


LAID_OUT = st.one_of(st.sampled_from(["", "", "a", "b", "c"]), st.integers(0, 2), st.booleans())


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.lists(LAID_OUT, max_size=6), max_size=40),
    first=st.integers(0, 2),
    width=st.integers(1, 4),
    cuts=st.lists(st.integers(0, 40), max_size=8),
    sample=st.integers(1, 12),
    shared=st.integers(0, 6),
)
def test_columns_laid_out_part_by_part_are_those_of_the_whole_sheet(
    rows: list[list[Any]], first: int, width: int, cuts: list[int], sample: int, shared: int
) -> None:
    """Ragged rows, blank rows between users and at the end, the sample of distinct values
    ending anywhere, columns with more distinct values than are shared: the parts give
    what the whole sheet gives, laid out plainly."""
    end = first + width
    last = len(rows)
    while last and not any(v != "" for v in rows[last - 1][first:end]):
        last -= 1  # rows with nothing in the header's columns at the end are not users
    expected = [[row[c] if c < len(row) else "" for row in rows[:last]] for c in range(first, end)]
    expected_distinct = [
        None if len(set(column[:sample])) > len(column[:sample]) * 4 // 5 else set(column)
        for column in expected
    ]
    bounds = sorted({0, len(rows), *(c for c in cuts if c <= len(rows))})
    before = readers.DISTINCT_SAMPLE, readers.SHARED_VALUES
    readers.DISTINCT_SAMPLE, readers.SHARED_VALUES = sample, shared
    try:
        laid_out = readers._Columns(first, end, gather_types=True)
        for start, stop in itertools.pairwise(bounds):
            laid_out.add([list(row) for row in rows[start:stop]])
        columns, distinct, types = laid_out.finish()
    finally:
        readers.DISTINCT_SAMPLE, readers.SHARED_VALUES = before
    assert columns == expected
    assert distinct == expected_distinct
    assert types == [set(map(type, column)) for column in expected]


def test_a_column_of_numbers_and_true_or_false_reads_as_excel_shows_it(tmp_path: Path) -> None:
    """TRUE equals 1 to Python, so a set of the column's values keeps only one of them:
    each cell still reads as Excel shows it."""
    rows = [["User ID", "Email", "Score"]] + [
        [f"id{i}", f"u{i}@example.com", [1, True, 0, False, 2][i % 5]] for i in range(30)
    ]
    loaded = read_file(write_xlsx(tmp_path / "mixed.xlsx", rows))
    assert loaded.columns[2][:5] == ["1", "TRUE", "0", "FALSE", "2"]


def test_a_large_file_reads_the_same_in_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["User ID", "Email", "Active", "Hire date"]] + [
        [i, f"u{i}@example.com", i % 3 == 0, dt.datetime(2020, 1, 1 + i % 28)] for i in range(300)
    ]
    path = write_xlsx(tmp_path / "large.xlsx", rows)
    whole = read_file(path)
    monkeypatch.setattr(slicing, "SLICE_ROWS", 16)
    sliced = read_file(path)
    assert sliced.columns == whole.columns
    assert sliced.distinct == whole.distinct
    assert sliced.columns[2][:4] == ["TRUE", "FALSE", "FALSE", "TRUE"]
