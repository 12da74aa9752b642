"""`check` prints what a plain reading of the document says, cell for cell.

The command writes its report quickly, a line per problem, without making an object of
each; these tests hold it to the straightforward way: every problem of
``document.problems()`` put in a dict and given to ``json.dump``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop_app import app, cli
from desktop_app.models.document import open_document
from tests.helpers.files import ATLAS_HEADERS, write_csv, write_xlsx

HEADERS = [*ATLAS_HEADERS, "Location"]


def user(n: int, **cells: Any) -> list[Any]:
    row: dict[str, Any] = {
        "User ID": f"{n:07d}",
        "Username": f"user{n}",
        "First name": "Anna",
        "Last name": "de Vries",
        "Email": f"user{n}@example.com",
        "Department": "Sales",
        "Job title": "Account Manager",
        "Manager email": "boss@example.com",
        "Language": "nl",
        "Status": "Active",
        "Hire date": dt.date(2020, 1, 15),
        "Location": "Utrecht",
    }
    row.update({header.replace("_", " "): value for header, value in cells.items()})
    return [row[h] for h in HEADERS]


# One row of each kind of problem the checks know, and values JSON must escape.
SPOILED = [
    {"Email": "no-at-sign.example.com"},
    {"Email": "two@@example.com"},
    {"Email": "a space@example.com"},
    {"Email": "dots..twice@example.com"},
    {"Email": "no-dot@example"},
    {"Email": "trailing.dot@example.com."},
    {"Email": ".leading@example.com"},
    {"Email": "under@score_domain.com"},
    {"Email": "hyphen@-example.com"},
    {"Email": "special@example.local"},
    {"Email": "typo@gmial.com "},
    {"Email": "USER3@EXAMPLE.COM"},  # the same address as row 3, in capitals
    {"Username": "user5"},  # taken by another row
    {"User_ID": "0000007"},  # taken by another row
    {"User_ID": None},
    {"First_name": None},
    {"Last_name": "  "},
    {"Status": "Actve"},
    {"Status": "active"},
    {"Status": None},
    {"Language": "English"},
    {"Language": "n l"},
    {"Manager_email": "manager@@example.com"},
    {"Manager_email": "boss(x)@example.com"},
    {"First_name": "Sophie\u00a0"},
    {"Last_name": " Jansen"},
    {"Job_title": "Line\nbreak"},
    {"Job_title": "Tab\there"},
    {"Department": "Zero\u200bwidth"},
    {"Job_title": "x" * 150},
    {"Hire_date": "15/03/2019"},
    {"Hire_date": "2019-02-30"},
    {"Hire_date": "March 2018"},
    {"Department": 'Quote " and back\\slash \u2028 ✓ 😀 ', "Status": "Inactief"},
    {"Username": None, "Email": None},
]


def write_spoiled(path: Path) -> Path:
    rows: list[list[Any]] = [HEADERS, ["Do not edit"] + ["Optional"] * (len(HEADERS) - 1)]
    n = 0
    for spoil in SPOILED:
        n += 1
        rows.append(user(n))
        n += 1
        rows.append(user(n, **spoil))
    rows.append([None] * len(HEADERS))  # a blank row: not a user, never a problem
    rows.append(user(n + 1))
    return write_xlsx(path, rows)


def reference(path: Path, profile: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The report and the text lines as `check` once made them, the plain way."""
    document = open_document(path, profile)
    problems = document.problems()
    report = {
        "profile": document.profile.name,
        "rows": document.row_count,
        "problems": [
            {"row": p.excel_row, "column": p.header, "value": p.value, "message": p.message}
            for p in problems
        ],
    }
    out = io.StringIO()
    json.dump(report, out, ensure_ascii=False, indent=2)
    rows = document.validator.rows_with_issues
    lines = [
        f"{document.profile.title}: {document.row_count:,} users, "
        f"{rows:,} {'row' if rows == 1 else 'rows'} with problems."
    ] + [f"Row {p.excel_row}, {p.header}: {p.message}" for p in problems]
    return json.loads(out.getvalue()), lines


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_every_kind_of_problem_as_the_plain_report(tmp_path: Path) -> None:
    path = write_spoiled(tmp_path / "users.xlsx")
    expected, lines = reference(path)
    assert expected["profile"] == "atlas"
    kinds = {p["message"].split(" ")[0] for p in expected["problems"]}
    assert len(expected["problems"]) >= len(SPOILED) and len(kinds) > 5

    as_json = run("check", str(path), "--json")
    assert as_json.returncode == 1, as_json.stderr
    assert json.loads(as_json.stdout) == expected
    # One problem to a line: the file is read by eye as well as by scripts.
    body = as_json.stdout.split("\n")  # not splitlines(): a value may hold U+2028
    assert len(body) == len(expected["problems"]) + 7 and body[-1] == ""
    assert all(json.loads(line.rstrip(",")) for line in body[4:-3])

    as_text = run("check", str(path))
    assert as_text.returncode == 1
    assert as_text.stdout.splitlines() == lines


