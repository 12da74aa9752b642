"""A crash never costs an admin their edits: a killed app process, and the next start recovers."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop_app.views import messages
from desktop_app.views.main_window import MainWindow
from desktop_app.views.recovery import DISCARD, RECOVER, offer_recovery

ROOT = Path(__file__).resolve().parents[2]


def _download(folder: Path, users: int = 60) -> Path:
    path = folder / "users.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["User ID", "First name", "Last name", "Email", "Department"])
        for n in range(users):
            writer.writerow([f"K{n:05d}", f"First{n}", f"Last{n}", f"u{n}@example.net", "Sales"])
    return path


def _edit_and_kill(path: Path, data: Path, edits: int, seed: int) -> list[tuple[int, int, str]]:
    """Run a real app process that types ``edits`` edits, then SIGKILL it; returns what it typed."""
    env = dict(os.environ, USER_EDITOR_DATA=str(data), QT_QPA_PLATFORM="offscreen")
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.edit_then_wait", str(path), str(edits), str(seed)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("EDITED "), child.stderr.read() if child.stderr else line
    finally:
        os.kill(child.pid, signal.SIGKILL)  # no clean close, no chance to save
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return [tuple(item) for item in json.loads(line.removeprefix("EDITED "))]


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The recovery question as asked, answered with the first button (Recover)."""
    asked: list[tuple[str, str]] = []

    def choose(_parent: Any, _title: str, sentence: str, detail: str, _choices: list[str]) -> int:
        asked.append((sentence, detail))
        return RECOVER

    monkeypatch.setattr(messages, "choose", choose)
    return asked


def test_killed_app_loses_no_edit(
    window: MainWindow,
    qtbot: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answers: list[tuple[str, str]],
) -> None:
    path = _download(tmp_path)
    before = path.read_bytes()
    data = tmp_path / "data"
    typed = _edit_and_kill(path, data, edits=40, seed=7)
    final: dict[tuple[int, int], str] = {}
    for row, col, text in typed:
        final[(row, col)] = text

    monkeypatch.setenv("USER_EDITOR_DATA", str(data))
    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        assert offer_recovery(window)
    assert answers == [
        (
            f"Recover {len(final)} unsaved changes to users.csv?",
            answers[0][1],
        )
    ]
    doc = window.document
    assert doc is not None
    for (row, col), text in final.items():
        assert doc.value(row, col) == text
    assert len(doc.originals) == len(final)
    assert path.read_bytes() == before, "recovering never touches the file"
    assert window.isWindowModified()
    # The recovered edits are one undoable step, and now in this run's own journal.
    assert window.undo_stack.count() == 1
    assert window.autosave is not None and window.autosave.path.exists()
    assert len(list((data / "autosave").glob("*.jsonl"))) == 1
    window.undo_stack.undo()
    assert not doc.originals


def test_file_changed_since_the_crash(
    window: MainWindow,
    qtbot: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answers: list[tuple[str, str]],
    said: list[tuple[str, str]],
) -> None:
    path = _download(tmp_path, users=30)
    data = tmp_path / "data"
    typed = _edit_and_kill(path, data, edits=12, seed=3)
    final: dict[tuple[int, int], str] = {}
    for row, col, text in typed:
        final[(row, col)] = text
    # Someone exports the file again: a new user on top, so every row moves down by one.
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(1, "K99999,New,Person,new@example.net,Sales\r\n")
    path.write_text("".join(lines), encoding="utf-8")

    monkeypatch.setenv("USER_EDITOR_DATA", str(data))
    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        assert offer_recovery(window)
    sentence, detail = answers[0]
    assert "the file has changed since" in sentence and "users.csv" in sentence
    doc = window.document
    assert doc is not None
    for (row, col), text in final.items():
        assert doc.value(row + 1, col) == text, "each change follows its user's row"
    assert said == []


def test_discarding_removes_the_journal(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _download(tmp_path, users=5)
    data = tmp_path / "data"
    _edit_and_kill(path, data, edits=2, seed=1)
    monkeypatch.setattr(messages, "choose", lambda *_args: DISCARD)
    monkeypatch.setenv("USER_EDITOR_DATA", str(data))
    assert not offer_recovery(window)
    assert not list((data / "autosave").glob("*.jsonl"))
    assert window.document is None


def test_closing_waits_for_a_save_and_an_open(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing while a file is being saved and another opened: both end before the window."""
    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "data"))
    path = _download(tmp_path, users=3000)
    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        window.open_file(path)
    window.model.setData(window.model.index(5, 1), "Changed")  # type: ignore[union-attr]
    assert window.autosave is not None
    journal = window.autosave.path
    assert window.save(wait=False)  # a save under way …
    other = tmp_path / "other"
    other.mkdir()
    window.open_file(_download(other))
    window.shutdown()  # … and an open: closing waits for both, then removes the journal
    saved = tmp_path / "users-edited.csv"
    assert saved.exists() and "Changed" in saved.read_text(encoding="utf-8")
    assert not journal.exists()
    assert not list(tmp_path.glob(".users-edited.csv.*.tmp"))
