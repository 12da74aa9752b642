"""What the window remembers between starts: recent files, its size and place, column widths.

All of it lives in the app's settings (QSettings). Outside the app's own settings scope (a
bare QApplication without an organisation name, as in most tests) nothing is remembered,
so one window never inherits another's habits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from desktop_app.i18n import _

if TYPE_CHECKING:
    from desktop_app.views.main_window import MainWindow

RECENT_KEY = "recentFiles"
RECENT_COUNT = 8
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
WIDTHS_KEY = "columnWidths"
# Samples are opened from a temporary copy that will not last: they are not "recent".
SAMPLE_PREFIX = "user-editor-sample-"


def remembering() -> bool:
    """Whether the app's own settings scope is in use (the app sets its organisation name)."""
    return bool(QCoreApplication.organizationName())


def _as_list(value: object) -> list[str]:
    """A stored list of strings (QSettings returns one item as a plain string)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [str(item) for item in value if item]
    return []


class RecentFiles(QObject):
    """File › Open Recent: the last files opened, newest first; missing ones greyed."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.menu = QMenu(_("Open &Recent"), window)
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self.rebuild)
        window.documentLoaded.connect(self._remember_open)
        self.rebuild()

    def paths(self) -> list[Path]:
        if not remembering():
            return []
        return [Path(name) for name in _as_list(QSettings().value(RECENT_KEY, []))]

    def add(self, path: Path) -> None:
        """Put ``path`` first in the list (once), keeping the last RECENT_COUNT."""
        if not remembering() or any(p.startswith(SAMPLE_PREFIX) for p in path.parent.parts):
            return
        path = path.absolute()
        kept = [p for p in self.paths() if p != path]
        QSettings().setValue(RECENT_KEY, [str(p) for p in [path, *kept][:RECENT_COUNT]])
        self.rebuild()

    def clear(self) -> None:
        if remembering():
            QSettings().remove(RECENT_KEY)
        self.rebuild()

    def _remember_open(self) -> None:
        doc = self.window.document
        if doc is not None and not doc.loaded.is_new:
            self.add(doc.loaded.path)

    def rebuild(self) -> None:
        self.menu.clear()
        paths = self.paths()
        if not paths:
            empty = self.menu.addAction(_("No recent files"))
            empty.setEnabled(False)
            return
        for number, path in enumerate(paths, start=1):
            text = f"&{number}  {path.name}  —  {path.parent.name or path.parent}"
            action = QAction(text, self.menu)
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            if not path.is_file():
                action.setText(_("{text}  (moved or deleted)").format(text=text))
                action.setEnabled(False)
            action.triggered.connect(lambda _checked=False, p=path: self.open(p))
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(_("Clear This List"), self.clear)

    def open(self, path: Path) -> None:
        if self.window.may_discard():
            self.window.open_file(path)


class ColumnWidths(QObject):
    """Column widths the admin set, per platform profile and column name, put back on open."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        # The document whose widths were put back: resizes of its columns are the admin's.
        self._document: object = None
        window.documentLoaded.connect(self.restore)
        window.table.horizontalHeader().sectionResized.connect(self._resized)

    def _key(self) -> str | None:
        doc = self.window.document
        return None if doc is None else f"{WIDTHS_KEY}/{doc.profile.name}"

    def stored(self) -> dict[str, int]:
        key = self._key()
        if key is None or not remembering():
            return {}
        try:
            widths = json.loads(str(QSettings().value(key, "{}")))
        except ValueError:
            return {}
        if not isinstance(widths, dict):
            return {}
        return {str(k): int(v) for k, v in widths.items() if isinstance(v, int) and v > 0}

    def restore(self) -> None:
        doc = self.window.document
        self._document = None
        if doc is None:
            return
        widths = self.stored()
        for col, header in enumerate(doc.headers):
            if header in widths:
                self.window.table.setColumnWidth(col, widths[header])
        self._document = doc

    def _resized(self, col: int, _old: int, new: int) -> None:
        doc = self.window.document
        key = self._key()
        if doc is None or doc is not self._document or key is None or not remembering():
            return  # a new file is being laid out: those widths are the app's, not the admin's
        if not 0 <= col < len(doc.headers) or new <= 0:
            return
        widths = self.stored()
        widths[doc.headers[col]] = new
        QSettings().setValue(key, json.dumps(widths, ensure_ascii=False, sort_keys=True))


def restore_window(window: QMainWindow) -> None:
    """Put the window back where the admin left it (on a screen that is still there)."""
    if not remembering():
        return
    settings = QSettings()
    geometry = settings.value(GEOMETRY_KEY)
    if isinstance(geometry, QByteArray | bytes) and geometry:
        window.restoreGeometry(QByteArray(geometry))
    state = settings.value(STATE_KEY)
    if isinstance(state, QByteArray | bytes) and state:
        window.restoreState(QByteArray(state))


def save_window(window: QMainWindow) -> None:
    """Remember the window's size, place, docks and toolbars for the next start."""
    if not remembering():
        return
    settings = QSettings()
    settings.setValue(GEOMETRY_KEY, window.saveGeometry())
    settings.setValue(STATE_KEY, window.saveState())
