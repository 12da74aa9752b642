"""The window's dealings with the platform: connect, download, upload, finish an upload.

The server and its token are kept here while the app runs (the token also in the
keyring, never in settings or files).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QKeySequence

from desktop_app.models.document import UserDocument
from desktop_app.models.errors import UserFacingError
from desktop_app.views import messages
from desktop_app.views.connect_dialog import ConnectDialog
from desktop_app.views.upload_dialog import UploadDialog
from desktop_app.views.workers import Report, Worker, start

if TYPE_CHECKING:
    from desktop_app.views.main_window import MainWindow


class ServerActions(QObject):
    """File › Connect, Download Users from Server and Upload, and the resume offer."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.server: tuple[str, str] | None = None
        self.upload_dialog: UploadDialog | None = None
        self._worker: Worker | None = None
        self.connect_action = self._action(
            "&Connect to Server…",
            self.choose_server,
            "Enter your platform's SCIM address and token",
        )
        self.download_action = self._action(
            "&Download Users from Server…",
            self.download_from_server,
            "Fill the table with the users on your platform, without a file",
        )
        self.upload_action = self._action(
            "&Upload to Server…",
            self.start_upload,
            "Review your changes and send them to your platform",
            "Ctrl+U",
        )

    def _action(self, text: str, slot: Any, tip: str, shortcut: str | None = None) -> QAction:
        action = QAction(text, self.window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def actions(self) -> list[QAction]:
        return [self.connect_action, self.download_action, self.upload_action]

    # --- connecting, downloading, uploading --------------------------------------------------

    def choose_server(self) -> bool:
        url, token = self.server or ("", "")
        dialog = ConnectDialog(self.window, url, token)
        if dialog.exec() != ConnectDialog.DialogCode.Accepted:
            return False
        self.server = (dialog.url, dialog.token)
        self.window.statusBar().showMessage(f"Connected to {dialog.url}", 6000)
        return True

    def download_from_server(self) -> None:
        """Read every user from the connected server into a new table (off the GUI thread)."""
        if not self.window.may_discard():
            return
        if self.server is None and not self.choose_server():
            return
        assert self.server is not None
        url, token = self.server
        folder = Path(str(QSettings().value("lastFolder", str(Path.home()))))

        def job(report: Report) -> UserDocument:
            from desktop_app.connectors.scim import ScimClient
            from desktop_app.services.download import download_document

            with ScimClient(url, token) as client:
                return download_document(
                    client, folder, lambda n, _t: report(f"Reading users: {n:,}", 0, 0)
                )

        self.window.load_with(job, "Reading the users on the server…")

    def start_upload(self) -> None:
        model = self.window.model
        if model is None:
            return
        if self.server is None and not self.choose_server():
            return
        assert self.server is not None
        dialog = UploadDialog(model, *self.server, parent=self.window)
        self.upload_dialog = dialog
        dialog.show()
        dialog.check()

    # --- an upload cut short -------------------------------------------------------------------

    def offer_resume(self) -> None:
        """After a crash mid-upload, offer to send the rows the server never confirmed."""
        from desktop_app.services.journal import Journal

        for journal in Journal.unfinished():
            try:
                header = journal.header
                pending = journal.pending()
            except (OSError, KeyError, IndexError, ValueError):
                continue
            if not pending:
                journal.finish()
                continue
            question = (
                f"An upload of {Path(header['file']).name} to {header['server']} was "
                f"interrupted on {header['started']}. {len(pending):,} "
                f"{'user was' if len(pending) == 1 else 'users were'} not confirmed. "
                "Send them now?"
            )
            if messages.confirm(
                self.window, "Finish the interrupted upload?", question, "Send Them"
            ):
                self._resume(journal, header["server"])
            else:
                journal.finish()

    def _resume(self, journal: Any, url: str) -> None:
        from desktop_app.connectors.credentials import load_token
        from desktop_app.connectors.scim import ScimClient
        from desktop_app.services.upload import Unattended, resume

        token = self.server[1] if self.server and self.server[0] == url else None
        if token is None:
            try:
                token = load_token(url)
            except UserFacingError as error:
                self._resume_failed(str(error))
                return
        if not token:
            self._resume_failed(f"No token is saved for {url}. Connect to it first.")
            return

        def job(_report: Report) -> str:
            with ScimClient(url, token) as client:
                return resume(journal, client, Unattended()).sentence()

        worker = Worker(job)
        # Bound methods, not lambdas: Qt then calls them on this object's (GUI) thread.
        worker.finished.connect(self._resumed)
        worker.failed.connect(self._resume_failed)
        self._worker = worker
        start(worker, self)

    def _resumed(self, sentence: str) -> None:
        self._worker = None
        self.window.statusBar().showMessage(sentence, 10000)

    def _resume_failed(self, sentence: str) -> None:
        self._worker = None
        messages.show_problem(self.window, "The upload was not finished", sentence)
