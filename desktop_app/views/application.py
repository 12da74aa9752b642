"""Starting the window: application identity, logging, and the file named on the command line."""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from desktop_app import __version__
from desktop_app.app_paths import log_folder
from desktop_app.i18n import _

_crash_log: IO[str] | None = None


def _setup_logging() -> None:
    """The log file, and a crash report if Python itself dies (no user data: code lines only)."""
    global _crash_log
    folder = log_folder()
    logging.basicConfig(
        filename=folder / "user-editor.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if _crash_log is None:
        _crash_log = (folder / "crash-report.txt").open("a", encoding="utf-8")
        faulthandler.enable(file=_crash_log, all_threads=True)
    sys.excepthook = _unexpected


def _unexpected(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """A bug reached the event loop: log where (not the message, which may hold cell values),
    tell the admin in one sentence, and keep the window and its autosave running."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    where = "".join(traceback.format_tb(trace))
    logging.getLogger("desktop_app").error("Unexpected %s at\n%s", kind.__name__, where)
    from desktop_app.views import messages

    window = QApplication.activeWindow()
    messages.show_problem(
        window,
        _("Something went wrong"),
        _(
            "Something unexpected went wrong and that action was not finished. Your edits are "
            "kept and saved automatically; the details are in the log file."
        ),
    )


def create_application(argv: list[str]) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0], *argv])
    app.setApplicationName("User Editor")
    app.setOrganizationName("User Editor")
    app.setApplicationVersion(__version__)
    moved = os.environ.get("USER_EDITOR_DATA")
    if moved:  # a moved data folder holds the settings too (portable installs, tests)
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(moved, "settings"))
        )
    return app


def run_gui(args: list[str]) -> int:
    """Open the window, and the file if one was named; returns the exit code."""
    from desktop_app.app import gui_parser

    options, qt_args = gui_parser().parse_known_args(args)
    _setup_logging()
    app = create_application(qt_args)
    from desktop_app.views.preferences import start_language

    start_language()  # before any window is built: its words are set as it is made
    from desktop_app.views.main_window import MainWindow

    window = MainWindow()
    window.show()
    demo = None
    if options.demo:
        import tempfile
        from pathlib import Path

        from desktop_app.services.demo import start_demo

        demo = start_demo(Path(tempfile.mkdtemp(prefix="user-editor-demo-")))
        window.server_actions.server = (demo.url, demo.token)
        window.open_file(demo.download)
        window.statusBar().showMessage(
            _(
                "Demo: a SCIM server runs at {url} with a sample organisation. Fix the red "
                "rows, then Upload."
            ).format(url=demo.url),
            15000,
        )
    else:
        from desktop_app.views.recovery import offer_recovery

        if not offer_recovery(window) and options.file:
            window.open_file(options.file, options.profile)
    window.server_actions.offer_resume()
    try:
        return app.exec()
    finally:
        if demo is not None:
            demo.stop()
