"""`--mapping FILE`: the command line reads a file with the columns the admin confirmed."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from desktop_app.models.readers import read_file

SAMPLES = Path(__file__).resolve().parent.parent / "resources" / "samples"


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "check", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )


def test_a_mapping_file_changes_what_a_column_is(tmp_path: Path) -> None:
    source = SAMPLES / "atlas-users.xlsx"
    before = json.loads(check(str(source), "--json").stdout)
    assert any(p["column"] == "Email" for p in before["problems"])
    # The admin says the Email column is not the platform's Email ("Not uploaded").
    mapping = read_file(source).mapping
    assert mapping is not None
    columns = tuple((h, None if h == "Email" else t) for h, t in mapping.columns)
    path = tmp_path / "mapping.json"
    replace(mapping, columns=columns).save(path)
    after = check(str(source), "--json", "--mapping", str(path))
    problems = json.loads(after.stdout)["problems"]
    assert not any(p["column"] == "Email" and "email" in p["message"] for p in problems)
    assert len(problems) < len(before["problems"])


def test_a_damaged_mapping_file_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text("{not json", encoding="utf-8")
    done = check(str(SAMPLES / "atlas-users.xlsx"), "--mapping", str(path))
    assert done.returncode == 2
    assert (
        done.stderr.strip() == "'mapping.json' could not be read as a column mapping (a JSON file)."
    )
