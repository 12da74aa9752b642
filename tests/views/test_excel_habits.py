"""The table behaves as an admin's hands expect from Excel: real keys, clicks and clipboard."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QLineEdit

from desktop_app.models.readers import read_file
from desktop_app.views.main_window import MainWindow
from desktop_app.views.table_model import RowFilterProxy
from tests.helpers.files import ATLAS_HEADERS, write_xlsx
from tests.helpers.gui import (
    click_header,
    current_cell,
    keyboard,
    open_in,
    press,
    shown_rows,
    type_keys,
    wait_for_editor_to_close,
)

HEADERS = ATLAS_HEADERS
GUIDANCE = [
    "Do not edit",
    "Required, unique",
    "Required",
    "Required",
    "Unique",
    "",
    "",
    "",
    "",
    "Active or Inactive",
    "",
]
# User IDs as text: sorted as numbers (9, 10, 42, 123), never as text ("000123" < "10").
USERS = [
    ("000123", "anna.berg", "Anna", "Berg", "Sales", "Active"),
    ("10", "bob.smit", "Bob", "Smit", "Finance", "Inactive"),
    ("9", "carla.smit", "Carla", "Smit", "", "Active"),
    ("0042", "dirk.jansen", "Dirk", "Jansen", "Finance", "Active"),
    ("7001", "eva.user10", "Eva", "de Vries", "Legal", "Active"),
    ("7002", "eva.user9", "Eva", "Visser", "Sales", "Inactive"),
]


@pytest.fixture(autouse=True)
def keys_let_go(window: MainWindow) -> Iterator[None]:
    """Let go of Shift and Ctrl after each test, or the next test's clicks would extend."""
    yield
    for key in (Qt.Key.Key_Shift, Qt.Key.Key_Control):
        QTest.keyRelease(window.table, key)


def atlas_file(folder: Path, users: Sequence[tuple[str, ...]] | None = None) -> Path:
    """An Atlas download as the platform writes it: titles, a guidance row, then users."""
    rows: list[list[Any]] = [HEADERS, GUIDANCE]
    for key, username, first, last, department, status in users or USERS:
        email = f"{username}@atlas-demo.com"
        rows.append([key, username, first, last, email, department, "", "", "en", status, ""])
    return write_xlsx(folder / "atlas-users.xlsx", rows)


def cell(window: MainWindow, row: int, header: str) -> str:
    doc = window.document
    assert doc is not None
    return doc.value(row, doc.headers.index(header))


def choose(window: MainWindow, row: int, header: str) -> None:
    """Make a cell current by clicking it, as an admin does."""
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    index = window.proxy.mapFromSource(model.index(row, doc.headers.index(header)))
    window.table.scrollTo(index)
    point = window.table.visualRect(index).center()
    QTest.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.table.currentIndex() == index


def column(window: MainWindow, header: str) -> int:
    assert window.document is not None
    return window.document.headers.index(header)


