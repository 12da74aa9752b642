"""The autosave journal: what it writes, and what a crashed run's journal gives back."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.models.document import UserDocument, invert, open_document
from desktop_app.services.autosave import (
    Autosave,
    changes_to_restore,
    find_recoveries,
    read_journal,
)

HEADERS = ["User ID", "First name", "Email", "Department"]


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def _users(count: int) -> list[list[str]]:
    return [[f"U{n:04d}", f"Name{n}", f"user{n}@example.org", "Sales"] for n in range(count)]


def _edit(document: UserDocument, journal: Autosave, row: int, col: int, value: str) -> list:
    edits = document.edits_for([(row, col, value)])
    document.apply(edits)
    journal.record(edits, [document.key_of(e.row) for e in edits])
    return edits


def test_a_journal_gives_back_exactly_the_edits(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "users.csv", _users(5))
    document = open_document(path)
    journal = Autosave.start(document, tmp_path, document.opened_stamp)
    _edit(document, journal, 0, 1, "Änne")
    _edit(document, journal, 2, 2, "not an email")
    undone = _edit(document, journal, 3, 3, "HR")
    document.apply(invert(undone))  # undo is a step like any other
    journal.record(invert(undone), [document.key_of(e.row) for e in undone])
    journal.close(remove=False)

    (recovery,) = find_recoveries(tmp_path)
    assert recovery.unsaved == 2 and not recovery.file_changed
    fresh = open_document(path)
    cells, left_out = changes_to_restore(fresh, recovery)
    assert left_out == []
    fresh.apply(fresh.edits_for(cells))
    assert fresh.columns == document.columns
    recovery.discard()
    assert not list(tmp_path.glob("*.jsonl"))


def test_saved_edits_are_not_offered_again(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "users.csv", _users(3))
    document = open_document(path)
    journal = Autosave.start(document, tmp_path, document.opened_stamp)
    _edit(document, journal, 0, 1, "Saved")
    journal.mark_saved(tmp_path / "users-edited.csv")
    journal.close(remove=False)
    assert find_recoveries(tmp_path) == []
    assert not list(tmp_path.glob("*.jsonl")), "a journal with nothing unsaved is removed"

    journal = Autosave.start(document, tmp_path, document.opened_stamp)
    _edit(document, journal, 1, 1, "Saved too")
    journal.mark_saved(tmp_path / "users-edited.csv")
    _edit(document, journal, 2, 1, "Not saved")
    journal.close(remove=False)
    (recovery,) = find_recoveries(tmp_path)
    assert recovery.unsaved == 1
    assert recovery.saved_to == tmp_path / "users-edited.csv"


def test_a_line_cut_short_by_the_crash_loses_only_that_line(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "users.csv", _users(3))
    document = open_document(path)
    journal = Autosave.start(document, tmp_path, document.opened_stamp)
    _edit(document, journal, 0, 1, "Kept")
    journal.close(remove=False)
    with journal.path.open("a", encoding="utf-8") as handle:
        handle.write('{"edits":[[1,1,"Name1","Hal')
    recovery = read_journal(journal.path)
    assert recovery is not None and [c.final for c in recovery.changes] == ["Kept"]


def test_a_journal_still_held_by_a_running_app_is_not_offered(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "users.csv", _users(3))
    document = open_document(path)
    journal = Autosave.start(document, tmp_path, document.opened_stamp)
    _edit(document, journal, 0, 1, "Still editing")
    journal.sync()
    # Another copy of the app looks for crashed runs while this one still works.
    code = (
        "import sys; from pathlib import Path; "
        "from desktop_app.services.autosave import find_recoveries; "
        "print(len(find_recoveries(Path(sys.argv[1]))))"
    )
    seen = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert seen.stdout.strip() == "0"
    journal.close()
    assert not journal.path.exists()


def test_changes_follow_their_user_when_the_file_changed(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "users.csv", _users(4))
    document = open_document(path)
    journal = Autosave.start(document, tmp_path, document.opened_stamp)
    _edit(document, journal, 1, 1, "New name for U0001")
    _edit(document, journal, 2, 3, "HR")
    _edit(document, journal, 3, 2, "u3@example.org")
    journal.close(remove=False)
    # Meanwhile the file was replaced: a user added on top, columns reordered,
    # and U0002's department changed by someone else.
    rows = _users(4)
    rows[2][3] = "Finance"
    rows.insert(0, ["U9999", "Newcomer", "new@example.org", "Sales"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "User ID", "Department", "First name"])
        writer.writerows([[r[2], r[0], r[3], r[1]] for r in rows])
    os.utime(path, ns=(1, 1))

    (recovery,) = find_recoveries(tmp_path)
    assert recovery.file_changed
    fresh = open_document(path)
    cells, left_out = changes_to_restore(fresh, recovery)
    fresh.apply(fresh.edits_for(cells))
    by_id = {fresh.value(r, 1): r for r in range(fresh.row_count)}
    assert fresh.value(by_id["U0001"], 3) == "New name for U0001"
    assert fresh.value(by_id["U0003"], 0) == "u3@example.org"
    assert fresh.value(by_id["U0002"], 2) == "Finance"  # theirs is kept, ours is listed
    assert [(c.key, c.final) for c in left_out] == [("U0002", "HR")]
    recovery.release()


cell_values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("edit"), st.integers(0, 5), st.integers(1, 3), cell_values),
            st.tuples(st.just("undo"), st.just(0), st.just(0), st.just("")),
            st.tuples(st.just("save"), st.just(0), st.just(0), st.just("")),
        ),
        max_size=40,
    )
)
def test_any_session_of_edits_comes_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int, int, str]]
) -> None:
    folder = tmp_path_factory.mktemp("autosave")
    path = _write_csv(folder / "users.csv", _users(6))
    document = open_document(path)
    journal = Autosave.start(document, folder, document.opened_stamp)
    done: list[list] = []
    saved = [list(c) for c in document.columns]
    for action, row, col, value in steps:
        if action == "edit":
            edits = _edit(document, journal, row, col, value)
            if edits:
                done.append(edits)
        elif action == "undo" and done:
            back = invert(done.pop())
            document.apply(back)
            journal.record(back, [document.key_of(e.row) for e in back])
        elif action == "save":
            journal.mark_saved(folder / "users-edited.csv")
            saved = [list(c) for c in document.columns]
    journal.close(remove=False)
    unsaved = sum(
        a != b
        for col_a, col_b in zip(saved, document.columns, strict=True)
        for a, b in zip(col_a, col_b, strict=True)
    )
    found = find_recoveries(folder)
    if unsaved == 0:
        assert found == []
        return
    (recovery,) = found
    assert recovery.unsaved == unsaved
    fresh = open_document(path)
    cells, left_out = changes_to_restore(fresh, recovery)
    assert left_out == []
    fresh.apply(fresh.edits_for(cells))
    assert fresh.columns == document.columns
    recovery.discard()
