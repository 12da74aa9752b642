"""The Qt face of a UserDocument: colours, icons and tooltips are looked up, never computed here."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QIcon, QUndoCommand, QUndoStack

from desktop_app.i18n import _, numeral
from desktop_app.models.document import CellEdit, Edit, RowEdit, UserDocument, invert
from desktop_app.views import theme
from desktop_app.views.icons import icon

# The colours on a plain light palette. The table paints theme.colours(), which follows
# the system's light, dark or high-contrast palette.
ROW_PROBLEM = theme.LIGHT.row_problem.background
CELL_PROBLEM = theme.LIGHT.cell_problem.background
CELL_CHANGED = theme.LIGHT.cell_changed.background
KEY_COLUMN = theme.LIGHT.key_column.background
NOT_UPLOADED = theme.LIGHT.not_uploaded.text
# A cell shows at most this many characters: laying out a 95 MB value would freeze the
# window. The value itself (EditRole, copy, save) is never cut.
DISPLAY_LIMIT = 1000
EDITOR_LIMIT = 32_767


def shown(value: str, limit: int = DISPLAY_LIMIT) -> str:
    """The value as a cell or tooltip shows it: cut short, with the length, when huge."""
    if len(value) <= limit:
        return value
    return _("{value}… ({count} characters)").format(value=value[:limit], count=numeral(len(value)))


Index = QModelIndex | QPersistentModelIndex


class EditCommand(QUndoCommand):
    """A thin Qt wrapper over a list of cell edits and their inverse."""

    def __init__(self, model: UserTableModel, edits: Sequence[Edit], text: str) -> None:
        super().__init__(text)
        self._model = model
        self._edits = list(edits)

    def redo(self) -> None:
        self._model.apply_edits(self._edits)

    def undo(self) -> None:
        self._model.apply_edits(invert(self._edits))


def describe_rows(document: UserDocument, edit: RowEdit) -> str:
    """The undo menu's words for rows: 'Insert 2 rows' or 'Delete row 14'."""
    if len(edit.rows) > 1:
        words = _("Insert {count} rows") if edit.shown else _("Delete {count} rows")
        return words.format(count=numeral(len(edit.rows)))
    if edit.shown:
        return _("Insert row")
    return _("Delete row {row}").format(row=document.row_label(edit.rows[0]))


def describe(document: UserDocument, edits: Sequence[CellEdit], verb: str = "Edit") -> str:
    """The undo menu's words for a change: 'Edit Email in row 5' or 'Paste 12 cells'."""
    if len(edits) == 1:
        edit = edits[0]
        label = document.validator.checkers[edit.col].header
        return _("{verb} {column} in row {row}").format(
            verb=_(verb), column=label, row=document.excel_row(edit.row)
        )
    return _("{verb} {count} cells").format(verb=_(verb), count=numeral(len(edits)))


