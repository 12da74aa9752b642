"""Helpers for tests that drive the real window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QWidget

from desktop_app.views.main_window import MainWindow


def open_in(window: MainWindow, qtbot: Any, path: Path) -> None:
    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        window.open_file(path)


def keyboard(window: MainWindow) -> QWidget:
    """Where a key typed now goes: the widget with the keyboard focus."""
    return QApplication.focusWidget() or window.table


def press(
    widget: QWidget, char: str, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """One key as a keyboard sends it: its key code and the text it types (accents too).

    QTest's key clicks only know ASCII; an admin's names do not. ``\\r`` is Enter and
    ``\\t`` Tab (Shift+Tab with ``modifiers``, sent as Qt's Backtab like a real keyboard).
    """
    upper = char.upper()
    shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
    if char == "\r":
        key = Qt.Key.Key_Return
    elif char == "\t":
        key = Qt.Key.Key_Backtab if shift else Qt.Key.Key_Tab
    elif len(upper) == 1 and ord(upper) < 256:
        key = Qt.Key(ord(upper))
    else:
        key = Qt.Key.Key_unknown
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, modifiers, char))


def type_keys(window: MainWindow, text: str) -> None:
    """Type ``text`` key by key, each to wherever the keyboard focus is by then."""
    for char in text:
        press(keyboard(window), char)


def wait_for_editor_to_close(window: MainWindow) -> None:
    """The editor commits on the next turn of the event loop, as between real key presses."""
    for _ in range(100):
        if window.table.state() != QAbstractItemView.State.EditingState:
            return
        QApplication.processEvents()
    raise AssertionError("the cell's editor did not close")


def click_header(window: MainWindow, column: int) -> None:
    """Click a column's title with the mouse; the locked key column's is on the frozen view."""
    table = window.table
    view = table.frozen if column == table.key_column else table
    header: QHeaderView = view.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    where = QPoint(x, header.height() // 2)
    QTest.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where
    )


def shown_rows(window: MainWindow) -> list[int]:
    """The source rows from the top of the table down, as the admin sees them."""
    table, proxy = window.table, window.proxy
    rows = []
    for visual in range(proxy.rowCount()):
        logical = table.verticalHeader().logicalIndex(visual)
        rows.append(proxy.mapToSource(proxy.index(logical, 0)).row())
    return rows


def current_cell(window: MainWindow) -> tuple[int, int]:
    """The current cell in source coordinates (row, column)."""
    index = window.proxy.mapToSource(window.table.currentIndex())
    return index.row(), index.column()


def type_into(window: MainWindow, row: int, col: int, text: str) -> None:
    """Choose a cell (source coordinates), type ``text`` and press Enter, as an admin does."""
    assert window.model is not None
    window.table.setCurrentIndex(window.proxy.mapFromSource(window.model.index(row, col)))
    for char in text:  # the first key opens the cell's editor, as in Excel
        press(keyboard(window), char)
    assert window.table.state() == QAbstractItemView.State.EditingState
    press(keyboard(window), "\r")
    wait_for_editor_to_close(window)
