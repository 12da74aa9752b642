"""Save PNG screenshots of the main window for the README (run offscreen).

python scripts/screenshots.py [FOLDER]           every picture (the Dutch ones in a
                                                 second process)
python scripts/screenshots.py [FOLDER] --dutch   only the Dutch interface
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

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


def upload_screens(window: MainWindow, work: Path, folder: Path) -> list[Path]:
    """The Connect dialog, the review and the result of an upload to the demo server."""
    from desktop_app.services.demo import sample_fixes, start_demo
    from desktop_app.views.connect_dialog import ConnectDialog

    os.environ["USER_EDITOR_DATA"] = str(work / "data")
    demo = start_demo(work / "demo")
    saved = []
    try:
        connect = ConnectDialog(window, demo.url, demo.token)
        connect.show()
        connect.test()
        for _ in range(50):
            wait(100)
            if connect.status.text().startswith("Connected"):
                break
        saved.append(folder / "connect.png")
        connect.grab().save(str(saved[-1]))
        connect.close()

        window.server_actions.server = (demo.url, demo.token)
        open_and_wait(window, demo.download)
        doc, model = window.document, window.model
        assert doc is not None and model is not None
        col = doc.headers.index
        model.set_cells(
            [*sample_fixes(doc), (0, col("Department"), "Sales"), (4, col("Status"), "Inactive")],
            "Fix",
        )
        window.server_actions.start_upload()
        dialog = window.server_actions.upload_dialog
        assert dialog is not None
        for _ in range(100):
            wait(100)
            if dialog.stack.currentIndex() == 1:
                break
        saved.append(folder / "upload-review.png")
        dialog.grab().save(str(saved[-1]))
        dialog.send()
        for _ in range(100):
            wait(100)
            if dialog.stack.currentIndex() == 2:
                break
        saved.append(folder / "upload-done.png")
        dialog.grab().save(str(saved[-1]))
        dialog.close()
    finally:
        demo.stop()
    return saved


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

        saved += upload_screens(window, work, folder)
        window.undo_stack.setClean()
        window.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    del app
    return saved


def take_dutch(folder: Path) -> list[Path]:
    """The window in Dutch with an Atlas download's problems, and Qt's own buttons in Dutch.

    Run in a process of its own: text is translated as it is made (and validation
    messages are kept per value), so the language is chosen before anything is built.
    """
    from desktop_app import i18n
    from desktop_app.views import messages
    from desktop_app.views.preferences import install_qt_translation

    folder.mkdir(parents=True, exist_ok=True)
    app = create_application([])
    i18n.install("nl")
    install_qt_translation("nl")
    work = Path(tempfile.mkdtemp())
    saved = []
    try:
        window = MainWindow()
        window.resize(1280, 760)
        window.show()
        atlas = work / "atlas-users.xlsx"
        shutil.copy2(SAMPLES / "atlas-users.xlsx", atlas)
        open_and_wait(window, atlas)
        doc = window.document
        assert doc is not None and window.model is not None
        window.model.set_cells([(0, doc.headers.index("Department"), "Sales")], "Edit")
        window.table.setCurrentIndex(window.proxy.index(1, 2))
        wait(300)
        saved.append(folder / "dutch-interface.png")
        window.grab().save(str(saved[-1]))

        # Qt's own buttons (Opslaan, Niet opslaan, Annuleren) speak Dutch too.
        def grab_question() -> None:
            box = QApplication.activeModalWidget()
            if box is not None:
                saved.append(folder / "dutch-save-question.png")
                box.grab().save(str(saved[-1]))
                box.close()

        QTimer.singleShot(300, grab_question)
        messages.ask_save(window, atlas.name)
        window.undo_stack.setClean()
        window.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    del app
    return saved


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--dutch"]
    target = Path(args[0]) if args else ROOT / "docs" / "screenshots"
    if "--dutch" in sys.argv:
        shots = take_dutch(target)
    else:
        shots = take(target)
        import subprocess

        subprocess.run([sys.executable, __file__, str(target), "--dutch"], check=True)
    for path in shots:
        print(path)
