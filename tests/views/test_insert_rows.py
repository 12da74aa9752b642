"""Rows in and out of the table, as an admin does it: keys, menus, the clipboard, an upload."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtWidgets import QMenu

from desktop_app.connectors.scim import ScimClient
from desktop_app.models.document import open_document
from desktop_app.views import user_table
from desktop_app.views.main_window import MainWindow
from desktop_app.views.upload_dialog import UploadDialog
from tests.helpers.files import screenshot_folder, write_xlsx
from tests.helpers.gui import (
    current_cell,
    keyboard,
    open_in,
    press,
    shown_rows,
    type_keys,
    wait_for_editor_to_close,
)

SCIM_HEADERS = ["id", "userName", "givenName", "familyName", "email", "active"]
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _server_users(demo: Any, count: int) -> list[dict[str, Any]]:
    with ScimClient(demo.url, demo.token) as client:
        users = [resource for resource, _etag in client.iter_users()]
    return sorted(users, key=lambda user: str(user["userName"]))[:count]


def _scim_download(folder: Path, users: list[dict[str, Any]]) -> Path:
    rows = [
        [
            user["id"],
            user["userName"],
            user.get("name", {}).get("givenName", ""),
            user.get("name", {}).get("familyName", ""),
            next((e["value"] for e in user.get("emails", []) if e.get("primary")), ""),
            "true" if user.get("active", True) else "false",
        ]
        for user in users
    ]
    return write_xlsx(folder / "users.xlsx", [SCIM_HEADERS, *rows])


def _count_users(demo: Any) -> int:
    with ScimClient(demo.url, demo.token) as client:
        return sum(1 for _ in client.iter_users())


def _review(window: MainWindow, qtbot: Any) -> UploadDialog:
    window.server_actions.start_upload()
    dialog = window.server_actions.upload_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1, timeout=20000)
    return dialog


def _upload(dialog: UploadDialog, qtbot: Any) -> None:
    qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2, timeout=30000)


def _go_to(window: MainWindow, row: int, col: int) -> None:
    """Click a cell (source numbers): it alone is selected, whatever keys a test held."""
    assert window.model is not None
    index = window.proxy.mapFromSource(window.model.index(row, col))
    window.table.selectionModel().setCurrentIndex(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    window.table.setFocus()


def _select_rows(window: MainWindow, *rows: int) -> None:
    """Select whole rows (source numbers), as a click on their numbers does."""
    assert window.model is not None
    selection = window.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag
    selection.clearSelection()
    for row in rows:
        index = window.proxy.mapFromSource(window.model.index(row, 0))
        selection.select(index, flags.Select | flags.Rows)
    selection.setCurrentIndex(
        window.proxy.mapFromSource(window.model.index(rows[0], 1)), flags.NoUpdate
    )


def _table(window: MainWindow) -> list[list[str]]:
    """Every shown row's values, top to bottom, as the admin reads them."""
    doc = window.document
    assert doc is not None
    return [[column[row] for column in doc.columns] for row in shown_rows(window)]


@pytest.fixture
def answer_yes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paste's question, as asked, answered Yes."""
    asked: list[str] = []

    def ask(_parent: Any, count: int, below: str) -> bool:
        asked.append(f"Add {count} new users below row {below}?")
        return True

    monkeypatch.setattr(user_table, "ask_add_rows", ask)
    return asked


