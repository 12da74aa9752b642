"""An open download: its users, the admin's pending changes, and their problems.

Every change to the table goes through ``apply``: it knows the old and new value
of each cell, so undo, the changed-cell marks, saving and (later) the upload and
the autosave journal all read the same record of edits.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from desktop_app.i18n import _
from desktop_app.models.column_mapping import ColumnMapping
from desktop_app.models.profiles import Profile
from desktop_app.models.readers import LoadedFile, read_file
from desktop_app.models.validation import Issue, ProgressFn, Validator


class CellEdit(NamedTuple):
    """One cell going from ``old`` to ``new``; its inverse undoes it."""

    row: int
    col: int
    old: str
    new: str

    def inverse(self) -> CellEdit:
        return CellEdit(self.row, self.col, self.new, self.old)


class RowEdit(NamedTuple):
    """Rows coming into the table (``shown``) or leaving it; its inverse undoes it.

    Rows are never moved or dropped from storage: a row that leaves the table is only
    hidden, so every row number in earlier steps stays valid. A row that does not exist
    yet is made (blank) when it is first shown, at place ``at`` of the saved order.
    """

    rows: tuple[int, ...]
    shown: bool
    at: int = -1

    def inverse(self) -> RowEdit:
        return RowEdit(self.rows, not self.shown, self.at)


Edit = CellEdit | RowEdit


def invert(edits: Sequence[Edit]) -> list[Edit]:
    """The edits that undo ``edits`` (applied in reverse order)."""
    return [edit.inverse() for edit in reversed(edits)]


@dataclass(frozen=True)
class Problem:
    """An issue placed in the table, for lists and reports."""

    row: int
    col: int
    header: str
    value: str
    excel_row: int
    message: str
    fix: str | None


class UserDocument:
    """The users of one download and everything the admin did to them."""

    def __init__(
        self, loaded: LoadedFile, validate: bool = True, progress: ProgressFn | None = None
    ) -> None:
        self.loaded = loaded
        self.headers: list[str] = loaded.headers
        self.columns: list[list[str]] = loaded.columns
        self.profile: Profile = loaded.profile
        self.key_column: int | None = None
        if loaded.profile.key is not None:
            for index, header in enumerate(self.headers):
                rule = loaded.profile.rule_for(header)
                if rule is not None and rule.header == loaded.profile.key:
                    self.key_column = index
                    break
        # (row, col) -> value as loaded, for every cell that differs from the file.
        self.originals: dict[tuple[int, int], str] = {}
        self._changed_rows: dict[int, int] = {}
        # row -> why the server refused it in the last upload (cleared when the row is edited)
        self.server_messages: dict[int, str] = {}
        # row -> the column the server named in its refusal (the key column when it named none)
        self.server_cells: dict[int, int] = {}
        # Size and modification time of the file when it was read (None: not from a file).
        self.opened_stamp: tuple[int, int] | None = None
        # Called with every step of edits once applied (the autosave journal listens).
        self.edit_listeners: list[Callable[[Sequence[Edit]], None]] = []
        # Rows read from the file; rows from here on were added in this table.
        self.file_rows = loaded.row_count
        # Rows out of the table: deleted ones, and added ones whose adding was undone.
        self.hidden: set[int] = set()
        # Every row (hidden ones too) in the order a save writes them; None while no
        # row was added (the file's order: nothing to keep).
        self.order: list[int] | None = None
        self._changed_new = 0  # rows in _changed_rows that were added here
        # How many steps of edits were applied: a job's snapshot is stale when this moved on.
        self.generation = 0
        self.validator = Validator(
            self.profile,
            self.headers,
            self.columns,
            loaded.dropdowns,
            first_row_number=loaded.data_start + 1,
            notes=loaded.notes,
        )
        if validate:
            self.validator.validate_all(progress, loaded.distinct)
        loaded.distinct = None  # only good until the first edit

    # --- reading ---------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Rows in storage: the file's, then every row added here (hidden ones too)."""
        return self.loaded.row_count

    @property
    def user_count(self) -> int:
        """Rows in the table: the rows in storage less those taken out."""
        return self.row_count - len(self.hidden)

    def is_hidden(self, row: int) -> bool:
        """The row was deleted (or its adding undone): not shown, checked, saved or sent."""
        return row in self.hidden

    def is_new_row(self, row: int) -> bool:
        """The row was added here, not read from the file."""
        return row >= self.file_rows

    @property
    def removed_users(self) -> int:
        """Rows of the file taken out of the table (blank rows are not users)."""
        columns = self.columns
        return sum(
            1
            for row in self.hidden
            if row < self.file_rows and any(values[row] for values in columns)
        )

    @property
    def rows_changed_shape(self) -> bool:
        """Rows were added or deleted, so a save writes the rows anew from the first change."""
        return self.order is not None or bool(self.hidden)

    def saved_order(self) -> list[int]:
        """The rows of the table in the order a save writes them."""
        rows = self.order if self.order is not None else range(self.row_count)
        hidden = self.hidden
        return [row for row in rows if row not in hidden] if hidden else list(rows)

    def place_of(self, row: int) -> int:
        """Where a row stands in the saved order (hidden rows included)."""
        return row if self.order is None else self.order.index(row)

    def row_label(self, row: int) -> str:
        """The row header's words: the file's row number, or 'New' and its number."""
        number = self.excel_row(row)
        return _("New {number}").format(number=number) if row >= self.file_rows else str(number)

    @property
    def column_count(self) -> int:
        return len(self.headers)

    def value(self, row: int, col: int) -> str:
        return self.columns[col][row]

    def key_of(self, row: int) -> str | None:
        """The row's value in the locked key column, if the platform has one."""
        return None if self.key_column is None else self.columns[self.key_column][row]

    def is_editable(self, col: int) -> bool:
        """The key column is never editable, by any path."""
        return col != self.key_column

    def original(self, row: int, col: int) -> str | None:
        """The value in the file, if the cell was changed here; None otherwise."""
        return self.originals.get((row, col))

    def is_changed(self, row: int, col: int) -> bool:
        return (row, col) in self.originals

    def row_is_changed(self, row: int) -> bool:
        """An edited row, or one added here (a new user is a change too)."""
        return row in self._changed_rows or (row >= self.file_rows and row not in self.hidden)

    @property
    def changed_rows(self) -> int:
        """Rows in the table with an edit, or added here."""
        count = len(self._changed_rows) - self._changed_new + self.row_count - self.file_rows
        for row in self.hidden:
            count -= 1 if row >= self.file_rows or row in self._changed_rows else 0
        return count

    def excel_row(self, row: int) -> int:
        return self.loaded.excel_row(row)

    def allowed_values(self, col: int) -> list[str]:
        return self.validator.checkers[col].allowed

    def use_allowed_values(self, col: int, values: list[str]) -> None:
        """Check a column against a list learnt later (the server's groups), every row again."""
        self.validator.use_allowed_values(col, values)

    def cell_issues(self, row: int, col: int) -> tuple[Issue, ...]:
        return self.validator.cell_issues(row, col)

    def row_has_issues(self, row: int) -> bool:
        return self.validator.row_has_issues(row)

    @property
    def red_rows(self) -> int:
        """How many rows need the admin (problems in cells, or refused by the server)."""
        if not self.server_messages:
            return self.validator.rows_with_issues
        return len(set(self.validator.problems) | set(self.server_messages))

    def server_column(self, row: int) -> int:
        """The cell that shows the server's refusal of a row: the field it named, or the key."""
        return self.server_cells.get(row, self.key_column or 0)

    def row_is_red(self, row: int) -> bool:
        """The row needs the admin: a problem in a cell, or the server refused it."""
        return self.validator.row_has_issues(row) or row in self.server_messages

    def red_row_set(self) -> set[int]:
        """Every row that ``row_is_red``, found at C speed (hidden rows included)."""
        rows = set(self.validator.problems)
        rows.update(self.server_messages)  # not a union: that copies a million rows again
        return rows

    def changed_row_set(self) -> set[int]:
        """Every row that ``row_is_changed``, found at C speed."""
        added = set(range(self.file_rows, self.row_count))
        added.difference_update(self.hidden)
        return added.union(self._changed_rows)

    def rows_containing(self, text: str, start: int = 0, stop: int | None = None) -> set[int]:
        """The rows from ``start`` to ``stop`` with ``text`` (casefolded) in any cell.

        Hidden rows are included. A search of a big table is made of slices, so the
        window can answer between them.
        """
        needle = text.casefold()
        stop = self.row_count if stop is None else min(stop, self.row_count)
        columns = self.columns
        # Row by row, not column by column: a row's cells were read (and lie) together.
        return {
            row
            for row in range(start, stop)
            if any(needle in values[row].casefold() for values in columns)
        }

    def new_rows(self, count: int, at: int) -> RowEdit:
        """The edit that adds ``count`` blank rows at place ``at`` of the saved order.

        The rows are made when the edit is applied; until then they read as blank.
        """
        first = self.row_count
        at = max(0, min(at, self.row_count))
        return RowEdit(tuple(range(first, first + count)), True, at)

    def problems(self) -> list[Problem]:
        """Every problem in row order; the server's refusals sit on the key column."""
        found = [
            Problem(
                row,
                col,
                self.headers[col],
                self.columns[col][row],
                self.excel_row(row),
                issue.message,
                issue.fix,
            )
            for row, col, issue in self.validator.all_issues()
        ]
        if not self.server_messages:
            return found  # all_issues() is in row then column order already
        found += [
            Problem(
                row,
                self.server_column(row),
                self.headers[self.server_column(row)],
                self.columns[self.server_column(row)][row],
                self.excel_row(row),
                _("The server refused this user: {message}").format(message=message),
                None,
            )
            for row, message in self.server_messages.items()
        ]
        return sorted(found, key=lambda p: (p.row, p.col))

    # --- the one edit path -------------------------------------------------------------

    def edits_for(self, changes: Iterable[tuple[int, int, str]], adding: int = 0) -> list[CellEdit]:
        """The edits that set these cells; the key column and unchanged cells are left out.

        ``adding``: rows about to be added (``new_rows``) that the changes may fill.
        """
        edits: list[CellEdit] = []
        seen: set[tuple[int, int]] = set()
        count = self.row_count
        for row, col, new in changes:
            if not self.is_editable(col) or not (0 <= row < count + adding):
                continue
            if (row, col) in seen or row in self.hidden:
                continue
            old = self.columns[col][row] if row < count else ""
            if new != old:
                seen.add((row, col))
                edits.append(CellEdit(row, col, old, new))
        return edits

    def apply(self, edits: Sequence[Edit]) -> set[int]:
        """Carry out edits; returns every row whose look may have changed."""
        touched: set[int] = set()
        for edit in edits:
            if isinstance(edit, RowEdit):
                touched |= self._apply_rows(edit)
                continue
            if not self.is_editable(edit.col):
                raise ValueError("The key column cannot be edited.")
            column = self.columns[edit.col]
            if column[edit.row] != edit.old:
                raise ValueError(f"Cell {edit.row},{edit.col} no longer holds {edit.old!r}.")
            column[edit.row] = edit.new
            self._track(edit)
            self.server_messages.pop(edit.row, None)
            self.server_cells.pop(edit.row, None)
            touched |= self.validator.revalidate(edit.row, edit.col, edit.old)
        if edits:
            self.generation += 1
            for listener in self.edit_listeners:
                listener(edits)
        return touched

    def _apply_rows(self, edit: RowEdit) -> set[int]:
        """Show or hide rows; rows shown for the first time are made at ``edit.at``."""
        count = self.row_count
        made = [row for row in edit.rows if row >= count]
        if made:
            if not edit.shown or made != list(range(count, count + len(made))):
                raise ValueError(f"Rows {made} cannot be made here.")
            for values in self.columns:
                values.extend([""] * len(made))
            if self.order is None:
                self.order = list(range(count))
            at = edit.at if 0 <= edit.at <= len(self.order) else len(self.order)
            self.order[at:at] = made
        touched: set[int] = set(made)
        for row in edit.rows:
            if row in made:
                continue
            if edit.shown:
                if row not in self.hidden:
                    raise ValueError(f"Row {row} is already in the table.")
                self.hidden.discard(row)
                touched |= self.validator.show_row(row)
            else:
                if row in self.hidden or not 0 <= row < count:
                    raise ValueError(f"Row {row} is not in the table.")
                self.hidden.add(row)
                self.server_messages.pop(row, None)
                self.server_cells.pop(row, None)
                touched |= self.validator.hide_row(row)
        return touched

    def set_created_key(self, row: int, key: str) -> set[int]:
        """Give a row that had no key the key of the user an upload created for it.

        The one way the key column changes: not an edit (it is not undone, nor
        journalled), but marked changed so Save writes it, and checked again.
        Returns the rows whose look may have changed (none when the row had a key).
        """
        if self.key_column is None or not key or not (0 <= row < self.row_count):
            return set()
        column = self.columns[self.key_column]
        if column[row]:
            return set()
        column[row] = key
        self._track(CellEdit(row, self.key_column, "", key))
        self.generation += 1
        return {row} | self.validator.revalidate(row, self.key_column, "")

    def snapshot(self) -> DocumentSnapshot:
        """What saving needs, copied: the admin can keep editing while it is written."""
        order = self.saved_order() if self.rows_changed_shape or self.loaded.is_new else None
        if order is not None:
            # Rows move: every value may be written; whole columns copy at C speed.
            columns = [list(column) for column in self.columns]
            values: dict[int, list[str]] = {}
        else:
            columns = None
            rows: Iterable[int] = {row for row, _ in self.originals}
            values = {row: [column[row] for column in self.columns] for row in rows}
        hidden = self.hidden
        return DocumentSnapshot(
            self.loaded,
            list(self.headers),
            {cell for cell in self.originals if cell[0] not in hidden},
            values,
            self.row_count,
            self.generation,
            order=order,
            columns=columns,
            file_rows=self.file_rows,
        )

    def _track(self, edit: CellEdit) -> None:
        cell = (edit.row, edit.col)
        first = self.originals.get(cell, edit.old)
        was_changed = cell in self.originals
        if edit.new == first:
            if was_changed:
                del self.originals[cell]
                self._count_row(edit.row, -1)
        else:
            self.originals[cell] = first
            if not was_changed:
                self._count_row(edit.row, 1)

    def _count_row(self, row: int, delta: int) -> None:
        before = self._changed_rows.get(row, 0)
        count = before + delta
        if count:
            self._changed_rows[row] = count
        else:
            self._changed_rows.pop(row, None)
        if row >= self.file_rows and bool(before) != bool(count):
            self._changed_new += 1 if count else -1


