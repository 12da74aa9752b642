"""Find & Replace: finds in every column, replaces only where editing is allowed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.i18n import _, ngettext, numeral
from desktop_app.models.replace import find_cells, replacements
from desktop_app.views.screen_order import Cell, file_place, screen_place, step_from
from desktop_app.views.table_model import UserTableModel


class FindReplaceDialog(QDialog):
    """Non-modal; ``goTo`` asks the window to show a cell.

    Find Next walks the matches in the order ``view`` shows them (the window's table
    by default), as the admin sees them.
    """

    goTo = Signal(int, int)

    def __init__(
        self, model: UserTableModel, parent: QWidget | None = None, view: QTableView | None = None
    ) -> None:
        super().__init__(parent)
        table = getattr(parent, "table", None)
        self.view = view if view is not None or not isinstance(table, QTableView) else table
        self.setWindowTitle(_("Find and Replace"))
        self.model = model
        doc = model.document
        self.find_edit = QLineEdit()
        self.find_edit.setAccessibleName(_("Find what"))
        self.replace_edit = QLineEdit()
        self.replace_edit.setAccessibleName(_("Replace with"))
        self.column = QComboBox()
        self.column.addItem(_("All columns"), None)
        for col, header in enumerate(doc.headers):
            locked = "" if doc.is_editable(col) else _(" (locked)")
            self.column.addItem(f"{header}{locked}", col)
        self.match_case = QCheckBox(_("Match case"))
        self.whole_cell = QCheckBox(_("Match entire cell"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow(_("Find what:"), self.find_edit)
        form.addRow(_("Replace with:"), self.replace_edit)
        form.addRow(_("Look in:"), self.column)
        form.addRow("", self.match_case)
        form.addRow("", self.whole_cell)
        buttons = QDialogButtonBox()
        self.find_button = QPushButton(_("Find Next"))
        self.replace_button = QPushButton(_("Replace"))
        self.replace_button.setToolTip(_("Replace this match and go to the next one"))
        self.replace_all_button = QPushButton(_("Replace All"))
        close = QPushButton(_("Close"))
        buttons.addButton(self.find_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.replace_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.replace_all_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.find_next)
        self.replace_button.clicked.connect(self.replace_one)
        self.replace_all_button.clicked.connect(self.replace_all)
        close.clicked.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._found: list[tuple[int, int]] = []
        self._position = -1
        self._shown: Cell | None = None  # the match shown last: Find Next goes on from it
        # What is found depends on all of these: a change starts the search again.
        self.find_edit.textChanged.connect(self._forget)
        self.column.currentIndexChanged.connect(self._forget)
        self.match_case.toggled.connect(self._forget)
        self.whole_cell.toggled.connect(self._forget)

    def _columns(self) -> list[int]:
        chosen = self.column.currentData()
        return list(range(self.model.document.column_count)) if chosen is None else [chosen]

    def _forget(self) -> None:
        self._found, self._position, self._shown = [], -1, None

    def find_next(self) -> None:
        if not self._found:
            doc = self.model.document
            found = find_cells(
                doc,
                self.find_edit.text(),
                self._columns(),
                self.match_case.isChecked(),
                self.whole_cell.isChecked(),
            )
            self._found = [cell for cell in found if not doc.is_hidden(cell[0])]  # deleted rows
            self._position = -1
        if not self._found:
            self.message.setText(_("'{text}' was not found.").format(text=self.find_edit.text()))
            return
        place = file_place if self.view is None else screen_place(self.view)
        target = step_from(self._found, self._shown, 1, place)
        assert target is not None
        self._position, self._shown = self._found.index(target), target
        ahead = place(*target)
        number = 1 + sum(1 for cell in self._found if place(*cell) < ahead)
        self.message.setText(
            _("{position} of {count}.").format(
                position=numeral(number), count=numeral(len(self._found))
            )
        )
        self.goTo.emit(*target)

    def replace_one(self) -> None:
        """Replace the match Find Next showed, then show the next one (as Excel's Replace).

        Without a match shown yet it only finds the first one, so nothing changes unseen.
        """
        text = self.find_edit.text()
        if not text:
            self.message.setText(_("Type what to find first."))
            return
        if not self._found or self._position < 0:
            self.find_next()
            return
        doc = self.model.document
        row, col = self._found[self._position]
        if not doc.is_editable(col):
            self._step(
                _("{column} is locked: that one was left as it is.").format(column=doc.headers[col])
            )
            return
        options = (self.match_case.isChecked(), self.whole_cell.isChecked())
        change = [
            change
            for change in replacements(doc, text, self.replace_edit.text(), [col], *options)
            if change[0] == row
        ]
        if not change:  # the cell was edited since it was found
            self._step(_("That cell no longer matches: it was left as it is."))
            return
        self.model.set_cells(change, _("Replace"))
        if (row, col) not in find_cells(doc, text, [col], *options):
            del self._found[self._position]
            self._position -= 1
        self._step(_("Replaced 1 cell in row {row}.").format(row=numeral(doc.excel_row(row))))

    def _step(self, said: str) -> None:
        """Go on to the next match after a Replace, saying what happened."""
        if not self._found:
            self._forget()
            self.message.setText(_("{said} No more matches.").format(said=said))
            return
        self.find_next()
        self.message.setText(_("{said} Next: {text}").format(said=said, text=self.message.text()))

    def replace_all(self) -> None:
        text = self.find_edit.text()
        if not text:
            self.message.setText(_("Type what to find first."))
            return
        doc = self.model.document
        columns = self._columns()
        changes = replacements(
            doc,
            text,
            self.replace_edit.text(),
            columns,
            self.match_case.isChecked(),
            self.whole_cell.isChecked(),
        )
        changes = [change for change in changes if not doc.is_hidden(change[0])]
        locked = [c for c in columns if not doc.is_editable(c)]
        options = (self.match_case.isChecked(), self.whole_cell.isChecked())
        skipped = sum(
            1 for row, _ in find_cells(doc, text, locked, *options) if not doc.is_hidden(row)
        )
        self.model.set_cells(changes, _("Replace"))
        self._forget()
        message = ngettext(
            "Replaced {count} cell.", "Replaced {count} cells.", len(changes)
        ).format(count=numeral(len(changes)))
        if skipped:
            header = doc.headers[locked[0]]
            message += " " + ngettext(
                "{count} in the locked {header} column was left as it is.",
                "{count} in the locked {header} column were left as they are.",
                skipped,
            ).format(count=numeral(skipped), header=header)
        self.message.setText(message)