def test_a_row_inserted_with_ctrl_plus_is_created_once(
    window: MainWindow, qtbot: Any, demo: Any, tmp_path: Path
) -> None:
    path = _scim_download(tmp_path, _server_users(demo, 3))
    window.server_actions.server = (demo.url, demo.token)
    open_in(window, qtbot, path)
    doc = window.document
    assert doc is not None
    before = _count_users(demo)

    _go_to(window, 1, 1)
    press(keyboard(window), "+", CTRL | SHIFT)  # Ctrl++ inserts above, as in Excel
    assert window.undo_action.text() == "&Undo Insert row"
    new = doc.row_count - 1
    assert shown_rows(window) == [0, new, 1, 2]
    assert current_cell(window) == (new, 1)
    header = window.table.verticalHeader()
    assert window.proxy.headerData(
        header.logicalIndex(1), Qt.Orientation.Vertical
    ) == doc.row_label(new)
    assert doc.row_label(new).startswith("New")
    type_keys(window, "zoe.new\tZoe\tNew\tzoe.new@example.org\ttrue\r")
    wait_for_editor_to_close(window)
    assert _table(window)[1] == ["", "zoe.new", "Zoe", "New", "zoe.new@example.org", "true"]
    assert window.counts_label.text() == "4 users · 0 rows with problems · 1 changed"

    dialog = _review(window, qtbot)
    assert dialog.summary.text() == "0 users will be updated · 1 will be added"
    _upload(dialog, qtbot)
    assert dialog.done_label.text() == "0 users were successfully edited. 1 user was added."
    dialog.close()
    assert _count_users(demo) == before + 1
    with ScimClient(demo.url, demo.token) as client:
        [(zoe, _etag)] = client.find_users("userName", "zoe.new")
    assert doc.value(new, 0) == zoe["id"]  # the server's id is in the row

    assert window.save()
    saved = tmp_path / "users-edited.xlsx"
    grid = [list(row) for row in openpyxl.load_workbook(saved).active.iter_rows(values_only=True)]
    assert grid[2][:2] == [zoe["id"], "zoe.new"]  # saved in its place, with its id

    open_in(window, qtbot, saved)  # the same file, uploaded again: nothing is added
    again = _review(window, qtbot)
    assert again.summary.text() == "0 users will be updated · 0 will be added"
    again.close()
    assert _count_users(demo) == before + 1


def test_a_deleted_row_leaves_its_user_alone_on_the_server(
    window: MainWindow, qtbot: Any, demo: Any, tmp_path: Path
) -> None:
    users = _server_users(demo, 3)
    path = _scim_download(tmp_path, users)
    window.server_actions.server = (demo.url, demo.token)
    open_in(window, qtbot, path)
    doc = window.document
    assert doc is not None
    before = _count_users(demo)
    with ScimClient(demo.url, demo.token) as client:
        kept, _etag = client.get_user(users[1]["id"])

    _go_to(window, 1, 2)
    press(keyboard(window), "-", CTRL)  # Ctrl+−
    assert shown_rows(window) == [0, 2]
    assert window.undo_action.text() == "&Undo Delete row 3"
    assert "Uploading leaves their users alone" in window.statusBar().currentMessage()
    assert window.counts_label.text() == (
        "2 users · 0 rows with problems · 0 changed · 1 removed (left alone on the platform)"
    )

    dialog = _review(window, qtbot)
    assert dialog.summary.text() == (
        "0 users will be updated · 0 will be added · 1 user removed from the table is left "
        "alone on the platform: nothing is deleted"
    )
    _upload(dialog, qtbot)
    dialog.close()
    assert _count_users(demo) == before
    with ScimClient(demo.url, demo.token) as client:
        after, _etag = client.get_user(users[1]["id"])
    assert after == kept

    window.undo_stack.undo()
    assert shown_rows(window) == [0, 1, 2]


