"""Reading a sheet and its columns a slice at a time gives what one pass gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine as calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.models import readers, slicing
from desktop_app.models.readers import read_file, sheet_rows
from tests.helpers.files import write_xlsx

CELLS = st.one_of(
    st.none(),
    st.text(alphabet="ab 0", max_size=3),
    st.integers(-5, 5),
    st.booleans(),
    st.sampled_from([1.5, 2.0, dt.datetime(2021, 3, 4), dt.datetime(2020, 1, 2, 8, 30)]),
)


def _sheet(path: Path) -> Any:
    workbook = calamine.load_workbook(str(path))
    return workbook.get_sheet_by_name(workbook.sheet_names[0])


@settings(max_examples=40, deadline=None)
@given(
    top=st.integers(0, 3),
    left=st.integers(0, 3),
    cells=st.lists(st.lists(CELLS, max_size=4), max_size=12),
)
def test_sheet_rows_are_laid_out_as_to_python(
    tmp_path_factory: pytest.TempPathFactory, top: int, left: int, cells: list[list[Any]]
) -> None:
    path = tmp_path_factory.mktemp("slices") / "sheet.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            if value is not None:
                sheet.cell(row=top + r + 1, column=left + c + 1, value=value)
    workbook.save(path)
    expected = _sheet(path).to_python(skip_empty_area=False)
    assert sheet_rows(_sheet(path)) == expected


def test_sheet_rows_in_many_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path / "many.xlsx", [["a", "b"]] + [[i, f"x{i}"] for i in range(50)])
    expected = _sheet(path).to_python(skip_empty_area=False)
    monkeypatch.setattr(slicing, "SLICE_ROWS", 8)
    assert sheet_rows(_sheet(path)) == expected


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.sampled_from(["x", "y", "", "0"]), st.integers(0, 3), st.booleans()),
        max_size=60,
    )
)
def test_columns_made_in_slices_are_the_same(values: list[Any]) -> None:
    """A file read a few rows at a time gives the columns and distinct values of one pass."""
    path_rows = [["User ID", "Email", "Department"]] + [
        [f"id{i}", f"u{i}@example.com", v] for i, v in enumerate(values)
    ]
    rows = [list(r) for r in path_rows]
    whole = readers._build(Path("x.xlsx"), "xlsx", rows, None, convert=True)
    before = slicing.SLICE_ROWS
    slicing.SLICE_ROWS = 4
    try:
        sliced = readers._build(Path("x.xlsx"), "xlsx", [list(r) for r in path_rows], None, True)
    finally:
        slicing.SLICE_ROWS = before
    assert sliced.columns == whole.columns
    assert sliced.distinct == whole.distinct


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
