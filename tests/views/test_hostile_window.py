"""Hostile files through the window: opened or refused with one sentence, quickly."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from desktop_app.views.main_window import MainWindow
from tests.helpers.hostile import (
    HUGE_CELL_CHARS,
    Hostile,
    Outcome,
    build_corpus,
    corpus,
    fingerprint,
)

pytestmark = pytest.mark.gui

SECONDS = 5.0
ENTRIES = corpus()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_window_opens_or_refuses(
    entry: Hostile,
    files: dict[str, Path],
    window: MainWindow,
    qtbot: Any,
    said: list[tuple[str, str]],
) -> None:
    path = files[entry.name]
    before = fingerprint(path)
    started = time.perf_counter()
    outcome: list[str] = []
    window.documentLoaded.connect(lambda: outcome.append("opened"))
    window.loadFailed.connect(lambda _message: outcome.append("refused"))
    window.open_file(path)
    qtbot.waitUntil(lambda: bool(outcome), timeout=int(SECONDS * 4000))
    window.table.viewport().repaint()  # laid out and painted, as the admin sees it
    seconds = time.perf_counter() - started
    assert outcome == [entry.outcome.value]
    if entry.outcome is Outcome.REFUSED:
        ((_title, sentence),) = said
        assert entry.says in sentence
        assert "\n" not in sentence and sentence.endswith(".")
    else:
        assert said == []
        document = window.document
        assert document is not None
        assert any(entry.says in p.message for p in document.problems())
    assert seconds < SECONDS, f"{entry.name} took {seconds:.1f} s in the window"
    assert fingerprint(path) == before


def test_a_huge_cell_shows_cut_short_and_copies_whole(
    files: dict[str, Path], window: MainWindow, qtbot: Any
) -> None:
    outcome: list[str] = []
    window.documentLoaded.connect(lambda: outcome.append("opened"))
    window.open_file(files["huge-cell.xlsx"])
    qtbot.waitUntil(lambda: bool(outcome), timeout=20000)
    model, doc = window.model, window.document
    assert model is not None and doc is not None
    col = doc.headers.index("First name")
    index = model.index(0, col)
    shown = index.data(Qt.ItemDataRole.DisplayRole)
    assert len(shown) < 1100 and shown.endswith("(95,000,000 characters)")
    assert len(index.data(Qt.ItemDataRole.EditRole)) == HUGE_CELL_CHARS
    assert "95,000,000 characters" in index.data(Qt.ItemDataRole.ToolTipRole)
    # No editor opens on it (a line editor would cut it to 32,767 characters on commit).
    view_index = window.proxy.mapFromSource(index)
    window.table.setCurrentIndex(view_index)
    assert not model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert doc.value(0, col) == "A" * HUGE_CELL_CHARS
    # Copy takes the value itself, never the text shown.
    window.table.copy_selection()
    assert len(QGuiApplication.clipboard().text()) == HUGE_CELL_CHARS