def test_typing_into_a_drop_down_replaces_its_value(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    open_in(window, qtbot, atlas_file(tmp_path))
    assert cell(window, 0, "Status") == "Active"
    choose(window, 0, "Status")
    qtbot.keyClick(window.table, Qt.Key.Key_I)  # the first key opens the drop-down...
    editor = keyboard(window)
    assert isinstance(editor, QComboBox)
    typed = editor.lineEdit()
    assert typed is not None and typed.text().startswith("i")  # completed from the list
    type_keys(window, "nactive")  # ...and the rest go into it
    qtbot.keyClick(keyboard(window), Qt.Key.Key_Return)
    wait_for_editor_to_close(window)
    assert cell(window, 0, "Status") == "Inactive"
    # A plain cell too, with letters QTest cannot type.
    choose(window, 0, "First name")
    type_keys(window, "Zoë")
    assert isinstance(keyboard(window), QLineEdit)
    press(keyboard(window), "\r")
    wait_for_editor_to_close(window)
    assert cell(window, 0, "First name") == "Zoë"


def test_enter_moves_down_and_tab_right_after_typing(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    open_in(window, qtbot, atlas_file(tmp_path))
    first, last = column(window, "First name"), column(window, "Last name")
    choose(window, 1, "First name")
    type_keys(window, "Bert")
    qtbot.keyClick(keyboard(window), Qt.Key.Key_Return)
    wait_for_editor_to_close(window)
    assert cell(window, 1, "First name") == "Bert"
    assert current_cell(window) == (2, first)
    type_keys(window, "Cara")
    qtbot.keyClick(keyboard(window), Qt.Key.Key_Tab)
    wait_for_editor_to_close(window)
    assert cell(window, 2, "First name") == "Cara"
    assert current_cell(window) == (2, last)
    assert window.table.state() != QAbstractItemView.State.EditingState  # moved, not editing
    type_keys(window, "Smits")
    press(keyboard(window), "\t", Qt.KeyboardModifier.ShiftModifier)  # Shift+Tab: left
    wait_for_editor_to_close(window)
    assert cell(window, 2, "Last name") == "Smits"
    assert current_cell(window) == (2, first)
    type_keys(window, "Carla")
    qtbot.keyClick(keyboard(window), Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    wait_for_editor_to_close(window)
    assert cell(window, 2, "First name") == "Carla"
    assert current_cell(window) == (1, first)
    assert len(window.table.selectionModel().selectedIndexes()) == 1  # moved, not extended
    # Without typing, Enter moves too; it stops at the last row.
    for _ in range(10):
        qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert current_cell(window) == (len(USERS) - 1, first)
    # Escape leaves the value and the cursor as they were.
    type_keys(window, "Nobody")
    qtbot.keyClick(keyboard(window), Qt.Key.Key_Escape)
    assert cell(window, len(USERS) - 1, "First name") == "Eva"
    assert current_cell(window) == (len(USERS) - 1, first)


def test_f2_edits_with_the_cursor_at_the_end(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    open_in(window, qtbot, atlas_file(tmp_path))
    choose(window, 3, "Job title")
    choose(window, 3, "Department")
    qtbot.keyClick(window.table, Qt.Key.Key_F2)
    editor = keyboard(window)
    assert isinstance(editor, QLineEdit)
    assert editor.text() == "Finance" and not editor.hasSelectedText()
    assert editor.cursorPosition() == len("Finance")
    type_keys(window, " & Control")
    qtbot.keyClick(keyboard(window), Qt.Key.Key_Return)
    wait_for_editor_to_close(window)
    assert cell(window, 3, "Department") == "Finance & Control"
    # A drop-down's text too.
    choose(window, 1, "Status")
    qtbot.keyClick(window.table, Qt.Key.Key_F2)
    combo = keyboard(window)
    assert isinstance(combo, QComboBox)
    line = combo.lineEdit()
    assert line is not None
    assert not line.hasSelectedText() and line.cursorPosition() == len("Inactive")
    qtbot.keyClick(combo, Qt.Key.Key_Escape)


def test_ctrl_d_fills_down_as_one_undoable_step(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    open_in(window, qtbot, atlas_file(tmp_path))
    before = list(window.document.columns[column(window, "Department")])  # type: ignore[union-attr]
    choose(window, 0, "Department")
    for _ in range(3):
        qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    steps = window.undo_stack.count()
    qtbot.keyClick(window.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [cell(window, r, "Department") for r in range(5)] == ["Sales"] * 4 + ["Legal"]
    assert window.undo_stack.count() == steps + 1
    window.undo_stack.undo()
    assert window.document.columns[column(window, "Department")] == before  # type: ignore[union-attr]
    # One cell: Ctrl+D takes the value above it.
    choose(window, 2, "Department")
    qtbot.keyClick(window.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert cell(window, 2, "Department") == "Finance"


def test_fills_never_write_the_locked_column_and_say_so(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    open_in(window, qtbot, atlas_file(tmp_path))
    keys = list(window.document.columns[0])  # type: ignore[union-attr]
    choose(window, 0, "User ID")
    qtbot.keyClick(window.table, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    for _ in range(2):
        qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.document.columns[0] == keys  # type: ignore[union-attr]
    assert [cell(window, r, "Username") for r in range(3)] == ["anna.berg"] * 3
    assert window.statusBar().currentMessage() == (
        "The User ID column is locked: 2 cells were left as they are."
    )
    # Fill right from the key column: the row's other cells take its value, the key stays.
    choose(window, 4, "User ID")
    qtbot.keyClick(window.table, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert cell(window, 4, "Username") == "7001"
    choose(window, 5, "Username")
    qtbot.keyClick(window.table, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.document.columns[0] == keys  # type: ignore[union-attr]
    assert cell(window, 5, "Username") == "7001"  # taken from the row above
    assert "User ID column is locked: 1 cell was left" in window.statusBar().currentMessage()


def test_clicking_a_header_sorts_the_view_and_saving_keeps_the_file_order(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    source = atlas_file(tmp_path)
    open_in(window, qtbot, source)
    table = window.table
    header = table.horizontalHeader()
    click_header(window, 0)  # User ID: numbers written as text, sorted by value
    ids = [cell(window, r, "User ID") for r in shown_rows(window)]
    assert ids == ["9", "10", "0042", "000123", "7001", "7002"]
    assert header.sortIndicatorSection() == 0
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert "Sorted by User ID, A to Z" in window.statusBar().currentMessage()
    click_header(window, 0)
    assert [cell(window, r, "User ID") for r in shown_rows(window)] == list(reversed(ids))
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    click_header(window, 0)  # third click: the file's order again, no arrow
    assert shown_rows(window) == list(range(len(USERS)))
    assert header.sortIndicatorSection() == -1
    # Natural order in text: user9 before user10; blanks last in both directions.
    click_header(window, column(window, "Username"))
    names = [cell(window, r, "Username") for r in shown_rows(window)]
    assert names[-2:] == ["eva.user9", "eva.user10"]
    click_header(window, column(window, "Department"))
    departments = [cell(window, r, "Department") for r in shown_rows(window)]
    assert departments == ["Finance", "Finance", "Legal", "Sales", "Sales", ""]
    click_header(window, column(window, "Department"))
    departments = [cell(window, r, "Department") for r in shown_rows(window)]
    assert departments == ["Sales", "Sales", "Legal", "Finance", "Finance", ""]
    order = shown_rows(window)
    # Arrows move down the sorted view; an edit does not move its row.
    choose(window, order[0], "Department")
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    assert current_cell(window)[0] == order[1]
    type_keys(window, "Accounts")
    qtbot.keyClick(keyboard(window), Qt.Key.Key_Return)
    wait_for_editor_to_close(window)
    assert shown_rows(window) == order
    assert current_cell(window)[0] == order[2]  # Enter went down the sorted view
    assert cell(window, order[1], "Department") == "Accounts"
    # Copy takes the rows as shown.
    choose(window, order[0], "Department")
    qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "Sales\nAccounts"
    # A search while sorted keeps the sort.
    qtbot.keyClicks(window.search_box, "smit")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 2)
    assert [cell(window, r, "User ID") for r in shown_rows(window)] == ["10", "9"]
    window.search_box.clear()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == len(USERS))
    assert shown_rows(window) == order
    # Saving writes the rows in the file's order, whatever the view shows.
    assert window.save()
    saved = read_file(source.with_name("atlas-users-edited.xlsx"))
    assert saved.columns[0] == [u[0] for u in USERS]
    expected = [u[4] for u in USERS]
    expected[order[1]] = "Accounts"
    assert saved.columns[column(window, "Department")] == expected
    # A file opened next starts in its own order, without an arrow.
    open_in(window, qtbot, source)
    assert header.sortIndicatorSection() == -1
    assert shown_rows(window) == list(range(len(USERS)))


def test_sorting_many_rows_in_one_layout_change(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    """20,000 rows sorted twice by header clicks (its speed is for a benchmark, not here)."""
    import random

    rng = random.Random(7)
    users = [
        (
            f"{rng.randrange(10**6):06d}",
            f"user{i}",
            "A",
            "B",
            rng.choice(["Sales", "Legal", ""]),
            "Active",
        )
        for i in range(20_000)
    ]
    open_in(window, qtbot, atlas_file(tmp_path, users))
    click_header(window, column(window, "Department"))
    click_header(window, 0)
    ids = [cell(window, r, "User ID") for r in shown_rows(window)]
    assert ids == sorted(ids, key=int)


def test_counts_say_how_many_users_are_shown(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    open_in(window, qtbot, atlas_file(tmp_path))
    assert window.counts_label.text().startswith("6 users · ")
    qtbot.keyClicks(window.search_box, "smit")
    qtbot.waitUntil(lambda: window.counts_label.text().startswith("2 of 6 users shown · "))
    window.search_box.clear()
    qtbot.waitUntil(lambda: window.counts_label.text().startswith("6 users · "))
    window.filter_box.setCurrentIndex(RowFilterProxy.CHANGED)
    assert window.counts_label.text().startswith("0 of 6 users shown · ")
    window.filter_box.setCurrentIndex(RowFilterProxy.ALL)
    assert window.counts_label.text() == "6 users · 0 rows with problems · 0 changed"


def test_paste_says_what_it_left_out(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    monkeypatch.setattr(
        "desktop_app.views.user_table.ask_add_rows",
        lambda _parent, count, _below: asked.append(count) is not None,  # answered No
    )
    open_in(window, qtbot, atlas_file(tmp_path))
    keys = list(window.document.columns[0])  # type: ignore[union-attr]
    QGuiApplication.clipboard().setText("1\tann\n2\tbob\n3\tcarla\n")
    choose(window, 0, "User ID")
    qtbot.keyClick(window.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window.document.columns[0] == keys  # type: ignore[union-attr]
    assert [cell(window, r, "Username") for r in range(3)] == ["ann", "bob", "carla"]
    assert window.statusBar().currentMessage() == (
        "The User ID column is locked: 3 pasted values were left out."
    )
    # Rows copied from Excel with their own IDs paste back without a word about the key.
    choose(window, 0, "User ID")
    qtbot.keyClick(window.table, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    window.statusBar().clearMessage()
    choose(window, 0, "User ID")
    qtbot.keyClick(window.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window.statusBar().currentMessage() == ""
    # Past the last row, answered No: the rows that fit are pasted, the rest counted in words.
    QGuiApplication.clipboard().setText("Ops\nOps\nOps")
    choose(window, len(USERS) - 1, "Department")
    steps = window.undo_stack.count()
    qtbot.keyClick(window.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert cell(window, len(USERS) - 1, "Department") == "Ops"
    assert window.undo_stack.count() == steps + 1
    last_row = window.document.excel_row(len(USERS) - 1)  # type: ignore[union-attr]
    assert asked == [2]
    assert window.statusBar().currentMessage() == (
        f"Only 1 of 3 rows were pasted: the table ends at row {last_row}."
    )
    # Past the last column.
    QGuiApplication.clipboard().setText("2024-01-01\tX\tY")
    choose(window, 0, "Hire date")
    qtbot.keyClick(window.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert cell(window, 0, "Hire date") == "2024-01-01"
    assert window.statusBar().currentMessage() == (
        "Only 1 of 3 columns were pasted: Hire date is the last column."
    )
