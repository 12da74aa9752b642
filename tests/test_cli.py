"""The command line as support staff use it: a real process, its exit code and its output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers.files import write_csv


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args], capture_output=True, text=True, timeout=120
    )


def test_check_lists_problems_and_exits_1(sample) -> None:  # type: ignore[no-untyped-def]
    result = run("check", str(sample("atlas-users.xlsx")))
    assert result.returncode == 1
    assert "40 users, 6 rows with problems" in result.stdout
    assert (
        "Row 4, Email: Email 'jan.devries.example.com' is not a valid email address"
        in result.stdout
    )


def test_check_json_uses_excel_row_numbers(sample) -> None:  # type: ignore[no-untyped-def]
    result = run("check", str(sample("rakoo-template.xlsx")), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["profile"] == "rakoo" and report["rows"] == 30
    salez = [p for p in report["problems"] if p["value"] == "Salez"]
    assert salez == [
        {
            "row": 6,
            "column": "Department*",
            "value": "Salez",
            "message": "Department 'Salez' is not in your organisation: did you mean 'Sales'?",
        }
    ]


def test_valid_file_exits_0(sample) -> None:  # type: ignore[no-untyped-def]
    result = run("check", str(sample("scim-users.csv")), "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["problems"] == []


def test_forced_profile(sample, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "u.csv", [["id", "userName"], ["1", "ann"], ["2", "ann"]])
    result = run("check", str(path), "--profile", "scim", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["profile"] == "scim"


def test_unreadable_file_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "users.xlsx"
    path.write_bytes(b"this is not a spreadsheet at all")
    before = path.read_bytes()
    result = run("check", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "not a valid Excel file" in lines[0]
    assert path.read_bytes() == before


def test_unknown_profile_exit_2(sample) -> None:  # type: ignore[no-untyped-def]
    result = run("check", str(sample("scim-users.csv")), "--profile", "moodle")
    assert result.returncode == 2
    assert "There is no profile called 'moodle'" in result.stderr


def test_upload_dry_run_then_upload(tmp_path: Path) -> None:
    import os

    from desktop_app.models.document import open_document
    from desktop_app.models.writers import save
    from desktop_app.services.demo import start_demo
    from tests.services.test_upload import fix_the_sample

    demo = start_demo(tmp_path / "work")
    try:
        doc = open_document(demo.download)
        fix_the_sample(doc)
        edited = save(doc, tmp_path / "edited.xlsx")
        env = dict(os.environ, USER_EDITOR_DATA=str(tmp_path / "data"), TOKEN=demo.token)
        base = [sys.executable, "-m", "desktop_app", "upload", str(edited), "--server", demo.url]

        def upload(*extra: str, token: str = "TOKEN") -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*base, "--token-env", token, *extra],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )

        dry = upload("--dry-run")
        assert dry.returncode == 0
        assert dry.stdout.startswith("7 users will be updated · 0 will be added")
        assert "Department: 'Management' → 'Sales'" in dry.stdout
        assert "dvisser will be deactivated" in dry.stdout
        done = upload("--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {
            "updated": 7,
            "added": 0,
            "invited": 0,
            "failed": [],
            "skipped_invalid": 0,
            "unchanged": 33,
            "matches_existing": [],
            "created": [],
            "saved_copy": None,
        }
        again = upload()
        assert again.returncode == 0
        assert again.stdout.startswith("0 users were successfully edited.")
        missing = upload(token="NOT_SET")
        assert missing.returncode == 2
        assert missing.stderr.strip() == "The environment variable NOT_SET is empty or not set."
    finally:
        demo.stop()


def test_upload_dry_run_with_problems_lists_them_and_exits_1(demo) -> None:  # type: ignore[no-untyped-def]
    import os

    env = dict(os.environ, TOKEN=demo.token)
    dry = subprocess.run(
        [sys.executable, "-m", "desktop_app", "upload", str(demo.download), "--server", demo.url]
        + ["--token-env", "TOKEN", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dry.returncode == 1, dry.stderr
    assert dry.stdout.startswith("0 users will be updated · 0 will be added · 6 rows have problems")
    assert (
        "Row 4, Email: Email 'jan.devries.example.com' is not a valid email address" in dry.stdout
    )
    assert "Not uploaded (no SCIM attribute): Hire date." in dry.stdout
