"""The users table: key column frozen at the left, drop-downs for listed values, paste."""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Sequence
from typing import NamedTuple

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QInputMethodEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from desktop_app.i18n import _, ngettext, numeral
from desktop_app.views import theme
from desktop_app.views.table_model import RowFilterProxy, UserTableModel, shown

Index = QModelIndex | QPersistentModelIndex
# Longer values are not opened in an editor (QLineEdit's maxLength); they are cleared or
# cleared with Delete, or replaced by a paste or a fix.


class ChoiceDelegate(QStyledItemDelegate):
    """A drop-down editor where the column has a list of allowed values; plain text elsewhere."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.model: UserTableModel | None = None
        # Where the cursor goes once the editor closes: (rows, columns), as in Excel
        # Enter moves down, Shift+Enter up, Tab right, Shift+Tab left.
        self._move: tuple[int, int] | None = None

    def take_move(self) -> tuple[int, int] | None:
        move, self._move = self._move, None
        return move

    def eventFilter(self, editor: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._move = (-1 if shift else 1, 0)
            elif key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and isinstance(editor, QWidget):
                # Qt's own Tab opens the next cell's editor; Excel only moves there.
                self._move = (0, -1 if shift or key == Qt.Key.Key_Backtab else 1)
                self.commitData.emit(editor)
                self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)
                return True
        return super().eventFilter(editor, event)

    def _choices(self, index: Index) -> list[str]:
        if self.model is None:
            return []
        col = _source(index).column()
        checker = self.model.document.validator.checkers[col]
        if checker.rule.type == "flag":
            return ["x", ""]
        if checker.rule.type == "choice":
            return checker.allowed
        return []

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        choices = self._choices(index)
        if not choices:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.addItems(choices)
        combo.setAccessibleName(
            _("Choose {column}").format(
                column=index.model().headerData(index.column(), Qt.Orientation.Horizontal)
            )
        )
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole) or ""))
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
            return
        super().setModelData(editor, model, index)


def _line_edit(editor: QWidget | None) -> QLineEdit | None:
    """The line an editor types into: the editor itself, or a drop-down's text."""
    if isinstance(editor, QComboBox):
        return editor.lineEdit()
    return editor if isinstance(editor, QLineEdit) else None


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _locked_sentence(column: str, count: int, pasted: bool) -> str:
    """'The User ID column is locked: 2 cells were left as they are.' (or pasted values)."""
    if pasted:
        text = ngettext(
            "The {column} column is locked: {count} pasted value was left out.",
            "The {column} column is locked: {count} pasted values were left out.",
            count,
        )
    else:
        text = ngettext(
            "The {column} column is locked: {count} cell was left as it is.",
            "The {column} column is locked: {count} cells were left as they are.",
            count,
        )
    return text.format(column=column, count=numeral(count))


