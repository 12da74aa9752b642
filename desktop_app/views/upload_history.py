"""File › Upload History: every upload (and undo) of the open file, newest first.

From here any past upload's results file opens, and any past upload can be undone:
the undo is reviewed first, in the upload dialog, and nothing is sent before the
admin agrees.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.i18n import _
from desktop_app.models.upload_plan import PlanKind
from desktop_app.services.journal import KEEP_DAYS, UploadSummary

_ENTRY = Qt.ItemDataRole.UserRole


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


class UploadHistoryDialog(QDialog):
    """The uploads of one file: when, to which server, what happened, the results file."""

    #: The admin asked to review undoing this upload (an UploadSummary).
    reviewUndo = Signal(object)

    def __init__(
        self,
        data_file: Path,
        load: Callable[[], list[UploadSummary]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Upload History of {name}").format(name=data_file.name))
        self.resize(940, 420)
        self._load = load
        self.entries: list[UploadSummary] = []

        intro = QLabel(
            _(
                "Every upload of {name} from this computer in the last {days} days. "
                "Choose one to open its results file, or to review putting its users back "
                "as they were before it."
            ).format(name=data_file.name, days=KEEP_DAYS)
        )
        intro.setWordWrap(True)
        self.empty = QLabel(_("This file has not been uploaded from this computer yet."))
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setHeaderLabels(
            [_("When"), _("What"), _("Server"), _("Result"), _("Results file")]
        )
        for column, width in enumerate((130, 170, 120, 110)):
            self.tree.setColumnWidth(column, width)
        self.tree.setAccessibleName(_("Past uploads"))
        self.tree.currentItemChanged.connect(lambda *_args: self._update_buttons())
        self.tree.itemDoubleClicked.connect(lambda *_args: self.open_results())

        self.results_button = QPushButton(_("Open Results File"))
        self.results_button.clicked.connect(self.open_results)
        self.undo_button = QPushButton(_("Review Undo…"))
        self.undo_button.setToolTip(
            _(
                "See, user by user, what would be put back as it was before this upload; "
                "nothing is sent until you agree"
            )
        )
        self.undo_button.clicked.connect(self._review_undo)
        close = QPushButton(_("Close"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.results_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        """Read the history again (after an upload or an undo)."""
        self.entries = self._load()
        undone_by = {e.undoes: e for e in self.entries if e.undoes}
        by_journal = {e.journal.name: e for e in self.entries}
        self.tree.clear()
        for entry in self.entries:
            if entry.kind == PlanKind.UNDO:
                undone = by_journal.get(entry.undoes or "")
                what = (
                    _("Undo of the upload of {when}").format(when=undone.when())
                    if undone
                    else _("Undo")
                )
            else:
                what = _("Upload")
                later = undone_by.get(entry.journal.name)
                if later is not None:
                    what += _(" (undone on {when})").format(when=later.when())
            item = QTreeWidgetItem(
                [
                    entry.when(),
                    what,
                    _host(entry.server),
                    entry.outcome(),
                    entry.results.name if entry.results else "",
                ]
            )
            item.setToolTip(2, entry.server)
            if entry.results:
                item.setToolTip(4, str(entry.results))
            item.setData(0, _ENTRY, entry.journal.name)
            self.tree.addTopLevelItem(item)
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)
        self.tree.setVisible(bool(self.entries))
        self.empty.setVisible(not self.entries)
        self._update_buttons()

    def selected(self) -> UploadSummary | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        name = item.data(0, _ENTRY)
        return next((e for e in self.entries if e.journal.name == name), None)

    def _update_buttons(self) -> None:
        entry = self.selected()
        self.results_button.setEnabled(
            entry is not None and entry.results is not None and entry.results.exists()
        )
        self.undo_button.setEnabled(
            entry is not None
            and entry.kind == PlanKind.UPLOAD
            and entry.finished
            and entry.counts.get("updated", 0) > 0
        )

    def open_results(self) -> None:
        entry = self.selected()
        if entry is not None and entry.results is not None and entry.results.exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(entry.results)))

    def _review_undo(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.reviewUndo.emit(entry)
