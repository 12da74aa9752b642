"""Find and Replace in the real window: typed into, its buttons clicked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtTest import QTest

from desktop_app.views.find_replace import FindReplaceDialog
from desktop_app.views.main_window import MainWindow
from tests.helpers.gui import click_header, current_cell, open_in, shown_rows
from tests.views.test_excel_habits import atlas_file

USERS = [
    ("000101", "anna.berg", "Anna", "Berg", "Salez", "Active"),
    ("000102", "bob.smit", "Bob", "Smit", "Finance", "Active"),
    ("000103", "carla.smit", "Carla", "Smit", "Salez", "Inactive"),
    ("000104", "dirk.jansen", "Dirk", "Jansen", "Salez", "Active"),
    ("000105", "eva.visser", "Eva", "Visser", "Salez North", "Active"),
]


def dialog_of(window: MainWindow, qtbot: Any) -> FindReplaceDialog:
    qtbot.keyClick(window.table, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    dialog = window._find_dialog
    if dialog is None:  # where Ctrl+H is not the platform's Replace key
        window.find_action.trigger()
        dialog = window._find_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def departments(window: MainWindow) -> list[str]:
    doc = window.document
    assert doc is not None
    return list(doc.columns[doc.headers.index("Department")])


def test_replace_one_then_replace_all(window: MainWindow, qtbot: Any, tmp_path: Path) -> None:
    open_in(window, qtbot, atlas_file(tmp_path, USERS))
    department = window.document.headers.index("Department")  # type: ignore[union-attr]
    dialog = dialog_of(window, qtbot)
    qtbot.keyClicks(dialog.find_edit, "Salez")
    qtbot.keyClicks(dialog.replace_edit, "Sales")
    steps = window.undo_stack.count()
    # The first Replace only shows the first match: nothing changes unseen.
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    assert departments(window) == ["Salez", "Finance", "Salez", "Salez", "Salez North"]
    assert current_cell(window) == (0, department)
    assert dialog.message.text() == "1 of 4."
    # Then each Replace changes the match shown and goes on to the next one.
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    assert departments(window) == ["Sales", "Finance", "Salez", "Salez", "Salez North"]
    assert current_cell(window) == (2, department)
    assert dialog.message.text() == "Replaced 1 cell in row 3. Next: 1 of 3."
    assert window.undo_stack.count() == steps + 1
    # Find Next skips one; Replace All does the rest, as one more step.
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    assert current_cell(window) == (3, department)
    qtbot.mouseClick(dialog.replace_all_button, Qt.MouseButton.LeftButton)
    assert departments(window) == ["Sales", "Finance", "Sales", "Sales", "Sales North"]
    assert dialog.message.text() == "Replaced 3 cells."
    assert window.undo_stack.count() == steps + 2
    window.undo_stack.undo()
    assert departments(window) == ["Sales", "Finance", "Salez", "Salez", "Salez North"]
    # Nothing left to replace: Replace says so.
    window.undo_stack.redo()
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "'Salez' was not found."


def test_replace_leaves_the_locked_column_and_moves_on(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    users = [*USERS[:2], ("000103", "x000101", "Carla", "Smit", "Sales", "Active")]
    open_in(window, qtbot, atlas_file(tmp_path, users))
    doc = window.document
    assert doc is not None
    dialog = dialog_of(window, qtbot)
    qtbot.keyClicks(dialog.find_edit, "000101")
    qtbot.keyClicks(dialog.replace_edit, "anna")
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    assert current_cell(window) == (0, 0)  # the User ID
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    assert doc.value(0, 0) == "000101"
    assert dialog.message.text() == "User ID is locked: that one was left as it is. Next: 2 of 3."
    assert current_cell(window) == (2, doc.headers.index("Username"))
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    assert doc.value(2, doc.headers.index("Username")) == "xanna"
    assert current_cell(window) == (2, doc.headers.index("Email"))
    # A new option starts the search again from the first match.
    box = dialog.whole_cell
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked()
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "1 of 1."
    assert current_cell(window) == (0, 0)


def test_screenshot_of_the_sorted_table_and_find_and_replace(
    window: MainWindow, qtbot: Any, sample: Any, tmp_path: Path
) -> None:
    """The README's picture: a table sorted by a header click, and the dialog over it."""
    path = tmp_path / "find-and-replace.png"
    sorted_table_with_find_and_replace(window, qtbot, sample("atlas-users.xlsx"), path)
    image = QPixmap(str(path)).toImage()
    assert image.width() > 900 and path.stat().st_size > 20_000
    doc = window.document
    assert doc is not None
    departments = [doc.value(r, doc.headers.index("Department")) for r in shown_rows(window)]
    filled = [d for d in departments if d]
    assert filled == sorted(filled, key=str.casefold)


def sorted_table_with_find_and_replace(
    window: MainWindow, qtbot: Any, download: Path, target: Path
) -> None:
    """Open ``download``, sort it by Department, start a replace, and picture both."""
    window.resize(1180, 640)
    open_in(window, qtbot, download)
    doc = window.document
    assert doc is not None
    click_header(window, doc.headers.index("Department"))
    dialog = dialog_of(window, qtbot)
    qtbot.keyClicks(dialog.find_edit, "Sales")
    qtbot.keyClicks(dialog.replace_edit, "Sales & Marketing")
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    qtbot.wait(100)
    shot = window.grab()
    box = dialog.grab()
    painter = QPainter(shot)
    corner = QPoint(shot.width() - box.width() - 24, shot.height() - box.height() - 60)
    painter.setPen(QColor("#4a5568"))
    painter.drawRect(corner.x() - 1, corner.y() - 1, box.width() + 1, box.height() + 1)
    painter.drawPixmap(corner, box)
    painter.end()
    assert shot.save(str(target))
    QTest.qWait(0)
