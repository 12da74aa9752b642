"""Edit › Update from Another File: take columns from an HR export into the table.

The admin picks the file, the column that identifies a person in each file and the
columns to take; the dialog says how many cells will change and lists the rows that
matched nothing. The plan is worked out in the background from a copy of the columns
it needs; Apply makes it one step on the undo stack ("Update from file").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.i18n import N_, _, ngettext, numeral
from desktop_app.models.errors import UserFacingError
from desktop_app.models.readers import LoadedFile
from desktop_app.models.update_from_file import (
    ColumnPair,
    KeyPair,
    MatchKind,
    TableColumns,
    UpdateChoice,
    UpdatePlan,
    check_choice,
    key_words,
    match_kind,
    plan_update,
    read_other_file,
    suggest_columns,
    suggest_keys,
    summary,
)
from desktop_app.views import theme
from desktop_app.views.table_model import UserTableModel
from desktop_app.views.workers import Report, Worker, start

if TYPE_CHECKING:
    from desktop_app.views.main_window import MainWindow

VERB = N_("Update from file")
FILE_FILTER = N_("HR exports and user lists (*.xlsx *.xlsm *.csv *.tsv *.txt);;All files (*)")
# The list of rows that matched nothing shows this many; the count says how many more.
LIST_LIMIT = 5000
NOT_TAKEN = N_("(choose a column)")


def ask_for_file(parent: QWidget) -> str:
    """The file the admin picked ('' when cancelled); tests replace this."""
    path, _filter = QFileDialog.getOpenFileName(
        parent, _("Update from Another File"), "", _(FILE_FILTER)
    )
    return path


def update_from_another_file(window: MainWindow) -> UpdateDialog | None:
    """Open the dialog for the window's table and ask for the file at once."""
    if window.model is None:
        window.statusBar().showMessage(_("Open a user download first, then update it."), 5000)
        return None
    dialog = UpdateDialog(window.model, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.applied.connect(lambda text: window.statusBar().showMessage(text, 15000))
    dialog.open()
    QTimer.singleShot(0, dialog.choose_file)
    return dialog


class UpdateDialog(QDialog):
    """Choose the file, the match and the columns; see what changes; apply as one step."""

    fileRead = Signal()  # the other file is read and the choices are filled in
    planReady = Signal()  # a plan (or a sentence saying why there is none) is shown
    applied = Signal(str)  # the sentence for the status bar, after Apply

    def __init__(self, model: UserTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Update from Another File"))
        self.model = model
        self.document = model.document
        self.other: LoadedFile | None = None
        self.plan: UpdatePlan | None = None
        self._choice: UpdateChoice | None = None
        self._workers: list[Worker] = []
        self._plan_worker: Worker | None = None
        self._apply_when_ready = False
        self._filling = False
        self._replan_timer = QTimer(self)
        self._replan_timer.setSingleShot(True)
        self._replan_timer.setInterval(150)
        self._replan_timer.timeout.connect(self.replan)

        intro = QLabel(
            _(
                "Take values such as Department or Job title from another file, for example an "
                "export from your HR system. Each row of that file is matched to a user of this "
                "table by a column both files have, such as the employee number or the email."
            )
        )
        intro.setWordWrap(True)

        self.file_label = QLabel(_("No file chosen yet."))
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button = QPushButton(_("Choose File…"))
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("<b>File:</b>"))
        file_row.addWidget(self.file_label, 1)
        file_row.addWidget(self.choose_button)

        self.table_key = QComboBox()
        self.table_key.setAccessibleName(_("Column of this table to match on"))
        self.other_key = QComboBox()
        self.other_key.setAccessibleName(_("Column of the other file to match on"))
        self.match_hint = QLabel()
        self.match_hint.setWordWrap(True)
        theme.quiet(self.match_hint)
        match_box = QGroupBox(_("1. Match users on"))
        match_grid = QGridLayout(match_box)
        match_grid.addWidget(QLabel(_("This table:")), 0, 0)
        match_grid.addWidget(self.table_key, 0, 1)
        self.other_key_label = QLabel(_("The other file:"))
        match_grid.addWidget(self.other_key_label, 1, 0)
        match_grid.addWidget(self.other_key, 1, 1)
        match_grid.addWidget(self.match_hint, 2, 0, 1, 2)
        match_grid.setColumnStretch(1, 1)

        self.columns = QTableWidget(0, 2)
        self.columns.setHorizontalHeaderLabels([_("Take this column"), _("Into this column")])
        self.columns.setAccessibleName(_("Columns to take"))
        self.columns.verticalHeader().hide()
        self.columns.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.columns.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.columns.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.columns.itemChanged.connect(self._columns_changed)
        self.blank_clears = QCheckBox(
            _("Blank cells in the other file clear the value in this table")
        )
        self.blank_clears.setToolTip(
            _("Off (the default): a blank cell in the other file leaves the user's value as it is.")
        )
        self.blank_clears.toggled.connect(self._schedule)
        blank_hint = QLabel(_("Off: a blank cell leaves the user's value as it is."))
        theme.quiet(blank_hint)
        self.lock_hint = QLabel()
        theme.quiet(self.lock_hint)
        columns_box = QGroupBox(_("2. Columns to take"))
        columns_layout = QVBoxLayout(columns_box)
        columns_layout.addWidget(self.columns)
        columns_layout.addWidget(self.blank_clears)
        columns_layout.addWidget(blank_hint)
        columns_layout.addWidget(self.lock_hint)

        self.summary = QLabel(_("Choose the file to take values from."))
        self.summary.setWordWrap(True)
        self._summary_is_problem: bool | None = False
        self._summary_style = theme.follow(self.summary, self._summary_sheet)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAccessibleName(_("What will change"))
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.details_button = QToolButton()
        self.details_button.setText(_("Show rows that matched nothing"))
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAutoRaise(True)
        self.details_button.toggled.connect(self._show_details)
        self.details = QListWidget()
        self.details.setAccessibleName(_("Rows that matched nothing"))
        self.details.setMinimumHeight(110)
        self.details.hide()
        summary_box = QGroupBox(_("3. What will change"))
        summary_layout = QVBoxLayout(summary_box)
        summary_layout.addWidget(self.summary)
        summary_layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        summary_layout.addWidget(self.details)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = QPushButton(_("Apply"))
        self.apply_button.setDefault(True)
        self.apply_button.setEnabled(False)
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(file_row)
        layout.addWidget(match_box)
        layout.addWidget(columns_box, 1)
        layout.addWidget(summary_box)
        layout.addWidget(buttons)
        self.table_key.currentIndexChanged.connect(self._keys_changed)
        self.other_key.currentIndexChanged.connect(self._keys_changed)
        self._set_enabled(False)
        self._show_details(False)
        self.resize(660, 780)

    # --- the file ------------------------------------------------------------------------

    def choose_file(self) -> None:
        path = ask_for_file(self)
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path) -> None:
        """Read the other file in the background, then fill in the suggested choices."""
        path = Path(path)
        self.file_label.setText(path.name)
        self.file_label.setToolTip(str(path))
        self._say(_("Reading {name}…").format(name=path.name))
        self.plan = None
        self.apply_button.setEnabled(False)
        self.choose_button.setEnabled(False)

        def job(report: Report) -> LoadedFile:
            report(_("Reading {name}…").format(name=path.name), 0, 0)
            return read_other_file(path)

        worker = Worker(job)
        worker.finished.connect(self._file_read)
        worker.failed.connect(self._file_failed)
        self._run(worker)

    def _file_read(self, loaded: LoadedFile) -> None:
        self._forget(self.sender())
        self.choose_button.setEnabled(True)
        self.other = loaded
        self._fill_choices()
        self.fileRead.emit()
        self.replan()

    def _file_failed(self, sentence: str) -> None:
        self._forget(self.sender())
        self.choose_button.setEnabled(True)
        self.other = None
        self._set_enabled(False)
        self._say(sentence, problem=True)
        self.planReady.emit()

    @property
    def other_name(self) -> str:
        return self.other.path.name if self.other is not None else _("the other file")

    def _fill_choices(self) -> None:
        """The file's columns, with the suggested match and the columns named alike ticked."""
        assert self.other is not None
        doc = self.document
        headers, other_headers = doc.headers, self.other.headers
        self._filling = True
        try:
            self.table_key.clear()
            for col, header in enumerate(headers):
                self.table_key.addItem(header, col)
            self.other_key.clear()
            for col, header in enumerate(other_headers):
                self.other_key.addItem(header, col)
            self.other_key_label.setText(f"{self.other_name}:")
            suggested = suggest_keys(headers, other_headers)
            keys = suggested[0] if suggested else KeyPair(doc.key_column or 0, 0)
            self.table_key.setCurrentIndex(keys.table)
            self.other_key.setCurrentIndex(keys.other)
            take = {
                pair.other: pair.table
                for pair in suggest_columns(headers, other_headers, keys, doc.key_column)
            }
            self.columns.setRowCount(len(other_headers))
            for row, header in enumerate(other_headers):
                item = QTableWidgetItem(header)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    Qt.CheckState.Checked if row in take else Qt.CheckState.Unchecked
                )
                self.columns.setItem(row, 0, item)
                target = QComboBox()
                target.setAccessibleName(
                    _("Column of this table that {header} goes into").format(header=header)
                )
                target.addItem(_(NOT_TAKEN), None)
                for col, name in enumerate(headers):
                    if doc.is_editable(col):
                        target.addItem(_("→ {name}").format(name=name), col)
                if row in take:
                    target.setCurrentIndex(target.findData(take[row]))
                target.currentIndexChanged.connect(lambda _i, r=row: self._target_chosen(r))
                self.columns.setCellWidget(row, 1, target)
            if doc.key_column is not None:
                self.lock_hint.setText(
                    _("{column} is locked: it is never changed by an update.").format(
                        column=headers[doc.key_column]
                    )
                )
        finally:
            self._filling = False
        self._set_enabled(True)
        # Up to six of the file's columns in view, so what is ticked can be seen at once.
        shown = min(max(len(other_headers), 3), 6)
        self.columns.setMinimumHeight(
            self.columns.horizontalHeader().sizeHint().height()
            + shown * self.columns.verticalHeader().defaultSectionSize()
            + 2 * self.columns.frameWidth()
        )
        self._fit()
        self._mark_key_row()
        self._update_match_hint()

    # --- the choices ---------------------------------------------------------------------

    def take_item(self, row: int) -> QTableWidgetItem:
        """The other file's column on this row, ticked when it is taken."""
        item = self.columns.item(row, 0)
        assert item is not None
        return item

    def target_box(self, row: int) -> QComboBox:
        box = self.columns.cellWidget(row, 1)
        assert isinstance(box, QComboBox)
        return box

    def choice(self) -> UpdateChoice | None:
        """What the widgets say now (None before a file is read)."""
        if self.other is None or self.table_key.currentIndex() < 0:
            return None
        keys = KeyPair(self.table_key.currentData(), self.other_key.currentData())
        take = []
        for row in range(self.columns.rowCount()):
            item = self.take_item(row)
            target = self.target_box(row).currentData()
            if (
                row != keys.other
                and item.checkState() == Qt.CheckState.Checked
                and target is not None
            ):
                take.append(ColumnPair(row, target))
        kind = match_kind(
            self.document.headers[keys.table],
            self.other.headers[keys.other],
            self.other.columns[keys.other],
        )
        return UpdateChoice(keys, tuple(take), kind, self.blank_clears.isChecked())

    def _keys_changed(self) -> None:
        if self._filling:
            return
        self._mark_key_row()
        self._update_match_hint()
        self._schedule()

    def _mark_key_row(self) -> None:
        """The other file's match column is not a column to take."""
        key = self.other_key.currentIndex()
        for row in range(self.columns.rowCount()):
            used = row == key
            item = self.take_item(row)
            flags = Qt.ItemFlag.ItemIsUserCheckable | (
                Qt.ItemFlag.NoItemFlags if used else Qt.ItemFlag.ItemIsEnabled
            )
            item.setFlags(flags)
            item.setToolTip(_("Used to match users") if used else "")
            self.target_box(row).setEnabled(not used)

    def _update_match_hint(self) -> None:
        choice = self.choice()
        if choice is None:
            return
        if choice.kind is MatchKind.EMAIL:
            text = _(
                "Emails match whatever their capitals (Ann@Example.com is ann@example.com); "
                "spaces around them are ignored."
            )
        else:
            text = _(
                "Values match exactly, as text: 000123 is not 123. Spaces around them are ignored."
            )
        self.match_hint.setText(text)

    def _target_chosen(self, row: int) -> None:
        """Choosing where a column goes ticks it; '(choose a column)' unticks it."""
        if self._filling:
            return
        item = self.take_item(row)
        chosen = self.target_box(row).currentData() is not None
        item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
        self._schedule()

    def _columns_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        box = self.target_box(item.row())
        if item.checkState() == Qt.CheckState.Checked and box.currentData() is None:
            # A ticked column needs a place to go: the one named like it, or the admin's pick.
            name = item.text().strip().casefold()
            for index in range(box.count()):
                if box.itemText(index).removeprefix("→ ").strip().casefold() == name:
                    self._filling = True
                    box.setCurrentIndex(index)
                    self._filling = False
        self._schedule()

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.table_key, self.other_key, self.columns, self.blank_clears):
            widget.setEnabled(enabled)

    # --- the plan --------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._filling:
            self.apply_button.setEnabled(False)
            self._replan_timer.start()

    def replan(self) -> None:
        """Work the plan out again in the background (the one being worked out is dropped)."""
        self._replan_timer.stop()
        if self._plan_worker is not None:
            self._plan_worker.cancel()
            self._plan_worker = None
        choice = self.choice()
        self.plan = None
        self.apply_button.setEnabled(False)
        if choice is None or self.other is None:
            return
        if not choice.take:
            self._say(_("Tick the columns to take from {file}.").format(file=self.other_name))
            self.planReady.emit()
            return
        try:
            check_choice(choice, self.document.headers, self.other_name)
        except UserFacingError as problem:
            self._say(str(problem), problem=True)
            self.planReady.emit()
            return
        self._choice = choice
        # A copy of the columns the plan reads, made here: the table is read on this thread only.
        table = TableColumns.copy_from(self.document, choice)
        other = self.other
        self._say(_("Comparing the two files…"))
        worker = Worker(lambda report: plan_update(other, table, choice, report))
        worker.finished.connect(self._planned)
        worker.failed.connect(self._plan_failed)
        self._plan_worker = worker
        self._run(worker)

    def _planned(self, plan: UpdatePlan) -> None:
        worker = self.sender()
        self._forget(worker)
        if worker is not self._plan_worker:
            return
        self._plan_worker = None
        self.plan = plan
        self._show_plan(plan)
        if self._apply_when_ready:
            self._apply_when_ready = False
            self.apply()
            return
        self.planReady.emit()

    def _plan_failed(self, sentence: str) -> None:
        worker = self.sender()
        self._forget(worker)
        if worker is self._plan_worker:
            self._plan_worker = None
            self._apply_when_ready = False
            self._say(sentence, problem=True)
            self.planReady.emit()

    def _show_plan(self, plan: UpdatePlan) -> None:
        assert self.other is not None and self._choice is not None
        key_header = self.other.headers[self._choice.keys.other]
        lines = summary(plan, self.other_name, key_header)
        first, rest = lines[0], lines[1:]
        self._summary_is_problem = None  # the plan itself: the palette's own text colour
        self._summary_style.apply()
        self.summary.setText(
            f"<p style='font-size: large'><b>{_html(first)}</b></p>"
            + "".join(f"<p style='margin: 0'>· {_html(line)}</p>" for line in rest)
        )
        self._fill_details(plan, key_header)
        self.apply_button.setEnabled(plan.cells_changing > 0)
        self.apply_button.setText(
            ngettext(
                "Apply: Change {count} Cell", "Apply: Change {count} Cells", plan.cells_changing
            ).format(count=numeral(plan.cells_changing))
            if plan.cells_changing
            else _("Apply")
        )

    def _fill_details(self, plan: UpdatePlan, key_header: str) -> None:
        one, _many = key_words(key_header)
        self.details.clear()
        lines = [
            (
                _("Row {row} of {file}: {noun} {key} is not in this table")
                if key
                else _("Row {row} of {file}: no {noun}")
            ).format(row=row, file=self.other_name, noun=one, key=key)
            for row, key in plan.unmatched_in_other[:LIST_LIMIT]
        ]
        lines += [
            _("{Noun} {key} appears more than once: left out").format(
                Noun=one[:1].upper() + one[1:], key=key
            )
            for key in plan.ambiguous[:LIST_LIMIT]
        ]
        hidden = max(0, len(plan.unmatched_in_other) - LIST_LIMIT) + max(
            0, len(plan.ambiguous) - LIST_LIMIT
        )
        if hidden:
            lines.append(_("…and {count} more").format(count=numeral(hidden)))
        self.details.addItems(lines)
        self.details_button.setEnabled(bool(lines))
        if not lines:
            self.details_button.setChecked(False)

    def _fit(self) -> None:
        """Grow to what the layout needs, so no part sits on another."""
        layout = self.layout()
        needed = layout.minimumSize() if layout is not None else self.size()
        self.resize(max(self.width(), needed.width()), max(self.height(), needed.height()))

    def _show_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        if shown:
            self._fit()
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.details_button.setText(
            _("Hide rows that matched nothing") if shown else _("Show rows that matched nothing")
        )

    def _summary_sheet(self, colours: theme.Colours) -> str:
        """Red for a problem, grey for a hint, the palette's text for the plan."""
        tone = getattr(self, "_summary_is_problem", False)
        if tone is None:
            return ""
        return f"color: {(colours.problem_text if tone else colours.muted_text).name()};"

    def _say(self, text: str, problem: bool = False) -> None:
        self._summary_is_problem = problem
        self._summary_style.apply()
        self.summary.setText(_html(text))
        if problem or self.plan is None:
            self.details.clear()
            self.details_button.setEnabled(False)

    # --- applying --------------------------------------------------------------------------

    def apply(self) -> None:
        """Change the cells as one undoable step; a plan older than the table is made again."""
        plan = self.plan
        if plan is None:
            return
        if plan.generation != self.document.generation:
            self._apply_when_ready = True
            self.replan()
            return
        # One step on this thread: on 100,000 users it takes a second or two (README, Speed).
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.model.set_cells(plan.changes, _(VERB))
        finally:
            QApplication.restoreOverrideCursor()
        self.applied.emit(
            ngettext(
                "{action}: {count} cell changed in {users}. Edit › Undo puts it back.",
                "{action}: {count} cells changed in {users}. Edit › Undo puts every one of "
                "them back.",
                plan.cells_changing,
            ).format(
                action=_(VERB),
                count=numeral(plan.cells_changing),
                users=ngettext("{count} user", "{count} users", plan.rows_changing).format(
                    count=numeral(plan.rows_changing)
                ),
            )
        )
        self.accept()

    # --- background work ---------------------------------------------------------------------

    def _run(self, worker: Worker) -> None:
        self._workers.append(worker)
        worker.cancelled.connect(self._cancelled)
        # The window holds the thread: this dialog is deleted when it closes, and a thread
        # must outlive the cleanup that runs once it ended.
        start(worker, self.parent() or self)

    def _cancelled(self) -> None:
        self._forget(self.sender())

    def _forget(self, worker: QObject | None) -> None:
        if worker in self._workers:
            assert isinstance(worker, Worker)
            self._workers.remove(worker)

    def done(self, result: int) -> None:
        """Closing stops the work in the background and waits for it to end."""
        self._replan_timer.stop()
        for worker in list(self._workers):
            worker.cancel()
        for worker in list(self._workers):
            worker.wait()
        super().done(result)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
