"""Upload: check the server, review every change, send with progress, say what happened.

The work runs in worker threads through desktop_app.services.upload; this dialog
only shows it. A job is given a snapshot of the table, never the document: what it
learns (the server's group names) is applied here, on the GUI thread, through the
model. When the admin edits the table while a check runs or while the review is
open, the review is made again from the table as it is, before anything is sent.
Failed rows go back to the table in red with the server's reason.

The same dialog reviews and sends an undo: per user, what will be put back.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Qt, QThread, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.i18n import _, moment, ngettext, numeral
from desktop_app.models.errors import UserFacingError
from desktop_app.models.upload_plan import PlanKind, UploadPlan, UploadSnapshot
from desktop_app.services.sending import Outcome
from desktop_app.views import messages, theme
from desktop_app.views.table_model import UserTableModel

if TYPE_CHECKING:
    from desktop_app.connectors.scim import ScimClient
    from desktop_app.connectors.udemy import UdemyInviteClient
    from desktop_app.services.journal import Journal
    from desktop_app.services.upload import UploadResult

log = logging.getLogger(__name__)

Report = Callable[[str, int, int], None]
#: A job: runs off the GUI thread with a progress callback and its own stop flag.
Work = Callable[[Report, threading.Event], Any]


class Cancelled(Exception):
    """Raised at a job's next progress report once it was cancelled."""


class _Job(QObject):
    """One piece of work in its own QThread; always ends with ``ended``."""

    progress = Signal(int, str, int, int)
    ended = Signal(int, object, str)  # job number, result, sentence ('' when it went well)

    def __init__(self, number: int, work: Work) -> None:
        super().__init__()
        self.number, self._work = number, work
        self.stop = threading.Event()
        self._last: tuple[str, int, int] | None = None

    def _report(self, text: str, done: int, total: int) -> None:
        if (text, done, total) != self._last:  # throttle: only what changes
            self._last = (text, done, total)
            self.progress.emit(self.number, text, done, total)

    @Slot()
    def run(self) -> None:
        result: Any = None
        error = ""
        try:
            result = self._work(self._report, self.stop)
        except Cancelled:
            error = _("Stopped.")
        except UserFacingError as problem:
            error = str(problem)
        except Exception:
            log.exception("Unexpected error in background work")
            error = _("Something unexpected went wrong; the details are in the log file.")
        finally:
            self.ended.emit(self.number, result, error)


