"""A day of editing through the real window: 10,000 typed edits, undo and redo among them.

It types into the table as an admin does (a cell chosen, text typed, Enter), on a file
made here with values nobody on the team wrote, and checks that every cell holds what
was typed (or what undo put back), that the autosave journal would restore exactly that,
and that Qt's bindings did not leak references on the way (a PySide6 release that did
aborted the window after about 3,300 edits).
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QAbstractItemView

from desktop_app.models.document import open_document
from desktop_app.services.autosave import changes_to_restore, read_journal
from desktop_app.views.main_window import MainWindow
from tests.helpers.gui import open_in, type_into

EDITS = 10_000
HEADERS = ["User ID", "First name", "Last name", "Email", "Department", "Job title"]
LETTERS = "abcdefghijklmnopqrstuvwxyzéøß"


def _generated_download(folder: Path, users: int, rng: random.Random) -> Path:
    path = folder / "day-of-editing.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(users):
            first = "".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 9))).title()
            last = "".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 12))).title()
            writer.writerow(
                [
                    f"{rng.randint(1, 10**12):012d}-{n}",
                    first,
                    last,
                    f"{first.lower()}.{n}@example.org",
                    rng.choice(["Sales", "HR", "R&D", "Support"]),
                    rng.choice(["", "Engineer", "Manager"]),
                ]
            )
    return path


def test_ten_thousand_typed_edits(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "data"))
    rng = random.Random(20261203)
    path = _generated_download(tmp_path, 300, rng)
    open_in(window, qtbot, path)
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    expected = [list(column) for column in doc.columns]
    history: list[tuple[int, int, str]] = []  # (row, col, value before) per typed edit
    undone: list[tuple[int, int, str]] = []
    true_refs = sys.getrefcount(True)

    typed = 0
    while typed < EDITS:
        row, col = rng.randrange(doc.row_count), rng.randrange(1, doc.column_count)
        text = "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 4)))
        before = expected[col][row]
        type_into(window, row, col, text)
        typed += 1
        if text != before:
            expected[col][row] = text
            history.append((row, col, before))
            undone.clear()
        if typed % 97 == 0:  # now and then: undo a few, redo one
            for _ in range(3):
                if history:
                    r, c, value = history.pop()
                    undone.append((r, c, expected[c][r]))
                    expected[c][r] = value
                    window.undo_action.trigger()
            if undone:
                r, c, value = undone.pop()
                history.append((r, c, expected[c][r]))
                expected[c][r] = value
                window.redo_action.trigger()
        if typed % 1000 == 0:
            assert window.table.state() != QAbstractItemView.State.EditingState
            assert doc.columns == expected, f"after {typed} edits"

    assert doc.columns == expected
    assert window.isVisible()
    # Qt's bindings gave back the references they took: a release that leaked one to True
    # on every signal leaked several per edit (on Python 3.12+ True is immortal: no change).
    assert sys.getrefcount(True) - true_refs < EDITS // 10

    # What a crash now would leave: the journal restores exactly this table.
    assert window.autosave is not None
    window.autosave.sync()
    recovery = read_journal(window.autosave.path)
    assert recovery is not None
    fresh = open_document(path)
    cells, left_out = changes_to_restore(fresh, recovery)
    assert left_out == []
    fresh.apply(fresh.edits_for(cells))
    assert fresh.columns == expected
    assert recovery.unsaved == len(doc.originals)
