"""The real window, driven offscreen as an admin would use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QMessageBox

from desktop_app.models.readers import read_file
from desktop_app.views import messages
from desktop_app.views.main_window import MainWindow
from desktop_app.views.table_model import CELL_PROBLEM, ROW_PROBLEM, RowFilterProxy
from tests.helpers.gui import open_in

BG = Qt.ItemDataRole.BackgroundRole


def colour(window: MainWindow, excel_row: int, header: str) -> QColor | None:
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    brush = model.index(excel_row - doc.loaded.data_start - 1, doc.headers.index(header)).data(BG)
    return None if brush is None else brush.color()


def view_index(window: MainWindow, excel_row: int, header: str) -> QModelIndex:
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    source = model.index(excel_row - doc.loaded.data_start - 1, doc.headers.index(header))
    return window.proxy.mapFromSource(source)


def test_open_shows_invalid_rows_in_red(window: MainWindow, qtbot: Any, sample: Any) -> None:
    open_in(window, qtbot, sample("atlas-users.xlsx"))
    assert window.table.model().rowCount() == 40
    assert colour(window, 4, "Email") == CELL_PROBLEM
    assert colour(window, 4, "First name") == ROW_PROBLEM
    assert colour(window, 3, "Email") is None
    tooltip = window.model.index(1, 4).data(Qt.ItemDataRole.ToolTipRole)  # type: ignore[union-attr]
    assert "is missing the @" in tooltip
    assert window.model.index(1, 4).data(Qt.ItemDataRole.DecorationRole) is not None  # type: ignore[union-attr]
    assert window.counts_label.text() == "40 users · 6 rows with problems · 0 changed"
    assert window.profile_label.text() == "Atlas user data download"
    assert window.windowTitle().startswith("atlas-users.xlsx")


def test_key_column_cannot_be_changed_by_any_path(
    window: MainWindow, qtbot: Any, sample: Any
) -> None:
    open_in(window, qtbot, sample("atlas-users.xlsx"))
    model, doc = window.model, window.document
    assert model is not None and doc is not None
    key = model.index(0, 0)
    assert not model.flags(key) & Qt.ItemFlag.ItemIsEditable
    assert model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.DecorationRole)
    # Typing.
    assert not model.setData(key, "999")
    window.table.setCurrentIndex(window.proxy.mapFromSource(key))
    qtbot.keyClicks(window.table, "999")
    assert window.table.state() != QAbstractItemView.State.EditingState
    # Paste a block that starts in the key column: the rest of the block lands, the key does not.
    QGuiApplication.clipboard().setText("999\tnew.username\n998\tother.username")
    window.table.paste()
    assert doc.value(0, 0) == "000101" and doc.value(1, 0) == "000102"
    assert doc.value(0, 1) == "new.username" and doc.value(1, 1) == "other.username"
    # Replace all over every column.
    window.show_find_replace()
    dialog = window._find_dialog
    assert dialog is not None
    dialog.find_edit.setText("0001")
    dialog.replace_edit.setText("X")
    dialog.replace_all()
    assert all(not v.startswith("X") for v in doc.columns[0])
    assert "left as they are" in dialog.message.text()
    # The frozen view shows the key column, and only it.
    assert window.table.frozen.isVisible()
    assert not window.table.frozen.isColumnHidden(0)
    assert all(window.table.frozen.isColumnHidden(c) for c in range(1, doc.column_count))


def test_fixing_a_cell_turns_the_row_valid(window: MainWindow, qtbot: Any, sample: Any) -> None:
    open_in(window, qtbot, sample("atlas-users.xlsx"))
    index = view_index(window, 4, "Email")
    window.table.setCurrentIndex(index)
    window.table.edit(index)
    editor = window.table.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "jan.devries@atlas-demo.com")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits on the next turn of the event loop, as in the real app.
    qtbot.waitUntil(lambda: window.table.state() != QAbstractItemView.State.EditingState)
    assert colour(window, 4, "Email") != CELL_PROBLEM
    assert colour(window, 4, "First name") is None
    assert window.counts_label.text() == "40 users · 5 rows with problems · 1 changed"
    assert window.isWindowModified()
    tooltip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert "It was: 'jan.devries.example.com'" in tooltip
    window.undo_stack.undo()
    assert colour(window, 4, "Email") == CELL_PROBLEM
    window.undo_stack.redo()
    assert colour(window, 4, "Email") != CELL_PROBLEM


def test_save_reopen_compare(window: MainWindow, qtbot: Any, sample: Any) -> None:
    source = sample("atlas-users.xlsx")
    original = source.read_bytes()
    open_in(window, qtbot, source)
    model = window.model
    assert model is not None
    model.setData(view_index(window, 4, "Email"), "jan.devries@atlas-demo.com")
    model.setData(window.proxy.mapToSource(view_index(window, 17, "Status")), "Active")
    assert window.save()
    saved = source.with_name("atlas-users-edited.xlsx")
    assert saved.exists() and source.read_bytes() == original
    assert not window.isWindowModified()
    before, after = read_file(source), read_file(saved)
    for col, header in enumerate(before.headers):
        for row in range(before.row_count):
            expected = before.columns[col][row]
            if (before.excel_row(row), header) == (4, "Email"):
                expected = "jan.devries@atlas-demo.com"
            if (before.excel_row(row), header) == (17, "Status"):
                expected = "Active"
            assert after.columns[col][row] == expected
    assert after.preamble == before.preamble
    open_in(window, qtbot, saved)
    assert window.counts_label.text() == "40 users · 4 rows with problems · 0 changed"


def test_filter_and_problems_panel(window: MainWindow, qtbot: Any, sample: Any) -> None:
    open_in(window, qtbot, sample("atlas-users.xlsx"))
    window.set_filter(RowFilterProxy.PROBLEMS)
    assert window.proxy.rowCount() == 6
    problems = window.problems
    qtbot.waitUntil(lambda: not problems.model.busy and problems.model.total == 6)
    duplicates = problems.model.index(3, 0)  # "Email is used in more than one row — 2 rows"
    problems.list.expand(duplicates)
    last = problems.model.index(1, 0, duplicates)
    problems.list.clicked.emit(last)
    current = window.proxy.mapToSource(window.table.currentIndex())
    assert (current.row(), current.column()) == (26, 4)  # row 29, Email
    window.set_filter(RowFilterProxy.CHANGED)
    assert window.proxy.rowCount() == 0
    window.set_filter(RowFilterProxy.ALL)
    window.search_box.setText("Nowak")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1)


def test_next_problem_walks_the_problems(window: MainWindow, qtbot: Any, sample: Any) -> None:
    open_in(window, qtbot, sample("atlas-users.xlsx"))
    window.step_problem(1)
    first = window.current_source_index()
    assert (first.row(), first.column()) == (1, 4)
    window.step_problem(1)
    second = window.current_source_index()
    assert (second.row(), second.column()) == (2, 2)


def test_bad_file_gets_one_sentence(
    window: MainWindow, qtbot: Any, said: list[tuple[str, str]], tmp_path: Path
) -> None:
    path = tmp_path / "users.xlsx"
    path.write_bytes(b"PK\x03\x04 broken")
    with qtbot.waitSignal(window.loadFailed, timeout=20000):
        window.open_file(path)
    assert said == [
        (
            "The file could not be opened",
            "'users.xlsx' is damaged and cannot be opened. Download it from the platform again.",
        )
    ]
    assert path.read_bytes() == b"PK\x03\x04 broken"
    assert window.document is None


def test_drop_a_file_onto_the_window(window: MainWindow, qtbot: Any, sample: Any) -> None:
    path = sample("udemy-users.csv")
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        window.dropEvent(event)
    assert window.document is not None and window.document.profile.name == "udemy_business"
    # Udemy's key (External ID) is not the first column: it is moved to the left and frozen.
    key = window.document.key_column
    assert key == window.document.headers.index("External ID")
    assert window.table.horizontalHeader().visualIndex(key) == 0


def test_closing_with_unsaved_changes_asks(
    window: MainWindow, qtbot: Any, sample: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_in(window, qtbot, sample("atlas-users.xlsx"))
    window.model.setData(window.model.index(0, 1), "changed")  # type: ignore[union-attr]
    asked: list[str] = []

    def ask(_parent: Any, name: str) -> QMessageBox.StandardButton:
        asked.append(name)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(messages, "ask_save", ask)
    assert not window.close()
    assert asked == ["atlas-users.xlsx"] and window.isVisible()


def test_screenshot_shows_red_rows(
    window: MainWindow, qtbot: Any, sample: Any, tmp_path: Path
) -> None:
    open_in(window, qtbot, sample("atlas-users.xlsx"))
    qtbot.wait(50)
    path = tmp_path / "main-window.png"
    assert window.grab().save(str(path))
    image = window.grab().toImage()
    reds = sum(
        1
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
        if image.pixelColor(x, y) in (CELL_PROBLEM, ROW_PROBLEM)
    )
    assert path.stat().st_size > 10_000 and reds > 50