class JobRunner(QObject):
    """Background jobs of one window part: starting one cancels the one it replaces.

    Only the current job's results are delivered, on the GUI thread. ``shutdown``
    cancels every job and waits for its thread (closing the window calls it).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._numbers = itertools.count(1)
        self._running: dict[int, tuple[_Job, QThread]] = {}
        self._ended_jobs: list[tuple[_Job, QThread]] = []
        self._current: int | None = None
        self._handlers: (
            tuple[
                Callable[[Any], None], Callable[[str], None], Callable[[str, int, int], None] | None
            ]
            | None
        ) = None

    @property
    def busy(self) -> bool:
        return self._current is not None

    def start(
        self,
        work: Work,
        done: Callable[[Any], None],
        failed: Callable[[str], None],
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.cancel()
        self._ended_jobs.clear()
        number = next(self._numbers)
        job = _Job(number, work)
        thread = QThread(self)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        # Ended from the job's own thread: the thread stops even while the GUI thread waits.
        job.ended.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # Bound methods of this GUI-thread object: Qt queues these to the GUI thread.
        job.ended.connect(self._ended)
        job.progress.connect(self._progress)
        self._running[number] = (job, thread)
        self._current = number
        self._handlers = (done, failed, progress)
        thread.start()

    def stop(self) -> None:
        """Ask the current job to stop at its next chance; its result still comes."""
        if self._current is not None:
            self._running[self._current][0].stop.set()

    def cancel(self) -> None:
        """Stop the current job and forget it: its result is never delivered."""
        self.stop()
        self._current = None
        self._handlers = None

    def shutdown(self, msecs: int = 60000) -> bool:
        """Cancel every job and wait for their threads; False if one is still running."""
        self.cancel()
        for job, _thread in self._running.values():
            job.stop.set()
        ended = True
        for number, (_job, thread) in list(self._running.items()):
            if thread.wait(msecs):
                self._running.pop(number, None)
            else:
                ended = False
                log.warning("A server job did not stop within %d ms", msecs)
        return ended

    def _progress(self, number: int, text: str, done: int, total: int) -> None:
        if number == self._current and self._handlers and self._handlers[2]:
            self._handlers[2](text, done, total)

    def _ended(self, number: int, result: Any, error: str) -> None:
        entry = self._running.pop(number, None)
        if entry is not None:
            entry[1].wait()  # it has quit already; this only lets it finish returning
            # Kept until the next job starts: never freed inside a slot of its own signal.
            self._ended_jobs.append(entry)
        if number != self._current or self._handlers is None:
            return
        done, failed, _progress = self._handlers
        self._current, self._handlers = None, None
        if error:
            failed(error)
        else:
            done(result)


class _State:
    """Progress and cancel for the sending functions, from a worker thread."""

    def __init__(self, report: Report, stop: threading.Event) -> None:
        self._report, self._stop = report, stop

    def progress(self, done: int, total: int) -> None:
        self._report(
            _("Sending {done} of {total}").format(done=numeral(done), total=numeral(total)),
            done,
            total,
        )

    def cancelled(self) -> bool:
        return self._stop.is_set()

    def record(self, outcome: Outcome) -> None:
        pass


def _reading(report: Report, stop: threading.Event) -> Callable[[int, int], None]:
    """Progress for reading the server; a cancelled check stops at the next page."""

    def progress(count: int, _total: int) -> None:
        if stop.is_set():
            raise Cancelled
        report(_("Reading users on the server: {count}").format(count=numeral(count)), 0, 0)

    return progress


def _page(*widgets: QWidget, grow: QWidget | None = None) -> QWidget:
    """A page of the dialog: widgets from the top; ``grow`` takes the spare room."""
    page = QWidget()
    layout = QVBoxLayout(page)
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is grow else 0)
    if grow is None:
        layout.addStretch(1)
    return page


def _label(text: str = "", size: int = 0, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if size or bold:
        font = QFont(label.font())
        if size:
            font.setPointSize(font.pointSize() + size)
        font.setBold(bold)
        label.setFont(font)
    return label


def when(started: str | None) -> str:
    """'3 Dec 2026, 14:05' from a journal's '2026-12-03 14:05:09'."""
    from datetime import datetime

    if not started:
        return _("an earlier date")
    return moment(datetime.strptime(started, "%Y-%m-%d %H:%M:%S"))


def _not_uploaded(plan: UploadPlan) -> str:
    """'Not uploaded: Role (Udemy's SCIM API cannot change roles).' for the review."""
    columns = plan.columns_not_uploaded()
    if not columns:
        return ""
    listed = "; ".join(f"{header} ({why})" for header, why in columns)
    return _("Not uploaded: {columns}.").format(columns=listed)