class DocumentSnapshot:
    """A document's values frozen at one moment, read by a job off the GUI thread.

    Only the rows with edits are copied (the file holds the others, and saving
    copies them from there); a table made from a server has no file, so all its rows are.
    """

    def __init__(
        self,
        loaded: LoadedFile,
        headers: list[str],
        edited: set[tuple[int, int]],
        rows: dict[int, list[str]],
        row_count: int,
        generation: int,
        order: list[int] | None = None,
        columns: list[list[str]] | None = None,
        file_rows: int | None = None,
    ) -> None:
        self.loaded = loaded
        self.headers = headers
        self.originals = edited  # the cells that differ from the file, as writers read them
        self._rows = rows
        self.row_count = row_count
        self.column_count = len(headers)
        self.generation = generation
        # The rows in the order to write them, when rows were added or deleted (or the
        # table is new): then every value is copied, in ``columns``.
        self.order = order
        self._columns = columns
        self.file_rows = row_count if file_rows is None else file_rows

    def value(self, row: int, col: int) -> str:
        if self._columns is not None:
            return self._columns[col][row]
        try:
            return self._rows[row][col]
        except KeyError:
            raise LookupError(f"Row {row} had no edits when the snapshot was taken.") from None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a file's cells are made.

    Opening a file creates millions of objects and no reference cycles, yet the
    collector would walk every one of them again and again as they are created.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def open_document(
    path: str | Path,
    profile: str | None = None,
    progress: ProgressFn | None = None,
    mapping: ColumnMapping | None = None,
) -> UserDocument:
    """Read and check a download: the one way the window, the CLI and scripts open files.

    ``mapping`` says what each column is (the mapping dialog, the CLI's ``--mapping``).
    """
    try:
        status = os.stat(path)
        stamp: tuple[int, int] | None = (status.st_size, status.st_mtime_ns)
    except OSError:
        stamp = None  # read_file says why in a sentence
    with collector_paused():
        document = UserDocument(read_file(path, profile, mapping), progress=progress)
    document.opened_stamp = stamp
    return document
