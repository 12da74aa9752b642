"""Builders for test downloads, written for real with openpyxl or as raw bytes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

# The columns of an Atlas "Download User Data" workbook, as the platform writes them.
ATLAS_HEADERS = [
    "User ID",
    "Username",
    "First name",
    "Last name",
    "Email",
    "Department",
    "Job title",
    "Manager email",
    "Language",
    "Status",
    "Hire date",
]


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], sheet: str = "Users") -> Path:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    workbook.save(path)
    return path


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\r\n",
    bom: bool = False,
) -> Path:
    text = newline.join(delimiter.join(row) for row in rows) + newline
    data = text.encode(encoding)
    if bom:
        data = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe"}[encoding] + data
    path.write_bytes(data)
    return path


def read_grid(path: Path, sheet: str | None = None) -> list[list[Any]]:
    """Every cell value of a sheet as openpyxl sees it."""
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook[sheet] if sheet else workbook.active
    return [list(row) for row in worksheet.iter_rows(values_only=True)]


def screenshot_folder(default: Path) -> Path:
    """Where a test saves its screenshot: ``SCREENSHOT_DIR`` (docs/screenshots to refresh
    the README's pictures), otherwise the test's own folder, so a test run changes no file."""
    import os

    folder = Path(os.environ.get("SCREENSHOT_DIR") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
