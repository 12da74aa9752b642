"""The Problems panel: the file's problems grouped by what is wrong, with a count each.

"Email is not a valid email address: it is missing the @ — 12 rows" is one line; open
it to see its rows, click a row to go to its cell (click the group for its first cell).

The panel never walks the whole table on the GUI thread in one go. Opening a file (or a
change that is not an edit: the server's refusals, a list of allowed values learnt from
the server) counts the problems in slices of a few milliseconds, saying "Counting
problems… 40%" meanwhile. After an edit only the rows it touched are read again: the
edited rows, and the rows of a uniqueness group that gained or lost its duplicate. A
group's rows are handed to the view a batch at a time as it scrolls, so a group of a
million rows costs nothing until it is opened.
"""

from __future__ import annotations

import bisect
import re
import time
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QTreeView, QVBoxLayout, QWidget

from desktop_app.i18n import N_, _, ngettext, numeral
from desktop_app.models.document import CellEdit, Edit, UserDocument
from desktop_app.models.validation import Issue
from desktop_app.views.icons import icon

Index = QModelIndex | QPersistentModelIndex

# (rank, column, title): the server's refusals first, then the table's columns left to right.
GroupKey = tuple[int, int, str]

SERVER_TITLE = N_("The server refused these users")
SERVER_KEY: GroupKey = (0, -1, SERVER_TITLE)
# How long one slice of counting may hold the GUI thread, in seconds. Qt may run two
# slices and a repaint of the table before the window's next timer.
SLICE = 0.01
# How many of a group's rows the view gets at a time.
FETCH_BATCH = 200
# Rows read between two looks at the clock.
ROWS_PER_CHECK = 512
# Below one row in this many with a problem, counting reads only those rows (sorted once,
# in a few milliseconds), not every row of the table.
SPARSE = 16

# The words the patterns below find are translated with the messages; English always works.
_VERBS = (N_("is"), N_("must"))


def problem_title(header: str, issue: Issue) -> str:
    """What a problem is, without the cell's own value: the line that groups it.

    The validator's messages name the value ("Email 'bob' is not a valid email
    address: it is missing the @."), other rows ("This email is also used in rows 7
    and 9.") or lengths. The rule, by the issue's kind:

    - duplicate: "<column> is used in more than one row" (the key column: "appears");
    - length: "<column> is longer than N characters" (N the platform's limit);
    - any other kind: the message without the value quoted before "is"/"must", without
      a suggestion (": did you mean …", ". Choose one of …", ", not 'yes'"), and
      without the advice after a ";".

    Problems with the same title in the same column are one group.
    """
    message = issue.message.rstrip(".")
    if issue.kind == "duplicate":
        if _("Each user appears once") in message:
            return _("{header} appears in more than one row").format(header=header)
        return _("{header} is used in more than one row").format(header=header)
    if issue.kind == "length":
        if message.startswith(_("This cell holds")):
            return _("{header} is longer than an Excel cell can hold").format(header=header)
        limit = re.search(re.escape(_("at most")) + r" ([\d,.]+)", message)
        if limit is not None:
            return _("{header} is longer than {limit} characters").format(
                header=header, limit=limit.group(1)
            )
        return message
    if issue.kind == "email" and message.startswith(f"{header}: '"):
        reason = message.rpartition(_("email address: "))[2]
        return _("{header} has an address that is not valid: {reason}").format(
            header=header, reason=reason
        )
    verbs = "|".join(re.escape(verb) for verb in {*_VERBS, *map(_, _VERBS)})
    message = re.sub(rf" '.*?'(?= (?:{verbs}) )", "", message, count=1)
    message = message.split(_(": did you mean"))[0].split(_(". Choose one of"))[0]
    message = re.sub(re.escape(_(", not")) + r" '.*'$", "", message).split("; ")[0]
    return message.replace(_("is not allowed here"), _("is not one of the allowed values"))


def touched_rows(doc: UserDocument, edits: Sequence[CellEdit]) -> set[int]:
    """The rows whose problems may differ after ``edits`` (already applied).

    The edited rows, and, in a column that must be unique, every row of a value whose
    rows went from one to several or back (those rows gained or lost their duplicate).
    A row that stays one of several keeps its problem; only its wording (the other
    rows it names) changes, and the view repaints that.
    """
    rows = {edit.row for edit in edits}
    validator = doc.validator
    first: dict[tuple[int, int], str] = {}
    last: dict[tuple[int, int], str] = {}
    for edit in edits:
        cell = (edit.row, edit.col)
        first.setdefault(cell, edit.old)
        last[cell] = edit.new
    moves: dict[int, dict[str, int]] = {}
    for cell, old in first.items():
        col = cell[1]
        if col not in validator.unique:
            continue
        checker = validator.checkers[col]
        before, after = checker.unique_key(old), checker.unique_key(last[cell])
        if before == after:
            continue
        counts = moves.setdefault(col, {})
        counts[before] = counts.get(before, 0) - 1
        counts[after] = counts.get(after, 0) + 1
    for col, counts in moves.items():
        index = validator.unique[col]
        for key, change in counts.items():
            if not key or not change:
                continue
            group = index.rows_with(key)
            if (len(group) >= 2) != (len(group) - change >= 2):
                rows.update(group)
    return rows


