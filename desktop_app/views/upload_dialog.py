"""Upload: check the server, review every change, send with progress, say what happened.

The work runs in worker threads through desktop_app.services.upload; this dialog
only shows it. Failed rows go back to the table in red with the server's reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
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

from desktop_app.models.upload_plan import UploadPlan
from desktop_app.services.sending import Outcome
from desktop_app.views.table_model import UserTableModel
from desktop_app.views.workers import Report, Worker, start


class _State:
    """Progress and cancel for the sending functions, from a worker thread."""

    def __init__(self, report: Report, stop: threading.Event) -> None:
        self._report, self._stop = report, stop

    def progress(self, done: int, total: int) -> None:
        self._report(f"Uploading {done:,} of {total:,}", done, total)

    def cancelled(self) -> bool:
        return self._stop.is_set()

    def record(self, outcome: Outcome) -> None:
        pass


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


class UploadDialog(QDialog):
    """One upload from review to result; emits ``finished_upload`` with the result."""

    finishedUpload = Signal(object)

    def __init__(
        self,
        model: UserTableModel,
        url: str,
        token: str,
        parent: QWidget | None = None,
        rows: list[int] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Upload to your platform")
        self.resize(760, 560)
        self.model, self.url, self.token, self.rows = model, url, token, rows
        self.plan: UploadPlan | None = None
        self.result: Any = None
        self._stop = threading.Event()
        self._worker: Worker | None = None

        self.stack = QStackedWidget()
        self.busy_label = _label("Reading the users on the server…", size=2)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.stack.addWidget(_page(self.busy_label, self.busy_bar))

        self.summary = _label(size=2, bold=True)
        self.warnings = _label()
        self.warnings.setStyleSheet("color: #9b2c2c;")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["User", "Change"])
        self.tree.setColumnWidth(0, 220)
        self.tree.setAccessibleName("Changes to upload")
        self.external = QCheckBox()
        self.external.toggled.connect(self._show_review)
        self.stack.addWidget(
            _page(self.summary, self.warnings, self.tree, self.external, grow=self.tree)
        )

        self.done_label = _label(size=4, bold=True)
        self.done_details = _label()
        self.results_tree = QTreeWidget()
        self.results_tree.setHeaderLabels(["User", "What happened"])
        self.results_tree.setColumnWidth(0, 220)
        self.results_tree.setAccessibleName("What the upload did")
        self.done_page = _page(
            self.done_label, self.done_details, self.results_tree, grow=self.results_tree
        )
        self.stack.addWidget(self.done_page)

        self.upload_button = QPushButton("Upload")
        self.upload_button.setDefault(True)
        self.upload_button.clicked.connect(self.send)
        self.retry_button = QPushButton("Retry Failed Rows")
        self.retry_button.clicked.connect(self.retry)
        self.undo_button = QPushButton("Undo This Upload")
        self.undo_button.clicked.connect(self.undo)
        self.results_button = QPushButton("Open Results File")
        self.results_button.clicked.connect(self._open_results)
        self.cancel_button = QPushButton("Cancel")
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
        self._done: Callable[[Any], None] = self._review

    # --- running work ---------------------------------------------------------------------

    def _run(self, job: Callable[[Report], Any], done: Callable[[Any], None], text: str) -> None:
        self.busy_label.setText(text)
        self.busy_bar.setRange(0, 0)
        self.stack.setCurrentIndex(0)
        self._stop.clear()
        worker = Worker(job)
        self._done = done
        # Bound methods, not lambdas: Qt then calls them on the dialog's (GUI) thread.
        worker.progress.connect(self._progress)
        worker.finished.connect(self._finished)
        worker.failed.connect(self._failed)
        self._worker = worker
        start(worker, self)

    def _finished(self, result: Any) -> None:
        self._worker = None
        self._done(result)

    def _progress(self, text: str, done: int, total: int) -> None:
        self.busy_label.setText(text)
        self.busy_bar.setRange(0, total)
        self.busy_bar.setValue(done)

    def _failed(self, sentence: str) -> None:
        self._worker = None
        self.done_label.setText("Nothing was uploaded.")
        self.done_details.setText(sentence)
        self.results_tree.hide()
        self.stack.setCurrentIndex(2)
        self._buttons(upload=False, after=False)
        self.cancel_button.setText("Close")

    def _client(self) -> Any:
        from desktop_app.connectors.scim import ScimClient

        return ScimClient(self.url, self.token)

    # --- 1. check and review ------------------------------------------------------

    def check(self) -> None:
        """Read the server and show the review."""
        from desktop_app.services.upload import prepare

        document = self.model.document

        def job(report: Report) -> UploadPlan:
            with self._client() as client:
                return prepare(
                    document,
                    client,
                    self.rows,
                    lambda n, _t: report(f"Reading users on the server: {n:,}", 0, 0),
                )

        self._run(job, self._review, "Reading the users on the server…")

    def _review(self, plan: UploadPlan) -> None:
        self.plan = plan
        external = plan.external_changes()
        self.external.setVisible(bool(external))
        self.external.setText(
            f"Also send the {len(external):,} values that differ from the server in cells not "
            "changed here (the server changed since the download, or the file was edited "
            "elsewhere)."
        )
        self._show_review()
        self.stack.setCurrentIndex(1)

    def _show_review(self) -> None:
        plan = self.plan
        if plan is None:
            return
        plan.include_external = self.external.isChecked()
        self.summary.setText(plan.summary())
        warnings = plan.warnings()
        self.warnings.setText(
            "\n".join(f"• {w}" for w in warnings[:12])
            + (f"\n• …and {len(warnings) - 12:,} more" if len(warnings) > 12 else "")
        )
        self.warnings.setVisible(bool(warnings))
        self.tree.clear()
        for user in plan.to_update() + plan.to_create():
            item = QTreeWidgetItem(
                [
                    f"Row {user.excel_row}: {user.label}",
                    "New user" if user.action == "create" else "",
                ]
            )
            for change in user.chosen(plan.include_external):
                suffix = "" if change.edited_here else "  (not changed here)"
                QTreeWidgetItem(item, ["", change.describe() + suffix])
            self.tree.addTopLevelItem(item)
            item.setExpanded(self.tree.topLevelItemCount() <= 50)
        sendable = bool(plan.to_update() or plan.to_create())
        self._buttons(upload=sendable, after=False)
        self.upload_button.setText(f"Upload {len(plan.to_update()) + len(plan.to_create()):,}")

    # --- 2. send ------------------------------------------------------------------

    def send(self) -> None:
        from desktop_app.services.upload import upload

        plan = self.plan
        assert plan is not None
        self._buttons(upload=False, after=False)
        self.cancel_button.setText("Stop")

        def job(report: Report) -> Any:
            with self._client() as client:
                return upload(plan, client, _State(report, self._stop))

        self._run(job, self._sent, "Uploading…")

    def _sent(self, result: Any) -> None:
        from desktop_app.services.upload import write_results_file

        self.result = result
        try:
            self.results_file = write_results_file(result)
        except Exception as error:  # noqa: BLE001 - the upload happened; say so, then why
            self.results_file = None
            self.done_details.setText(f"The results file could not be written: {error}")
        self._show_result(result)
        refused = {u.row: m for u, m in result.failed}
        self.model.show_server_messages(refused)
        self.finishedUpload.emit(result)

    def _show_result(self, result: Any, undone: bool = False) -> None:
        sentence = result.sentence() + "."
        if undone:
            sentence = "Undone: " + sentence.replace("edited", "put back")
        elif result.cancelled:
            sentence = "The upload was stopped. " + sentence
        self.done_label.setText(sentence)
        failed = result.failed
        lines = []
        if failed:
            lines.append(
                f"{len(failed):,} {'row was' if len(failed) == 1 else 'rows were'} not "
                "uploaded; they are red in the table with the server's reason."
            )
        if result.not_sent:
            lines.append(f"{result.not_sent:,} were not sent before the upload stopped.")
        if self.results_file is not None:
            lines.append(f"The results are saved in {self.results_file.name}.")
        self.done_details.setText(" ".join(lines))
        self._fill_results(result, undone)
        self.stack.setCurrentIndex(2)
        self._buttons(upload=False, after=True)
        self.retry_button.setVisible(bool(failed) and not undone)
        self.undo_button.setVisible(result.updated > 0 and not undone)
        self.cancel_button.setText("Close")

    def _fill_results(self, result: Any, undone: bool) -> None:
        """Each user the upload touched, with its before → after list, or why it failed."""
        tree = self.results_tree
        tree.clear()
        plan = result.plan
        refused = {u.row: m for u, m in result.failed}
        for user in plan.to_update() + plan.to_create():
            outcome = result.outcomes.get(user.row)
            if user.row in refused:
                what = f"Not uploaded: {refused[user.row]}"
            elif outcome is None:
                what = "Not sent"
            elif user.action == "create":
                what = "Added"
            else:
                what = "Put back" if undone else "Edited"
            item = QTreeWidgetItem([f"Row {user.excel_row}: {user.label}", what])
            if outcome is not None and outcome.ok:
                for change in user.chosen(plan.include_external):
                    shown = change.reversed() if undone else change
                    QTreeWidgetItem(item, ["", shown.describe()])
            tree.addTopLevelItem(item)
            item.setExpanded(tree.topLevelItemCount() <= 50)
        tree.setVisible(tree.topLevelItemCount() > 0)

    # --- 3. afterwards ------------------------------------------------------------

    def retry(self) -> None:
        """Check again and send only the rows that failed (after any fixes in the table)."""
        if self.result is None:
            return
        self.rows = sorted(u.row for u, _m in self.result.failed)
        self.check()

    def undo(self) -> None:
        from desktop_app.services.upload import undo

        result = self.result
        assert result is not None

        def job(report: Report) -> Any:
            with self._client() as client:
                return undo(result, client, _State(report, self._stop))

        self._run(
            job,
            lambda undone: self._show_result(undone, undone=True),
            "Putting back the values from before the upload…",
        )

    def _open_results(self) -> None:
        if self.results_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.results_file)))

    def _cancel(self) -> None:
        if self._worker is not None:
            self._stop.set()
            self.busy_label.setText("Stopping after the requests under way…")
            return
        self.reject()

    def reject(self) -> None:
        """Closing while work is under way stops it first; the dialog closes when it has."""
        if self._worker is not None:
            self._cancel()
            return
        super().reject()

    def _buttons(self, upload: bool, after: bool) -> None:
        self.upload_button.setVisible(upload)
        for button in (self.retry_button, self.undo_button, self.results_button):
            button.setVisible(after)
