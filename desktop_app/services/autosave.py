"""Autosave: every edit of an open file on disk as it happens, so a crash never costs an edit.

One JSON-lines journal per open file, in the app's data folder (``autosave/``):
the first line says which file (path, size and modification time as opened), each
later line is one step of edits as applied (undo and redo included) or a save.
Each line is flushed to the operating system as it is written, so it survives the
app being killed; the window forces it to the disk at least once a second.

While the app has the file open, it holds a lock on the journal, so a second copy
of the app never offers to recover edits that are still being made. A clean close
removes the journal; after a crash the next start finds it and offers the edits back.
Values of the edited cells are stored (that is the point); no token ever is.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from desktop_app.app_paths import data_folder
from desktop_app.models.document import CellEdit, Edit, RowEdit, UserDocument

FORMAT = "user-editor-autosave"
VERSION = 1


def autosave_folder() -> Path:
    return data_folder("autosave")


def file_stamp(path: Path) -> tuple[int, int] | None:
    """Size and modification time of a file, to tell whether it changed; None if it is gone."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


# --- holding a journal while it is written ---------------------------------------------------


def _lock(handle: IO[str]) -> bool:
    """Take the journal for this process; False when another running copy holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            handle.seek(0, os.SEEK_END)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class Autosave:
    """The journal of the open file's edits, written as the admin works."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle: IO[str] | None = handle
        self._unsynced = False

    @classmethod
    def start(
        cls,
        document: UserDocument,
        folder: Path | None = None,
        stamp: tuple[int, int] | None = None,
    ) -> Autosave:
        """A new journal for ``document``, which must have been read from a file."""
        source = document.loaded.path
        folder = folder or autosave_folder()
        digest = hashlib.sha1(str(source.resolve()).encode("utf-8")).hexdigest()[:10]
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{digest}.jsonl"
        path = folder / name
        handle = path.open("a+", encoding="utf-8")
        _lock(handle)
        size, mtime = stamp or file_stamp(source) or (-1, -1)
        key = document.key_column
        journal = cls(path, handle)
        journal._write(
            {
                "format": FORMAT,
                "version": VERSION,
                "file": str(source),
                "size": size,
                "mtime_ns": mtime,
                "profile": document.profile.name,
                "key": None if key is None else document.headers[key],
                "headers": document.headers,
                "rows": document.file_rows,
                "started": time.strftime("%Y-%m-%d %H:%M"),
            }
        )
        journal.sync()
        return journal

    def _write(self, entry: dict[str, Any]) -> None:
        if self._handle is None:
            return
        self._handle.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._handle.flush()
        self._unsynced = True

    def record(
        self,
        edits: Sequence[Edit],
        keys: Sequence[str | None],
        document: UserDocument | None = None,
    ) -> None:
        """One step of edits as applied, with the key of each cell edit's row.

        Rows in and out are written as they happened (with the keys of rows taken out,
        from ``document``), so a replay makes the same rows at the same places.
        """
        entries: list[Any] = []
        for edit, key in zip(edits, keys, strict=True):
            if isinstance(edit, CellEdit):
                entries.append([edit.row, edit.col, edit.old, edit.new, key])
                continue
            entry: dict[str, Any] = {"rows": list(edit.rows), "shown": edit.shown, "at": edit.at}
            if document is not None and not edit.shown:
                entry["keys"] = [document.key_of(row) for row in edit.rows]
            entries.append(entry)
        self._write({"edits": entries})

    def mark_saved(self, target: Path) -> None:
        """Everything recorded so far is in ``target``: only later edits are unsaved."""
        self._write({"saved": str(target)})
        self.sync()

    def sync(self) -> None:
        """Force what was written onto the disk (called at most once a second)."""
        if self._handle is not None and self._unsynced:
            os.fsync(self._handle.fileno())
            self._unsynced = False

    def close(self, remove: bool = True) -> None:
        """Stop writing; a clean close removes the journal, a failed one keeps it."""
        if self._handle is None:
            return
        self._handle.close()
        self._handle = None
        if remove:
            self.path.unlink(missing_ok=True)


# --- finding and replaying a journal after a crash ---------------------------------------------