class UserTableModel(QAbstractTableModel):
    """Users as rows, the download's columns as columns; the key column is read-only."""

    # Emitted after every change to values or problems, for the status bar and panels.
    contentChanged = Signal()
    # Before and after rows come into the table or leave it (the view lays rows out again).
    rowsAboutToMove = Signal()
    rowsMoved = Signal()
    # Rows already in this model that were hidden or shown again (the proxy filters them).
    rowsToggled = Signal(list)

    def __init__(self, document: UserDocument, undo_stack: QUndoStack) -> None:
        super().__init__()
        self.document = document
        self.undo_stack = undo_stack
        self._warning: QIcon = icon("warning")
        self._edited: QIcon = icon("edited")
        self._lock: QIcon = icon("lock")
        self._italic = QFont()
        self._italic.setItalic(True)

    # --- shape -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.document.row_count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.document.column_count

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        row, col = index.row(), index.column()
        # A line editor holds 32,767 characters: it would cut a longer value on commit,
        # so such a cell is replaced by paste or cleared, never typed into.
        if self.document.is_editable(col) and len(self.document.value(row, col)) <= EDITOR_LIMIT:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    # --- looks -------------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        doc = self.document
        if role == Qt.ItemDataRole.DisplayRole:
            return shown(doc.value(row, col))
        if role == Qt.ItemDataRole.EditRole:
            return doc.value(row, col)
        refused = row in doc.server_messages and col == doc.server_column(row)
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            # Each tint comes with the text colour that reads on it (4.5:1 or more).
            colours = theme.colours()
            if doc.cell_issues(row, col) or refused:
                pair = colours.cell_problem
            elif doc.is_changed(row, col):
                pair = colours.cell_changed
            elif doc.row_is_red(row):
                pair = colours.row_problem
            elif col == doc.key_column:
                pair = colours.key_column
            else:
                return None
            background = role == Qt.ItemDataRole.BackgroundRole
            return QBrush(pair.background if background else pair.text)
        if role == Qt.ItemDataRole.DecorationRole:
            if doc.cell_issues(row, col) or refused:
                return self._warning
            if doc.is_changed(row, col):
                return self._edited
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._italic if doc.is_changed(row, col) else None
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleDescriptionRole):
            return self.cell_explanation(row, col) or None
        return None

    def cell_explanation(self, row: int, col: int) -> str:
        """Everything a person should know about a cell, in sentences."""
        doc = self.document
        lines = [issue.message for issue in doc.cell_issues(row, col)]
        if row in doc.server_messages and col == doc.server_column(row):
            lines.append(
                _("The server refused this user: {message}").format(
                    message=doc.server_messages[row]
                )
            )
        original = doc.original(row, col)
        if original is not None:
            lines.append(
                _("Changed here. It was: {value!r}").format(value=shown(original, 200))
                if original
                else _("Changed here. It was empty.")
            )
        if col == doc.key_column:
            lines.append(
                _("{column} is locked: the platform finds each user by it.").format(
                    column=doc.headers[col]
                )
            )
        return "\n".join(lines)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        doc = self.document
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole:
                return doc.row_label(section)
            if role == Qt.ItemDataRole.ToolTipRole:
                if doc.is_new_row(section):
                    return _(
                        "A new row (messages call it row {row}): "
                        "uploading adds it as a new user, and Save writes it here."
                    ).format(row=doc.excel_row(section))
                return _("Row {row} in the file").format(row=doc.excel_row(section))
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return doc.headers[section]
        if role == Qt.ItemDataRole.DecorationRole and section == doc.key_column:
            return self._lock
        if role == Qt.ItemDataRole.ForegroundRole:
            muted = theme.colours().not_uploaded.text
            return QBrush(muted) if self.not_uploaded(section) else None
        if role == Qt.ItemDataRole.FontRole:
            return self._italic if self.not_uploaded(section) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if section == doc.key_column:
                return _(
                    "{column} is locked: the platform finds each user by it, "
                    "so changing it would break the upload."
                ).format(column=doc.headers[section])
            why = self.not_uploaded(section)
            if why:
                return why
            rule = doc.profile.rule_for(doc.headers[section])
            return _("Required") if rule is not None and rule.required else None
        return None

    def not_uploaded(self, section: int) -> str:
        """Why a column is never sent to the server ('' when it is, or is the key)."""
        doc = self.document
        if section == doc.key_column:
            return ""
        report = doc.loaded.report
        if report is not None and section in report.indexes:
            return _("Not uploaded: the import's result for this row, kept in the file as it is")
        rule = doc.profile.rule_for(doc.headers[section])
        if rule is None or not rule.scim:
            return _("Not uploaded: the server has no field for it (View › Columns and Platform…)")
        return ""

    # --- edits -------------------------------------------------------------------------

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        text = "" if value is None else str(value)
        return self.set_cells([(index.row(), index.column(), text)], _("Edit"))

    def set_cells(self, changes: Sequence[tuple[int, int, str]], verb: str) -> bool:
        """Change many cells as one undoable step; the key column is never touched."""
        edits = self.document.edits_for(changes)
        if not edits:
            return False
        self.undo_stack.push(EditCommand(self, edits, describe(self.document, edits, verb)))
        return True

    def insert_rows(
        self,
        count: int,
        at: int,
        changes: Sequence[tuple[int, int, str]] = (),
        text: str | None = None,
    ) -> RowEdit | None:
        """Add ``count`` blank rows at place ``at`` of the saved order, and fill cells
        (of those rows or others) in the same undoable step. Returns the rows' edit."""
        if count <= 0:
            return None
        rows = self.document.new_rows(count, at)
        edits: list[Edit] = [rows, *self.document.edits_for(changes, adding=count)]
        self.undo_stack.push(EditCommand(self, edits, text or describe_rows(self.document, rows)))
        return rows

    def push_step(
        self,
        adding: Sequence[RowEdit],
        changes: Sequence[tuple[int, int, str]],
        taking: Sequence[RowEdit],
        text: str,
    ) -> int:
        """Add rows, set cells, take rows out: one undoable step. Returns the cells set."""
        made = sum(len(edit.rows) for edit in adding)
        cells = self.document.edits_for(changes, adding=made)
        edits: list[Edit] = [*adding, *cells, *taking]
        if edits:
            self.undo_stack.push(EditCommand(self, edits, text))
        return len(cells)

    def delete_rows(self, rows: Sequence[int]) -> bool:
        """Take rows out of the table as one undoable step (never off the server)."""
        doc = self.document
        wanted = tuple(sorted({r for r in rows if 0 <= r < doc.row_count and not doc.is_hidden(r)}))
        if not wanted:
            return False
        edit = RowEdit(wanted, False)
        self.undo_stack.push(EditCommand(self, [edit], describe_rows(doc, edit)))
        return True

    def show_server_messages(
        self, messages: dict[int, str], cells: dict[int, tuple[int, str]] | None = None
    ) -> None:
        """Mark the rows the server refused, with its reason, until they are edited.

        ``cells``: row -> (column, reason) where the server named the field it refused
        (an invite's 400): that cell is marked instead of the key.
        """
        doc = self.document
        touched = set(doc.server_messages) | set(messages)
        doc.server_messages = dict(messages)
        doc.server_cells = {}
        for row, (col, reason) in (cells or {}).items():
            if 0 <= col < doc.column_count and 0 <= row < doc.row_count:
                doc.server_cells[row] = col
                doc.server_messages[row] = reason or messages.get(row, "")
                touched.add(row)
        if touched:
            self.dataChanged.emit(
                self.index(min(touched), 0), self.index(max(touched), self.columnCount() - 1)
            )
        self.contentChanged.emit()

    def apply_edits(self, edits: Sequence[Edit]) -> None:
        """Carry out edits (from the undo stack) and repaint what they touched, once."""
        doc = self.document
        row_edits = [edit for edit in edits if isinstance(edit, RowEdit)]
        if not row_edits:
            self._repaint(doc.apply(edits))
            return
        count = doc.row_count
        made = sum(1 for edit in row_edits for row in edit.rows if row >= count)
        toggled = sorted({row for edit in row_edits for row in edit.rows if row < count})
        self.rowsAboutToMove.emit()
        if made:
            self.beginInsertRows(QModelIndex(), count, count + made - 1)
        try:
            touched = doc.apply(edits)
        finally:
            if made:
                self.endInsertRows()
        if toggled:
            self.rowsToggled.emit(toggled)
        self._repaint(touched)  # first: the row header's width follows its new labels
        if any(edit.shown for edit in row_edits):
            # Rows taken out leave the others in their order; rows (back) in need a place.
            self.rowsMoved.emit()

    def _repaint(self, touched: set[int]) -> None:
        if touched:
            top = self.index(min(touched), 0)
            bottom = self.index(max(touched), self.columnCount() - 1)
            self.dataChanged.emit(top, bottom)
            first, last = min(touched), max(touched)
            self.headerDataChanged.emit(Qt.Orientation.Vertical, first, last)
        self.contentChanged.emit()


