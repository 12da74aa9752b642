"""Hostile files: each is opened or refused with one sentence, quickly, and never changed.

The corpus (tests/helpers/hostile.py) is generated once for this module. Every entry
goes through the core (read_file / open_document) and through the command line as a
real process, whose wall time and peak memory are measured. The limits are generous
bounds for safety, not benchmarks.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from desktop_app.models.document import open_document
from desktop_app.models.errors import FileProblem
from desktop_app.models.readers import read_file
from desktop_app.models.writers import atomic_write, csv_bytes, save
from tests.helpers.hostile import (
    HUGE_CELL_CHARS,
    Hostile,
    Outcome,
    build_corpus,
    corpus,
    fingerprint,
    mixed_encoding_csv,
    run_check,
)

SECONDS = 5.0
PEAK_MB = 2048.0
ENTRIES = corpus()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("hostile"))


def _one_sentence(message: str) -> None:
    assert message.strip(), "no sentence"
    assert "Traceback" not in message and "\n" not in message.strip()
    assert message.strip().endswith(".")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_core_opens_or_refuses(entry: Hostile, files: dict[str, Path]) -> None:
    path = files[entry.name]
    before = fingerprint(path)
    if entry.outcome is Outcome.REFUSED:
        with pytest.raises(FileProblem) as caught:
            open_document(path)
        _one_sentence(str(caught.value))
        assert entry.says in str(caught.value)
    else:
        document = open_document(path)
        assert any(entry.says in p.message for p in document.problems())
    assert fingerprint(path) == before


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_command_line_opens_or_refuses(entry: Hostile, files: dict[str, Path]) -> None:
    path = files[entry.name]
    before = fingerprint(path)
    run = run_check(path)
    if entry.outcome is Outcome.REFUSED:
        assert run.exit_code == 2, run.stderr
        _one_sentence(run.stderr)
        assert entry.says in run.stderr
    else:
        assert run.exit_code in (0, 1), run.stderr
        assert run.stderr == ""
        assert entry.says in run.stdout
    assert "root:" not in run.stdout + run.stderr  # no external entity was ever read
    assert run.seconds < SECONDS, f"{entry.name} took {run.seconds:.1f} s"
    if run.peak_mb == run.peak_mb:  # measured (not NaN) where the system reports it
        assert run.peak_mb < PEAK_MB, f"{entry.name} peaked at {run.peak_mb:,.0f} MB"
    assert fingerprint(path) == before


# --- what the hostile files show, in detail -------------------------------------------------


def test_huge_cell_is_opened_whole_and_flagged(files: dict[str, Path]) -> None:
    document = open_document(files["huge-cell.xlsx"])
    col = document.headers.index("First name")
    assert len(document.value(0, col)) == HUGE_CELL_CHARS  # never cut
    (issue,) = document.cell_issues(0, col)
    assert issue.message.startswith("This cell holds 95,000,000 characters")
    assert issue.fix is None  # a person decides what it should be


def test_a_long_csv_cell_reads_and_leaves_the_limit_as_it_was(files: dict[str, Path]) -> None:
    limit = csv.field_size_limit()
    loaded = read_file(files["big-field.csv"])
    assert len(loaded.columns[loaded.headers.index("First name")][0]) == 10 * 1024 * 1024 + 1
    assert csv.field_size_limit() == limit


def test_mixed_character_sets_flag_the_foreign_row(files: dict[str, Path]) -> None:
    document = open_document(files["mixed-encoding.csv"])
    first = document.headers.index("First name")
    assert [document.value(r, first) for r in range(3)] == ["José", "Zoë", "Jösé"]
    assert document.row_has_issues(2)
    assert not document.row_has_issues(0) and not document.row_has_issues(1)
    (issue,) = document.cell_issues(2, first)
    assert issue.message == (
        "This row was written in a different character set than the rest of the file "
        "(Windows-1252); check its accents."
    )
    # Unedited, the file is written back byte for byte, the foreign line included.
    assert csv_bytes(document) == files["mixed-encoding.csv"].read_bytes()


def test_editing_a_foreign_row_writes_it_in_the_files_character_set(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    mixed_encoding_csv(path)
    document = open_document(path)
    first = document.headers.index("First name")
    document.apply(document.edits_for([(2, first, "Jösé")]))  # same text: nothing to do
    assert document.row_has_issues(2)
    document.apply(document.edits_for([(2, first, "Josée")]))
    assert document.cell_issues(2, first) == ()
    data = csv_bytes(document)
    lines = data.split(b"\r\n")
    assert lines[3] == "102,jos@example.com,Josée,Ångström".encode()
    assert lines[:3] == path.read_bytes().split(b"\r\n")[:3]
    assert data.decode("utf-8")  # the whole file is UTF-8 now


def test_control_characters_have_a_one_click_fix_and_save_escaped(
    files: dict[str, Path], tmp_path: Path
) -> None:
    from tests.helpers.files import read_grid

    document = open_document(files["control-characters.xlsx"])
    first = document.headers.index("First name")
    assert document.value(0, first) == "Ann\x0bMarie"
    (issue,) = document.cell_issues(0, first)
    assert issue.kind == "control" and "vertical tab" in issue.message
    assert issue.fix == "AnnMarie"
    # Saved untouched, the control characters survive (as _x000B_ in the XML).
    target = save(document, tmp_path / "saved.xlsx")
    reread = open_document(target)
    assert reread.value(0, first) == "Ann\x0bMarie"
    assert reread.value(1, first) == "Bob\x01"
    # Fixed, the cell is clean and saved as such.
    document.apply(document.edits_for([(0, first, issue.fix)]))
    assert document.cell_issues(0, first) == ()
    save(document, target)
    assert read_grid(target)[1][2] == "AnnMarie"


def test_a_symlink_to_a_regular_file_opens(files: dict[str, Path], tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(files["mixed-encoding.csv"])
    assert open_document(link).row_count == 3


# --- atomic saves ------------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("fault", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_write_that_fails_midway_leaves_no_trace(tmp_path: Path, fault: BaseException) -> None:
    target = tmp_path / "users.csv"
    target.write_bytes(b"Email,Name\r\na@example.com,Ann\r\n")
    before = fingerprint(target)

    def write(temp: Path) -> None:
        temp.write_bytes(b"Email,Name\r\nhalf")
        raise fault

    expected = FileProblem if isinstance(fault, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        atomic_write(target, write)
    assert fingerprint(target) == before
    assert _leftovers(tmp_path) == []


def test_a_failed_rename_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "users.csv"
    target.write_bytes(b"old")

    def refuse(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(FileProblem, match="open in another program"):
        atomic_write(target, lambda temp: temp.write_bytes(b"new"))
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_a_save_is_flushed_to_disk_before_it_replaces_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    target = tmp_path / "users.csv"
    atomic_write(target, lambda temp: temp.write_bytes(b"new"))
    assert target.read_bytes() == b"new"
    assert events[:2] == ["fsync", "replace"]
    if os.name == "posix":
        assert events[2:] == ["fsync"]  # the folder, so the rename itself is durable
    assert _leftovers(tmp_path) == []
