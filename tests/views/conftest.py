"""Fixtures for driving the real window: dialogs answered, the window shown offscreen."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop_app.views import messages
from desktop_app.views.main_window import MainWindow


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Dialogs the window showed, instead of real modal boxes."""
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        messages, "show_problem", lambda _parent, title, sentence: shown.append((title, sentence))
    )
    monkeypatch.setattr(messages, "confirm", lambda *_args: True)
    monkeypatch.setattr(messages, "ask_save", lambda *_args: QMessageBox.StandardButton.Discard)
    return shown


@pytest.fixture
def window(qtbot: Any, said: list[tuple[str, str]]) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win