class RowFilterProxy(QAbstractProxyModel):
    """All rows, only rows with problems, or only changed rows; plus a text search.

    The filter is applied when it changes, not on every edit, so a row being fixed
    does not vanish under the admin's cursor. Sorting works the same way: a header
    click ranks every row once (``sort_by``) and the view shows the shown rows in
    that order (``display_order``) until the next click; the rows here, like the
    source model's, stay in the file's order, so saving keeps it.

    The shown rows are a list of source rows in ascending order, worked out in bulk:
    a filter change is one layout change with no call per row, and a source row is
    found by bisection.
    """

    ALL, PROBLEMS, CHANGED = range(3)
    # Emitted before and after the filter or the search changes which rows are shown.
    filterAboutToChange = Signal()
    filterChanged = Signal()
    _NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
    _DIGITS = re.compile(r"(\d+)")

    # A search looks at this many rows, then lets the window answer before the next ones.
    SEARCH_SLICE = 10_000
    # More runs of rows hidden or shown at once than this: one layout change instead.
    TOGGLE_RUNS = 64

    def __init__(self) -> None:
        super().__init__()
        self._mode = self.ALL
        self._search = ""
        # The rows the filter and the search let through, worked out in bulk when either
        # changes (None: every row); it holds for rows below ``_known``.
        self._wanted: set[int] | None = None
        self._known = 0
        self._hidden: set[int] | frozenset[int] = frozenset()
        # The source rows shown, ascending: a range while every row is shown.
        self._rows: range | array[int] = range(0)
        # The search being worked out slice by slice: (text, rows found, next row, end).
        self._searching: tuple[str, set[int], int, int] | None = None
        self._found: set[int] | None = None  # the rows the applied search found
        self._found_at = 0  # the document's generation when it found them
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(0)
        self._search_timer.timeout.connect(self._search_slice)
        # Each source row's place in the sorted order, fixed when the header was clicked.
        self._rank: list[int] | None = None
        # Rows added while sorted: their place among the ranked rows.
        self._placed: dict[int, float] = {}
        # Between a source's notice and its change: (first, stop, count) of rows removed,
        # and the persistent indexes with their source cells while the source lays out.
        self._removing = (0, 0, 0)
        self._layout_sources: list[tuple[QModelIndex, QModelIndex]] = []

    # --- the model: rows mapped through ``_rows`` ------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() or not (0 <= row < len(self._rows)):
            return QModelIndex()
        if not (0 <= column < self.columnCount()):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        return QModelIndex()

    def sibling(self, row: int, column: int, idx: Index) -> QModelIndex:
        return self.index(row, column)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) > 0 and self.columnCount() > 0

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        model = self.sourceModel()
        return 0 if parent.isValid() or model is None else model.columnCount()

    def mapToSource(self, proxyIndex: Index) -> QModelIndex:  # noqa: N803
        model = self.sourceModel()
        if model is None or not proxyIndex.isValid():
            return QModelIndex()
        row = proxyIndex.row()
        if not 0 <= row < len(self._rows):
            return QModelIndex()
        return model.index(self._rows[row], proxyIndex.column())

    def mapFromSource(self, sourceIndex: Index) -> QModelIndex:  # noqa: N803
        if not sourceIndex.isValid():
            return QModelIndex()
        row = self._place(sourceIndex.row())
        return QModelIndex() if row < 0 else self.createIndex(row, sourceIndex.column())

    def _place(self, source_row: int) -> int:
        """This model's row showing ``source_row``, or -1 when it is not shown."""
        rows = self._rows
        at = bisect_left(rows, source_row)
        return at if at < len(rows) and rows[at] == source_row else -1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        model = self.sourceModel()
        if model is None or not index.isValid():
            return None
        return model.data(model.index(self._rows[index.row()], index.column()), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        model = self.sourceModel()
        if model is None:
            return None
        if orientation == Qt.Orientation.Vertical:
            if not 0 <= section < len(self._rows):
                return None
            section = self._rows[section]
        return model.headerData(section, orientation, role)

    def setSourceModel(self, sourceModel: QAbstractItemModel) -> None:  # noqa: N803
        self.beginResetModel()
        try:
            self._rank = None  # a new table starts in its file's order
            self._placed = {}
            self._search_timer.stop()
            self._searching = None
            self._search, self._found = "", None  # a new table shows every row it lets through
            old = self.sourceModel()
            if old is not None:
                for signal, slot in self._forwarded(old):
                    signal.disconnect(slot)
                if isinstance(old, UserTableModel):
                    old.rowsToggled.disconnect(self._rows_toggled)
            super().setSourceModel(sourceModel)
            if sourceModel is not None:
                for signal, slot in self._forwarded(sourceModel):
                    signal.connect(slot)
                if isinstance(sourceModel, UserTableModel):
                    sourceModel.rowsToggled.connect(self._rows_toggled)
            self._work_out_rows(sourceModel)
            self._rows = self._rows_wanted()
        finally:
            self.endResetModel()

    def _forwarded(self, model: QAbstractItemModel) -> list[tuple[Any, Any]]:
        return [
            (model.dataChanged, self._source_data_changed),
            (model.headerDataChanged, self._source_header_changed),
            (model.rowsInserted, self._source_rows_inserted),
            (model.rowsAboutToBeRemoved, self._source_rows_about_to_be_removed),
            (model.rowsRemoved, self._source_rows_removed),
            (model.modelAboutToBeReset, self._source_about_to_be_reset),
            (model.modelReset, self._source_reset),
            (model.layoutAboutToBeChanged, self._source_layout_about_to_change),
            (model.layoutChanged, self._source_layout_changed),
            (model.columnsAboutToBeInserted, self._source_about_to_be_reset),
            (model.columnsInserted, self._source_reset),
            (model.columnsAboutToBeRemoved, self._source_about_to_be_reset),
            (model.columnsRemoved, self._source_reset),
        ]

    def _span(self, first: int, last: int) -> tuple[int, int]:
        """This model's rows showing source rows ``first``..``last``: (start, stop)."""
        rows = self._rows
        return bisect_left(rows, first), bisect_right(rows, last)

    def _source_data_changed(
        self,
        top_left: QModelIndex,
        bottom_right: QModelIndex,
        roles: list[int] = [],  # noqa: B006
    ) -> None:
        start, stop = self._span(top_left.row(), bottom_right.row())
        if start < stop:
            self.dataChanged.emit(
                self.createIndex(start, top_left.column()),
                self.createIndex(stop - 1, bottom_right.column()),
                roles,
            )

    def _source_header_changed(self, orientation: Qt.Orientation, first: int, last: int) -> None:
        if orientation == Qt.Orientation.Horizontal:
            self.headerDataChanged.emit(orientation, first, last)
            return
        start, stop = self._span(first, last)
        if start < stop:
            self.headerDataChanged.emit(orientation, start, stop - 1)

    def _source_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            return
        count = last - first + 1
        rows = self._rows
        at = bisect_left(rows, first)
        if self._wanted is None and self._hidden.isdisjoint(range(first, last + 1)):
            added: range | array[int] = range(first, last + 1)
        else:
            added = array("i", (row for row in range(first, last + 1) if self._accepts(row)))
        if isinstance(rows, range) and rows.stop == first and isinstance(added, range):
            # Every row shown, rows added at the end: still every row.
            self.beginInsertRows(QModelIndex(), at, at + count - 1)
            self._rows = range(rows.start, last + 1)
            self.endInsertRows()
            return
        after = array("i", (row + count for row in rows[at:]))
        rebuilt = array("i", rows[:at])
        rebuilt.extend(added)
        rebuilt.extend(after)
        if added:
            self.beginInsertRows(QModelIndex(), at, at + len(added) - 1)
            self._rows = rebuilt
            self.endInsertRows()
        else:
            self._rows = rebuilt

    def _source_rows_about_to_be_removed(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            return
        start, stop = self._span(first, last)
        self._removing = (start, stop, last - first + 1)
        if start < stop:
            self.beginRemoveRows(QModelIndex(), start, stop - 1)

    def _source_rows_removed(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            return
        start, stop, count = self._removing
        rows = self._rows
        rebuilt = array("i", rows[:start])
        rebuilt.extend(row - count for row in rows[stop:])
        self._rows = rebuilt
        if start < stop:
            self.endRemoveRows()

    def _source_about_to_be_reset(self) -> None:
        self.beginResetModel()

    def _source_reset(self) -> None:
        self._work_out_rows()
        self._rows = self._rows_wanted()
        self.endResetModel()

    def _source_layout_about_to_change(self) -> None:
        self.layoutAboutToBeChanged.emit()
        self._layout_sources = [
            (index, self.mapToSource(index)) for index in self.persistentIndexList()
        ]

    def _source_layout_changed(self) -> None:
        self._work_out_rows()
        self._rows = self._rows_wanted()
        old = [index for index, _source in self._layout_sources]
        new = [self.mapFromSource(QModelIndex(source)) for _index, source in self._layout_sources]
        self._layout_sources = []
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def _rows_wanted(self) -> range | array[int]:
        """The source rows to show, worked out by ``_work_out_rows``, ascending."""
        model = self.sourceModel()
        count = 0 if model is None else model.rowCount()
        hidden, wanted = self._hidden, self._wanted
        if wanted is None:
            if not hidden:
                return range(count)
            return array("i", [row for row in range(count) if row not in hidden])
        shown = wanted.difference(hidden) if hidden else wanted
        if len(shown) == count == self._known:
            return range(count)  # every row let through (every row has a problem)
        # A set of row numbers iterates nearly in order: sorting it is a single pass.
        rows = array("i", sorted(shown))
        del rows[bisect_left(rows, count) :]
        # Rows added since the rows were worked out are looked at now.
        rows.extend(row for row in range(self._known, count) if self._accepts(row))
        return rows

    def _accepts(self, source_row: int) -> bool:
        """Whether a row is shown: not hidden, and let through by the filter and search."""
        if source_row in self._hidden:
            return False
        wanted = self._wanted
        if wanted is None:
            return True
        if source_row < self._known:
            return source_row in wanted
        return self._accepts_now(source_row)

    def _show_rows(self, rows: range | array[int]) -> None:
        """Show these source rows instead: one layout change, the current cell kept."""
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        sources = [(self._rows[i.row()], i.column()) if i.isValid() else None for i in old]
        self._rows = rows
        new: list[QModelIndex] = []
        for source in sources:
            place = -1 if source is None else self._place(source[0])
            new.append(
                QModelIndex() if place < 0 or source is None else self.createIndex(place, source[1])
            )
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def set_mode(self, mode: int) -> None:
        self._mode = mode
        if self._searching is not None:
            return  # the search under way shows its rows in this mode when it is done
        model = self.sourceModel()
        if (
            self._search
            and isinstance(model, UserTableModel)
            and self._found_at != model.document.generation
        ):
            self.set_search(self._search)  # cells were edited since: search them again
            return
        self.refresh()

    def set_search(self, text: str) -> None:
        """Search for ``text``: a big table is searched in slices, then the rows shown once."""
        text = text.strip().casefold()
        model = self.sourceModel()
        self._search_timer.stop()
        self._searching = None
        if not text or not isinstance(model, UserTableModel):
            self._search, self._found = text, None
            self.refresh()
            return
        self._searching = (text, set(), 0, model.document.row_count)
        self._search_slice()  # a small table is searched at once; a big one goes on later

    def show_all(self) -> None:
        """Every row, no search: one filter change."""
        self._search_timer.stop()
        self._searching = None
        self._mode, self._search, self._found = self.ALL, "", None
        self.refresh()

    @property
    def searching(self) -> bool:
        """A search is being worked out; the rows shown change when it is done."""
        return self._searching is not None

    def _search_slice(self) -> bool:
        """Search the next slice; True when the search is done (and applied)."""
        model = self.sourceModel()
        if self._searching is None or not isinstance(model, UserTableModel):
            self._searching = None
            return True
        text, found, start, end = self._searching
        stop = min(start + self.SEARCH_SLICE, end)
        found |= model.document.rows_containing(text, start, stop)
        if stop < end:
            self._searching = (text, found, stop, end)
            self._search_timer.start()
            return False
        self._searching = None
        self._search, self._found = text, found
        self._found_at = model.document.generation
        self.refresh()
        return True

    @property
    def mode(self) -> int:
        return self._mode

    @property
    def is_filtering(self) -> bool:
        """True while a filter or a search may hide rows."""
        return self._mode != self.ALL or bool(self._search)

    def refresh(self) -> None:
        self._work_out_rows()
        self.filterAboutToChange.emit()
        # One layout change, not a removal or insertion per run of rows: the row header
        # then sizes itself once instead of once per run (seconds at 100,000 rows).
        self._show_rows(self._rows_wanted())
        self.filterChanged.emit()

    def _work_out_rows(self, model: QAbstractItemModel | None = None) -> None:
        """The rows the filter and the search let through, in bulk, at C speed."""
        model = self.sourceModel() if model is None else model
        if not isinstance(model, UserTableModel):
            self._wanted, self._hidden = None, frozenset()
            return
        doc = model.document
        self._hidden = doc.hidden
        self._known = doc.row_count
        wanted: set[int] | None = None
        if self._mode == self.PROBLEMS:
            wanted = doc.red_row_set()
        elif self._mode == self.CHANGED:
            wanted = doc.changed_row_set()
        if self._search:
            found = self._found
            if found is None or self._found_at != doc.generation:
                found = doc.rows_containing(self._search)
            wanted = found if wanted is None else wanted & found
        self._wanted = wanted

    def _accepts_now(self, source_row: int) -> bool:
        """Whether the filter and the search let a row through, looked at now."""
        model = self.sourceModel()
        if not isinstance(model, UserTableModel):
            return True
        doc = model.document
        if self._mode == self.PROBLEMS and not doc.row_is_red(source_row):
            return False
        if self._mode == self.CHANGED and not doc.row_is_changed(source_row):
            return False
        if self._search:
            return any(self._search in values[source_row].casefold() for values in doc.columns)
        return True

    def _rows_toggled(self, rows: list[int]) -> None:
        """Hide or show again only the rows that were deleted or brought back, never
        filtering the whole table: the filter is otherwise applied when it changes (an
        edited row must not vanish under the cursor)."""
        model = self.sourceModel()
        if not rows or not isinstance(model, UserTableModel):
            return
        self._hidden = model.document.hidden
        wanted = self._wanted
        if wanted is not None:
            for row in rows:
                if row < self._known and self._accepts_now(row):
                    wanted.add(row)
                else:
                    wanted.discard(row)
        going: list[int] = []
        coming: list[int] = []
        for row in rows:
            place = self._place(row)
            if place >= 0 and not self._accepts(row):
                going.append(place)
            elif place < 0 and self._accepts(row):
                coming.append(row)
        if not going and not coming:
            return
        shown = self._rows
        if isinstance(shown, range):
            shown = array("i", shown)
            self._rows = shown
        # From the bottom up, so the places above stay right; one removal per run.
        for start, stop in reversed(_runs(sorted(going))):
            self.beginRemoveRows(QModelIndex(), start, stop - 1)
            del shown[start:stop]
            self.endRemoveRows()
        runs: list[tuple[int, list[int]]] = []
        for row in sorted(coming):
            place = bisect_left(shown, row)
            if runs and runs[-1][0] == place:
                runs[-1][1].append(row)
            else:
                runs.append((place, [row]))
        for place, added in reversed(runs):
            self.beginInsertRows(QModelIndex(), place, place + len(added) - 1)
            shown[place:place] = array("i", added)
            self.endInsertRows()

    def place_near(self, rows: Sequence[int], anchor: int, above: bool) -> None:
        """While sorted: show rows added now beside ``anchor`` (until the next header click)."""
        rank = self._rank
        if rank is None:
            return
        base = self._placed.get(anchor, rank[anchor] if anchor < len(rank) else len(rank))
        step = 1 / (len(rows) + 1)
        for i, row in enumerate(rows, 1):
            self._placed[row] = base - 1 + i * step if above else base + i * step

    # --- sorting: ranked once per header click --------------------------------------------

    @classmethod
    def sort_key(cls, value: str) -> tuple[Any, ...]:
        """Numbers by value ('000123' is 123), then text in natural order ('Room 9' < 'Room 10')."""
        text = value.strip()
        if cls._NUMBER.fullmatch(text):
            return (0, float(text), text)
        parts = cls._DIGITS.split(text.casefold())
        # split() alternates text and digits, so equal positions always compare like with like.
        return (1, tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), text)

    def sort_by(self, column: int | None, descending: bool = False) -> None:
        """Rank every row by ``column`` (None: the file's order). Blank cells go last."""
        model = self.sourceModel()
        self._placed = {}
        if column is None or not isinstance(model, UserTableModel):
            self._rank = None
            return
        values = model.document.columns[column]
        order = model.document.order
        rows = range(len(values)) if order is None else order
        filled = [row for row in rows if values[row].strip()]
        keys = {row: self.sort_key(values[row]) for row in filled}
        filled.sort(key=keys.__getitem__, reverse=descending)  # stable: ties keep file order
        blanks = [row for row in rows if not values[row].strip()]
        rank = [0] * len(values)
        for place, row in enumerate(filled + blanks):
            rank[row] = place
        self._rank = rank

    @property
    def is_sorted(self) -> bool:
        return self._rank is not None

    def display_order(self) -> list[int] | None:
        """This model's rows in the order the last ``sort_by`` ranked them, or unsorted in
        the document's order (rows added in their place); None: as they are.

        Rows added since the ranking go beside the row they were added at, or last.
        """
        rank = self._rank
        model = self.sourceModel()
        order = model.document.order if isinstance(model, UserTableModel) else None
        if rank is None and order is None:
            return None
        sources = self._rows
        count = len(sources)
        if rank is None:
            assert order is not None
            if model is not None and count == model.rowCount():
                return list(order)
            proxy_row = dict(zip(sources, range(count), strict=True))
            return [proxy_row[s] for s in order if s in proxy_row]
        known, placed = len(rank), self._placed
        places = [rank[s] if s < known else placed.get(s, known + s) for s in sources]
        return sorted(range(count), key=places.__getitem__)


def _runs(places: list[int]) -> list[tuple[int, int]]:
    """Ascending places as runs of consecutive ones: (start, stop)."""
    runs: list[tuple[int, int]] = []
    for place in places:
        if runs and runs[-1][1] == place:
            runs[-1] = (runs[-1][0], place + 1)
        else:
            runs.append((place, place + 1))
    return runs
