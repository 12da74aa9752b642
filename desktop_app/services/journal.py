"""A journal of each upload, written as it happens, so a crash never loses or doubles an update.

One JSON-lines file per upload (and per undo) in the app's data folder, ``uploads/``.
The first line holds what the upload will do: every write it sends (for a resume)
and, per user, the attributes it changes from → to (for a resume to see what is
already done, and for an undo). Each later line is one write's outcome, flushed to
disk before the next is recorded. A journal without its ``finished`` line belongs to
an upload that was cut short: the next start offers to resume it.

A finished journal is pruned at once: the writes (whole new users' records among
them) are dropped, and what stays is the upload's history: when, where, the counts,
its results file, and each user's changed attributes with their values before and
after, which is what an undo needs. Journals are removed after ``KEEP_DAYS`` days.
No full user record and no token is ever written here.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from desktop_app.i18n import _, moment, numeral
from desktop_app.models.upload_plan import Change, PlanKind
from desktop_app.models.writers import atomic_write
from desktop_app.services.sending import Outcome, Write

#: How long an upload's journal is kept: its history can be reviewed and undone until then.
KEEP_DAYS = 90
_STAMP = "%Y-%m-%d %H:%M:%S"


def journal_folder() -> Path:
    folder = Path(os.environ.get("USER_EDITOR_DATA") or _user_data_dir())
    path = folder / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _user_data_dir() -> str:
    from platformdirs import user_data_dir

    return user_data_dir("User Editor", False)


@dataclass(frozen=True)
class RecordedUser:
    """One user an upload meant to change, as its journal keeps it."""

    ref: int  # the table row
    excel_row: int
    key: str
    label: str
    action: str  # "update" or "create"
    user_id: str | None
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "changes": [asdict(c) for c in self.changes]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordedUser:
        return cls(**{**data, "changes": tuple(Change(**c) for c in data.get("changes") or ())})


class Journal:
    """The on-disk record of one upload or undo."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def start(
        cls,
        data_file: Path,
        server: str,
        writes: list[Write],
        folder: Path | None = None,
        *,
        users: Iterable[RecordedUser] = (),
        profile: str | None = None,
        kind: PlanKind = PlanKind.UPLOAD,
        undoes: str | None = None,
    ) -> Journal:
        folder = folder or journal_folder()
        remove_expired(folder)
        journal = cls(_claim(folder, f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}", data_file))
        header = {
            "kind": str(kind),
            "file": str(data_file),
            "server": server,
            "started": time.strftime(_STAMP),
            "order": time.time(),  # orders uploads started in the same second
            "profile": profile,
            "undoes": undoes,
            "writes": [asdict(w) for w in writes],
            "users": [u.to_json() for u in users],
        }
        journal._append(header)
        return journal

    @property
    def name(self) -> str:
        return self.path.name

    def _append(self, entry: dict[str, Any]) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def record(self, outcome: Outcome) -> None:
        """Put one outcome on disk; the server's copy of the user is not kept."""
        self._append({"outcome": asdict(replace(outcome, resource=None))})

    def finish(self, counts: dict[str, int] | None = None) -> None:
        """Close the journal, then prune it to what the history and an undo need."""
        if counts is None:
            outcomes = self.outcomes()
            counts = {
                "updated": sum(o.ok and o.user_id is not None for o in outcomes),
                "failed": sum(not o.ok for o in outcomes),
            }
        self._append({"finished": time.strftime(_STAMP), "counts": counts})
        self.prune()

    def prune(self) -> None:
        """Drop the writes (and so every new user's full record) from a finished journal."""
        with self._lock:
            entries = self._read()
            if not entries or "writes" not in entries[0]:
                return
            header = {k: v for k, v in entries[0].items() if k != "writes"}
            lines = [header, *entries[1:]]
            text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines)
            atomic_write(self.path, lambda temp: _write_text(temp, text))

    def note_results(self, results_file: Path) -> None:
        """Remember the results file written for this upload (for the history)."""
        self._append({"results": str(results_file)})

    # --- reading back --------------------------------------------------------------------

    def _read(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                break  # the line being written when the machine died
        return entries

    def _entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._read()

    @property
    def header(self) -> dict[str, Any]:
        return self._entries()[0]

    @property
    def finished(self) -> bool:
        return any(e.get("finished") for e in self._entries())

    def outcomes(self) -> list[Outcome]:
        return [Outcome(**e["outcome"]) for e in self._entries() if "outcome" in e]

    def users(self) -> list[RecordedUser]:
        """Each user the upload meant to change, with the changes (empty for old journals)."""
        return [RecordedUser.from_json(u) for u in self.header.get("users") or []]

    def pending(self) -> list[Write]:
        """The writes with no recorded outcome: sent perhaps, confirmed never."""
        done = {o.ref for o in self.outcomes()}
        writes = [_write(w) for w in self.header.get("writes") or []]
        return [w for w in writes if w.ref not in done]

    def summary(self) -> UploadSummary:
        """This upload as the history lists it."""
        entries = self._entries()
        header = entries[0]
        finished = next((e for e in entries if e.get("finished")), None)
        results = [e["results"] for e in entries if "results" in e]
        return UploadSummary(
            journal=self,
            kind=PlanKind(header.get("kind") or PlanKind.UPLOAD),
            file=Path(header["file"]),
            server=header["server"],
            started=datetime.strptime(header["started"], _STAMP),
            finished=finished is not None,
            counts=dict((finished or {}).get("counts") or {}),
            results=Path(results[-1]) if results else None,
            undoes=header.get("undoes"),
            order=float(header.get("order") or 0),
        )

    @staticmethod
    def unfinished(folder: Path | None = None) -> list[Journal]:
        folder = folder or journal_folder()
        found = []
        for path in sorted(folder.glob("*.jsonl")):
            journal = Journal(path)
            try:
                if not journal.finished:
                    found.append(journal)
            except (OSError, IndexError, KeyError):
                continue
        return found


@dataclass(frozen=True)
class UploadSummary:
    """One past upload or undo of a file: when, where, what happened, its results file."""

    journal: Journal
    kind: PlanKind
    file: Path
    server: str
    started: datetime
    finished: bool
    counts: dict[str, int]
    results: Path | None
    undoes: str | None
    order: float = 0.0

    def when(self) -> str:
        """'3 Dec 2026, 14:05'."""
        return moment(self.started)

    def outcome(self) -> str:
        """'17 edited · 2 added · 1 failed' (an undo: '5 put back')."""
        counts = self.counts
        if not self.finished:
            return _("Interrupted")
        done = _("{count} put back") if self.kind == PlanKind.UNDO else _("{count} edited")
        parts = [done.format(count=numeral(counts.get("updated", 0)))]
        if counts.get("added"):
            parts.append(_("{count} added").format(count=numeral(counts["added"])))
        if counts.get("failed"):
            parts.append(_("{count} failed").format(count=numeral(counts["failed"])))
        if counts.get("not_sent"):
            parts.append(_("{count} not sent").format(count=numeral(counts["not_sent"])))
        return " · ".join(parts)


def history(data_file: Path, folder: Path | None = None) -> list[UploadSummary]:
    """Every upload and undo of ``data_file`` still kept, newest first."""
    folder = folder or journal_folder()
    remove_expired(folder)
    found = []
    for path in folder.glob("*.jsonl"):
        try:
            summary = Journal(path).summary()
        except (OSError, IndexError, KeyError, ValueError, TypeError):
            continue
        if summary.file == data_file:
            found.append(summary)
    return sorted(found, key=lambda s: (s.started, s.order), reverse=True)


def remove_expired(folder: Path, days: int = KEEP_DAYS, now: float | None = None) -> None:
    """Delete the journals last written more than ``days`` days ago."""
    limit = (now if now is not None else time.time()) - timedelta(days=days).total_seconds()
    for path in folder.glob("*.jsonl"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


def _claim(folder: Path, prefix: str, data_file: Path) -> Path:
    """A journal name no other upload has, claimed by creating the file (two uploads of
    one file in the same second each get their own)."""
    for number in range(1, 1000):
        suffix = "" if number == 1 else f"-{number}"
        path = folder / f"{prefix}{suffix}-{data_file.stem}.jsonl"
        try:
            path.open("x").close()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(folder / f"{prefix}-{data_file.stem}.jsonl")


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _write(data: dict[str, Any]) -> Write:
    return Write(**{**data, "operations": tuple(data.get("operations") or ())})