class UploadDialog(QDialog):
    """One upload (or one undo) from review to result; emits ``finishedUpload``."""

    finishedUpload = Signal(object)

    def __init__(
        self,
        model: UserTableModel | None,
        url: str,
        token: str,
        parent: QWidget | None = None,
        rows: list[int] | None = None,
        undoing: Journal | None = None,
    ) -> None:
        super().__init__(parent)
        self.resize(760, 560)
        self.model, self.url, self.token, self.rows = model, url, token, rows
        self.undoing = undoing
        self.plan: UploadPlan | None = None
        self.last_result: UploadResult | None = None
        self.note = ""
        self.jobs = JobRunner(self)
        self._sending = False

        self.stack = QStackedWidget()
        self.busy_label = _label(_("Reading the users on the server…"), size=2)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.stack.addWidget(_page(self.busy_label, self.busy_bar))

        self.title = _label(size=1)
        self.summary = _label(size=2, bold=True)
        self.note_label = _label()
        theme.note(self.note_label)
        self.warnings = _label()
        theme.problem(self.warnings)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([_("User"), _("Change")])
        self.tree.setColumnWidth(0, 220)
        self.tree.setAccessibleName(_("Changes to upload"))
        self.external = QCheckBox()
        self.external.toggled.connect(self._show_review)
        self.stack.addWidget(
            _page(
                self.title,
                self.summary,
                self.note_label,
                self.warnings,
                self.tree,
                self.external,
                grow=self.tree,
            )
        )

        self.done_label = _label(size=4, bold=True)
        self.done_details = _label()
        self.results_tree = QTreeWidget()
        self.results_tree.setHeaderLabels([_("User"), _("What happened")])
        self.results_tree.setColumnWidth(0, 220)
        self.results_tree.setAccessibleName(_("What the upload did"))
        self.done_page = _page(
            self.done_label, self.done_details, self.results_tree, grow=self.results_tree
        )
        self.stack.addWidget(self.done_page)

        self.upload_button = QPushButton(_("Upload"))
        self.upload_button.setDefault(True)
        self.upload_button.clicked.connect(self.send)
        self.retry_button = QPushButton(_("Retry Failed Rows"))
        self.retry_button.clicked.connect(self.retry)
        self.undo_button = QPushButton(_("Undo This Upload…"))
        self.undo_button.setToolTip(
            _("Review what would be put back as it was before this upload, then decide")
        )
        self.undo_button.clicked.connect(self.undo)
        self.results_button = QPushButton(_("Open Results File"))
        self.results_button.clicked.connect(self._open_results)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self._cancel)
        buttons = QHBoxLayout()
        for button in (self.results_button, self.undo_button, self.retry_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.upload_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        layout.addLayout(buttons)
        self._buttons(upload=False, after=False)
        self.results_file: Path | None = None
        self._set_title()

    def _set_title(self) -> None:
        if self.undoing is None:
            self.setWindowTitle(_("Upload to your platform"))
            self.tree.setHeaderLabels([_("User"), _("Change")])
            return
        self.setWindowTitle(_("Undo an upload"))
        self.tree.setHeaderLabels([_("User"), _("Now on the server → will be put back")])

    # --- running work ---------------------------------------------------------------------

    def _run(self, work: Work, done: Callable[[Any], None], text: str) -> None:
        """Run ``work`` off the GUI thread; starting it cancels the job it replaces."""
        self.busy_label.setText(text)
        self.busy_bar.setRange(0, 0)
        self.stack.setCurrentIndex(0)
        self._buttons(upload=False, after=False)
        self.cancel_button.setText(_("Cancel"))
        self.jobs.start(work, done, self._failed, self._progress)

    @property
    def busy(self) -> bool:
        return self.jobs.busy

    @property
    def sending(self) -> bool:
        return self._sending and self.jobs.busy

    def shutdown(self) -> bool:
        """Cancel the dialog's work and wait for it to end (the window is closing)."""
        return self.jobs.shutdown()

    def _progress(self, text: str, done: int, total: int) -> None:
        self.busy_label.setText(text)
        self.busy_bar.setRange(0, total)
        self.busy_bar.setValue(done)

    def _failed(self, sentence: str) -> None:
        self._sending = False
        nothing = _("Nothing was put back.") if self.undoing else _("Nothing was uploaded.")
        self.done_label.setText(nothing)
        self.done_details.setText(sentence)
        self.results_tree.hide()
        self.stack.setCurrentIndex(2)
        self._buttons(upload=False, after=False)
        self.cancel_button.setText(_("Close"))

    @staticmethod
    def _inviter(plan: UploadPlan) -> UdemyInviteClient | None:
        """The invite API's client for a profile that adds new users through it, from the
        organisation id in the settings and its token in the keyring; None when either is
        missing (the new rows then say how to connect it)."""
        from desktop_app.connectors.credentials import load_invite_token
        from desktop_app.services.upload import invite_client

        profile = plan.source.profile
        if not profile.invite_api or not plan.to_create():
            return None
        org = str(QSettings().value(f"{profile.invite_api}Organisation", "") or "")
        token = load_invite_token(profile.invite_api, org) if org else None
        return invite_client(profile, org, token) if token else None

    def _client(self) -> ScimClient:
        from desktop_app.connectors.scim import ScimClient

        return ScimClient(self.url, self.token)

    # --- 1. check and review ------------------------------------------------------

    def check(self) -> None:
        """Read the server and show the review (of the upload, or of the undo)."""
        from desktop_app.services.upload import plan_undo, prepare, read_server

        journal = self.undoing
        if journal is not None:

            def undo_work(report: Report, stop: threading.Event) -> UploadPlan:
                with self._client() as client:
                    return plan_undo(journal, read_server(client, _reading(report, stop)))

            self._run(undo_work, self._review, _("Reading the users on the server…"))
            return
        assert self.model is not None
        snapshot = UploadSnapshot.of(self.model.document)
        rows = self.rows

        def work(report: Report, stop: threading.Event) -> UploadPlan:
            with self._client() as client:
                return prepare(snapshot, client, rows, _reading(report, stop))

        self._run(work, self._checked, _("Reading the users on the server…"))

    def _checked(self, plan: UploadPlan) -> None:
        """On the GUI thread: apply what the server told, and review the table as it is."""
        from desktop_app.services.upload import groups_to_allow

        assert self.model is not None
        document = self.model.document
        learnt = groups_to_allow(plan.group_ids, document)
        for col, names in learnt.items():
            document.use_allowed_values(col, names)
        if learnt:
            self._refresh_table()
        if plan.source.is_current(document):
            self._review(plan)
            return
        now = UploadSnapshot.of(document)
        if now.columns != plan.source.columns:
            self.note = _(
                "You changed the table while it was being checked. This review shows "
                "the table as it is now."
            )
        self._replan(plan, now)

    def _replan(self, plan: UploadPlan, snapshot: UploadSnapshot) -> None:
        """Make the review again from a newer snapshot, with what was read from the server."""
        from desktop_app.services.upload import plan_against

        server, rows = plan.server, self.rows
        assert server is not None
        self._run(
            lambda _report, _stop: plan_against(snapshot, server, rows),
            self._checked,
            _("Checking the table as it is now…"),
        )

    def _refresh_table(self) -> None:
        """Repaint every cell and recount: problems changed under the view."""
        model = self.model
        assert model is not None
        rows, cols = model.rowCount(), model.columnCount()
        if rows and cols:
            model.dataChanged.emit(model.index(0, 0), model.index(rows - 1, cols - 1))
        model.contentChanged.emit()

    def _review(self, plan: UploadPlan) -> None:
        self.plan = plan
        external = plan.external_changes()
        self.external.setVisible(bool(external) and plan.kind == PlanKind.UPLOAD)
        self.external.setText(
            _(
                "Also send the {count} values that differ from the server in cells not "
                "changed here (the server changed since the download, or the file was edited "
                "elsewhere)."
            ).format(count=numeral(len(external)))
        )
        if plan.kind == PlanKind.UNDO:
            self.title.setText(
                _("Undo the upload of {when}").format(when=when(plan.undoes_started))
            )
            self.note = _(
                "Each user below gets back the value it had before that upload. Users "
                "someone changed on the server since are left as they are, and users the "
                "upload added are not removed. Nothing is sent until you press Put Back."
            )
        self.title.setVisible(plan.kind == PlanKind.UNDO)
        self._show_review()
        self.stack.setCurrentIndex(1)

    def _show_review(self) -> None:
        plan = self.plan
        if plan is None:
            return
        undoing = plan.kind == PlanKind.UNDO
        if not undoing:
            plan.include_external = self.external.isChecked()
        self.summary.setText(plan.summary())
        note = self.note if undoing else " ".join(filter(None, [self.note, _not_uploaded(plan)]))
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        warnings = plan.warnings()
        self.warnings.setText(
            "\n".join(f"• {w}" for w in warnings[:12])
            + (
                "\n• " + _("…and {count} more").format(count=numeral(len(warnings) - 12))
                if len(warnings) > 12
                else ""
            )
        )
        self.warnings.setVisible(bool(warnings))
        self.tree.clear()
        for user in plan.to_update() + plan.to_create():
            item = QTreeWidgetItem(
                [
                    _("Row {row}: {label}").format(row=user.excel_row, label=user.label),
                    _("New user") if user.action == "create" else "",
                ]
            )
            for change in user.chosen(plan.include_external):
                suffix = "" if change.edited_here else _("  (not changed here)")
                QTreeWidgetItem(item, ["", change.describe() + suffix])
            self.tree.addTopLevelItem(item)
            item.setExpanded(self.tree.topLevelItemCount() <= 50)
        if not undoing:
            matches = plan.matches_existing()
            if matches:
                group = QTreeWidgetItem(
                    [
                        ngettext(
                            "Probably already on the server: {count} new row not added",
                            "Probably already on the server: {count} new rows not added",
                            len(matches),
                        ).format(count=numeral(len(matches))),
                        "",
                    ]
                )
                for user in matches:
                    child = QTreeWidgetItem(
                        group,
                        [
                            _("Row {row}: {label}").format(row=user.excel_row, label=user.label),
                            user.message or "",
                        ],
                    )
                    child.setToolTip(1, user.message or "")
                self.tree.addTopLevelItem(group)
                group.setExpanded(True)
        if undoing:
            for user in plan.not_sendable():
                item = QTreeWidgetItem(
                    [
                        _("Row {row}: {label}").format(row=user.excel_row, label=user.label),
                        _("Left as it is: {message}").format(message=user.message),
                    ]
                )
                item.setToolTip(1, user.message or "")
                self.tree.addTopLevelItem(item)
        count = len(plan.to_update()) + len(plan.to_create())
        self._buttons(upload=bool(count), after=False)
        self.upload_button.setText(
            _("Put Back {count}…").format(count=numeral(count))
            if undoing
            else _("Upload {count}").format(count=numeral(count))
        )
        self.cancel_button.setText(_("Cancel"))

    # --- 2. send ------------------------------------------------------------------

    def send(self) -> None:
        """Send the reviewed plan; never values the table no longer holds."""
        from desktop_app.services.upload import upload

        plan = self.plan
        assert plan is not None
        if plan.kind == PlanKind.UPLOAD:
            assert self.model is not None
            if not plan.source.is_current(self.model.document):
                self.note = _(
                    "You changed the table after the check. This review now shows the table "
                    "as it is; nothing was sent yet."
                )
                self._replan(plan, UploadSnapshot.of(self.model.document))
                return
        else:
            count = len(plan.to_update())
            question = ngettext(
                "{count} user will be put back as it was before the upload of {when}. "
                "Users changed on the server since are left as they are.",
                "{count} users will be put back as they were before the upload of {when}. "
                "Users changed on the server since are left as they are.",
                count,
            ).format(count=numeral(count), when=when(plan.undoes_started))
            if not messages.confirm(
                self, _("Put back the values from before the upload?"), question, _("Put Back")
            ):
                return
        self.note = ""

        def work(report: Report, stop: threading.Event) -> UploadResult:
            inviter = self._inviter(plan)
            try:
                with self._client() as client:
                    return upload(plan, client, _State(report, stop), inviter=inviter)
            finally:
                if inviter is not None:
                    inviter.close()

        undoing = plan.kind == PlanKind.UNDO
        self._run(work, self._sent, _("Putting back…") if undoing else _("Uploading…"))
        self._sending = True
        self.cancel_button.setText(_("Stop"))

    def _sent(self, result: UploadResult) -> None:
        from desktop_app.services.upload import write_results_file

        self._sending = False
        self.last_result = result
        problem = ""
        try:
            self.results_file = write_results_file(result)
        except Exception as error:  # noqa: BLE001 - the upload happened; say so, then why
            self.results_file = None
            problem = _("The results file could not be written: {error}").format(error=error)
        self._show_result(result)
        if problem:
            self.done_details.setText(f"{self.done_details.text()} {problem}".strip())
        if result.plan.kind == PlanKind.UPLOAD and self.model is not None:
            refused = {u.row: m for u, m in result.failed}
            self.model.show_server_messages(refused, result.refused_cells())
            if not result.plan.source.is_current(self.model.document):
                self.done_details.setText(
                    _(
                        "{text} Changes you made in the table while the "
                        "upload ran were not sent: upload again to send them."
                    ).format(text=self.done_details.text())
                )
            self._write_created_keys(result)
        self.finishedUpload.emit(result)

    def _write_created_keys(self, result: UploadResult) -> None:
        """Each added user's new key goes into its row's blank key cell, so that Save keeps
        it and uploading the file again finds the user instead of adding it twice."""
        model = self.model
        assert model is not None
        touched: set[int] = set()
        for row, key in result.created_keys().items():
            touched |= model.document.set_created_key(row, key)
        if touched:
            last = model.columnCount() - 1
            model.dataChanged.emit(model.index(min(touched), 0), model.index(max(touched), last))
            model.contentChanged.emit()

    def _show_result(self, result: UploadResult) -> None:
        undone = result.plan.kind == PlanKind.UNDO
        sentence = result.sentence() + "."
        if undone:
            sentence = _("Undone: {result}").format(result=sentence)
        elif result.cancelled:
            sentence = _("The upload was stopped. {result}").format(result=sentence)
        self.done_label.setText(sentence)
        failed = result.failed
        lines = []
        if failed and undone:
            lines.append(
                ngettext(
                    "{count} user was not put back; the list below says why.",
                    "{count} users were not put back; the list below says why.",
                    len(failed),
                ).format(count=numeral(len(failed)))
            )
        elif failed:
            lines.append(
                ngettext(
                    "{count} row was not uploaded; it is red in the table with the server's "
                    "reason.",
                    "{count} rows were not uploaded; they are red in the table with the "
                    "server's reason.",
                    len(failed),
                ).format(count=numeral(len(failed)))
            )
        if result.not_sent:
            lines.append(
                ngettext(
                    "{count} was not sent before the upload stopped.",
                    "{count} were not sent before the upload stopped.",
                    result.not_sent,
                ).format(count=numeral(result.not_sent))
            )
        if self.results_file is not None:
            lines.append(_("The results are saved in {name}.").format(name=self.results_file.name))
        self.done_details.setText(" ".join(lines))
        self._fill_results(result)
        self.stack.setCurrentIndex(2)
        self._buttons(upload=False, after=True)
        self.retry_button.setVisible(bool(failed) and not undone)
        self.undo_button.setVisible(
            result.updated > 0 and not undone and result.journal is not None
        )
        self.results_button.setVisible(self.results_file is not None)
        self.cancel_button.setText(_("Close"))

    def _fill_results(self, result: UploadResult) -> None:
        """Each user the upload touched, with its before → after list, or why it failed."""
        tree = self.results_tree
        tree.clear()
        plan = result.plan
        undone = plan.kind == PlanKind.UNDO
        refused = {u.row: m for u, m in result.failed}
        for user in plan.to_update() + plan.to_create() + plan.not_sendable():
            outcome = result.outcomes.get(user.row)
            if user.row in refused and outcome is not None and outcome.ok:
                what = (
                    _("Added in part: {reason}")
                    if user.action == "create"
                    else _("Edited in part: {reason}")
                ).format(reason=refused[user.row])
            elif user.row in refused:
                what = (
                    _("Not put back: {reason}") if undone else _("Not uploaded: {reason}")
                ).format(reason=refused[user.row])
            elif outcome is None:
                what = _("Not sent")
            elif user.action == "create":
                what = _("Added")
            else:
                what = _("Put back") if undone else _("Edited")
            item = QTreeWidgetItem(
                [_("Row {row}: {label}").format(row=user.excel_row, label=user.label), what]
            )
            item.setToolTip(1, what)
            if outcome is not None and outcome.ok:
                for change in user.chosen(plan.include_external):
                    QTreeWidgetItem(item, ["", change.describe()])
            tree.addTopLevelItem(item)
            item.setExpanded(tree.topLevelItemCount() <= 50)
        tree.setVisible(tree.topLevelItemCount() > 0)

    # --- 3. afterwards ------------------------------------------------------------

    def retry(self) -> None:
        """Check again and send only the rows that failed (after any fixes in the table)."""
        if self.last_result is None:
            return
        self.rows = self.last_result.retryable_rows()
        self.check()

    def undo(self) -> None:
        """Review putting back what this upload changed; nothing is sent before the admin agrees."""
        result = self.last_result
        if result is None or result.journal is None:
            return
        self.review_undo(result.journal)

    def review_undo(self, journal: Journal) -> None:
        """Turn this dialog to the undo of ``journal``'s upload, starting with its review."""
        self.undoing = journal
        self.plan, self.last_result, self.results_file, self.note = None, None, None, ""
        self._set_title()
        self.check()

    def _open_results(self) -> None:
        if self.results_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.results_file)))

    def _cancel(self) -> None:
        if self.sending:
            self.jobs.stop()
            self.busy_label.setText(_("Stopping after the requests under way…"))
            return
        self.jobs.cancel()
        self.reject()

    def reject(self) -> None:
        """Closing while sending stops it first; the dialog closes when it has.

        A check under way is simply cancelled.
        """
        if self.sending:
            self._cancel()
            return
        self.jobs.cancel()
        super().reject()

    def _buttons(self, upload: bool, after: bool) -> None:
        self.upload_button.setVisible(upload)
        for button in (self.retry_button, self.undo_button, self.results_button):
            button.setVisible(after)
