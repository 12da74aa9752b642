"""Reading downloads: values as Excel shows them, encodings, layouts, and refusals."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from hypothesis import example, given, settings
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
@example(rows=[["", "", "EXAMPLE"]])
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
    # A first row that reads as guidance ("EXAMPLE", "Required") is kept in the file and
    # said in the layout's reason, never taken for a user; every other row is a user.
    guidance = loaded.data_start - loaded.header_row - 1
    if guidance:
        assert loaded.recognition is not None
        assert "guidance" in loaded.recognition.reason
    # Rows that are wholly blank at the end are formatting, not users.
    expected = list(rows[guidance:])
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


# --- layouts recognised, mappings, import error reports ---------------------------------


ATLAS_ISSUE = [
    ["User ID", "First name", "Last name", "Email", "Department", "Job title"],
    ["Do not edit", "Required", "Required", "Required", "Optional", "Optional"],
    *[
        [f"{101 + i:06d}", "Anna", "Bakker", f"user{i}@atlas-demo.com", "Sales", "Advisor"]
        for i in range(9)
    ],
]


def test_the_atlas_download_from_the_issue_has_nine_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "data"))
    for path in (
        write_xlsx(tmp_path / "atlas.xlsx", ATLAS_ISSUE),
        write_csv(tmp_path / "atlas.csv", ATLAS_ISSUE, delimiter=";"),
    ):
        loaded = read_file(path)
        assert loaded.profile.name == "atlas" and loaded.row_count == 9
        assert loaded.data_start == 2 and loaded.columns[0][0] == "000101"
        assert loaded.recognition is not None and not loaded.recognition.weak
        assert loaded.mapping_source == "recognised"
        rule = loaded.profile.rule_for("Job title")
        assert rule is not None and rule.scim == "title"


def test_a_given_mapping_is_used_and_a_remembered_one_is_recalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.models.column_mapping import ColumnMapping, MappingStore

    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "data"))
    path = write_csv(
        tmp_path / "staff.csv",
        [["Nr", "Naam", "Mail", "Notities"], ["7", "Ann", "ann@example.com", "x"]],
    )
    mapping = ColumnMapping(
        "generic",
        (
            ("Nr", "Employee number"),
            ("Naam", "Display name"),
            ("Mail", "Email"),
            ("Notities", None),
        ),
        key="Nr",
    )
    loaded = read_file(path, mapping=mapping)
    assert loaded.mapping_source == "given" and loaded.profile.key == "Nr"
    assert loaded.profile.rule_for("Naam").scim == "displayName"  # type: ignore[union-attr]
    assert loaded.profile.rule_for("Notities").scim is None  # type: ignore[union-attr]
    MappingStore().remember(mapping)
    again = read_file(path)
    assert again.mapping_source == "remembered" and again.mapping == mapping
    with pytest.raises(FileProblem, match="mapping is for the Spreadsheet of users"):
        read_file(path, profile="atlas", mapping=mapping)


def test_a_platform_error_report_shows_each_refusal_on_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.models.document import UserDocument

    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "data"))
    header = ["User ID", "Username", "First name", "Last name", "Email", "Error"]
    path = write_csv(
        tmp_path / "import-errors.csv",
        [
            header,
            ["000101", "ann", "Ann", "Ay", "ann@example.com", "Email/Username is already in use"],
            ["000102", "bob", "Bob", "Be", "bob@example.com", ""],
            ["000103", "cy", "Cy", "Ce", "cy@example.com", "The account is locked"],
        ],
    )
    loaded = read_file(path)
    assert loaded.profile.name == "atlas" and loaded.report is not None
    assert loaded.profile.rule_for("Error").scim is None  # type: ignore[union-attr]
    assert set(loaded.notes) == {(0, 4), (2, 0)}  # the column named, else the key
    doc = UserDocument(loaded)
    assert [doc.row_is_red(r) for r in range(3)] == [True, False, True]
    assert doc.cell_issues(0, 4)[-1].message == (
        "The platform refused this row: Email/Username is already in use"
    )
    # Editing any cell of the row is fixing it; undoing the edit brings the reason back.
    edits = doc.edits_for([(0, 1, "ann2")])
    doc.apply(edits)
    assert not doc.row_is_red(0)
    from desktop_app.models.document import invert

    doc.apply(invert(edits))
    assert doc.row_is_red(0)


def test_a_results_file_marks_only_the_rows_that_did_not_go_through(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "users-upload-results-2026-12-03-1405.xlsx",
        [
            ["User ID", "Username", "Email", "Status", "Status", "Message"],
            ["000101", "ann", "ann@example.com", "Active", "Edited", "Email: 'a' → 'b'"],
            ["000102", "bob", "bob@example.com", "Active", "Failed", "Username is taken"],
            ["000103", "cy", "cy@example.com", "Inactive", "Not sent", "The upload stopped."],
        ],
    )
    loaded = read_file(path)
    assert loaded.headers[3:] == ["Status", "Status (import result)", "Message"]
    assert loaded.profile.rule_for("Status").scim == "active"  # type: ignore[union-attr]
    assert {cell: issue.message for cell, issue in loaded.notes.items()} == {
        (1, 1): "The platform refused this row: Username is taken"
    }


def test_an_ordinary_status_column_is_not_a_report(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "users.csv",
        [
            ["Email", "Name", "Surname", "Role", "Status"],
            ["a@example.com", "A", "B", "learner", "Active"],
        ],
    )
    loaded = read_file(path)
    assert loaded.report is None and not loaded.notes
