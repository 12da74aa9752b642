"""The main window: open a download, see and fix its problems, save a copy."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEventLoop, QModelIndex, QSettings, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

from desktop_app.i18n import N_, _, ngettext, numeral
from desktop_app.models.column_mapping import ColumnMapping, MappingStore
from desktop_app.models.document import (
    CellEdit,
    DocumentSnapshot,
    Edit,
    UserDocument,
    open_document,
)
from desktop_app.models.writers import edited_path, save
from desktop_app.services.autosave import Autosave
from desktop_app.views import messages, theme
from desktop_app.views.find_replace import FindReplaceDialog
from desktop_app.views.help_dialogs import HelpActions
from desktop_app.views.icons import icon
from desktop_app.views.mapping_dialog import MappingDialog
from desktop_app.views.preferences import preferences_action
from desktop_app.views.problems_panel import ProblemsPanel
from desktop_app.views.recent_files import (
    ColumnWidths,
    RecentFiles,
    restore_window,
    save_window,
)
from desktop_app.views.server_actions import ServerActions
from desktop_app.views.table_model import RowFilterProxy, UserTableModel
from desktop_app.views.user_table import UserTableView
from desktop_app.views.workers import Report, Worker, open_with_progress, set_aside, start

log = logging.getLogger(__name__)

OPEN_FILTER = N_("User downloads (*.xlsx *.xlsm *.csv *.tsv *.txt);;All files (*)")


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


class MainWindow(QMainWindow):
    documentLoaded = Signal()
    loadFailed = Signal(str)
    saveFinished = Signal(bool)  # True when the file was written

    def __init__(self) -> None:
        super().__init__()
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.resize(1280, 780)
        self.document: UserDocument | None = None
        self.model: UserTableModel | None = None
        self.save_target: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.proxy = RowFilterProxy()
        self.proxy.filterChanged.connect(self._show_counts)
        self._worker: Worker | None = None
        self._save_worker: Worker | None = None
        self._save_ok = False
        self._saving: tuple[Path, DocumentSnapshot] | None = None
        self.autosave: Autosave | None = None
        self._autosave_broken = False
        self._closed = False
        self._find_dialog: FindReplaceDialog | None = None
        self.mapping_dialog: MappingDialog | None = None
        # Edits to put back once the file is read again with other columns.
        self._carried: list[tuple[int, int, str]] = []
        self.server_actions = ServerActions(self)

        self.table = UserTableView()
        self.placeholder = QLabel(
            _("<p style='font-size: 15pt;'>Open a download from your platform "
            "(<b>File › Open</b>, or drop it here)</p>"
            "<p style='font-size: 12pt;'>Or try the sample: "
            "<a href='sample'>Help › Open a Sample File</a></p>")
        )
        self.placeholder.setAccessibleName(_("Start here"))
        self.placeholder.linkActivated.connect(lambda _link: self.help.sample_action.trigger())
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        theme.quiet(self.placeholder, "padding: 40px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.table)
        self.setCentralWidget(self.stack)

        self.problems = ProblemsPanel()
        self.problems.problemChosen.connect(self.go_to_cell)
        self.problems_dock = QDockWidget(_("Problems"), self)
        self.problems_dock.setObjectName("problemsDock")
        self.problems_dock.setWidget(self.problems)
        self.problems_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.problems_dock)
        self.resizeDocks([self.problems_dock], [170], Qt.Orientation.Vertical)
        self.problems_dock.hide()  # shown with the first file: empty, it only puzzles

        self._problems_timer = QTimer(self)
        self._problems_timer.setSingleShot(True)
        self._problems_timer.setInterval(150)
        self._problems_timer.timeout.connect(self._refresh_problems)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._apply_search)
        # Autosave: each edit is written as it is made; once a second it is forced to disk.
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(1000)
        self._autosave_timer.timeout.connect(self._sync_autosave)
        self._autosave_timer.start()

        self._build_actions()
        self._build_status_bar()
        self._set_open(False)
        self._update_title()
        self.column_widths = ColumnWidths(self)
        restore_window(self)
        self.problems_dock.hide()  # shown with the first file, whatever the last layout was

    # --- building ------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: object,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)  # type: ignore[arg-type]
        return action

    def _build_actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.open_action = self._action(
            _("&Open…"), self.choose_file, keys.Open, _("Open a user download (.xlsx or .csv)")
        )
        self.save_action = self._action(
            _("&Save"),
            lambda: self.save(wait=False),
            keys.Save,
            _("Save a copy next to the download, with your fixes"),
        )
        self.save_as_action = self._action(
            _("Save &As…"), lambda: self.save_as(wait=False), keys.SaveAs
        )
        quit_action = self._action(_("&Quit"), self.close, keys.Quit)
        self.undo_action = self.undo_stack.createUndoAction(self, _("&Undo"))
        self.undo_action.setShortcut(QKeySequence(keys.Undo))
        self.redo_action = self.undo_stack.createRedoAction(self, _("&Redo"))
        self.redo_action.setShortcut(QKeySequence(keys.Redo))
        self.copy_action = self._action(_("&Copy"), self.table.copy_selection)
        self.copy_action.setShortcut(QKeySequence(keys.Copy))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.paste_action = self._action(_("&Paste"), self.table.paste)
        self.paste_action.setShortcut(QKeySequence(keys.Paste))
        self.paste_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.clear_action = self._action(_("Clear Cells"), self.table.clear_selection)
        # The table takes Ctrl+D and Ctrl+R itself; the menu shows the keys and offers them.
        self.fill_down_action = self._action(_("Fill &Down"), self.table.fill_down, "Ctrl+D")
        self.fill_right_action = self._action(_("Fill &Right"), self.table.fill_right, "Ctrl+R")
        # The table takes Ctrl++ (Ctrl+Shift+=, or + on the keypad) and Ctrl+− itself, as Excel.
        self.insert_above_action = self._action(
            _("&Insert Rows Above"), self.table.insert_rows_above, "Ctrl++",
            _("Add blank rows for new users above the selected rows"),
        )
        self.insert_below_action = self._action(
            _("Insert Rows &Below"), self.table.insert_rows_below,
            tip=_("Add blank rows for new users below the selected rows"),
        )
        self.delete_rows_action = self._action(
            _("De&lete Rows"), self.table.delete_rows, "Ctrl+-",
            _("Take the selected rows out of the table; uploading never deletes users"),
        )
        for action in (
            self.fill_down_action,
            self.fill_right_action,
            self.insert_above_action,
            self.delete_rows_action,
        ):
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.find_action = self._action(
            _("&Find and Replace…"),
            self.show_find_replace,
            keys.Replace if not QKeySequence(keys.Replace).isEmpty() else "Ctrl+H",
        )
        self.search_action = self._action(_("Search"), self._focus_search, keys.Find)
        from desktop_app.views.update_dialog import update_from_another_file

        self.update_from_file_action = self._action(
            _("Up&date from Another File…"),
            lambda: update_from_another_file(self),
            tip=_("Take values such as Department from an HR export, matched on employee number"),
        )
        self.next_problem_action = self._action(
            _("Next Problem"),
            lambda: self.step_problem(1),
            "F8",
            _("Go to the next cell with a problem"),
        )
        self.previous_problem_action = self._action(
            _("Previous Problem"), lambda: self.step_problem(-1), "Shift+F8"
        )

        file_menu = self.menuBar().addMenu(_("&File"))
        for action in (self.open_action, self.save_action, self.save_as_action):
            file_menu.addAction(action)
        self.recent_files = RecentFiles(self)
        file_menu.insertMenu(self.save_action, self.recent_files.menu)
        file_menu.addSeparator()
        for action in self.server_actions.actions():
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit_menu = self.menuBar().addMenu(_("&Edit"))
        for action in (self.undo_action, self.redo_action):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        for action in (
            self.copy_action,
            self.paste_action,
            self.clear_action,
            self.fill_down_action,
            self.fill_right_action,
        ):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        for action in (self.insert_above_action, self.insert_below_action, self.delete_rows_action):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.find_action)
        edit_menu.addAction(self.search_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.update_from_file_action)
        edit_menu.addSeparator()
        self.preferences_action = preferences_action(self)  # macOS: the app menu's
        edit_menu.addAction(self.preferences_action)
        view_menu = self.menuBar().addMenu(_("&View"))
        view_menu.addAction(self.next_problem_action)
        view_menu.addAction(self.previous_problem_action)
        view_menu.addSeparator()
        view_menu.addAction(self.problems_dock.toggleViewAction())
        self.columns_action = self._action(
            _("Columns and &Platform…"),
            lambda: self.show_mapping_dialog(),
            tip=_("Check what each column of the file is and which platform it is for"),
        )
        self.columns_action.setEnabled(False)
        view_menu.addSeparator()
        view_menu.addAction(self.columns_action)
        self.help: HelpActions = HelpActions(self)
        self.menuBar().addMenu(self.help.menu)

        toolbar = QToolBar(_("Main"))
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(toolbar)
        for action in (self.open_action, self.save_action, self.server_actions.upload_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        # The toolbar keeps short names; the menu says what will be undone.
        for verb, action, signal, text_signal in (
            (
                _("Undo"),
                self.undo_action,
                self.undo_stack.canUndoChanged,
                self.undo_stack.undoTextChanged,
            ),
            (
                _("Redo"),
                self.redo_action,
                self.undo_stack.canRedoChanged,
                self.undo_stack.redoTextChanged,
            ),
        ):
            button = QAction(verb, self)
            button.setEnabled(False)
            button.triggered.connect(action.trigger)
            signal.connect(button.setEnabled)
            text_signal.connect(lambda text, b=button, v=verb: b.setToolTip(f"{v} {text}"))
            toolbar.addAction(button)
        toolbar.addSeparator()
        toolbar.addAction(self.next_problem_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(_(" Show: ")))
        self.filter_box = QComboBox()
        self.filter_box.addItems([_("All rows"), _("Rows with problems"), _("Changed rows")])
        self.filter_box.setAccessibleName(_("Show rows"))
        self.filter_box.currentIndexChanged.connect(self.set_filter)
        toolbar.addWidget(self.filter_box)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(_("Search users…"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName(_("Search users"))
        self.search_box.setMaximumWidth(260)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        toolbar.addWidget(self.search_box)

    def _build_status_bar(self) -> None:
        self.counts_label = QLabel()
        self.counts_label.setAccessibleName(_("Summary"))
        # The platform the file was recognised as; a click shows its columns to change it.
        self.profile_label = QToolButton()
        self.profile_label.setAutoRaise(True)
        self.profile_label.setArrowType(Qt.ArrowType.DownArrow)
        self.profile_label.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.profile_label.setAccessibleName(_("Platform"))
        self.profile_label.clicked.connect(lambda: self.show_mapping_dialog())
        self.profile_label.hide()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = QLabel()
        self.progress_label.hide()
        bar = self.statusBar()
        bar.addWidget(self.counts_label)
        bar.addPermanentWidget(self.progress_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.profile_label)

    # --- opening -------------------------------------------------------------------------

    def choose_file(self) -> None:
        if not self.may_discard():
            return
        start_dir = (
            str(self.document.loaded.path.parent)
            if self.document
            else str(QSettings().value("lastFolder", str(Path.home())))
        )
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Open a user download"), start_dir, _(OPEN_FILTER)
        )
        if name:
            self.open_file(name)

    def open_file(self, path: str | Path, profile: str | None = None) -> None:
        """Read and check the file off the GUI thread; the table appears when it is done."""
        path = Path(path)
        self.load_with(
            lambda report: open_with_progress(str(path), profile, report),
            _("Opening {name}…").format(name=path.name),
        )

    def load_with(self, job: Callable[[Report], UserDocument], busy_text: str) -> None:
        """Run ``job`` off the GUI thread and show the document it makes (a file, a server)."""
        if self._worker is not None:
            return
        self._set_busy(busy_text)
        worker = Worker(job)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_loaded)
        worker.failed.connect(self._on_load_failed)
        worker.cancelled.connect(self._on_load_cancelled)
        self._worker = worker
        start(worker, self)

    def _on_progress(self, text: str, done: int, total: int) -> None:
        self.progress_label.setText(text)
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_loaded(self, document: UserDocument) -> None:
        self._worker = None
        self._set_idle()
        if self._closed:
            return
        self.show_document(document)
        self._put_back_carried()
        QSettings().setValue("lastFolder", str(document.loaded.path.parent))
        loaded = document.loaded
        if (
            loaded.recognition is not None
            and loaded.recognition.weak
            and loaded.mapping_source == "recognised"
        ):
            # After the table shows: the admin sees the file behind the question.
            QTimer.singleShot(0, lambda: self.show_mapping_dialog(unsure=True))
        self.documentLoaded.emit()

    def _on_load_cancelled(self) -> None:
        self._worker = None
        self._carried = []
        self._set_idle()

    def _on_load_failed(self, message: str) -> None:
        self._worker = None
        self._carried = []
        self._set_idle()
        messages.show_problem(self, _("The file could not be opened"), message)
        self.loadFailed.emit(message)

    def show_document(self, document: UserDocument) -> None:
        gc.unfreeze()  # the document shown until now may be collected again
        self._stop_autosave()
        self.undo_stack.clear()
        self.document = document
        document.edit_listeners.append(self._record_edits)
        self.save_target = None
        self.model = UserTableModel(document, self.undo_stack)
        self.model.contentChanged.connect(self._content_changed)
        self.proxy.setSourceModel(self.model)
        self.filter_box.setCurrentIndex(RowFilterProxy.ALL)
        self.search_box.clear()
        self.table.set_table(self.proxy, self.model)
        if self.stack.currentWidget() is not self.table:
            self.stack.setCurrentWidget(self.table)
            self.problems_dock.show()
        if self._find_dialog is not None:
            self._find_dialog.close()
            self._find_dialog = None
        self._set_open(True)
        self._show_platform(document)
        self.problems.show_document(document)
        self._content_changed()
        self._update_title()
        if document.row_count:
            first = self.proxy.index(
                0, self.table.horizontalHeader().logicalIndex(1) if document.column_count > 1 else 0
            )
            self.table.setCurrentIndex(first)
        self.table.setFocus()
        # The cells are millions of objects that live as long as the document: a full pass
        # of the cycle collector over them held an edit for 150 ms. Frozen, it skips them.
        gc.freeze()

    # --- columns and platform ---------------------------------------------------------------

    def _show_platform(self, document: UserDocument) -> None:
        loaded = document.loaded
        recognition = loaded.recognition
        self.profile_label.setText(_(document.profile.title))
        self.profile_label.show()
        if loaded.is_new or recognition is None:
            self.profile_label.setToolTip("")
            self.profile_label.setEnabled(False)
            self.columns_action.setEnabled(False)
            return
        if loaded.mapping_source == "recognised":
            why = recognition.reason
        else:
            why = _("Read as {platform}, with the columns you chose.").format(
                platform=_(document.profile.title)
            )
        self.profile_label.setToolTip(
            _("{why}\nClick to check the columns or choose another platform.").format(why=why)
        )
        self.profile_label.setEnabled(True)
        self.columns_action.setEnabled(True)

    def show_mapping_dialog(self, unsure: bool = False) -> None:
        """Columns and Platform: OK reads the file again with the columns chosen."""
        doc = self.document
        if doc is None or doc.loaded.is_new or self._worker is not None:
            return
        if self.mapping_dialog is not None:
            self.mapping_dialog.raise_()
            return
        dialog = MappingDialog(doc, self, unsure=unsure)
        dialog.accepted.connect(lambda: self.use_mapping(dialog.mapping()))
        dialog.finished.connect(self._mapping_dialog_closed)
        self.mapping_dialog = dialog
        dialog.open()

    def _mapping_dialog_closed(self) -> None:
        if self.mapping_dialog is not None:
            self.mapping_dialog.deleteLater()
        self.mapping_dialog = None

    def use_mapping(self, mapping: ColumnMapping) -> None:
        """Remember the columns for this platform and these headers, and read the file again.

        The admin's edits are kept: each goes back to its cell once the file is read
        again (the rows and columns stay where they were; only what they mean changes).
        """
        doc = self.document
        if doc is None or self._worker is not None:
            return
        path = doc.loaded.path
        if doc.rows_changed_shape:
            messages.show_problem(
                self,
                _("The columns were not changed"),
                _("You added or deleted rows, and reading the file again with other columns "
                "would lose them. Save your changes, then open the saved copy and choose its "
                "columns."),
            )
            return
        changed = [(row, col, doc.value(row, col)) for row, col in sorted(doc.originals)]
        if changed and doc.opened_stamp is not None:
            try:
                status = path.stat()
                now: tuple[int, int] | None = (status.st_size, status.st_mtime_ns)
            except OSError:
                now = None
            if now != doc.opened_stamp:
                messages.show_problem(
                    self,
                    _("The columns were not changed"),
                    _("'{name}' changed on disk since it was opened, so your edits could "
                    "land on the wrong users. Save your changes, then open the saved copy and "
                    "choose its columns.").format(name=path.name),
                )
                return
        try:
            MappingStore().remember(mapping)
        except OSError:
            log.exception("The column mapping could not be remembered")
            self.statusBar().showMessage(
                _("These columns are used now but could not be remembered for next time "
                "(the app's data folder cannot be written)."),
                8000,
            )
        self._carried = changed
        self.load_with(
            lambda report: set_aside(
                lambda: open_document(
                    path,
                    progress=lambda done, total: report(_("Checking every row…"), done, total),
                    mapping=mapping,
                )
            ),
            _("Reading {name} with the columns you chose…").format(name=path.name),
        )

    def _put_back_carried(self) -> None:
        """Put the admin's edits back after the file was read again, as one undoable step."""
        carried, self._carried = self._carried, []
        if not carried or self.model is None or self.document is None:
            return
        doc = self.document
        kept = [(r, c, v) for r, c, v in carried if doc.is_editable(c) and r < doc.row_count]
        self.model.set_cells(kept, _("Keep"))
        lost = len(carried) - len(kept)
        if lost:
            self.statusBar().showMessage(
                ngettext(
                    "{count} edit in {column} could not be kept: that column is now the "
                    "locked key.",
                    "{count} edits in {column} could not be kept: that column is now the "
                    "locked key.",
                    lost,
                ).format(count=numeral(lost), column=doc.headers[doc.key_column or 0]),
                0,
            )

    # --- autosave ----------------------------------------------------------------------------

    def _record_edits(self, edits: Sequence[Edit]) -> None:
        """Every step of edits to a file reaches its journal as it is applied."""
        doc = self.document
        if doc is None or doc.loaded.is_new or self._autosave_broken:
            return
        try:
            if self.autosave is None:
                self.autosave = Autosave.start(doc, stamp=doc.opened_stamp)
            keys = [
                doc.key_of(edit.row) if isinstance(edit, CellEdit) else None for edit in edits
            ]
            self.autosave.record(edits, keys, doc)
        except OSError:
            log.exception("Autosave failed")
            self._autosave_broken = True
            self.statusBar().showMessage(
                _("Your changes can no longer be saved automatically (the app's data folder "
                "cannot be written). Save often."),
                0,
            )

    def _sync_autosave(self) -> None:
        if self.autosave is not None:
            try:
                self.autosave.sync()
            except OSError:
                log.exception("Autosave could not reach the disk")

    def _stop_autosave(self, remove: bool = True) -> None:
        if self.autosave is not None:
            self.autosave.close(remove=remove)
            self.autosave = None
        self._autosave_broken = False

    # --- status ----------------------------------------------------------------------------

    def _content_changed(self) -> None:
        self._show_counts()
        if self.document is None:
            return
        # Edits reach the panel row by row; anything else has it count again, once settled.
        if self.problems.content_changed():
            self._problems_timer.start()

    def _show_counts(self) -> None:
        """'40 users · …', or '2 of 40 users shown · …' while a filter or a search hides rows."""
        doc = self.document
        if doc is None:
            self.counts_label.setText("")
            return
        problems = self.problems.red_rows()
        users = ngettext("{count} user", "{count} users", doc.user_count).format(
            count=numeral(doc.user_count)
        )
        if self.proxy.is_filtering:
            users = _("{shown} of {users} shown").format(
                shown=numeral(self.proxy.rowCount()), users=users
            )
        text = " · ".join(
            [
                users,
                ngettext(
                    "{count} row with problems", "{count} rows with problems", problems
                ).format(count=numeral(problems)),
                _("{count} changed").format(count=numeral(doc.changed_rows)),
            ]
        )
        removed = doc.removed_users
        if removed:
            text += " · " + _("{count} removed (left alone on the platform)").format(
                count=numeral(removed)
            )
        self.counts_label.setText(text)

    def _refresh_problems(self) -> None:
        self.problems.recount()

    def _update_title(self) -> None:
        name = self.document.loaded.path.name if self.document else _("No file")
        self.setWindowTitle(_("{name}[*] — User Editor").format(name=name))
        self.setWindowModified(self.document is not None and not self.undo_stack.isClean())

    def _set_open(self, is_open: bool) -> None:
        for action in (
            self.save_action,
            self.save_as_action,
            self.find_action,
            self.search_action,
            self.next_problem_action,
            self.previous_problem_action,
            self.copy_action,
            self.paste_action,
            self.clear_action,
            self.fill_down_action,
            self.fill_right_action,
            self.insert_above_action,
            self.insert_below_action,
            self.delete_rows_action,
            self.update_from_file_action,
        ):
            action.setEnabled(is_open)
        self.filter_box.setEnabled(is_open)
        self.search_box.setEnabled(is_open)

    def _set_busy(self, text: str) -> None:
        self.open_action.setEnabled(False)
        self.progress_label.setText(text)
        self.progress.setRange(0, 0)
        self.progress_label.show()
        self.progress.show()
        self.setCursor(Qt.CursorShape.BusyCursor)

    def _set_idle(self) -> None:
        self.open_action.setEnabled(True)
        self.progress.hide()
        self.progress_label.hide()
        self.unsetCursor()

    # --- moving around -----------------------------------------------------------------------

    def set_filter(self, mode: int) -> None:
        self.proxy.set_mode(mode)
        if self.filter_box.currentIndex() != mode:
            # Called from code (go to a cell): the box follows without filtering again.
            blocker = QSignalBlocker(self.filter_box)
            self.filter_box.setCurrentIndex(mode)
            blocker.unblock()

    def _apply_search(self) -> None:
        self.proxy.set_search(self.search_box.text())

    def _focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def go_to_cell(self, row: int, col: int) -> None:
        """Select the cell (source coordinates), showing all rows if the filter hides it."""
        if self.model is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, col))
        if not index.isValid():
            # Every row shown in one filter change, not one for the search and one for the box.
            blockers = [QSignalBlocker(self.search_box), QSignalBlocker(self.filter_box)]
            self.search_box.clear()
            self.filter_box.setCurrentIndex(RowFilterProxy.ALL)
            for blocker in blockers:
                blocker.unblock()
            self._search_timer.stop()
            self.proxy.show_all()
            index = self.proxy.mapFromSource(self.model.index(row, col))
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index, UserTableView.ScrollHint.PositionAtCenter)
        self.table.setFocus()

    def step_problem(self, step: int) -> None:
        """Go to the next (step 1) or previous (step -1) cell with a problem."""
        doc = self.document
        if doc is None or self.model is None:
            return
        from desktop_app.views.screen_order import screen_place, step_from

        # In the order on screen (sorted, added rows in their place), refusals included.
        cells = [(r, c) for r, c, _ in doc.validator.all_issues()]
        cells += [(row, doc.server_column(row)) for row in doc.server_messages]
        current = self.proxy.mapToSource(self.table.currentIndex())
        here = (current.row(), current.column()) if current.isValid() else None
        target = step_from(cells, here, step, screen_place(self.table))
        if target is None:
            self.statusBar().showMessage(_("No problems left."), 4000)
            return
        self.go_to_cell(*target)

    def show_find_replace(self) -> None:
        if self.model is None:
            return
        if self._find_dialog is None:
            self._find_dialog = FindReplaceDialog(self.model, self)
            self._find_dialog.goTo.connect(self.go_to_cell)
        self._find_dialog.show()
        self._find_dialog.raise_()
        self._find_dialog.activateWindow()

    # --- saving ------------------------------------------------------------------------------

    def save(self, wait: bool = True) -> bool:
        """Save to NAME-edited beside the download (or where the last save went).

        With ``wait`` the call returns once the file is written (the window stays live
        meanwhile); without, it returns when the save has started.
        """
        if self.document is None:
            return False
        loaded = self.document.loaded
        if loaded.is_new and self.save_target is None:
            return self.save_as(wait)
        return self._save_to(self.save_target or edited_path(loaded.path), wait)

    def save_as(self, wait: bool = True) -> bool:
        if self.document is None:
            return False
        source = self.document.loaded.path
        suggested = self.save_target or (
            source if self.document.loaded.is_new else edited_path(source)
        )
        suffix = source.suffix.lower()
        name, _filter = QFileDialog.getSaveFileName(
            self,
            _("Save a copy"),
            str(suggested),
            _("Same as the download (*{suffix})").format(suffix=suffix),
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if not name:
            return False
        target = Path(name)
        if target.suffix.lower() != suffix:
            target = target.with_name(target.name + suffix)
        if target.exists() and not messages.confirm(
            self,
            _("Replace the file?"),
            _("'{name}' already exists. Replace it with your edited users?").format(
                name=target.name
            ),
            _("Replace"),
        ):
            return False
        return self._save_to(target, wait)

    def _save_to(self, target: Path, wait: bool) -> bool:
        """Write a snapshot of the document off the GUI thread; editing goes on meanwhile."""
        doc = self.document
        assert doc is not None
        if self._save_worker is not None:
            self.statusBar().showMessage(_("A save is still being written; one moment."), 4000)
            return False
        replaces_download = not doc.loaded.is_new and target.resolve() == doc.loaded.path.resolve()
        if replaces_download and not messages.confirm(
            self,
            _("Replace the download?"),
            _(
                "This replaces '{name}', the file you downloaded from {platform}. Keep a copy "
                "instead unless you are sure."
            ).format(name=target.name, platform=doc.profile.platform),
            _("Replace the download"),
        ):
            return False
        snapshot = doc.snapshot()
        worker = Worker(lambda _report: save(snapshot, target))
        # Slots of the window, not lambdas: they must run on the GUI thread.
        worker.finished.connect(self._on_saved)
        worker.failed.connect(self._on_save_failed)
        self._save_worker = worker
        self._saving = (target, snapshot)
        self._save_ok = False
        for action in (self.save_action, self.save_as_action):
            action.setEnabled(False)
        self.statusBar().showMessage(_("Saving {name}…").format(name=target.name))
        start(worker, self)
        if not wait:
            return True
        loop = QEventLoop(self)
        self.saveFinished.connect(loop.quit)
        if self._save_worker is not None:
            loop.exec()
        self.saveFinished.disconnect(loop.quit)
        return self._save_ok

    def _on_saved(self, _result: object) -> None:
        assert self._saving is not None
        target, snapshot = self._saving
        self._end_save()
        self.save_target = target
        doc = self.document
        if doc is not None and doc.generation == snapshot.generation:
            # Nothing was edited while it was written: the window is saved.
            self.undo_stack.setClean()
            if self.autosave is not None:
                self.autosave.mark_saved(target)
        self.statusBar().showMessage(
            _("Saved {name} in {folder}").format(name=target.name, folder=target.parent), 8000
        )
        self._save_ok = True
        self.saveFinished.emit(True)

    def _on_save_failed(self, message: str) -> None:
        self._end_save()
        self.statusBar().clearMessage()
        messages.show_problem(self, _("The file was not saved"), message)
        self.saveFinished.emit(False)

    def _end_save(self) -> None:
        self._save_worker = None
        self._saving = None
        for action in (self.save_action, self.save_as_action):
            action.setEnabled(self.document is not None)

    # --- closing and dropping -------------------------------------------------------------------

    def may_discard(self) -> bool:
        """True when there is nothing unsaved, or the admin chose to save or discard it."""
        if self.document is None or self.undo_stack.isClean():
            return True
        answer = messages.ask_save(self, self.document.loaded.path.name)
        if answer == QMessageBox.StandardButton.Save:
            return self.save(wait=True)
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.may_discard():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop and wait for every job, then remove the autosave journal: a clean close."""
        self._closed = True
        save_window(self)
        if self._worker is not None:
            self._worker.cancel()
            self._worker.wait()
        if self._save_worker is not None:
            self._save_worker.wait()  # a save is never cut short
        if not self.server_actions.shutdown():
            log.warning("A server job did not stop within its time; closing anyway")
        self._autosave_timer.stop()
        self._stop_autosave(remove=True)
        gc.unfreeze()  # the document goes with the window

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files and self.may_discard():
            event.acceptProposedAction()
            self.open_file(files[0])

    def current_source_index(self) -> QModelIndex:
        return self.proxy.mapToSource(self.table.currentIndex())