@dataclass
class CellChange:
    """One cell's value in the file, at the last save, and when the app stopped."""

    row: int
    col: int
    key: str | None
    original: str
    saved: str
    final: str


@dataclass
class RowsMade:
    """Rows added in a crashed run: their numbers, and their place in the saved order."""

    rows: list[int]
    at: int


@dataclass
class Recovery:
    """The edits a crashed run left behind for one file."""

    journal: Path
    file: Path
    profile: str | None
    started: str
    stamp: tuple[int, int]
    saved_to: Path | None
    headers: list[str] = field(default_factory=list)
    changes: list[CellChange] = field(default_factory=list)
    # Rows added, in the order they were made; rows out of the table at the end (with
    # the key each had); how many rows the file had (None: an older journal).
    made: list[RowsMade] = field(default_factory=list)
    hidden: dict[int, str | None] = field(default_factory=dict)
    file_rows: int | None = None
    # Rows changed in or out since the last save.
    unsaved_rows: int = 0
    _handle: IO[str] | None = None

    @property
    def unsaved(self) -> int:
        """Cells whose value differs from what was last saved (or from the file), and
        rows added or deleted since."""
        hidden = self.hidden
        cells = sum(
            change.final != change.saved for change in self.changes if change.row not in hidden
        )
        return cells + self.unsaved_rows

    @property
    def file_changed(self) -> bool:
        """The file is gone or differs from the one the edits were made to."""
        return file_stamp(self.file) != self.stamp

    def discard(self) -> None:
        self.release()
        self.journal.unlink(missing_ok=True)

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read_journal(path: Path, handle: IO[str] | None = None) -> Recovery | None:
    """The net changes in a journal; None when it is not one of ours or says nothing."""
    if handle is None:
        text = path.read_text(encoding="utf-8")
    else:
        handle.seek(0)
        text = handle.read()
    # Only "\n" ends a record: values may hold U+2028 or U+0085, which splitlines() splits on.
    lines = [line for line in text.split("\n") if line]
    try:
        header = json.loads(lines[0])
    except (IndexError, ValueError):
        return None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        return None
    # cell -> [original, saved, current, key]
    cells: dict[tuple[int, int], list[Any]] = {}
    saved_to: Path | None = None
    made: list[RowsMade] = []
    made_rows: set[int] = set()
    hidden: dict[int, str | None] = {}
    saved_hidden: set[int] = set()
    saved_made: set[int] = set()
    for line in lines[1:]:
        try:
            entry = json.loads(line)
        except ValueError:
            break  # a line cut short by the crash: everything before it is whole
        if "saved" in entry:
            saved_to = Path(entry["saved"])
            for state in cells.values():
                state[1] = state[2]
            saved_hidden, saved_made = set(hidden), set(made_rows)
            continue
        for item in entry.get("edits", []):
            if isinstance(item, dict):
                rows = [int(row) for row in item.get("rows", [])]
                if item.get("shown"):
                    new = [row for row in rows if row not in made_rows and row not in hidden]
                    if new:
                        made.append(RowsMade(new, int(item.get("at", -1))))
                        made_rows.update(new)
                    for row in rows:
                        hidden.pop(row, None)
                else:
                    keys = item.get("keys") or [None] * len(rows)
                    hidden.update(zip(rows, keys, strict=False))
                continue
            row, col, old, new, key = item
            state = cells.setdefault((row, col), [old, old, old, key])
            state[2] = new
    made_since = made_rows - saved_made
    unsaved_rows = len((set(hidden) ^ saved_hidden) - made_since) + len(made_since - set(hidden))
    changes = [
        CellChange(row, col, key, original, saved, final)
        for (row, col), (original, saved, final, key) in sorted(cells.items())
        if final != original or saved != original
    ]
    return Recovery(
        journal=path,
        file=Path(header["file"]),
        profile=header.get("profile"),
        started=str(header.get("started", "")),
        stamp=(int(header.get("size", -1)), int(header.get("mtime_ns", -1))),
        saved_to=saved_to,
        headers=[str(h) for h in header.get("headers", [])],
        changes=changes,
        made=made,
        hidden=hidden,
        file_rows=header.get("rows"),
        unsaved_rows=unsaved_rows,
    )