def test_three_rows_pasted_onto_a_new_last_row_are_three_new_users(
    window: MainWindow, qtbot: Any, demo: Any, tmp_path: Path, answer_yes: list[str]
) -> None:
    path = _scim_download(tmp_path, _server_users(demo, 2))
    window.server_actions.server = (demo.url, demo.token)
    open_in(window, qtbot, path)
    doc = window.document
    assert doc is not None
    before = _count_users(demo)

    _go_to(window, 1, 1)
    window.insert_below_action.trigger()  # Edit › Insert Rows Below
    new = doc.row_count - 1
    assert shown_rows(window) == [0, 1, new] and current_cell(window) == (new, 1)
    QGuiApplication.clipboard().setText(
        "amy.one\tAmy\tOne\tamy.one@example.org\ttrue\n"
        "ben.two\tBen\tTwo\tben.two@example.org\ttrue\n"
        "cat.three\tCat\tThree\tcat.three@example.org\ttrue\n"
    )
    press(keyboard(window), "v", CTRL)
    assert answer_yes == [f"Add 2 new users below row {doc.row_label(new)}?"]
    assert [row[1] for row in _table(window)] == [
        doc.value(0, 1),
        doc.value(1, 1),
        "amy.one",
        "ben.two",
        "cat.three",
    ]
    assert "Added 2 new users" in window.statusBar().currentMessage()
    window.undo_stack.undo()  # the rows and the paste are one step
    assert shown_rows(window) == [0, 1, new] and doc.value(new, 1) == ""
    window.undo_stack.redo()

    dialog = _review(window, qtbot)
    assert dialog.summary.text() == "0 users will be updated · 3 will be added"
    _upload(dialog, qtbot)
    assert dialog.done_label.text() == "0 users were successfully edited. 3 users were added."
    dialog.close()
    assert _count_users(demo) == before + 3


def test_a_paste_past_the_end_of_a_filtered_table_adds_nobody(
    window: MainWindow, qtbot: Any, tmp_path: Path, answer_yes: list[str]
) -> None:
    path = write_xlsx(
        tmp_path / "users.xlsx",
        [
            SCIM_HEADERS,
            ["1", "a", "A", "A", "a@example.org", "true"],
            ["2", "b", "B", "B", "not an email", ""],
        ],
    )
    open_in(window, qtbot, path)
    window.set_filter(window.proxy.PROBLEMS)
    _go_to(window, 1, 1)
    QGuiApplication.clipboard().setText("x\ny\n")
    press(keyboard(window), "v", CTRL)
    assert answer_yes == []
    assert "Only 1 of 2 rows were pasted: row 3 is the last row shown" in (
        window.statusBar().currentMessage()
    )
    window.insert_above_action.trigger()  # a blank row has no problem: the filter hides it
    assert "choose Show: All rows to fill them in" in window.statusBar().currentMessage()
    window.set_filter(window.proxy.ALL)
    assert len(shown_rows(window)) == 3


