"""Helpers for tests that drive the real window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QWidget

from desktop_app.views.main_window import MainWindow


def open_in(window: MainWindow, qtbot: Any, path: Path) -> None:
    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        window.open_file(path)


def keyboard(window: MainWindow) -> QWidget:
    """Where a key typed now goes: the widget with the keyboard focus."""
    return QApplication.focusWidget() or window.table


def press(widget: QWidget, char: str) -> None:
    """One key as a keyboard sends it: its key code and the text it types (accents too).

    QTest's key clicks only know ASCII; an admin's names do not.
    """
    upper = char.upper()
    if char == "\r":
        key = Qt.Key.Key_Return
    elif len(upper) == 1 and ord(upper) < 256:
        key = Qt.Key(ord(upper))
    else:
        key = Qt.Key.Key_unknown
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, char))


def type_into(window: MainWindow, row: int, col: int, text: str) -> None:
    """Choose a cell (source coordinates), type ``text`` and press Enter, as an admin does."""
    assert window.model is not None
    window.table.setCurrentIndex(window.proxy.mapFromSource(window.model.index(row, col)))
    for char in text:  # the first key opens the cell's editor, as in Excel
        press(keyboard(window), char)
    assert window.table.state() == QAbstractItemView.State.EditingState
    press(keyboard(window), "\r")
    # The editor commits on the next turn of the event loop, as between real key presses.
    for _ in range(100):
        if window.table.state() != QAbstractItemView.State.EditingState:
            return
        QApplication.processEvents()
    raise AssertionError(f"the editor of row {row}, column {col} did not close")
