"""Update from another file: matching rules, never guessing, blanks, and one step to undo."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.models.document import RowEdit, UserDocument, invert, open_document
from desktop_app.models.errors import FileProblem
from desktop_app.models.update_from_file import (
    ColumnPair,
    KeyPair,
    MatchKind,
    TableColumns,
    UpdateChoice,
    UpdatePlan,
    UpdateProblem,
    match_kind,
    plan_update,
    read_other_file,
    suggest_columns,
    suggest_keys,
    summary,
)
from tests.helpers.files import write_csv, write_xlsx

TABLE_HEADERS = ["User ID", "Email", "Employee number", "Department", "Job title", "Note"]
ID, EMAIL, EMPLOYEE, DEPARTMENT, JOB, NOTE = range(6)


def table(folder: Path, rows: list[list[str]]) -> UserDocument:
    """A download with these users (the User ID column is the locked key)."""
    return open_document(write_csv(folder / "users.csv", [TABLE_HEADERS, *rows]))


def plan_for(
    document: UserDocument,
    other_path: Path,
    keys: KeyPair,
    take: list[ColumnPair],
    kind: MatchKind = MatchKind.TEXT,
    blank_clears: bool = False,
) -> UpdatePlan:
    other = read_other_file(other_path)
    choice = UpdateChoice(keys, tuple(take), kind, blank_clears)
    return plan_update(other, TableColumns.copy_from(document, choice), choice)


def cells(document: UserDocument) -> list[list[str]]:
    return [list(column) for column in document.columns]


# --- suggestions ----------------------------------------------------------------------


def test_suggests_employee_number_first_then_email_then_user_id() -> None:
    other = ["E-mail address", "Personnel number", "Dept", "Job Title", "user_id"]
    assert suggest_keys(TABLE_HEADERS + ["UserID"], other) == [
        KeyPair(EMPLOYEE, 1),
        KeyPair(EMAIL, 0),
        KeyPair(ID, 4),
        KeyPair(6, 4),
    ]
    assert suggest_keys(["Name"], other) == []


def test_suggests_columns_by_name_never_the_keys_the_lock_or_identifiers() -> None:
    other = ["Employee No", "EMAIL", "department ", "Job_title", "User ID", "Salary"]
    keys = KeyPair(EMPLOYEE, 0)
    assert suggest_columns(TABLE_HEADERS, other, keys, locked=ID) == [
        ColumnPair(2, DEPARTMENT),
        ColumnPair(3, JOB),
    ]


def test_email_columns_match_without_case() -> None:
    assert match_kind("Email", "Work email", []) is MatchKind.EMAIL
    assert match_kind("Login", "Login", ["a@x.com", "b@x.com", ""]) is MatchKind.EMAIL
    assert match_kind("Employee number", "Employee no", ["000123"]) is MatchKind.TEXT


# --- reading the other file --------------------------------------------------------------


def test_reads_an_xlsx_export_as_text_keeping_leading_zeros(tmp_path: Path) -> None:
    doc = table(
        tmp_path,
        [
            ["1", "a@x.com", "000123", "Sales", "Rep", "x"],
            ["2", "b@x.com", "123", "IT", "Dev", "x"],
        ],
    )
    hr = write_xlsx(
        tmp_path / "hr.xlsx",
        [["Employee number", "Department"], ["000123", "Finance"], [124, "IT"]],
    )
    plan = plan_for(doc, hr, KeyPair(EMPLOYEE, 0), [ColumnPair(1, DEPARTMENT)])
    assert plan.changes == [(0, DEPARTMENT, "Finance")]  # 000123 is not 123
    assert plan.unmatched_in_other == [(3, "124")]  # the row number Excel shows
    assert plan.unmatched_in_table == 1


def test_a_file_that_cannot_be_read_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "hr.xlsx"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(FileProblem):
        read_other_file(broken)


# --- the rules, by example -----------------------------------------------------------------


def test_email_matching_ignores_case_and_spaces(tmp_path: Path) -> None:
    doc = table(tmp_path, [["1", "Ann@Example.com", "1", "Sales", "Rep", "x"]])
    hr = write_csv(tmp_path / "hr.csv", [["Email", "Department"], ["  ann@EXAMPLE.com ", "IT"]])
    plan = plan_for(doc, hr, KeyPair(EMAIL, 0), [ColumnPair(1, DEPARTMENT)], MatchKind.EMAIL)
    assert plan.changes == [(0, DEPARTMENT, "IT")]
    assert plan.rows_matched == 1


def test_a_key_found_twice_is_never_guessed(tmp_path: Path) -> None:
    doc = table(
        tmp_path,
        [
            ["1", "a@x.com", "7", "Sales", "Rep", "x"],
            ["2", "b@x.com", "8", "Sales", "Rep", "x"],
            ["3", "c@x.com", "8", "Sales", "Rep", "x"],  # 8 twice in the table
            ["4", "d@x.com", "9", "Sales", "Rep", "x"],
        ],
    )
    hr = write_csv(
        tmp_path / "hr.csv",
        [["Employee number", "Department"], ["7", "IT"], ["8", "IT"], ["9", "IT"], [" 9", "HR"]],
    )
    plan = plan_for(doc, hr, KeyPair(EMPLOYEE, 0), [ColumnPair(1, DEPARTMENT)])
    assert plan.changes == [(0, DEPARTMENT, "IT")]
    assert plan.ambiguous == ["8", "9"]
    assert plan.unmatched_in_other == []
    assert plan.unmatched_in_table == 0
    assert summary(plan, "hr.csv", "Employee number") == [
        "1 cell will change in 1 user",
        "2 employee numbers appear more than once and were left out",
    ]


def test_blank_cells_leave_values_unless_asked(tmp_path: Path) -> None:
    doc = table(tmp_path, [["1", "a@x.com", "7", "Sales", "Rep", "x"]])
    hr = write_csv(
        tmp_path / "hr.csv", [["Employee number", "Department", "Job title"], ["7", " ", "Lead"]]
    )
    take = [ColumnPair(1, DEPARTMENT), ColumnPair(2, JOB)]
    kept = plan_for(doc, hr, KeyPair(EMPLOYEE, 0), take)
    assert kept.changes == [(0, JOB, "Lead")]
    assert kept.blanks_kept == 1
    assert "1 blank cell in hr.csv will be skipped: the table keeps what it has" in summary(
        kept, "hr.csv", "Employee number"
    )
    cleared = plan_for(doc, hr, KeyPair(EMPLOYEE, 0), take, blank_clears=True)
    assert cleared.changes == [(0, DEPARTMENT, ""), (0, JOB, "Lead")]
    assert cleared.blanks_kept == 0


def test_the_locked_key_column_is_never_written(tmp_path: Path) -> None:
    doc = table(tmp_path, [["1", "a@x.com", "7", "Sales", "Rep", "x"]])
    hr = write_csv(
        tmp_path / "hr.csv", [["Employee number", "User ID", "Department"], ["7", "99", "IT"]]
    )
    plan = plan_for(doc, hr, KeyPair(EMPLOYEE, 0), [ColumnPair(1, ID), ColumnPair(2, DEPARTMENT)])
    assert plan.changes == [(0, DEPARTMENT, "IT")]
    assert plan.skipped_locked == 1


def test_deleted_rows_are_never_matched_counted_or_changed(tmp_path: Path) -> None:
    doc = table(
        tmp_path,
        [
            ["1", "a@x.com", "7", "Sales", "Rep", "x"],
            ["2", "b@x.com", "8", "Sales", "Rep", "x"],  # deleted: 8 is no longer twice
            ["3", "c@x.com", "8", "Sales", "Rep", "x"],
            ["4", "d@x.com", "9", "Sales", "Rep", "x"],  # deleted: 9 matches no one
            ["5", "e@x.com", "10", "Sales", "Rep", "x"],  # in the table, not in hr.csv
        ],
    )
    doc.apply([RowEdit((1, 3), False)])
    hr = write_csv(
        tmp_path / "hr.csv",
        [["Employee number", "Department"], ["7", "IT"], ["8", "IT"], ["9", "IT"]],
    )

    plan = plan_for(doc, hr, KeyPair(EMPLOYEE, 0), [ColumnPair(1, DEPARTMENT)])

    assert plan.changes == [(0, DEPARTMENT, "IT"), (2, DEPARTMENT, "IT")]
    assert (plan.rows_matched, plan.rows_changing, plan.cells_changing) == (2, 2, 2)
    assert plan.ambiguous == []
    assert plan.unmatched_in_other == [(4, "9")]
    assert plan.unmatched_in_table == 1
    assert summary(plan, "hr.csv", "Employee number")[0] == "2 cells will change in 2 users"
    doc.apply(doc.edits_for(plan.changes))
    assert doc.columns[DEPARTMENT] == ["IT", "Sales", "IT", "Sales", "Sales"]


def test_two_columns_into_one_is_refused_in_a_sentence(tmp_path: Path) -> None:
    doc = table(tmp_path, [["1", "a@x.com", "7", "Sales", "Rep", "x"]])
    hr = write_csv(
        tmp_path / "hr.csv", [["Employee number", "Dept", "Department"], ["7", "A", "B"]]
    )
    with pytest.raises(UpdateProblem, match="Two columns of hr.csv are set to go into Department"):
        plan_for(
            doc, hr, KeyPair(EMPLOYEE, 0), [ColumnPair(1, DEPARTMENT), ColumnPair(2, DEPARTMENT)]
        )


def test_progress_can_stop_the_work(tmp_path: Path) -> None:
    doc = table(tmp_path, [["1", "a@x.com", "7", "Sales", "Rep", "x"]])
    hr = write_csv(tmp_path / "hr.csv", [["Employee number", "Department"], ["7", "IT"]])
    choice = UpdateChoice(KeyPair(EMPLOYEE, 0), (ColumnPair(1, DEPARTMENT),))

    class Stop(Exception):
        pass

    def stop(_text: str, done: int, _total: int) -> None:
        if done:
            raise Stop

    with pytest.raises(Stop):
        plan_update(read_other_file(hr), TableColumns.copy_from(doc, choice), choice, stop)


# --- the rules, generated -------------------------------------------------------------------

# Few distinct keys, so that repeats, misses and near misses (0012 / 12) come up often.
NUMBERS = st.sampled_from(["12", "0012", "012", "7", "07", "123", "E5", "e5", ""])
EMAILS = st.sampled_from(["ann@x.com", "bob@x.com", "cy@y.org", "dee@x.com", ""])
VALUES = st.sampled_from(["Sales", "IT", "HR", "", " ", "Sales "])


@st.composite
def spaced(draw: st.DrawFn, keys: st.SearchStrategy[str], recase: bool) -> str:
    """A key as another system may write it: spaces around it, another case for emails."""
    key = draw(keys)
    if recase and draw(st.booleans()):
        key = key.upper()
    return draw(st.sampled_from(["", " ", "  "])) + key + draw(st.sampled_from(["", " "]))


@st.composite
def case(draw: st.DrawFn) -> tuple[bool, list[list[str]], list[list[str]], bool]:
    email = draw(st.booleans())
    keys = EMAILS if email else NUMBERS
    users = draw(st.lists(st.tuples(spaced(keys, email), VALUES, VALUES), min_size=1, max_size=8))
    table_rows = [
        [str(n + 1), key if email else f"u{n}@x.com", "" if email else key, dept, job, "x"]
        for n, (key, dept, job) in enumerate(users)
    ]
    hr_rows = [
        [key, dept, job, "x"]
        for key, dept, job in draw(
            st.lists(st.tuples(spaced(keys, email), VALUES, VALUES), min_size=1, max_size=8)
        )
    ]
    return email, table_rows, hr_rows, draw(st.booleans())


def expected(
    email: bool, table_rows: list[list[str]], hr_rows: list[list[str]], blank_clears: bool
) -> tuple[list[list[str]], set[str], list[str]]:
    """The table after the update, the keys left out, and the unmatched keys: said plainly."""

    def norm(key: str) -> str:
        return key.strip().casefold() if email else key.strip()

    key_col = EMAIL if email else EMPLOYEE
    in_table = Counter(norm(row[key_col]) for row in table_rows)
    in_hr = Counter(norm(row[0]) for row in hr_rows)
    after = [list(row) for row in table_rows]
    repeated: set[str] = set()
    unmatched: list[str] = []
    for key, dept, job, _note in hr_rows:
        k = norm(key)
        if k and (in_table[k] > 1 or in_hr[k] > 1):
            repeated.add(k)
        elif not k or in_table[k] == 0:
            unmatched.append(key.strip())
        else:
            row = next(r for r in after if norm(r[key_col]) == k)
            for col, new in ((DEPARTMENT, dept), (JOB, job)):
                if new.strip():
                    row[col] = new
                elif blank_clears:
                    row[col] = ""
    repeated |= {k for k, n in in_table.items() if k and n > 1}
    return after, repeated, unmatched


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case())
def test_generated_updates_follow_the_rules_and_undo_restores_every_cell(
    example: tuple[bool, list[list[str]], list[list[str]], bool],
) -> None:
    email, table_rows, hr_rows, blank_clears = example
    with tempfile.TemporaryDirectory() as folder:
        doc = table(Path(folder), table_rows)
        hr = write_csv(
            Path(folder) / "hr.csv", [["Key", "Department", "Job title", "Note"], *hr_rows]
        )
        before = cells(doc)
        keys = KeyPair(EMAIL if email else EMPLOYEE, 0)
        kind = MatchKind.EMAIL if email else MatchKind.TEXT
        take = [ColumnPair(1, DEPARTMENT), ColumnPair(2, JOB)]
        plan = plan_for(doc, hr, keys, take, kind, blank_clears)

    after, repeated, unmatched = expected(email, table_rows, hr_rows, blank_clears)
    norm = str.casefold if email else str
    assert {norm(key) for key in plan.ambiguous} == repeated
    assert [key for _row, key in plan.unmatched_in_other] == unmatched
    assert plan.cells_changing == len(plan.changes)
    assert all(col in (DEPARTMENT, JOB) for _row, col, _new in plan.changes)

    edits = doc.edits_for(plan.changes)
    assert len(edits) == plan.cells_changing  # the plan lists only real changes
    doc.apply(edits)
    assert [[row[c] for c in range(6)] for row in zip(*doc.columns, strict=True)] == after
    doc.apply(invert(edits))
    assert cells(doc) == before
    assert not doc.originals
