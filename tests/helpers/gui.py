"""Helpers for tests that drive the real window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.views.main_window import MainWindow


def open_in(window: MainWindow, qtbot: Any, path: Path) -> None:
    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        window.open_file(path)
