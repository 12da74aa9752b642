"""Long work off the GUI thread: a plain function run by a QObject moved to a QThread."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from desktop_app.i18n import _
from desktop_app.models.document import UserDocument, open_document
from desktop_app.models.errors import UserFacingError

log = logging.getLogger(__name__)

Report = Callable[[str, int, int], None]


class Cancelled(Exception):
    """Raised inside a job, at its next progress report, once the job was cancelled."""


def open_with_progress(path: str, profile: str | None, report: Report) -> UserDocument:
    """Read and validate a download, telling ``report`` how far it got."""
    report(_("Reading the file…"), 0, 0)
    return set_aside(
        lambda: open_document(
            path,
            profile,
            progress=lambda done, total: report(_("Checking every row…"), done, total),
        )
    )


def set_aside(make: Callable[[], UserDocument]) -> UserDocument:
    """``make()`` with the cycle collector paused, its objects then set aside unwalked.

    A file's cells are millions of objects made while the collector is paused: switched
    back on, its first pass would walk all of them at once, holding the interpreter (and
    so the window) for a second at a million rows. Frozen first, the collector skips them;
    the window unfreezes them when it lets go of the document.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        document = make()
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()
    return document


class Worker(QObject):
    """Runs ``job(report)`` once; always ends with ``finished``, ``failed`` or ``cancelled``.

    ``cancel()`` is a flag: the job stops at its next progress report, never in the
    middle of a write.
    """

    progress = Signal(str, int, int)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, job: Callable[[Report], Any]) -> None:
        super().__init__()
        self._job = job
        self._last: tuple[str, int, int] | None = None
        self._cancelled = False
        self.thread_: QThread | None = None

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def is_cancelled(self) -> bool:
        return self._cancelled

    def _report(self, text: str, done: int, total: int) -> None:
        if self._cancelled:
            raise Cancelled
        if (text, done, total) != self._last:  # throttle: only what changes
            self._last = (text, done, total)
            self.progress.emit(text, done, total)

    @Slot()
    def run(self) -> None:
        result: Any = None
        error: str | None = None
        stopped = False
        try:
            result = self._job(self._report)
        except Cancelled:
            stopped = True
        except UserFacingError as problem:
            error = str(problem)
        except Exception:
            log.exception("Unexpected error in background work")
            error = _("Something unexpected went wrong; the details are in the log file.")
        finally:
            if stopped or self._cancelled:
                self.cancelled.emit()
            elif error is None:
                self.finished.emit(result)
            else:
                self.failed.emit(error)

    def wait(self, msecs: int = -1) -> bool:
        """Block until the job's thread has ended (for closing the window)."""
        thread = self.thread_
        if thread is None:
            return True
        try:
            return thread.wait() if msecs < 0 else thread.wait(msecs)
        except RuntimeError:  # the thread object is already gone: it ended
            return True


class _Reaper(QObject):
    """Holds each job until its thread has ended, then lets it go on the GUI thread.

    A worker is a Python object: if its last reference went away on its own thread, or
    Qt deleted it there while the GUI thread dropped it too, the process could crash.
    So nothing deletes a worker but Python, on the GUI thread, after its thread ended.
    """

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[tuple[QThread, Worker]] = []

    @Slot()
    def reap(self) -> None:
        still_running = []
        for thread, worker in self.jobs:
            if thread.isFinished():
                thread.wait()
                thread.deleteLater()
            else:
                still_running.append((thread, worker))
        self.jobs = still_running


_reaper: _Reaper | None = None


def start(worker: Worker, parent: QObject) -> QThread:
    """Run ``worker`` in a new thread that ends and cleans up after it."""
    global _reaper
    if _reaper is None:
        _reaper = _Reaper()  # made on the GUI thread, where start() is called
    thread = QThread(parent)
    worker.thread_ = thread
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: the thread's loop must end even while the GUI thread waits for it (closing).
    direct = Qt.ConnectionType.DirectConnection
    worker.finished.connect(thread.quit, direct)
    worker.failed.connect(thread.quit, direct)
    worker.cancelled.connect(thread.quit, direct)
    thread.finished.connect(_reaper.reap)  # queued to the GUI thread
    _reaper.jobs.append((thread, worker))
    thread.start()
    return thread