def ask_add_rows(parent: QWidget, count: int, below: str) -> bool:
    """Ask before a paste adds rows past the end of the table (tests answer it)."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        _("Add new users?"),
        ngettext(
            "Add {count} new user below row {row}?", "Add {count} new users below row {row}?", count
        ).format(count=numeral(count), row=below),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setInformativeText(
        _(
            "The clipboard has more rows than the table has below this cell. Yes adds the "
            "rest as new users (uploading adds them to the platform); No pastes only what fits."
        )
    )
    box.setDefaultButton(QMessageBox.StandardButton.Yes)
    return box.exec() == QMessageBox.StandardButton.Yes


class _HeaderState(NamedTuple):
    """Where the parts this app changes sit in QHeaderView.saveState() (format version 0)."""

    data: bytes
    lists_at: int  # visual indices, then logical indices
    lists_end: int
    sizes_at: int  # total length, then the number of sections
    items_at: int  # each section's size, span and resize mode, in visual order
    items_end: int
    item: bytes
    items: int


def _header_state(header: QHeaderView) -> _HeaderState | None:
    data = bytes(header.saveState().data())
    try:
        marker, version = struct.unpack_from(">ii", data, 0)
        if marker != 0xFF or version != 0:
            return None
        lists_at = position = 21  # after the orientation and the sort indicator
        for _ in range(2):
            (length,) = struct.unpack_from(">I", data, position)
            position += 4 + 4 * length
        lists_end = position
        (bits,) = struct.unpack_from(">I", data, position)
        if any(data[position + 4 : position + 4 + (bits + 7) // 8]):
            return None  # hidden rows
        position += 4 + (bits + 7) // 8
        (pairs,) = struct.unpack_from(">I", data, position)
        position += 4 + 8 * pairs
        sizes_at = position
        position += 8 + 5  # length and count, then five flags
        _, _, size, _, _, mode = struct.unpack_from(">6i", data, position)
        items_at = position + 24
        (items,) = struct.unpack_from(">I", data, items_at)
    except struct.error:
        return None
    item = struct.pack(">iii", size, 1, mode)
    items_end = items_at + 4 + 12 * items
    if items_end > len(data) or data[items_at + 4 : items_end] != item * items:
        return None  # rows of their own heights
    return _HeaderState(data, lists_at, lists_end, sizes_at, items_at, items_end, item, items)


def _lay_out_rows(header: QHeaderView, order: Sequence[int] | None) -> bool:
    """Show a header's sections in ``order`` (None: their own order), in one call into Qt.

    Rebuilds the header's saved state with the new visual order, so 100,000 rows take
    milliseconds where moving them one by one takes a second. False when the state is
    not laid out as expected (another Qt, hidden rows, rows of their own heights): the
    caller then moves the sections one by one.
    """
    count = header.count()
    if count < 2 or (order is not None and len(order) != count):
        return count < 2
    state = _header_state(header)
    if state is not None and state.items == 0:
        # An unmoved header saves a short form; a moved one lists every section.
        blocked = header.blockSignals(True)
        header.swapSections(0, 1)
        header.blockSignals(blocked)
        state = _header_state(header)
    if state is None or state.items != count:
        return False
    data = state.data
    listed = struct.pack(">ii", 0, 1)  # how the state ends when it lists every section
    if order is None and data.endswith(listed):
        # Back to the short form of a header never moved: Qt removes and inserts rows in
        # it far faster (a search over 100,000 rows takes a second less).
        short = b"".join(
            (
                data[: state.lists_at],
                struct.pack(">II", 0, 0),
                data[state.lists_end : state.items_at],
                struct.pack(">I", 0),
                data[state.items_end : -len(listed)],
                struct.pack(">ii", count, 0),
            )
        )
        if (
            header.restoreState(QByteArray(short))
            and header.count() == count
            and not header.sectionsMoved()
        ):
            return True
    if order is None:
        lists = struct.pack(">II", 0, 0)
    else:
        # Each row's place is the inverse of the order: sorting the places by the row shown
        # there finds it at C speed, and in one pass when the order is nearly the file's.
        logical = array("i", order)
        visual = array("i", sorted(range(count), key=order.__getitem__))
        if sys.byteorder == "little":
            logical.byteswap()
            visual.byteswap()
        length = struct.pack(">I", count)
        lists = b"".join((length, visual.tobytes(), length, logical.tobytes()))
    rebuilt = b"".join(
        (
            data[: state.lists_at],
            lists,
            data[state.lists_end : state.items_at],
            data[state.items_at : state.items_end],
            data[state.items_end :],
        )
    )
    if not header.restoreState(QByteArray(rebuilt)) or header.count() != count:
        return False
    probes = range(count) if count < 64 else (0, 1, count // 3, count // 2, count - 1)
    wanted = range(count) if order is None else order
    return all(header.logicalIndex(place) == wanted[place] for place in probes)


def _swap_rows(header: QHeaderView, order: Sequence[int] | None) -> None:
    """Move a header's sections into ``order`` one swap at a time (the slow, sure way)."""
    count = header.count()
    wanted = range(count) if order is None else order
    blocked = header.blockSignals(True)
    try:
        at = [header.logicalIndex(visual) for visual in range(count)]
        place = [0] * count
        for visual, logical in enumerate(at):
            place[logical] = visual
        for visual, logical in enumerate(wanted):
            there = place[logical]
            if there != visual:
                header.swapSections(visual, there)
                moved = at[visual]
                at[visual], at[there] = logical, moved
                place[logical], place[moved] = visual, there
    finally:
        header.blockSignals(blocked)


def _source(index: Index) -> QModelIndex:
    model = index.model()
    plain = model.index(index.row(), index.column())
    return model.mapToSource(plain) if isinstance(model, QAbstractProxyModel) else plain


