"""Rows in and out of a document: undo is exact, problems follow, and saving keeps the file."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.models.document import RowEdit, UserDocument, invert, open_document
from desktop_app.models.readers import read_file
from desktop_app.models.writers import save
from tests.helpers.files import write_xlsx

HEADERS = ["User ID", "Username", "First name", "Last name", "Email", "Department"]


def _users(count: int) -> list[list[str]]:
    return [
        [f"{100 + n}", f"user{n}", f"First{n}", f"Last{n}", f"user{n}@example.org", "Sales"]
        for n in range(count)
    ]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def _table(document: UserDocument) -> list[list[str]]:
    """The table as the admin sees it (unsorted): its rows in the saved order."""
    return [[column[row] for column in document.columns] for row in document.saved_order()]


def _insert(document: UserDocument, at: int, values: list[str] | None = None) -> list:
    rows = document.new_rows(1, at)
    changes = [(rows.rows[0], col, value) for col, value in enumerate(values or [])]
    step = [rows, *document.edits_for(changes, adding=1)]
    document.apply(step)
    return step


def _delete(document: UserDocument, *rows: int) -> list:
    step = [RowEdit(tuple(rows), False)]
    document.apply(step)
    return step


def test_undo_of_an_insert_and_a_delete_restores_the_table_exactly(tmp_path: Path) -> None:
    document = open_document(_csv(tmp_path / "users.csv", _users(5)))
    before = _table(document)
    added = _insert(document, 2, ["", "new.user", "New", "User", "new@example.org", "HR"])
    assert _table(document)[2][1:3] == ["new.user", "New"]
    assert document.user_count == 6 and document.changed_rows == 1
    deleted = _delete(document, 4)
    assert [row[1] for row in _table(document)] == ["user0", "user1", "new.user", "user2", "user3"]
    assert document.removed_users == 1 and document.user_count == 5
    document.apply(invert(deleted))
    document.apply(invert(added))
    assert _table(document) == before
    assert document.changed_rows == 0 and document.user_count == 5
    document.apply(added)  # redo shows the same row again, with its values
    assert _table(document)[2][1] == "new.user"


def test_a_deleted_row_is_not_checked_and_frees_its_duplicate(tmp_path: Path) -> None:
    rows = _users(3)
    rows[2][0] = rows[0][0]  # the same User ID twice
    document = open_document(_csv(tmp_path / "users.csv", rows))
    assert document.row_is_red(0) and document.row_is_red(2)
    step = _delete(document, 2)
    assert not document.row_is_red(0) and document.red_rows == 0
    document.apply(invert(step))
    assert document.row_is_red(0) and document.row_is_red(2)


def test_a_new_row_is_checked_like_the_others(tmp_path: Path) -> None:
    document = open_document(_csv(tmp_path / "users.csv", _users(2)))
    _insert(document, 2)
    new = document.row_count - 1
    assert not document.row_is_red(new)  # a blank row is not a user yet
    document.apply(document.edits_for([(new, 4, "not an email")]))
    assert document.row_is_red(new)
    assert document.row_label(new) == f"New {document.excel_row(new)}"


def test_csv_keeps_unedited_lines_byte_for_byte(tmp_path: Path) -> None:
    path = _csv(tmp_path / "users.csv", _users(4))
    lines = path.read_bytes().split(b"\r\n")
    document = open_document(path)
    _insert(document, 1, ["", "new.user", "New", "User", "new@example.org", "HR"])
    _delete(document, 2)
    document.apply(document.edits_for([(3, 5, "Finance")]))
    target = save(document.snapshot(), tmp_path / "users-edited.csv")
    written = target.read_bytes().split(b"\r\n")
    assert written[0] == lines[0] and written[1] == lines[1]
    assert written[2] == b";new.user;New;User;new@example.org;HR"
    assert written[3] == lines[2]  # user1, as it was
    assert written[4] == b"103;user3;First3;Last3;user3@example.org;Finance"
    assert written[5:] == [b""]
    with target.open(encoding="utf-8", newline="") as handle:
        names = [row[1] for row in csv.reader(handle, delimiter=";")][1:]
    assert names == ["user0", "new.user", "user1", "user3"]
    assert [row[1] for row in _table(open_document(target))] == names


def test_xlsx_reads_back_in_the_new_order(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "users.xlsx", [HEADERS, *_users(4)])
    document = open_document(path)
    _delete(document, 0)
    _insert(document, 3, ["", "new.user", "New", "User", "new@example.org", "HR"])
    _delete(document, 3)
    target = save(document.snapshot(), tmp_path / "users-edited.xlsx")
    sheet = openpyxl.load_workbook(target).active
    grid = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert [row[1] for row in grid if any(row)] == ["Username", "user1", "user2", "new.user"]
    assert grid[3][1:] == ["new.user", "New", "User", "new@example.org", "HR"]
    again = read_file(target)
    assert again.row_count == 3  # the emptied rows at the end are not users
    assert again.columns[1] == ["user1", "user2", "new.user"]
    assert again.columns[0] == ["101", "102", ""]


def test_a_table_without_rows_changed_saves_only_its_edits(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "users.xlsx", [HEADERS, *_users(3)])
    document = open_document(path)
    step = _insert(document, 1)
    document.apply(invert(step))  # undone: nothing to write but the file again
    assert document.saved_order() == [0, 1, 2]
    target = save(document.snapshot(), tmp_path / "users-edited.xlsx")
    assert read_file(target).columns == read_file(path).columns


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("insert"), st.integers(0, 9), st.text("ab", min_size=1, max_size=3)),
            st.tuples(st.just("delete"), st.integers(0, 9), st.just("")),
            st.tuples(st.just("edit"), st.integers(0, 9), st.text("ab@.", max_size=4)),
            st.tuples(st.just("undo"), st.just(0), st.just("")),
        ),
        max_size=25,
    )
)
def test_any_mix_of_rows_and_edits_saves_and_undoes_exactly(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int, str]]
) -> None:
    folder = tmp_path_factory.mktemp("rows")
    path = _csv(folder / "users.csv", _users(4))
    document = open_document(path)
    tables = [_table(document)]
    done: list[list] = []
    for action, where, value in steps:
        shown = document.saved_order()
        if action == "insert":
            step = _insert(document, min(where, len(document.order or shown)), ["", value])
        elif action == "delete" and len(shown) > 1:
            step = _delete(document, shown[where % len(shown)])
        elif action == "edit" and shown:
            step = document.edits_for([(shown[where % len(shown)], 2, value)])
            document.apply(step)
        elif action == "undo" and done:
            document.apply(invert(done.pop()))
            tables.pop()
            assert _table(document) == tables[-1]
            continue
        else:
            continue
        if step:
            done.append(step)
            tables.append(_table(document))
    target = save(document.snapshot(), folder / "users-edited.csv")
    assert _table(open_document(target)) == _table(document)
