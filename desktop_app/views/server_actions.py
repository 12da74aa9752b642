"""The window's dealings with the platform: connect, download, upload, finish an upload,
and the history of a file's uploads, from which any of them can be undone.

The server and its token are kept here while the app runs (the token also in the
keyring, never in settings or files). ``shutdown`` cancels and waits for every job
that talks to the server; the window calls it when it closes.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QKeySequence

from desktop_app.i18n import _, ngettext, numeral
from desktop_app.models.document import UserDocument
from desktop_app.models.errors import UserFacingError
from desktop_app.services.upload import Unattended
from desktop_app.views import messages
from desktop_app.views.connect_dialog import ConnectDialog
from desktop_app.views.upload_dialog import JobRunner, UploadDialog
from desktop_app.views.upload_history import UploadHistoryDialog
from desktop_app.views.workers import Report

if TYPE_CHECKING:
    from desktop_app.services.journal import Journal, UploadSummary
    from desktop_app.views.main_window import MainWindow


class ServerActions(QObject):
    """File › Connect, Download Users from Server and Upload, and the resume offer."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.server: tuple[str, str] | None = None
        self.upload_dialog: UploadDialog | None = None
        self.history_dialog: UploadHistoryDialog | None = None
        # Every upload dialog opened, so closing the window can wait for their jobs.
        self._dialogs: list[UploadDialog] = []
        self._jobs = JobRunner(self)
        self.connect_action = self._action(
            _("&Connect to Server…"),
            self.choose_server,
            _("Enter your platform's SCIM address and token"),
        )
        self.download_action = self._action(
            _("&Download Users from Server…"),
            self.download_from_server,
            _("Fill the table with the users on your platform, without a file"),
        )
        self.upload_action = self._action(
            _("&Upload to Server…"),
            self.start_upload,
            _("Review your changes and send them to your platform"),
            "Ctrl+U",
        )
        self.history_action = self._action(
            _("Upload &History…"),
            self.show_history,
            _("See this file's past uploads, open their results, or undo one"),
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
        return [self.connect_action, self.download_action, self.upload_action, self.history_action]

    def shutdown(self) -> bool:
        """Cancel every job that talks to the server and wait for them to end.

        Sending stops between requests: a request under way finishes and is
        journalled, so the next start can finish the upload. False if a job did not
        end within a minute.
        """
        ended = self._jobs.shutdown()
        for dialog in self._dialogs:
            ended = dialog.shutdown() and ended
        return ended

    # --- connecting, downloading, uploading --------------------------------------------------

    def connect_dialog(self) -> ConnectDialog:
        """The Connect dialog; for a file whose platform invites new users through its own
        API (Udemy Business), it also asks for that API's organisation id and token."""
        url, token = self.server or ("", "")
        document = self.window.document
        profile = document.profile if document is not None else None
        if profile is None or not profile.invite_api:
            return ConnectDialog(self.window, url, token)
        invite_url = profile.invite_api_url or ""
        if not invite_url and profile.invite_api == "udemy":
            from desktop_app.connectors.udemy import DEFAULT_BASE_URL

            invite_url = DEFAULT_BASE_URL
        return ConnectDialog(
            self.window, url, token, invite_api=profile.invite_api, invite_url=invite_url
        )

    def choose_server(self) -> bool:
        dialog = self.connect_dialog()
        if dialog.exec() != ConnectDialog.DialogCode.Accepted:
            return False
        self.server = (dialog.url, dialog.token)
        self.window.statusBar().showMessage(_("Connected to {url}").format(url=dialog.url), 6000)
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
                    client,
                    folder,
                    lambda n, _t: report(
                        _("Reading users: {count}").format(count=numeral(n)), 0, 0
                    ),
                )

        self.window.load_with(job, _("Reading the users on the server…"))

    def start_upload(self) -> None:
        model = self.window.model
        if model is None:
            return
        if self.server is None and not self.choose_server():
            return
        assert self.server is not None
        self._open_upload_dialog(UploadDialog(model, *self.server, parent=self.window))

    def _open_upload_dialog(self, dialog: UploadDialog) -> None:
        """Show ``dialog`` and start its check, in place of the upload dialog before it.

        An upload being sent is never given up: its dialog comes to the front instead.
        """
        current = self.upload_dialog
        if current is not None and current.sending:
            dialog.deleteLater()
            current.show()
            current.raise_()
            current.activateWindow()
            self.window.statusBar().showMessage(
                _("An upload is being sent: wait for it to finish, or stop it first."), 8000
            )
            return
        if current is not None:
            current.jobs.cancel()  # the check it was running is replaced
            current.close()
        self.upload_dialog = dialog
        self._dialogs = [d for d in self._dialogs if d.jobs.busy or d is current]
        self._dialogs.append(dialog)
        dialog.finishedUpload.connect(self._uploaded)
        dialog.show()
        dialog.check()

    def _uploaded(self, _result: Any) -> None:
        if self.history_dialog is not None and self.history_dialog.isVisible():
            self.history_dialog.refresh()

    # --- the history of a file's uploads ----------------------------------------------------

    def show_history(self) -> None:
        """File › Upload History: this file's past uploads, each with its results and undo."""
        from desktop_app.services.journal import history

        document = self.window.document
        if document is None:
            messages.show_problem(
                self.window,
                _("No file is open"),
                _("Open the file you uploaded to see its upload history."),
            )
            return
        path = document.loaded.path
        if self.history_dialog is not None:
            self.history_dialog.close()
        dialog = UploadHistoryDialog(path, lambda: history(path), self.window)
        dialog.reviewUndo.connect(self.review_undo)
        self.history_dialog = dialog
        dialog.show()

    def review_undo(self, entry: UploadSummary) -> None:
        """Open the review of undoing a past upload, against the server it went to."""
        token = self._token_for(entry.server)
        if token is None:
            return
        self._open_upload_dialog(
            UploadDialog(
                self.window.model,
                entry.server,
                token,
                parent=self.window,
                undoing=entry.journal,
            )
        )

    def _token_for(self, url: str) -> str | None:
        """The token for ``url``: the connected one, else the keyring's; None (said) if none."""
        from desktop_app.connectors.credentials import load_token

        if self.server and self.server[0] == url:
            return self.server[1]
        try:
            token = load_token(url)
        except UserFacingError as error:
            messages.show_problem(self.window, _("No connection to the server"), str(error))
            return None
        if not token:
            messages.show_problem(
                self.window,
                _("No connection to the server"),
                _(
                    "No token is saved for {url}. Connect to it first (File › Connect to Server)."
                ).format(url=url),
            )
            return None
        return token

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
            question = ngettext(
                "An upload of {file} to {server} was interrupted on {started}. "
                "{count} user was not confirmed. Send it now?",
                "An upload of {file} to {server} was interrupted on {started}. "
                "{count} users were not confirmed. Send them now?",
                len(pending),
            ).format(
                file=Path(header["file"]).name,
                server=header["server"],
                started=header["started"],
                count=numeral(len(pending)),
            )
            if messages.confirm(
                self.window, _("Finish the interrupted upload?"), question, _("Send Them")
            ):
                self._resume(journal, header["server"])
            else:
                journal.finish()

    def _resume(self, journal: Journal, url: str) -> None:
        from desktop_app.connectors.credentials import load_token
        from desktop_app.connectors.scim import ScimClient
        from desktop_app.services.upload import resume

        token = self.server[1] if self.server and self.server[0] == url else None
        if token is None:
            try:
                token = load_token(url)
            except UserFacingError as error:
                self._resume_failed(str(error))
                return
        if not token:
            self._resume_failed(
                _("No token is saved for {url}. Connect to it first.").format(url=url)
            )
            return

        def job(_report: Report, stop: threading.Event) -> str:
            with ScimClient(url, token) as client:
                return resume(journal, client, _Stoppable(stop)).sentence()

        self._jobs.start(job, self._resumed, self._resume_failed)

    def _resumed(self, sentence: str) -> None:
        self.window.statusBar().showMessage(sentence, 10000)

    def _resume_failed(self, sentence: str) -> None:
        messages.show_problem(self.window, _("The upload was not finished"), sentence)


class _Stoppable(Unattended):
    """Nothing shown; stops when the window closes."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def cancelled(self) -> bool:
        return self._stop.is_set()