class UserTableView(QTableView):
    """A table whose key column stays at the left while the rest scrolls sideways.

    Built as Qt's frozen-column example: a second view over the same model and
    selection shows only the key column, laid over the first visual column.

    Clicking a column's header sorts the rows shown (A to Z, Z to A, then the file's
    order again). The models keep the file's order: the sort is a permutation of this
    view's row header, worked out once per click, so painting costs nothing extra and
    edits never move a row from under the cursor.
    """

    # A sentence for the admin about what an action did or left out (the status bar).
    notice = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key_column: int | None = None
        self.sort_column: int | None = None
        self.sort_order = Qt.SortOrder.AscendingOrder
        self._watched: RowFilterProxy | None = None
        self.frozen = QTableView(self)
        self.frozen.setObjectName("frozenKeyColumn")
        self.frozen.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.frozen.verticalHeader().hide()
        self.frozen.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.frozen.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.frozen.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.frozen.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        theme.follow(
            self.frozen,
            lambda c: "QTableView#frozenKeyColumn { border: none; "
            f"border-right: 2px solid {c.key_border.name()}; }}",
        )
        self.frozen.setAccessibleName(_("Locked key column"))
        self.viewport().stackUnder(self.frozen)
        self.frozen.hide()
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setAlternatingRowColors(False)
        self.setWordWrap(False)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.verticalHeader().setDefaultSectionSize(24)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.frozen.verticalHeader().setDefaultSectionSize(24)
        self.horizontalHeader().setHighlightSections(False)
        for header in (self.horizontalHeader(), self.frozen.horizontalHeader()):
            header.setSectionsClickable(True)
            header.setSortIndicatorShown(True)
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            header.sectionClicked.connect(self._header_clicked)
        self.delegate = ChoiceDelegate(self)
        self.setItemDelegate(self.delegate)
        self.horizontalHeader().sectionResized.connect(self._section_resized)
        rows_header = self.verticalHeader()
        rows_header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        rows_header.customContextMenuRequested.connect(self._row_header_menu)
        self.frozen.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(self.frozen.verticalScrollBar().setValue)
        self.setAccessibleName(_("Users"))

    def set_table(self, proxy: QAbstractProxyModel, source: UserTableModel) -> None:
        """Show a new document's users; its key column moves to the left and is frozen."""
        self.setModel(proxy)
        self.delegate.model = source
        self.frozen.setModel(proxy)
        self.frozen.setSelectionModel(self.selectionModel())
        self.key_column = source.document.key_column
        header = self.horizontalHeader()
        for col in range(proxy.columnCount()):
            self.frozen.setColumnHidden(col, col != self.key_column)
        if self.key_column is not None:
            for view_header in (header, self.frozen.horizontalHeader()):
                view_header.moveSection(view_header.visualIndex(self.key_column), 0)
        # Rows added or deleted: laid out again in the document's (or the sorted) order.
        source.rowsMoved.connect(self._apply_row_order)
        if isinstance(proxy, RowFilterProxy) and proxy is not self._watched:
            # The shown rows change with the filter: put them in the sorted order again.
            proxy.filterAboutToChange.connect(self._unsort_rows)
            proxy.filterChanged.connect(self._apply_row_order)
            self._watched = proxy
        self._set_sort(None, Qt.SortOrder.AscendingOrder)
        self.resize_columns()
        self.frozen.setVisible(self.key_column is not None)
        self._update_frozen_geometry()

    def resize_columns(self) -> None:
        """Fit columns to their headers and the first rows, not the whole file (fast)."""
        metrics = self.fontMetrics()
        model = self.model()
        rows = min(model.rowCount(), 200)
        source = self.delegate.model
        # The shown text read from the document, not asked of the models cell by cell.
        doc = source.document if source is not None else None
        sources = [_source(model.index(row, 0)).row() for row in range(rows)]
        for col in range(model.columnCount()):
            header = str(model.headerData(col, Qt.Orientation.Horizontal) or "")
            width = metrics.horizontalAdvance(header) + 48
            if doc is not None:
                values = doc.columns[col]
                texts = {shown(values[row]) for row in sources}
            else:
                texts = {str(model.index(row, col).data() or "") for row in range(rows)}
            for text in texts:
                width = max(width, metrics.horizontalAdvance(text) + 40)
            self.setColumnWidth(col, min(width, 320))

    def _tell(self, sentence: str) -> None:
        """Say what happened in the window's status bar, as Excel does, without a dialog."""
        self.notice.emit(sentence)
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(sentence, 15000)

    def _locked_name(self) -> str:
        model = self.delegate.model
        if model is None or self.key_column is None:
            return _("key")
        return model.document.headers[self.key_column]

    def _locked_pasted(self, count: int) -> str:
        return _locked_sentence(self._locked_name(), count, pasted=True)

    def _locked_left(self, count: int) -> str:
        return _locked_sentence(self._locked_name(), count, pasted=False)

    def _locked_changes(self, changes: Sequence[tuple[int, int, str]]) -> int:
        """How many of these changes would have changed the locked key column."""
        model = self.delegate.model
        if model is None or self.key_column is None:
            return 0
        doc = model.document
        count = doc.row_count
        return sum(
            1
            for r, c, v in changes
            if c == self.key_column and (doc.value(r, c) if r < count else "") != v
        )

    # --- sorting: a permutation of the row header ---------------------------------------

    def _header_clicked(self, column: int) -> None:
        if self.sort_column != column:
            self.sort_by(column, Qt.SortOrder.AscendingOrder)
        elif self.sort_order == Qt.SortOrder.AscendingOrder:
            self.sort_by(column, Qt.SortOrder.DescendingOrder)
        else:
            self.sort_by(None)

    def sort_by(
        self, column: int | None, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder
    ) -> None:
        """Show the rows sorted by ``column`` (None: in the file's order); the file keeps its."""
        proxy = self.model()
        model = self.delegate.model
        if not isinstance(proxy, RowFilterProxy) or model is None:
            return
        current = self.currentIndex()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            proxy.sort_by(column, descending=order == Qt.SortOrder.DescendingOrder)
            self._set_sort(column, order)
        finally:
            QApplication.restoreOverrideCursor()
        if current.isValid():
            self.scrollTo(current)
        if column is None:
            self._tell(_("The rows are in the file's order again."))
        else:
            way = _("A to Z") if order == Qt.SortOrder.AscendingOrder else _("Z to A")
            self._tell(
                _("Sorted by {column}, {way}. Saving keeps the file's order of rows.").format(
                    column=model.document.headers[column], way=way
                )
            )

    def _set_sort(self, column: int | None, order: Qt.SortOrder) -> None:
        self.sort_column, self.sort_order = column, order
        for header in (self.horizontalHeader(), self.frozen.horizontalHeader()):
            header.setSortIndicator(-1 if column is None else column, order)
        proxy = self.model()
        if column is None and isinstance(proxy, RowFilterProxy):
            proxy.sort_by(None)
        self._apply_row_order()

    def _apply_row_order(self) -> None:
        """Lay the rows out in the proxy's sorted order (or in its own order when unsorted).

        Each row header keeps a visual order over the same rows: set once per sort or
        filter change, it costs nothing per paint.
        """
        proxy = self.model()
        self._lay_out(proxy.display_order() if isinstance(proxy, RowFilterProxy) else None)

    def _lay_out(self, order: list[int] | None) -> None:
        for view in (self, self.frozen):
            header = view.verticalHeader()
            if order is None and not header.sectionsMoved():
                continue
            if not _lay_out_rows(header, order):
                _swap_rows(header, order)
            view.updateGeometries()
            view.viewport().update()

    def _unsort_rows(self) -> None:
        """Before the filter changes: Qt removes rows far faster from a header in order."""
        self._lay_out(None)

    def _visual_row(self, row: int) -> int:
        return self.verticalHeader().visualIndex(row)

    def _row_at(self, visual: int) -> int:
        """The model row shown at a visual position (-1 past the end)."""
        return self.verticalHeader().logicalIndex(visual)

    # --- keep the frozen column in step --------------------------------------------------

    def _section_resized(self, logical: int, _old: int, new: int) -> None:
        if logical == self.key_column:
            self.frozen.setColumnWidth(logical, new)
            self._update_frozen_geometry()

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._update_frozen_geometry()

    def _update_frozen_geometry(self) -> None:
        if self.key_column is None:
            return
        self.frozen.setColumnWidth(self.key_column, self.columnWidth(self.key_column))
        self.frozen.setGeometry(
            self.verticalHeader().width() + self.frameWidth(),
            self.frameWidth(),
            self.columnWidth(self.key_column),
            self.viewport().height() + self.horizontalHeader().height(),
        )

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self._update_frozen_geometry()

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        current = super().moveCursor(action, modifiers)
        if self.key_column is None or not current.isValid():
            return current
        frozen_width = self.columnWidth(self.key_column)
        if (
            action == QAbstractItemView.CursorAction.MoveLeft
            and current.column() != self.key_column
            and self.visualRect(current).topLeft().x() < frozen_width
        ):
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() + self.visualRect(current).topLeft().x() - frozen_width)
        return current

    def scrollTo(
        self,
        index: Index,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        if index.column() != self.key_column:
            super().scrollTo(index, hint)
        else:
            # Only scroll vertically: the key column is always in view.
            column = self.horizontalScrollBar().value()
            super().scrollTo(index, hint)
            self.horizontalScrollBar().setValue(column)

    # --- context menu: clipboard and one-click fixes ----------------------------------------

    def contextMenuEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        model = self.delegate.model
        proxy = self.model()
        if model is None or not isinstance(proxy, QAbstractProxyModel):
            return
        menu = QMenu(self)
        index = self.indexAt(event.pos())
        if index.isValid():
            source = proxy.mapToSource(index)
            row, col = source.row(), source.column()
            for issue in model.document.cell_issues(row, col):
                if issue.fix is not None:
                    shown = issue.fix if issue.fix else _("(empty)")
                    action = menu.addAction(_("Use '{value}'").format(value=shown))
                    action.triggered.connect(
                        lambda _checked=False, r=row, c=col, v=issue.fix: model.set_cells(
                            [(r, c, v)], _("Fix")
                        )
                    )
            if not menu.isEmpty():
                menu.addSeparator()
        menu.addAction(_("Copy"), self.copy_selection)
        menu.addAction(_("Paste"), self.paste)
        menu.addAction(_("Clear"), self.clear_selection)
        menu.addSeparator()
        menu.addAction(_("Fill Down") + "\tCtrl+D", self.fill_down)
        menu.addAction(_("Fill Right") + "\tCtrl+R", self.fill_right)
        menu.addSeparator()
        self.add_row_actions(menu)
        menu.exec(event.globalPos())

    def add_row_actions(self, menu: QMenu) -> None:
        """Insert above and below, and delete: in the context menus (the Edit menu has its own)."""
        count = len(self.selected_rows())
        if count < 2:
            above, below, delete = _("Insert Row Above"), _("Insert Row Below"), _("Delete Row")
        else:
            above = _("Insert {count} Rows Above").format(count=numeral(count))
            below = _("Insert {count} Rows Below").format(count=numeral(count))
            delete = _("Delete {count} Rows").format(count=numeral(count))
        menu.addAction(above + "\tCtrl++", self.insert_rows_above)
        menu.addAction(below, self.insert_rows_below)
        menu.addAction(delete + "\tCtrl+\u2212", self.delete_rows)

    def _row_header_menu(self, pos: QPoint) -> None:
        """Right-click on a row's number: that row (or the selected rows) in and out."""
        if self.delegate.model is None:
            return
        header = self.verticalHeader()
        row = header.logicalIndexAt(pos)
        if row >= 0 and row not in self.selected_rows():
            self.selectRow(row)
        menu = QMenu(self)
        self.add_row_actions(menu)
        menu.exec(header.mapToGlobal(pos))

    # --- keys: Excel's habits ------------------------------------------------------------------

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        editing = self.state() == QAbstractItemView.State.EditingState
        key, modifiers = event.key(), event.modifiers()
        ctrl = modifiers == Qt.KeyboardModifier.ControlModifier
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not editing:
            self.clear_selection()
        elif ctrl and key == Qt.Key.Key_D:
            self.fill_down()
        elif ctrl and key == Qt.Key.Key_R:
            self.fill_right()
        elif not editing and self._ctrl_key(event, Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.insert_rows_above()
        elif not editing and self._ctrl_key(event, Qt.Key.Key_Minus):
            self.delete_rows()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not editing:
            up = modifiers & Qt.KeyboardModifier.ShiftModifier
            self.step(-1 if up else 1, 0)
        elif key == Qt.Key.Key_F2 and not editing and not modifiers:
            self.edit_at_end()
        elif not editing and self._starts_typing(event):
            if not self._type_over(event):
                super().keyPressEvent(event)
        else:
            super().keyPressEvent(event)

    @staticmethod
    def _ctrl_key(event: QKeyEvent, key: Qt.Key, shifted: Qt.Key | None = None) -> bool:
        """Ctrl with ``key``, typed with Shift or on the keypad; or Ctrl+Shift with the key
        ``shifted`` that makes it (Ctrl+Shift+= is Ctrl++ on keyboards that report the =)."""
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        modifiers = event.modifiers() & ~(
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        )
        if modifiers != Qt.KeyboardModifier.ControlModifier:
            return False
        return event.key() == key or (shift and shifted is not None and event.key() == shifted)

    def _starts_typing(self, event: QKeyEvent) -> bool:
        text = event.text()
        modified = event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier
            | Qt.KeyboardModifier.AltModifier
            | Qt.KeyboardModifier.MetaModifier
        )
        return bool(text) and text.isprintable() and not modified

    def _open_current(self) -> QWidget | None:
        """Open the current cell's editor; None when it cannot be edited."""
        current = self.currentIndex()
        every = QAbstractItemView.EditTrigger.AllEditTriggers
        # No event: Qt's own edit(index) passes none either; the stubs do not say it may.
        if not current.isValid() or not self.edit(current, every, None):  # type: ignore[call-overload]
            return None
        return self.indexWidget(current)

    def _type_over(self, event: QKeyEvent | QInputMethodEvent) -> bool:
        """Typing replaces the cell's value, drop-downs included, as in Excel."""
        if not self.editTriggers() & QAbstractItemView.EditTrigger.AnyKeyPressed:
            return False
        editor = self._open_current()
        line = _line_edit(editor)
        if editor is None or line is None:
            return editor is not None
        line.clear()
        QApplication.sendEvent(editor.focusProxy() or editor, event)
        event.accept()
        return True

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        if (
            self.state() != QAbstractItemView.State.EditingState
            and (event.commitString() or event.preeditString())
            and self._type_over(event)
        ):
            return
        super().inputMethodEvent(event)

    def edit_at_end(self) -> None:
        """F2: edit the current cell with the cursor after its value, nothing selected."""
        line = _line_edit(self._open_current())
        if line is not None:
            line.deselect()
            line.end(False)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        move = self.delegate.take_move()
        super().closeEditor(editor, hint)
        if move is not None:
            self.step(*move)

    def step(self, rows: int, columns: int) -> None:
        """Move the current cell by visual rows and columns, staying inside the table."""
        model = self.model()
        current = self.currentIndex()
        if model is None or not current.isValid():
            return
        visual_row = min(max(self._visual_row(current.row()) + rows, 0), model.rowCount() - 1)
        horizontal = self.horizontalHeader()
        visual_col = horizontal.visualIndex(current.column())
        while columns:
            candidate = visual_col + (1 if columns > 0 else -1)
            logical = horizontal.logicalIndex(candidate)
            if logical < 0:
                break
            visual_col = candidate
            if not self.isColumnHidden(logical):
                columns += -1 if columns > 0 else 1
        target = model.index(self._row_at(visual_row), horizontal.logicalIndex(visual_col))
        if target.isValid():
            # Shift is still down after Shift+Enter or Shift+Tab: move, never extend.
            select = QItemSelectionModel.SelectionFlag.ClearAndSelect
            self.selectionModel().setCurrentIndex(target, select)
            self.scrollTo(target)

    # --- clipboard and fills ---------------------------------------------------------------

    def _selected_source_cells(self) -> list[tuple[int, int]]:
        proxy = self.model()
        assert isinstance(proxy, QAbstractProxyModel)
        cells = []
        for index in self.selectionModel().selectedIndexes():
            source = proxy.mapToSource(index)
            cells.append((source.row(), source.column()))
        return sorted(cells)

    def copy_selection(self) -> None:
        """Copy the selected cells as tab-separated lines, as Excel does."""
        horizontal = self.horizontalHeader()
        indexes = sorted(
            self.selectionModel().selectedIndexes(),
            key=lambda i: (self._visual_row(i.row()), horizontal.visualIndex(i.column())),
        )
        if not indexes:
            return
        rows: dict[int, list[str]] = {}
        for index in indexes:
            rows.setdefault(index.row(), []).append(str(index.data(Qt.ItemDataRole.EditRole) or ""))
        QGuiApplication.clipboard().setText("\n".join("\t".join(r) for r in rows.values()))

    def paste(self) -> None:
        """Paste a block from Excel at the current cell; the locked key column is skipped.

        What could not be pasted (the locked column, past the last row or column) is
        said in the status bar.
        """
        source_model = self.delegate.model
        proxy = self.model()
        if source_model is None or not isinstance(proxy, QAbstractProxyModel):
            return
        text = QGuiApplication.clipboard().text()
        current = self.currentIndex()
        if not text or not current.isValid():
            return
        block = [line.split("\t") for line in text.rstrip("\r\n").replace("\r\n", "\n").split("\n")]
        selected = self.selectionModel().selectedIndexes()
        header = self.horizontalHeader()
        doc = source_model.document
        said: list[str] = []
        if len(block) == 1 and len(block[0]) == 1 and len(selected) > 1:
            # One value into a selection fills the selection, as in Excel.
            targets = [
                (proxy.mapToSource(i).row(), proxy.mapToSource(i).column()) for i in selected
            ]
            changes = [(r, c, block[0][0]) for r, c in targets]
        else:
            changes = []
            first_row = self._visual_row(current.row())
            first_visual = header.visualIndex(current.column())
            pasted_rows = 0
            widest = 0
            for dr, values in enumerate(block):
                proxy_row = self._row_at(first_row + dr)
                if proxy_row < 0:
                    break
                pasted_rows += 1
                for dc, value in enumerate(values):
                    logical = header.logicalIndex(first_visual + dc)
                    if logical < 0:
                        break
                    widest = max(widest, dc + 1)
                    source = proxy.mapToSource(proxy.index(proxy_row, logical))
                    changes.append((source.row(), source.column(), value))
            extra = len(block) - pasted_rows
            whole = not (isinstance(proxy, RowFilterProxy) and proxy.is_filtering)
            if extra and pasted_rows and whole and self.sort_column is None:
                last = proxy.mapToSource(proxy.index(self._row_at(proxy.rowCount() - 1), 0))
                if ask_add_rows(self, extra, doc.row_label(last.row())):
                    first_new = doc.row_count
                    for dr, values in enumerate(block[pasted_rows:]):
                        for dc, value in enumerate(values):
                            logical = header.logicalIndex(first_visual + dc)
                            if logical < 0:
                                break
                            widest = max(widest, dc + 1)
                            changes.append((first_new + dr, logical, value))
                    locked = self._locked_changes(changes)
                    if locked:
                        said.append(self._locked_pasted(locked))
                    said.append(
                        ngettext(
                            "Added {count} new user below row {row}.",
                            "Added {count} new users below row {row}.",
                            extra,
                        ).format(count=numeral(extra), row=doc.row_label(last.row()))
                    )
                    longest = max(len(values) for values in block)
                    if widest < longest:
                        last_col = doc.headers[header.logicalIndex(header.count() - 1)]
                        said.append(
                            _(
                                "Only {widest} of {longest} columns were pasted: {column} is the "
                                "last column."
                            ).format(widest=widest, longest=longest, column=last_col)
                        )
                    end = doc.row_count if doc.order is None else len(doc.order)
                    source_model.insert_rows(extra, end, changes, _("Paste"))
                    self._tell(" ".join(said))
                    return
            if pasted_rows < len(block):
                last = proxy.mapToSource(proxy.index(self._row_at(proxy.rowCount() - 1), 0))
                if proxy.rowCount() == doc.user_count and self.sort_column is None:
                    where = _("the table ends at row {row}.").format(row=doc.row_label(last.row()))
                else:
                    where = _(
                        "row {row} is the last row shown; show all rows in the file's order to "
                        "add the rest as new users."
                    ).format(row=doc.row_label(last.row()))
                said.append(
                    _("Only {pasted} of {count} rows were pasted: {where}").format(
                        pasted=numeral(pasted_rows), count=numeral(len(block)), where=where
                    )
                )
            longest = max(len(values) for values in block)
            if pasted_rows and widest < longest:
                last_col = doc.headers[header.logicalIndex(header.count() - 1)]
                said.append(
                    _(
                        "Only {widest} of {longest} columns were pasted: {column} is the "
                        "last column."
                    ).format(widest=widest, longest=longest, column=last_col)
                )
        locked = self._locked_changes(changes)
        if locked:
            said.insert(0, self._locked_pasted(locked))
        source_model.set_cells(changes, _("Paste"))
        if said:
            self._tell(" ".join(said))

    def clear_selection(self) -> None:
        """Empty the selected cells (never the key column)."""
        if self.delegate.model is None:
            return
        changes = [(r, c, "") for r, c in self._selected_source_cells()]
        locked = self._locked_changes(changes)
        self.delegate.model.set_cells(changes, _("Clear"))
        if locked:
            self._tell(self._locked_left(locked))

    def fill_down(self) -> None:
        """Ctrl+D: copy the top cell of the selection into the cells below it, per column.

        With one cell selected, the cell above is copied into it, as in Excel.
        """
        self._fill(down=True)

    def fill_right(self) -> None:
        """Ctrl+R: copy the leftmost cell of the selection into the cells right of it."""
        self._fill(down=False)

    # --- rows in and out ------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        """The proxy rows with a selected cell (or the current row), from the top down."""
        rows: set[int] = set()
        selection = self.selectionModel().selection()
        for at in range(selection.count()):  # ranges: no index per selected cell
            block = selection.at(at)
            rows.update(range(block.top(), block.bottom() + 1))
        current = self.currentIndex()
        if not rows and current.isValid():
            rows = {current.row()}
        return sorted(rows, key=self._visual_row)

    def insert_rows_above(self) -> None:
        """Ctrl++: as many blank rows as are selected, above the selection."""
        self.insert_rows(above=True)

    def insert_rows_below(self) -> None:
        self.insert_rows(above=False)

    def insert_rows(self, above: bool) -> None:
        """Add blank rows (new users) above or below the selected rows, as one undo step."""
        model = self.delegate.model
        proxy = self.model()
        if model is None or not isinstance(proxy, RowFilterProxy):
            return
        doc = model.document
        selected = self.selected_rows()
        count = max(1, len(selected))
        if selected:
            anchor = proxy.mapToSource(proxy.index(selected[0 if above else -1], 0)).row()
            at = doc.place_of(anchor) + (0 if above else 1)
        else:
            anchor, at = -1, doc.row_count  # an empty table: the rows go at the end
        planned = doc.new_rows(count, at)
        if anchor >= 0:
            proxy.place_near(planned.rows, anchor, above)
        column = self.currentIndex().column()
        if column < 0 or column == self.key_column:
            column = self.horizontalHeader().logicalIndex(1 if self.key_column is not None else 0)
        model.insert_rows(count, at)
        first = proxy.mapFromSource(model.index(planned.rows[0], max(column, 0)))
        if first.isValid():
            self.selectionModel().setCurrentIndex(
                first, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            self.scrollTo(first)
        if not first.isValid():  # the filter or the search hides blank rows
            hidden = (
                ngettext(
                    "Added {count} blank row above, not shown while the filter or search is "
                    "on: choose Show: All rows to fill them in. Undo takes them out again.",
                    "Added {count} blank rows above, not shown while the filter or search is "
                    "on: choose Show: All rows to fill them in. Undo takes them out again.",
                    count,
                )
                if above
                else ngettext(
                    "Added {count} blank row below, not shown while the filter or search is "
                    "on: choose Show: All rows to fill them in. Undo takes them out again.",
                    "Added {count} blank rows below, not shown while the filter or search is "
                    "on: choose Show: All rows to fill them in. Undo takes them out again.",
                    count,
                )
            )
            self._tell(hidden.format(count=numeral(count)))
            return
        if above:
            said = ngettext(
                "Added {count} blank row above: fill in each new user; uploading adds them to "
                "the platform. Undo takes them out again.",
                "Added {count} blank rows above: fill in each new user; uploading adds them "
                "to the platform. Undo takes them out again.",
                count,
            )
        else:
            said = ngettext(
                "Added {count} blank row below: fill in each new user; uploading adds them to "
                "the platform. Undo takes them out again.",
                "Added {count} blank rows below: fill in each new user; uploading adds them "
                "to the platform. Undo takes them out again.",
                count,
            )
        self._tell(said.format(count=numeral(count)))

    def delete_rows(self) -> None:
        """Ctrl+−: take the selected rows out of the table (never off the platform)."""
        model = self.delegate.model
        proxy = self.model()
        if model is None or not isinstance(proxy, QAbstractProxyModel):
            return
        selected = self.selected_rows()
        if not selected:
            return
        top = self._visual_row(selected[0])
        column = max(self.currentIndex().column(), 0)
        rows = [proxy.mapToSource(proxy.index(row, 0)).row() for row in selected]
        doc = model.document
        from_file = sum(1 for row in rows if not doc.is_new_row(row))
        if not model.delete_rows(rows):
            return
        if proxy.rowCount():
            target = proxy.index(self._row_at(min(top, proxy.rowCount() - 1)), column)
            self.selectionModel().setCurrentIndex(
                target, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            self.scrollTo(target)
        sentence = ngettext("Deleted {count} row.", "Deleted {count} rows.", len(rows)).format(
            count=numeral(len(rows))
        )
        if from_file:
            sentence += " " + _(
                "Uploading leaves their users alone on the platform: nothing is deleted there."
            )
        self._tell(sentence + " " + _("Undo puts them back."))

    def _fill(self, down: bool) -> None:
        model = self.delegate.model
        proxy = self.model()
        if model is None or not isinstance(proxy, QAbstractProxyModel):
            return
        horizontal = self.horizontalHeader()
        lines: dict[int, list[tuple[int, QModelIndex]]] = {}
        for index in self.selectionModel().selectedIndexes():
            visual_row = self._visual_row(index.row())
            visual_col = horizontal.visualIndex(index.column())
            line, along = (visual_col, visual_row) if down else (visual_row, visual_col)
            lines.setdefault(line, []).append((along, index))
        changes: list[tuple[int, int, str]] = []
        for cells in lines.values():
            cells.sort(key=lambda cell: cell[0])
            first_along, first = cells[0]
            targets = [index for _, index in cells[1:]]
            if not targets:  # one cell: take the one above (or to the left)
                if first_along == 0:
                    continue
                if down:
                    first = proxy.index(self._row_at(first_along - 1), first.column())
                else:
                    first = proxy.index(first.row(), horizontal.logicalIndex(first_along - 1))
                targets = [cells[0][1]]
            value = str(first.data(Qt.ItemDataRole.EditRole) or "")
            for target in targets:
                source = proxy.mapToSource(target)
                changes.append((source.row(), source.column(), value))
        locked = self._locked_changes(changes)
        model.set_cells(changes, _("Fill down") if down else _("Fill right"))
        if locked:
            self._tell(self._locked_left(locked))
