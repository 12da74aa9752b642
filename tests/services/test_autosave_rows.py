"""Rows added and deleted reach the autosave journal and come back exactly after a crash."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.models.document import CellEdit, Edit, RowEdit, UserDocument, invert, open_document
from desktop_app.services.autosave import (
    Autosave,
    changes_to_restore,
    find_recoveries,
    rows_to_restore,
)

HEADERS = ["User ID", "First name", "Email", "Department"]


def _write_csv(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(count):
            writer.writerow([f"U{n:04d}", f"Name{n}", f"user{n}@example.org", "Sales"])
    return path


def _table(document: UserDocument) -> list[list[str]]:
    return [[column[row] for column in document.columns] for row in document.saved_order()]


def _step(document: UserDocument, journal: Autosave, step: list[Edit]) -> None:
    document.apply(step)
    keys = [document.key_of(e.row) if isinstance(e, CellEdit) else None for e in step]
    journal.record(step, keys, document)


def _recover(path: Path, folder: Path) -> UserDocument:
    (recovery,) = find_recoveries(folder)
    fresh = open_document(path)
    adding, taking, made, lost = rows_to_restore(fresh, recovery)
    cells, left_out = changes_to_restore(fresh, recovery, made)
    assert lost == 0 and left_out == []
    count = sum(len(edit.rows) for edit in adding)
    fresh.apply([*adding, *fresh.edits_for(cells, adding=count), *taking])
    recovery.discard()
    return fresh


def test_an_inserted_row_and_a_deleted_one_come_back_in_place(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "users.csv", 4)
    document = open_document(path)
    journal = Autosave.start(document, tmp_path, document.opened_stamp)
    rows = document.new_rows(1, 2)
    _step(document, journal, [rows, *document.edits_for([(4, 1, "Nieuw")], adding=1)])
    _step(document, journal, [RowEdit((0,), False)])
    journal.close(remove=False)

    (recovery,) = find_recoveries(tmp_path)
    assert recovery.unsaved == 3  # the row added, its name, the row deleted
    recovery.release()
    assert _table(_recover(path, tmp_path)) == _table(document)


def test_a_deleted_row_follows_its_user_when_the_file_changed(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "users.csv", 4)
    document = open_document(path)
    journal = Autosave.start(document, tmp_path, document.opened_stamp)
    _step(document, journal, [RowEdit((2,), False)])
    _step(document, journal, [document.new_rows(1, 0)])
    journal.close(remove=False)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], lines[4], *lines[1:4]]) + "\n", encoding="utf-8")

    fresh = _recover(path, tmp_path)
    assert [row[0] for row in _table(fresh)] == ["U0003", "U0000", "U0001", ""]


cell_values = st.text(alphabet="ab@. ", max_size=4)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("edit"), st.integers(0, 9), st.integers(1, 3), cell_values),
            st.tuples(st.just("insert"), st.integers(0, 12), st.integers(1, 2), st.just("")),
            st.tuples(st.just("delete"), st.integers(0, 9), st.integers(1, 2), st.just("")),
            st.tuples(st.just("undo"), st.just(0), st.just(0), st.just("")),
            st.tuples(st.just("redo"), st.just(0), st.just(0), st.just("")),
            st.tuples(st.just("save"), st.just(0), st.just(0), st.just("")),
        ),
        max_size=40,
    )
)
def test_any_session_of_rows_and_edits_comes_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int, int, str]]
) -> None:
    folder = tmp_path_factory.mktemp("autosave")
    path = _write_csv(folder / "users.csv", 6)
    document = open_document(path)
    journal = Autosave.start(document, folder, document.opened_stamp)
    done: list[list[Edit]] = []
    undone: list[list[Edit]] = []
    saved = _table(document)
    for action, where, size, value in steps:
        shown = document.saved_order()
        step: list[Edit] = []
        if action == "edit" and shown:
            step = list(document.edits_for([(shown[where % len(shown)], size, value)]))
        elif action == "insert":
            step = [document.new_rows(size, min(where, len(document.order or shown)))]
        elif action == "delete" and shown:
            step = [RowEdit(tuple(sorted({shown[where % len(shown)], shown[-1]})), False)]
        elif action == "undo" and done:
            back = done.pop()
            undone.append(back)
            _step(document, journal, invert(back))
            continue
        elif action == "redo" and undone:
            again = undone.pop()
            done.append(again)
            _step(document, journal, again)
            continue
        elif action == "save":
            journal.mark_saved(folder / "users-edited.csv")
            saved = _table(document)
            continue
        if step:
            _step(document, journal, step)
            done.append(step)
            undone.clear()
    journal.close(remove=False)
    found = find_recoveries(folder)
    if _table(document) == saved:
        # Nothing to offer, or only cells that went back to their saved value.
        for recovery in found:
            recovery.discard()
        return
    assert len(found) == 1 and found[0].unsaved > 0
    found[0].release()
    assert _table(_recover(path, folder)) == _table(document)