def red_rows(doc: UserDocument) -> int:
    """Rows with a problem or refused by the server, without a pass over every row."""
    problems = doc.validator.problems
    return len(problems) + sum(1 for row in doc.server_messages if row not in problems)


class ProblemGroup:
    """One kind of problem in one column, and the cells that have it (in table order)."""

    def __init__(self, ident: int, key: GroupKey) -> None:
        self.ident = ident  # the internal id of its children's indexes; never reused
        self.key = key
        # Each cell as row * width + column: 8 bytes a cell, sorted, searched by bisect.
        self.cells: array[int] = array("q")
        self.fetched = 0  # how many of the cells the view has been given

    @property
    def title(self) -> str:
        return self.key[2]

    @property
    def column(self) -> int:
        return self.key[1]


class ProblemsModel(QAbstractItemModel):
    """Groups of problems as top-level rows; their cells as children, fetched as needed.

    A top-level index has internal id 0; a child's internal id is its group's ident.
    """

    # After each slice of work: the counts (or the progress of counting) changed.
    countsChanged = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.document: UserDocument | None = None
        self.groups: list[ProblemGroup] = []
        self._keys: list[GroupKey] = []  # the groups' keys, in the same order, for bisect
        self._by_key: dict[GroupKey, ProblemGroup] = {}
        self._by_ident: dict[int, ProblemGroup] = {}
        self._next_ident = 1
        self._titles: dict[tuple[int, Issue], GroupKey] = {}
        self._width = 1
        self.total = 0
        # While counting the groups are hidden; rows before the cursor are in them. The rows
        # counted are every row of the table, or (``_order``) only those that had a problem
        # when the first slice began (``_planned``: that choice is made).
        self.counting = False
        self._cursor = 0
        self._order: list[int] | None = None
        self._planned = False
        self._dirty: set[int] = set()  # rows to read again
        self._work = QTimer(self)
        self._work.setInterval(0)
        self._work.timeout.connect(lambda: self.work(time.perf_counter() + SLICE))
        self._bold = QFont()
        self._bold.setBold(True)
        self._warning = icon("warning")

    # --- what the panel reads -----------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Counting, or touched rows still to read."""
        return self.counting or bool(self._dirty)

    @property
    def progress(self) -> int:
        """How far counting has come, in percent."""
        doc = self.document
        if doc is None:
            return 100
        length = doc.row_count if self._order is None else len(self._order)
        if not length:
            return 100
        return min(99, self._cursor * 100 // length)

    @property
    def pending(self) -> bool:
        """A count is waiting that has not begun yet: it will see the table as it is."""
        return self.counting and not self._planned

    def group_at(self, index: Index) -> ProblemGroup | None:
        """The group of a top-level index, or of a child's parent."""
        if not index.isValid():
            return None
        if index.internalId():
            return self._by_ident.get(index.internalId())
        return self.groups[index.row()] if index.row() < len(self.groups) else None

    def cell_at(self, index: Index) -> tuple[int, int] | None:
        """The (row, column) an index stands for: a child's cell, or a group's first cell."""
        group = self.group_at(index)
        if group is None or not group.cells:
            return None
        at = index.row() if index.internalId() else 0
        if at >= len(group.cells):
            return None
        row, col = divmod(group.cells[at], self._width)
        return row, col

    def state(self) -> list[tuple[str, int, list[tuple[int, int]]]]:
        """Every group's title, column and cells, in order (for tests and checks)."""
        width = self._width
        return [
            (group.title, group.column, [divmod(code, width) for code in group.cells])
            for group in self.groups
        ]

    # --- starting over ------------------------------------------------------------------

    def set_document(self, document: UserDocument | None) -> None:
        """Show another document (or none); its problems are counted in the background."""
        if self.document is not None and self._listener in self.document.edit_listeners:
            self.document.edit_listeners.remove(self._listener)
        self.document = document
        if document is not None:
            document.edit_listeners.append(self._listener)
        self.recount()

    def recount(self) -> None:
        """Forget the groups and count every problem again, a slice at a time."""
        self.beginResetModel()
        self.groups, self._keys = [], []
        self._by_key, self._by_ident = {}, {}
        self._titles.clear()
        self.total = 0
        self._dirty.clear()
        doc = self.document
        self._width = max(1, doc.column_count) if doc is not None else 1
        self._cursor = 0
        self._order = None
        self._planned = False
        self.counting = doc is not None and doc.row_count > 0
        self.endResetModel()
        if self.counting:
            self._work.start()
        else:
            self._work.stop()
        self.countsChanged.emit()

    def finish(self) -> None:
        """Do all the work still waiting, at once (tests and scripts)."""
        while self.busy:
            self.work(float("inf"))

    # --- the work, a slice at a time ----------------------------------------------------------

    def _listener(self, edits: Sequence[Edit]) -> None:
        """Called by the document after each step of edits: note the rows to read again."""
        doc = self.document
        if doc is None:
            return
        cells = [edit for edit in edits if isinstance(edit, CellEdit)]
        self._dirty.update(touched_rows(doc, cells))
        validator = doc.validator
        for edit in edits:
            if isinstance(edit, CellEdit):
                continue
            # A row in or out: it, and the rows that shared a unique value with it.
            for row in edit.rows:
                self._dirty.add(row)
                for col, index in validator.unique.items():
                    key = validator.checkers[col].unique_key(doc.columns[col][row])
                    self._dirty.update(index.rows_with(key))
        if not self._work.isActive():
            self._work.start()

    def work(self, deadline: float) -> None:
        """Count on, then read touched rows again, until ``deadline`` (perf_counter)."""
        doc = self.document
        if doc is None:
            self._dirty.clear()
            self.counting = False
        else:
            if self.counting:
                self._count_until(doc, deadline)
            if not self.counting and self._dirty:
                self._read_again_until(doc, deadline)
        if not self.busy:
            self._work.stop()
        self.countsChanged.emit()

    def _count_until(self, doc: UserDocument, deadline: float) -> None:
        """Read rows from the cursor on into the hidden groups; show them all when done."""
        problems = doc.validator.problems
        refused = doc.server_messages
        if not self._planned:
            self._planned = True
            if (len(problems) + len(refused)) * SPARSE < doc.row_count:
                self._order = sorted(problems.keys() | refused.keys())
        width = self._width
        order = self._order
        rows = doc.row_count if order is None else len(order)
        start = self._cursor
        while start < rows:
            stop = min(rows, start + ROWS_PER_CHECK)
            for row in range(start, stop) if order is None else order[start:stop]:
                if row not in problems and row not in refused:
                    continue
                for key, col in self._entries(doc, row):
                    group = self._by_key.get(key)
                    if group is None:
                        group = self._add_group(key, visible=False)
                    code = row * width + col
                    if not group.cells or group.cells[-1] != code:
                        group.cells.append(code)
                        self.total += 1
            start = stop
            if time.perf_counter() >= deadline:
                break
        self._cursor = start
        # Rows edited meanwhile that were already counted are read again; the rest will be.
        # Counting only the rows that had a problem, an edited row may not be among them:
        # every edited row is read again.
        if order is None:
            self._dirty = {row for row in self._dirty if row < start}
        if start >= rows:
            self._order = None
            self.beginResetModel()
            self.counting = False
            self.endResetModel()

    def _read_again_until(self, doc: UserDocument, deadline: float) -> None:
        changed: set[int] = set()
        dirty = self._dirty
        while dirty:
            for _step in range(64):
                if not dirty:
                    break
                self._read_row(doc, dirty.pop(), changed)
            if time.perf_counter() >= deadline:
                break
        self._settle(changed)

    def _read_row(self, doc: UserDocument, row: int, changed: set[int]) -> None:
        """Bring one row's cells in the groups up to date with the validator."""
        wanted = set(self._entries(doc, row))
        low = row * self._width
        high = low + self._width
        for group in list(self.groups):
            cells = group.cells
            start = bisect.bisect_left(cells, low)
            end = bisect.bisect_left(cells, high, start)
            for at in range(end - 1, start - 1, -1):
                entry = (group.key, cells[at] - low)
                if entry in wanted:
                    wanted.discard(entry)  # still there; its words may have changed
                else:
                    self._remove_cell(group, at)
                changed.add(group.ident)
        for key, col in wanted:
            target = self._by_key.get(key) or self._add_group(key, visible=True)
            self._insert_cell(target, low + col)
            changed.add(target.ident)

    def _settle(self, changed: Iterable[int]) -> None:
        """After reading rows again: drop emptied groups and repaint what changed."""
        for ident in changed:
            group = self._by_ident.get(ident)
            if group is None:
                continue
            if not group.cells:
                self._remove_group(group)
                continue
            parent = self.index(self._keys.index(group.key), 0)
            self.dataChanged.emit(parent, parent)
            if group.fetched:
                first = self.index(0, 0, parent)
                last = self.index(group.fetched - 1, 0, parent)
                self.dataChanged.emit(first, last)

    # --- the groups -----------------------------------------------------------------------

    def _entries(self, doc: UserDocument, row: int) -> list[tuple[GroupKey, int]]:
        """(group, column) of every problem of a row."""
        found: list[tuple[GroupKey, int]] = []
        cells = doc.validator.problems.get(row)
        if cells:
            for col, issues in cells.items():
                for issue in issues:
                    found.append((self._key_of(col, issue), col))
        if row in doc.server_messages:
            found.append((SERVER_KEY, doc.server_column(row)))
        return found

    def _key_of(self, col: int, issue: Issue) -> GroupKey:
        key = self._titles.get((col, issue))
        if key is None:
            doc = self.document
            assert doc is not None
            if len(self._titles) > 100_000:
                self._titles.clear()  # values rarely repeat this much; start afresh
            header = doc.validator.checkers[col].header
            key = self._titles[(col, issue)] = (1, col, problem_title(header, issue))
        return key

    def _add_group(self, key: GroupKey, visible: bool) -> ProblemGroup:
        group = ProblemGroup(self._next_ident, key)
        self._next_ident += 1
        at = bisect.bisect_left(self._keys, key)
        if visible:
            self.beginInsertRows(QModelIndex(), at, at)
        self._keys.insert(at, key)
        self.groups.insert(at, group)
        self._by_key[key] = group
        self._by_ident[group.ident] = group
        if visible:
            self.endInsertRows()
        return group

    def _remove_group(self, group: ProblemGroup) -> None:
        at = self._keys.index(group.key)
        visible = not self.counting
        if visible:
            self.beginRemoveRows(QModelIndex(), at, at)
        del self._keys[at]
        del self.groups[at]
        del self._by_key[group.key]
        del self._by_ident[group.ident]
        if visible:
            self.endRemoveRows()

    def _insert_cell(self, group: ProblemGroup, code: int) -> None:
        cells = group.cells
        at = bisect.bisect_left(cells, code)
        # Shown at once where the view has its neighbours (or has them all); else fetched later.
        shown = at < group.fetched or 0 < group.fetched == len(cells)
        if shown:
            parent = self.index(self._keys.index(group.key), 0)
            self.beginInsertRows(parent, at, at)
        cells.insert(at, code)
        self.total += 1
        if shown:
            group.fetched += 1
            self.endInsertRows()

    def _remove_cell(self, group: ProblemGroup, at: int) -> None:
        shown = at < group.fetched
        if shown:
            parent = self.index(self._keys.index(group.key), 0)
            self.beginRemoveRows(parent, at, at)
        del group.cells[at]
        self.total -= 1
        if shown:
            group.fetched -= 1
            self.endRemoveRows()

    # --- the item model --------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0 or self.counting:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, 0, 0) if row < len(self.groups) else QModelIndex()
        if parent.internalId():
            return QModelIndex()
        group = self.group_at(parent)
        if group is None or row >= group.fetched:
            return QModelIndex()
        return self.createIndex(row, 0, group.ident)

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid() or not child.internalId():
            return QModelIndex()
        group = self._by_ident.get(child.internalId())
        if group is None:
            return QModelIndex()
        return self.createIndex(self._keys.index(group.key), 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if self.counting:
            return 0
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId():
            return 0
        group = self.group_at(parent)
        return 0 if group is None else group.fetched

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if self.counting:
            return False
        if not parent.isValid():
            return bool(self.groups)
        if parent.internalId():
            return False
        group = self.group_at(parent)
        return group is not None and len(group.cells) > 0

    def canFetchMore(self, parent: Index) -> bool:
        if self.counting or not parent.isValid() or parent.internalId():
            return False
        group = self.group_at(parent)
        return group is not None and group.fetched < len(group.cells)

    def fetchMore(self, parent: Index) -> None:
        if not self.canFetchMore(parent):
            return
        group = self.group_at(parent)
        assert group is not None
        more = min(FETCH_BATCH, len(group.cells) - group.fetched)
        self.beginInsertRows(parent, group.fetched, group.fetched + more - 1)
        group.fetched += more
        self.endInsertRows()

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        group = self.group_at(index)
        if group is None:
            return None
        if not index.internalId():
            return self._group_data(group, role)
        if index.row() >= len(group.cells):
            return None
        row, col = divmod(group.cells[index.row()], self._width)
        return self._cell_data(group, row, col, role)

    def _group_data(self, group: ProblemGroup, role: int) -> Any:
        count = len(group.cells)
        rows = ngettext("{count} row", "{count} rows", count).format(count=numeral(count))
        title = _(group.title) if group.key == SERVER_KEY else group.title
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{title} — {rows}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return _(
                "{title}: {rows}.\nClick to go to the first one; open the line to see every row."
            ).format(title=title, rows=rows)
        if role == Qt.ItemDataRole.FontRole:
            return self._bold
        if role == Qt.ItemDataRole.DecorationRole:
            return self._warning
        return None

    def _cell_data(self, group: ProblemGroup, row: int, col: int, role: int) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        doc = self.document
        assert doc is not None
        fix: str | None = None
        if group.key == SERVER_KEY:
            message = _("The server refused this user: {message}").format(
                message=doc.server_messages.get(row, "")
            )
        else:
            issues = [i for i in doc.cell_issues(row, col) if self._key_of(col, i) == group.key]
            message = " ".join(issue.message for issue in issues)
            fix = next((issue.fix for issue in issues if issue.fix is not None), None)
        excel_row = doc.excel_row(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return _("Row {row}: {message}").format(row=numeral(excel_row), message=message)
        tip = _("Row {row}, column {column}: {message}").format(
            row=numeral(excel_row), column=doc.headers[col], message=message
        )
        if fix is not None:
            tip += _("\nRight-click the cell to use '{fix}'.").format(fix=fix)
        return tip


class ProblemsPanel(QWidget):
    """The grouped problems; emits the (row, column) of the cell the admin picks."""

    problemChosen = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ProblemsModel()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.list = QTreeView()
        self.list.setModel(self.model)
        self.list.setHeaderHidden(True)
        self.list.setUniformRowHeights(True)
        self.list.setIconSize(QSize(16, 16))
        self.list.setAccessibleName(_("Problems"))
        self.list.setWordWrap(False)
        self.list.activated.connect(self._chosen)
        self.list.clicked.connect(self._chosen)
        self.list.expanded.connect(self._expanded)
        self.model.countsChanged.connect(self._show_counts)
        self._generation = 0  # the document's step of edits when the panel last looked
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        self._show_counts()

    def show_document(self, document: UserDocument | None) -> None:
        """Show a newly opened document's problems (counted in the background)."""
        self.model.set_document(document)
        self._generation = document.generation if document is not None else 0

    def content_changed(self) -> bool:
        """The table changed; True when that was not an edit, so a recount is due.

        Edits reach the panel through the document's edit listeners and only their
        rows are read again. A change that is not an edit (the server's refusals, a
        list of allowed values learnt from the server) has no such path, so the whole
        table is counted again, in the background.
        """
        doc = self.model.document
        if doc is None:
            return False
        edited = doc.generation != self._generation
        self._generation = doc.generation
        # A count that has not read a row yet (the one a newly shown document starts)
        # will see the change: counting again would only start it over.
        return not edited and not self.model.pending

    def recount(self) -> None:
        self.model.recount()

    def red_rows(self) -> int:
        """How many rows of the shown document need the admin (0 without one)."""
        doc = self.model.document
        return 0 if doc is None else red_rows(doc)

    def _show_counts(self) -> None:
        doc = self.model.document
        if doc is None:
            self.summary.setText(_("No file is open."))
            return
        if self.model.counting:
            self.summary.setText(
                _("Counting problems… {percent}%").format(percent=self.model.progress)
            )
            return
        total = self.model.total
        if not total:
            self.summary.setText(_("No problems: the platform should accept every row."))
            return
        rows = red_rows(doc)
        problems = ngettext("{count} problem", "{count} problems", total).format(
            count=numeral(total)
        )
        self.summary.setText(
            ngettext(
                "{problems} in {count} row. Open a line to see its rows; click one to go to "
                "its cell.",
                "{problems} in {count} rows. Open a line to see its rows; click one to go to "
                "its cell.",
                rows,
            ).format(problems=problems, count=numeral(rows))
        )

    def _expanded(self, index: QModelIndex) -> None:
        """An opened line shows its first rows at once, not when the view next lays out."""
        if not self.model.rowCount(index) and self.model.canFetchMore(index):
            self.model.fetchMore(index)

    def _chosen(self, index: QModelIndex) -> None:
        cell = self.model.cell_at(index)
        if cell is not None:
            self.problemChosen.emit(*cell)