def test_a_csv_and_a_forced_profile_as_the_plain_report(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "u.csv",
        [
            ["id", "userName", "emails", "displayName"],
            ["1", "ann", "ann@@x.org", "Bell\x07char"],
            ["2", "ann", "é@x.org", "Esc\x1b"],
            ["3", "", "", ""],
        ],
    )
    expected, _ = reference(path, "scim")
    result = run("check", str(path), "--profile", "scim", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == expected


def test_a_valid_file_has_an_empty_list(sample) -> None:  # type: ignore[no-untyped-def]
    path = sample("scim-users.csv")
    result = run("check", str(path), "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == reference(path)[0]
    assert '"problems": []' in result.stdout


def test_the_quick_lines_are_the_documents_problems_even_after_an_upload(tmp_path: Path) -> None:
    document = open_document(write_spoiled(tmp_path / "users.xlsx"))
    plain = [(p.excel_row, p.header, p.value, p.message) for p in document.problems()]
    assert cli._problem_lines(document) == plain
    document.server_messages[3] = "Email/Username is already in use"
    document.server_messages[0] = "Something else"
    with_refusals = [(p.excel_row, p.header, p.value, p.message) for p in document.problems()]
    assert cli._problem_lines(document) == with_refusals != plain


def test_the_quick_json_lines_are_those_of_the_documents_problems(tmp_path: Path) -> None:
    document = open_document(write_spoiled(tmp_path / "users.xlsx"))
    cells = document.validator.problems
    assert any(len(found) > 1 for found in cells.values())  # rows with several problems
    row = next(iter(cells))
    col, issues = next(iter(cells[row].items()))
    cells[row][col] = (*issues, *issues)  # a cell with two issues: each has its line

    def long_way() -> str:
        out = io.StringIO()
        cli._write_check_json("atlas", document.row_count, cli._problem_lines(document), out)
        return out.getvalue()

    def quick() -> str:
        out = io.StringIO()
        lines = cli._problem_json_lines(document)
        cli._write_check_json_lines("atlas", document.row_count, lines, out)
        return out.getvalue()

    assert quick() == long_way()
    document.server_messages[3] = "Email/Username is already in use"
    assert quick() == long_way()


@pytest.mark.parametrize("at_a_time", [1, 2, 3, 4096])
def test_the_report_written_a_few_lines_at_a_time_is_one_json_with_a_line_per_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_a_time: int
) -> None:
    document = open_document(write_spoiled(tmp_path / "users.xlsx"))
    problems = document.problems()
    assert len(problems) > 3
    monkeypatch.setattr(cli, "WRITE_LINES", at_a_time)
    out = io.StringIO()
    written = cli._write_check_json_lines(
        "atlas", document.row_count, cli._problem_json_lines(document), out
    )
    assert written == len(problems)
    reported = [
        {"row": p.excel_row, "column": p.header, "value": p.value, "message": p.message}
        for p in problems
    ]
    assert json.loads(out.getvalue()) == {
        "profile": "atlas",
        "rows": document.row_count,
        "problems": reported,
    }
    lines = out.getvalue().split("\n")[:-1]  # (a value may hold U+2028, a line end to splitlines)
    assert lines[:4] == [
        "{",
        '  "profile": "atlas",',
        f'  "rows": {document.row_count},',
        '  "problems": [',
    ]
    assert lines[-2:] == ["  ]", "}"]
    assert lines[4:-2] == [
        "    " + json.dumps(problem, ensure_ascii=False) + ("," if n < len(reported) - 1 else "")
        for n, problem in enumerate(reported)
    ]


@pytest.mark.parametrize("problems", [[], [(3, "Email", 'a"b', "Bad \\ 'x' é\u2028.")]])
def test_the_json_is_json_dumps_own(problems: list[tuple[int, str, str, str]]) -> None:
    out = io.StringIO()
    cli._write_check_json("atlas", 7, problems, out)
    report = {
        "profile": "atlas",
        "rows": 7,
        "problems": [{"row": r, "column": c, "value": v, "message": m} for r, c, v, m in problems],
    }
    assert json.loads(out.getvalue()) == report
    if not problems:  # nothing to lay out otherwise: exactly what json.dump writes
        assert out.getvalue() == json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def test_check_imports_neither_qt_nor_the_upload_stack(tmp_path: Path) -> None:
    path = write_spoiled(tmp_path / "users.xlsx")
    script = (
        "import sys; from desktop_app.app import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = ('PySide6', 'requests', 'keyring', 'scim2_models', 'scim2_server', 'openpyxl')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy}))"
    )
    for args in (["check", str(path), "--json"], ["check", "--help"], ["--help"], ["--version"]):
        result = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120
        )
        assert result.stdout.splitlines()[-1] == "[]", (args, result.stderr)


def test_the_window_help_needs_no_qt() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: user-editor")
    assert "user-editor check FILE" in result.stdout
    assert run("--version").stdout.strip().startswith("User Editor ")
    assert app.COMMANDS == cli.COMMANDS
