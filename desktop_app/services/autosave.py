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
from desktop_app.models.document import CellEdit, UserDocument

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

    def record(self, edits: Sequence[CellEdit], keys: Sequence[str | None]) -> None:
        """One step of edits as applied, with the key of each edit's row."""
        self._write(
            {"edits": [[e.row, e.col, e.old, e.new, k] for e, k in zip(edits, keys, strict=True)]}
        )

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
    _handle: IO[str] | None = None

    @property
    def unsaved(self) -> int:
        """Cells whose value differs from what was last saved (or from the file)."""
        return sum(change.final != change.saved for change in self.changes)

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
    for line in lines[1:]:
        try:
            entry = json.loads(line)
        except ValueError:
            break  # a line cut short by the crash: everything before it is whole
        if "saved" in entry:
            saved_to = Path(entry["saved"])
            for state in cells.values():
                state[1] = state[2]
            continue
        for row, col, old, new, key in entry.get("edits", []):
            state = cells.setdefault((row, col), [old, old, old, key])
            state[2] = new
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


def changes_to_restore(
    document: UserDocument, recovery: Recovery
) -> tuple[list[tuple[int, int, str]], list[CellChange]]:
    """The cells to set in a freshly opened ``document``, and the changes that no longer fit.

    When the file is the one the edits were made to, every change goes back to its row.
    When it changed, each change finds its row by the user's key where there is one, and
    goes back only if the cell still holds the value the edit started from.
    """
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
        if moved and key_col is not None and change.key:
            row = by_key.get(change.key)
        if moved and change.col < len(recovery.headers):
            col = by_header.get(recovery.headers[change.col])
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
