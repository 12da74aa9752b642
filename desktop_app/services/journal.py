"""A journal of each upload, written as it happens, so a crash never loses or doubles an update.

One JSON-lines file per upload: the first line holds every write the upload will
send; each later line is one write's outcome, flushed to disk before the next is
recorded. A journal without its closing line belongs to an upload that was cut
short: the next start offers to resume it, sending only the writes with no outcome.
Tokens are never written here.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from desktop_app.services.sending import Outcome, Write


def journal_folder() -> Path:
    folder = Path(os.environ.get("USER_EDITOR_DATA") or user_data_dir("User Editor", False))
    path = folder / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Journal:
    """The on-disk record of one upload."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def start(
        cls, data_file: Path, server: str, writes: list[Write], folder: Path | None = None
    ) -> Journal:
        folder = folder or journal_folder()
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{data_file.stem}.jsonl"
        journal = cls(folder / name)
        header = {
            "file": str(data_file),
            "server": server,
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "writes": [asdict(w) for w in writes],
        }
        journal._append(header)
        return journal

    def _append(self, entry: dict[str, Any]) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def record(self, outcome: Outcome) -> None:
        self._append({"outcome": asdict(outcome)})

    def finish(self) -> None:
        self._append({"finished": True})

    # --- reading back --------------------------------------------------------------------

    def _entries(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                break  # the line being written when the machine died
        return entries

    @property
    def header(self) -> dict[str, Any]:
        return self._entries()[0]

    @property
    def finished(self) -> bool:
        return any(e.get("finished") for e in self._entries())

    def outcomes(self) -> list[Outcome]:
        return [Outcome(**e["outcome"]) for e in self._entries() if "outcome" in e]

    def pending(self) -> list[Write]:
        """The writes with no recorded outcome: sent perhaps, confirmed never."""
        done = {o.ref for o in self.outcomes()}
        writes = [_write(w) for w in self.header["writes"]]
        return [w for w in writes if w.ref not in done]

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


def _write(data: dict[str, Any]) -> Write:
    return Write(**{**data, "operations": tuple(data.get("operations") or ())})
