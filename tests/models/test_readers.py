"""Reading downloads: values as Excel shows them, encodings, layouts, and refusals."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.models.errors import FileProblem
from desktop_app.models.readers import cell_text, read_file
from tests.helpers.files import write_csv, write_xlsx

HEADER = ["User ID", "Username", "First name", "Last name", "Email"]


def test_xlsx_values_are_the_text_excel_shows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "values.xlsx",
        [
            HEADER + ["Hire date", "Score", "Active"],
            ["Do not edit", "Required", "Required", "Required", "Required", "", "", ""],
            ["000123", "a", "Ann", "Ay", "a@example.com", dt.datetime(2021, 3, 4), 1.5, True],
            [123456789012345, "b", "Bo", "Be", "b@example.com", dt.date(1999, 12, 31), 7, False],
            [42, "c", "Cy", "", "c@example.com", dt.datetime(2020, 1, 2, 8, 30), 0.1 + 0.2, None],
            [123456789012345678, "d", "Di", "Do", "d@example.com", "", "", ""],
        ],
    )
    loaded = read_file(path)
    rows = list(zip(*loaded.columns, strict=True))
    assert rows[0] == ("000123", "a", "Ann", "Ay", "a@example.com", "2021-03-04", "1.5", "TRUE")
    assert rows[1][0] == "123456789012345"
    assert rows[1][5:] == ("1999-12-31", "7", "FALSE")
    assert rows[2][0] == "42"
    assert rows[2][3] == ""
    assert rows[2][5:] == ("2020-01-02 08:30:00", "0.3", "")
    # Past 15 digits Excel keeps a double: the ID stays digits, never 1.23E+17 or "...0.0".
    assert rows[3][0].isdigit() and abs(int(rows[3][0]) - 123456789012345678) < 100


def test_atlas_rows_above_the_users_are_kept_apart(sample) -> None:  # type: ignore[no-untyped-def]
    loaded = read_file(sample("atlas-users.xlsx"))
    assert loaded.profile.name == "atlas"
    assert loaded.header_row == 0 and loaded.data_start == 2
    assert loaded.headers[0] == "User ID"
    assert loaded.excel_row(0) == 3
    assert len(loaded.preamble) == 1  # the guidance row
    assert loaded.columns[0][0] == "000101"


def test_header_below_title_rows_is_found(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "titled.xlsx",
        [
            ["Export of all users"],
            [],
            ["Email", "Name", "Surname", "Role", "Status"],
            ["a@example.com", "Ann", "Ay", "Learner", "Active"],
        ],
    )
    loaded = read_file(path)
    assert loaded.profile.name == "udemy_business"
    assert loaded.header_row == 2
    assert loaded.excel_row(0) == 4
    assert loaded.preamble[0][0] == "Export of all users"


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter"),
    [
        ("utf-8", False, ","),
        ("utf-8", True, ";"),
        ("utf-16-le", True, "\t"),
        ("cp1252", False, ";"),
    ],
)
def test_csv_encodings_and_delimiters(
    tmp_path: Path, encoding: str, bom: bool, delimiter: str
) -> None:
    path = write_csv(
        tmp_path / "users.csv",
        [
            ["Email", "Name", "Surname", "Role", "External ID"],
            ["zoe@example.com", "Zoë", "Müller", "Learner", "000123"],
            ["jan@example.com", "Jan", "de Vries", "Admin", "0042"],
        ],
        delimiter=delimiter,
        encoding=encoding,
        bom=bom,
    )
    loaded = read_file(path)
    assert loaded.csv_format is not None
    assert loaded.csv_format.delimiter == delimiter
    assert loaded.columns[1] == ["Zoë", "Jan"]
    assert loaded.columns[2] == ["Müller", "de Vries"]
    assert loaded.columns[4] == ["000123", "0042"]


def test_semicolon_windows_sample(sample) -> None:  # type: ignore[no-untyped-def]
    loaded = read_file(sample("atlas-users-semicolon.csv"))
    assert loaded.csv_format is not None
    assert (loaded.csv_format.encoding, loaded.csv_format.delimiter) == ("cp1252", ";")
    assert "Zoë" in loaded.columns[loaded.headers.index("First name")]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(
                st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
                max_size=12,
            ),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_csv_any_text_reads_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    import csv

    path = tmp_path_factory.mktemp("prop") / "users.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Email", "Name", "Surname"])
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    loaded = read_file(path, profile="generic")
    # Rows that are wholly blank at the end are formatting, not users.
    expected = list(rows)
    while expected and not any(expected[-1]):
        expected.pop()
    assert [list(r) for r in zip(*loaded.columns, strict=True)] == expected or (
        not expected and loaded.row_count == 0
    )


def test_cell_text_of_numbers() -> None:
    assert cell_text(1.0) == "1"
    assert cell_text(1e20) == "100000000000000000000"
    assert cell_text(0.1) == "0.1"
    assert cell_text(dt.time(9, 5)) == "09:05:00"


# --- bad input: one sentence, file untouched ---------------------------------------------------


def _unchanged(path: Path):  # type: ignore[no-untyped-def]
    before = (
        path.read_bytes() if path.exists() else None,
        path.stat().st_mtime_ns if path.exists() else None,
    )
    return lambda: (
        (
            path.read_bytes() if path.exists() else None,
            path.stat().st_mtime_ns if path.exists() else None,
        )
        == before
    )


def _assert_refused(path: Path, fragment: str) -> None:
    unchanged = _unchanged(path)
    with pytest.raises(FileProblem) as caught:
        read_file(path)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message and "Traceback" not in message
    assert message.endswith(".")
    assert unchanged()


def test_corrupt_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "users.xlsx"
    path.write_bytes(os.urandom(2000))
    _assert_refused(path, "not a valid Excel file")


def test_truncated_xlsx(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    data = sample("atlas-users.xlsx").read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    _assert_refused(path, "damaged")


def test_password_protected_xlsx(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = sample("atlas-users.xlsx")
    path = tmp_path / "locked.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    _assert_refused(path, "protected with a password")


def test_legacy_xls(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Users")
    for col, header in enumerate(HEADER):
        sheet.write(0, col, header)
    path = tmp_path / "users.xls"
    book.save(str(path))
    _assert_refused(path, "old Excel 97-2003 file")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(b"")
    _assert_refused(path, "is empty")


def test_blank_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(b"\r\n\r\n  \r\n")
    _assert_refused(path, "is empty")


def test_headerless_file(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "users.csv",
        [
            ["000123", "jan@example.com", "Jan"],
            ["000124", "piet@example.com", "Piet"],
        ],
    )
    _assert_refused(path, "No header row was found")


def test_empty_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "empty.xlsx", [])
    _assert_refused(path, "empty")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="does not exist"):
        read_file(tmp_path / "gone.xlsx")


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    _assert_refused(path, "far more than a user list can hold")


def test_forced_profile_that_does_not_fit(sample) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileProblem, match="does not have the columns of a Rakoo"):
        read_file(sample("udemy-users.csv"), profile="rakoo")
