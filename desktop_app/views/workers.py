"""Long work off the GUI thread: a plain function run by a QObject moved to a QThread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from desktop_app.models.document import UserDocument, open_document
from desktop_app.models.errors import UserFacingError

log = logging.getLogger(__name__)

Report = Callable[[str, int, int], None]


def open_with_progress(path: str, profile: str | None, report: Report) -> UserDocument:
    """Read and validate a download, telling ``report`` how far it got."""
    report("Reading the file…", 0, 0)
    return open_document(
        path, profile, progress=lambda done, total: report("Checking every row…", done, total)
    )


class Worker(QObject):
    """Runs ``job(report)`` once; always ends with ``finished`` or ``failed``."""

    progress = Signal(str, int, int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, job: Callable[[Report], Any]) -> None:
        super().__init__()
        self._job = job
        self._last: tuple[str, int, int] | None = None

    def _report(self, text: str, done: int, total: int) -> None:
        if (text, done, total) != self._last:  # throttle: only what changes
            self._last = (text, done, total)
            self.progress.emit(text, done, total)

    @Slot()
    def run(self) -> None:
        result: Any = None
        error: str | None = None
        try:
            result = self._job(self._report)
        except UserFacingError as problem:
            error = str(problem)
        except KeyError as problem:
            error = str(problem.args[0])
        except Exception:
            log.exception("Unexpected error in background work")
            error = "Something unexpected went wrong; the details are in the log file."
        finally:
            if error is None:
                self.finished.emit(result)
            else:
                self.failed.emit(error)


def start(worker: Worker, parent: QObject) -> QThread:
    """Run ``worker`` in a new thread that ends and cleans up after it."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.failed.connect(thread.quit)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread
