"""Save PNG screenshots of the main window for the README (run offscreen)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402

from desktop_app.views.application import create_application  # noqa: E402
from desktop_app.views.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def open_and_wait(window: MainWindow, path: Path) -> None:
    loop = QEventLoop()
    window.documentLoaded.connect(loop.quit)
    window.loadFailed.connect(loop.quit)
    window.open_file(path)
    loop.exec()
    wait(300)


def take(folder: Path) -> list[Path]:
    """Screenshots of the empty window, an Atlas download, and a Rakoo template being fixed."""
    folder.mkdir(parents=True, exist_ok=True)
    app = create_application([])
    work = Path(tempfile.mkdtemp())
    saved = []
    try:
        window = MainWindow()
        window.resize(1280, 760)
        window.show()
        wait(100)
        saved.append(folder / "empty-window.png")
        window.grab().save(str(saved[-1]))

        atlas = work / "atlas-users.xlsx"
        shutil.copy2(SAMPLES / "atlas-users.xlsx", atlas)
        open_and_wait(window, atlas)
        saved.append(folder / "main-window.png")
        window.grab().save(str(saved[-1]))

        rakoo = work / "rakoo-template.xlsx"
        shutil.copy2(SAMPLES / "rakoo-template.xlsx", rakoo)
        open_and_wait(window, rakoo)
        doc = window.document
        assert doc is not None and window.model is not None
        window.set_filter(1)
        window.model.set_cells([(4, doc.headers.index("Department*"), "Sales")], "Edit")
        window.table.setCurrentIndex(window.proxy.index(1, 2))
        wait(300)
        saved.append(folder / "rows-with-problems.png")
        window.grab().save(str(saved[-1]))

        window.set_filter(0)
        window.show_find_replace()
        dialog = window._find_dialog
        assert dialog is not None
        dialog.find_edit.setText("Team Nort")
        dialog.replace_edit.setText("Team North")
        wait(200)
        saved.append(folder / "find-and-replace.png")
        dialog.grab().save(str(saved[-1]))
        dialog.close()
        window.undo_stack.setClean()
        window.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    del app
    return saved


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    for path in take(target):
        print(path)