def find_recoveries(folder: Path | None = None) -> list[Recovery]:
    """Journals that no running copy of the app holds, newest first, each locked for us.

    A journal with nothing unsaved in it is removed on the way.
    """
    found: list[Recovery] = []
    for path in sorted((folder or autosave_folder()).glob("*.jsonl"), reverse=True):
        try:
            handle = path.open("r+", encoding="utf-8")
        except OSError:
            continue
        if not _lock(handle):
            handle.close()  # another copy of the app is still editing this file
            continue
        try:
            recovery = read_journal(path, handle)
        except (OSError, UnicodeDecodeError):
            recovery = None
        if recovery is None or recovery.unsaved == 0:
            handle.close()
            if recovery is not None:
                path.unlink(missing_ok=True)
            continue
        recovery._handle = handle
        found.append(recovery)
    return found


def rows_to_restore(
    document: UserDocument, recovery: Recovery
) -> tuple[list[RowEdit], list[RowEdit], dict[int, int], int]:
    """The rows to add to a freshly opened ``document`` and the rows to take out again.

    Returns (rows to add, rows to take out, each added row's number then -> now, how
    many deleted rows could not be found). When the file is the one the edits were
    made to, every row goes back to its place; when it changed, added rows go at the
    end and deleted rows are found by their key.
    """
    moved = recovery.file_changed or (
        recovery.file_rows is not None and recovery.file_rows != document.row_count
    )
    made: dict[int, int] = {}
    adding: list[RowEdit] = []
    next_row = document.row_count
    for batch in recovery.made:
        rows = tuple(range(next_row, next_row + len(batch.rows)))
        made.update(zip(batch.rows, rows, strict=True))
        place = next_row if moved else batch.at  # moved: the end of the order so far
        adding.append(RowEdit(rows, True, place))
        next_row += len(rows)
    by_key: dict[str, int] = {}
    key_col = document.key_column
    if moved and key_col is not None:
        for index, value in enumerate(document.columns[key_col]):
            by_key.setdefault(value, index)
    hide: list[int] = []
    lost = 0
    for row, key in recovery.hidden.items():
        if row in made:
            hide.append(made[row])
        elif not moved and 0 <= row < document.row_count:
            hide.append(row)
        elif moved and key and key in by_key:
            hide.append(by_key[key])
        else:
            lost += 1
    taking = [RowEdit(tuple(sorted(set(hide))), False)] if hide else []
    return adding, taking, made, lost


def changes_to_restore(
    document: UserDocument, recovery: Recovery, made: dict[int, int] | None = None
) -> tuple[list[tuple[int, int, str]], list[CellChange]]:
    """The cells to set in a freshly opened ``document``, and the changes that no longer fit.

    When the file is the one the edits were made to, every change goes back to its row.
    When it changed, each change finds its row by the user's key where there is one, and
    goes back only if the cell still holds the value the edit started from. ``made``:
    rows the edits added, then -> now (``rows_to_restore``); they start blank.
    """
    made = made or {}
    moved = recovery.file_changed
    by_key: dict[str, int] = {}
    key_col = document.key_column
    if moved and key_col is not None:
        for index, value in enumerate(document.columns[key_col]):
            by_key.setdefault(value, index)
    by_header = {header: col for col, header in enumerate(document.headers)}
    restore: list[tuple[int, int, str]] = []
    left_out: list[CellChange] = []
    for change in recovery.changes:
        row: int | None = change.row
        col: int | None = change.col
        if moved and change.col < len(recovery.headers):
            col = by_header.get(recovery.headers[change.col])
        if change.row in made:
            if col is not None and col < document.column_count and change.final:
                restore.append((made[change.row], col, change.final))
            elif change.final:
                left_out.append(change)
            continue
        if moved and key_col is not None and change.key:
            row = by_key.get(change.key)
        if (
            row is not None
            and col is not None
            and 0 <= row < document.row_count
            and col < document.column_count
            and document.value(row, col) == change.original
        ):
            if change.final != change.original:
                restore.append((row, col, change.final))
        else:
            left_out.append(change)
    return restore, left_out
