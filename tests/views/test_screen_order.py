"""Next Problem (F8) and Find Next walk the table as it is shown: sorted, or with added rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt

from desktop_app.views.main_window import MainWindow
from tests.helpers.gui import click_header, current_cell, keyboard, open_in, press, shown_rows
from tests.views.test_excel_habits import atlas_file, keys_let_go  # noqa: F401 (autouse)
from tests.views.test_find_replace import dialog_of

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
# Every other user has a Status typo: the only problems of the file.
USERS = [
    ("000101", "zoe.adams", "Zoe", "Adams", "Sales", "Actve"),
    ("000102", "yves.berg", "Yves", "Berg", "Finance", "Active"),
    ("000103", "mia.cole", "Mia", "Cole", "Sales", "Actve"),
    ("000104", "lars.dijk", "Lars", "Dijk", "Finance", "Active"),
    ("000105", "ann.evers", "Ann", "Evers", "Sales", "Actve"),
]


def opened(window: MainWindow, qtbot: Any, tmp_path: Path) -> int:
    """Open the users; returns the Status column, where the problems are."""
    open_in(window, qtbot, atlas_file(tmp_path, USERS))
    doc = window.document
    assert doc is not None
    status = doc.headers.index("Status")
    problems = [(r, c) for r, c, _ in doc.validator.all_issues()]
    assert problems == [(0, status), (2, status), (4, status)]
    return status


def click_cell(window: MainWindow, row: int, col: int) -> None:
    """Make one cell (source numbers) current, as a click does."""
    assert window.model is not None
    index = window.proxy.mapFromSource(window.model.index(row, col))
    window.table.selectionModel().setCurrentIndex(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    window.table.setFocus()


def f8(window: MainWindow, qtbot: Any, shift: bool = False) -> tuple[int, int]:
    """Press F8 (Shift+F8) in the table; returns the cell it went to."""
    modifier = SHIFT if shift else Qt.KeyboardModifier.NoModifier
    qtbot.keyClick(window.table, Qt.Key.Key_F8, modifier)
    return current_cell(window)


def test_next_problem_follows_the_sorted_table_and_goes_round(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    status = opened(window, qtbot, tmp_path)
    doc = window.document
    assert doc is not None
    click_header(window, doc.headers.index("First name"))
    assert shown_rows(window) == [4, 3, 2, 1, 0]  # Ann, Lars, Mia, Yves, Zoe
    click_cell(window, 4, 0)

    walked = [f8(window, qtbot) for _ in range(4)]

    assert walked == [(4, status), (2, status), (0, status), (4, status)]
    assert f8(window, qtbot, shift=True) == (0, status)  # back round, from the top
    assert f8(window, qtbot, shift=True) == (2, status)


def test_next_problem_and_find_next_visit_an_inserted_row_where_it_stands(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    status = opened(window, qtbot, tmp_path)
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    click_cell(window, 1, 1)
    press(keyboard(window), "+", CTRL | SHIFT)  # Ctrl++ inserts a row above Yves
    new = doc.row_count - 1
    assert shown_rows(window) == [0, new, 1, 2, 3, 4]
    col = doc.headers.index
    model.set_cells(
        [
            (new, col("Username"), "nina.new"),
            (new, col("First name"), "Nina"),
            (new, col("Last name"), "New"),
            (new, col("Email"), "nina.new@atlas-demo.com"),
            (new, col("Department"), "Sales"),
            (new, col("Language"), "en"),
            (new, status, "Actve"),
        ],
        "Fill",
    )
    assert doc.cell_issues(new, status) and not any(
        doc.cell_issues(new, c) for c in range(doc.column_count) if c != status
    )
    click_cell(window, 0, 0)

    walked = [f8(window, qtbot) for _ in range(5)]

    assert walked == [(0, status), (new, status), (2, status), (4, status), (0, status)]

    # Find Next (Enter in the dialog) goes down the table the same way.
    dialog = dialog_of(window, qtbot)
    qtbot.keyClicks(dialog.find_edit, "Sales")
    found = []
    for _ in range(5):
        qtbot.keyClick(dialog.find_edit, Qt.Key.Key_Return)
        found.append((current_cell(window)[0], dialog.message.text()))
    assert found == [
        (0, "1 of 4."),
        (new, "2 of 4."),
        (2, "3 of 4."),
        (4, "4 of 4."),
        (0, "1 of 4."),
    ]
    dialog.close()


def test_find_next_follows_the_sorted_table(window: MainWindow, qtbot: Any, tmp_path: Path) -> None:
    opened(window, qtbot, tmp_path)
    doc = window.document
    assert doc is not None
    department = doc.headers.index("Department")
    click_header(window, doc.headers.index("First name"))
    dialog = dialog_of(window, qtbot)
    qtbot.keyClicks(dialog.find_edit, "Sales")
    found = []
    for _ in range(4):
        qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
        found.append((current_cell(window), dialog.message.text()))
    assert found == [
        ((4, department), "1 of 3."),
        ((2, department), "2 of 3."),
        ((0, department), "3 of 3."),
        ((4, department), "1 of 3."),
    ]

    # Sorted the other way while the dialog is open: the next match is the next one down.
    click_header(window, doc.headers.index("First name"))
    assert shown_rows(window) == [0, 1, 2, 3, 4]
    qtbot.keyClick(dialog.find_edit, Qt.Key.Key_Return)
    assert (current_cell(window), dialog.message.text()) == ((0, department), "1 of 3.")
    dialog.close()