def test_save_undo_and_sort_keep_the_rows_in_place(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    rows = [["User ID", "Username", "First name", "Last name", "Email", "Department"]]
    rows += [
        [f"{100 + n}", f"user{n}", "F", "L", f"user{n}@example.org", "Sales"] for n in range(5)
    ]
    path = tmp_path / "users.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(rows)
    lines = path.read_bytes().split(b"\r\n")
    open_in(window, qtbot, path)
    doc = window.document
    assert doc is not None
    start = _table(window)

    _select_rows(window, 3, 4)
    window.table.setFocus()
    press(keyboard(window), "+", CTRL | Qt.KeyboardModifier.KeypadModifier)  # keypad +
    assert window.undo_action.text() == "&Undo Insert 2 rows"
    added = [doc.row_count - 2, doc.row_count - 1]
    assert shown_rows(window) == [0, 1, 2, *added, 3, 4]
    _go_to(window, added[0], 1)
    type_keys(window, "new.one\r")
    wait_for_editor_to_close(window)
    _go_to(window, 0, 1)
    window.delete_rows_action.trigger()
    assert shown_rows(window) == [1, 2, *added, 3, 4]

    # Sorting shows the new rows by their values; the file keeps its order.
    window.table.sort_by(1, Qt.SortOrder.DescendingOrder)
    names = [doc.value(r, 1) for r in shown_rows(window)]
    assert names == ["user4", "user3", "user2", "user1", "new.one", ""]
    _go_to(window, 3, 1)  # user3, second from the top
    press(keyboard(window), "-", CTRL)
    assert [doc.value(r, 1) for r in shown_rows(window)] == [n for n in names if n != "user3"]
    window.undo_stack.undo()
    assert [doc.value(r, 1) for r in shown_rows(window)] == names
    window.table.sort_by(None)
    assert shown_rows(window) == [1, 2, *added, 3, 4]

    assert window.save()
    saved = tmp_path / "users-edited.csv"
    written = saved.read_bytes().split(b"\r\n")
    assert written[:1] == lines[:1]
    assert written[1:3] == lines[2:4]  # user1, user2 byte for byte
    assert written[3:5] == [b";new.one;;;;", b";;;;;"]
    assert written[5:] == [*lines[4:6], b""]
    reread = open_document(saved)
    assert reread.columns[1] == ["user1", "user2", "new.one", "", "user3", "user4"]

    window.undo_stack.undo()  # the delete
    window.undo_stack.undo()  # the typing
    window.undo_stack.undo()  # the insert
    assert _table(window) == start
    assert window.counts_label.text() == "5 users · 0 rows with problems · 0 changed"


def test_row_header_menu_and_screenshot(
    window: MainWindow, qtbot: Any, sample: Any, tmp_path: Path
) -> None:
    open_in(window, qtbot, sample("atlas-users.xlsx"))
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    _go_to(window, 3, 1)
    window.table.insert_rows_below()
    type_keys(window, "nina.new\tNina\tNew\tnina.new@example.org\r")
    wait_for_editor_to_close(window)
    new = doc.row_count - 1
    _select_rows(window, new)
    menu = QMenu(window.table)
    window.table.add_row_actions(menu)
    assert [a.text() for a in menu.actions()] == [
        "Insert Row Above\tCtrl++",
        "Insert Row Below",
        "Delete Row\tCtrl+\u2212",
    ]
    window.resize(1100, 560)
    qtbot.wait(50)
    header = window.table.verticalHeader()
    visual = header.visualIndex(new)
    spot = QPoint(header.width() - 6, header.sectionViewportPosition(new) + 16)
    assert visual == 4 and doc.row_label(new) == "New 43"
    menu.adjustSize()  # drawn where a right-click on the new row's label opens it
    picture = window.grab()
    painter = QPainter(picture)
    painter.drawPixmap(header.viewport().mapTo(window, spot), menu.grab())
    painter.end()
    assert picture.save(str(screenshot_folder(tmp_path) / "insert-rows.png"))


def test_rows_come_back_after_a_crash(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.views import messages
    from desktop_app.views.recovery import RECOVER, offer_recovery

    path = tmp_path / "users.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["User ID", "Username", "First name", "Last name", "Email"])
        for n in range(5):
            writer.writerow([f"K{n}", f"user{n}", "F", "L", f"user{n}@example.org"])
    open_in(window, qtbot, path)
    start = _table(window)
    _go_to(window, 2, 1)
    press(keyboard(window), "+", CTRL | SHIFT)
    type_keys(window, "new.one\tNew\tOne\tnew.one@example.org\r")
    wait_for_editor_to_close(window)
    _go_to(window, 4, 1)
    press(keyboard(window), "-", CTRL)
    expected = _table(window)
    assert [row[1] for row in expected] == ["user0", "user1", "new.one", "user2", "user3"]
    # The app stops without closing: its journal stays behind, as after a crash.
    assert window.autosave is not None
    window.autosave.close(remove=False)
    window.autosave = None

    monkeypatch.setattr(messages, "choose", lambda *_args: RECOVER)
    second = MainWindow()
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.documentLoaded, timeout=30000):
        assert offer_recovery(second)
    assert _table(second) == expected
    assert second.counts_label.text() == (
        "5 users · 0 rows with problems · 1 changed · 1 removed (left alone on the platform)"
    )
    assert second.undo_stack.count() == 1
    second.undo_stack.undo()
    assert _table(second) == start
