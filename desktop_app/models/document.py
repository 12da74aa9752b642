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


def invert(edits: Sequence[CellEdit]) -> list[CellEdit]:
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
        # Size and modification time of the file when it was read (None: not from a file).
        self.opened_stamp: tuple[int, int] | None = None
        # Called with every step of edits once applied (the autosave journal listens).
        self.edit_listeners: list[Callable[[Sequence[CellEdit]], None]] = []
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
        return self.loaded.row_count

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
        return row in self._changed_rows

    @property
    def changed_rows(self) -> int:
        return len(self._changed_rows)

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

    def row_is_red(self, row: int) -> bool:
        """The row needs the admin: a problem in a cell, or the server refused it."""
        return self.validator.row_has_issues(row) or row in self.server_messages

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
        key = self.key_column or 0
        found += [
            Problem(
                row,
                key,
                self.headers[key],
                self.columns[key][row],
                self.excel_row(row),
                f"The server refused this user: {message}",
                None,
            )
            for row, message in self.server_messages.items()
        ]
        return sorted(found, key=lambda p: (p.row, p.col))

    # --- the one edit path -------------------------------------------------------------

    def edits_for(self, changes: Iterable[tuple[int, int, str]]) -> list[CellEdit]:
        """The edits that set these cells; the key column and unchanged cells are left out."""
        edits: list[CellEdit] = []
        seen: set[tuple[int, int]] = set()
        for row, col, new in changes:
            if not self.is_editable(col) or not (0 <= row < self.row_count):
                continue
            if (row, col) in seen:
                continue
            old = self.columns[col][row]
            if new != old:
                seen.add((row, col))
                edits.append(CellEdit(row, col, old, new))
        return edits

    def apply(self, edits: Sequence[CellEdit]) -> set[int]:
        """Carry out edits; returns every row whose look may have changed."""
        touched: set[int] = set()
        for edit in edits:
            if not self.is_editable(edit.col):
                raise ValueError("The key column cannot be edited.")
            column = self.columns[edit.col]
            if column[edit.row] != edit.old:
                raise ValueError(f"Cell {edit.row},{edit.col} no longer holds {edit.old!r}.")
            column[edit.row] = edit.new
            self._track(edit)
            self.server_messages.pop(edit.row, None)
            touched |= self.validator.revalidate(edit.row, edit.col, edit.old)
        if edits:
            self.generation += 1
            for listener in self.edit_listeners:
                listener(edits)
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
        rows: Iterable[int] = (
            range(self.row_count) if self.loaded.is_new else {row for row, _ in self.originals}
        )
        values = {row: [column[row] for column in self.columns] for row in rows}
        return DocumentSnapshot(
            self.loaded,
            list(self.headers),
            set(self.originals),
            values,
            self.row_count,
            self.generation,
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
        count = self._changed_rows.get(row, 0) + delta
        if count:
            self._changed_rows[row] = count
        else:
            self._changed_rows.pop(row, None)


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
    ) -> None:
        self.loaded = loaded
        self.headers = headers
        self.originals = edited  # the cells that differ from the file, as writers read them
        self._rows = rows
        self.row_count = row_count
        self.column_count = len(headers)
        self.generation = generation

    def value(self, row: int, col: int) -> str:
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
