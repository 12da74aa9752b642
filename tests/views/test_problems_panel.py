"""The Problems panel: groups with counts, kept right edit by edit, and a click goes to the cell."""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QAbstractItemModelTester

from desktop_app.models.document import UserDocument, open_document
from desktop_app.models.profiles import profile_named
from desktop_app.views import problems_panel
from desktop_app.views.main_window import MainWindow
from desktop_app.views.problems_panel import (
    ROWS_PER_CHECK,
    SERVER_KEY,
    SERVER_TITLE,
    ProblemsModel,
    ProblemsPanel,
    problem_title,
)
from desktop_app.views.table_model import UserTableModel
from tests.helpers.gui import open_in

HEADERS = [rule.header for rule in profile_named("atlas").columns]
COL = {header: index for index, header in enumerate(HEADERS)}
FIRST = ["Anna", "Bram", "Chloé", "Daan", "Eva", "Finn", "Gijs", "Hanna", "Iris", "Jonas"]
LAST = ["Bakker", "de Vries", "Jansen", "Visser", "Smit", "Meijer", "Mulder", "Bos"]
# What each injected problem does to a row, and the group it lands in.
SPOILS = {
    "no @": ("Email", lambda v, _r: v.replace("@", "."), "missing the @"),
    "two @": ("Email", lambda v, _r: v.replace("@", "@@"), "more than one @"),
    "duplicate email": ("Email", None, "Email is used in more than one row"),
    "blank last name": ("Last name", lambda _v, _r: "", "Last name is required"),
    "status typo": ("Status", lambda _v, r: r.choice(["Actve", "active", "Inactief"]), "Status"),
    "language name": ("Language", lambda _v, r: r.choice(["English", "Dutch"]), "Language"),
    "space at end": ("First name", lambda v, _r: v + " ", "space at the end"),
    "date as text": ("Hire date", lambda _v, _r: "15/03/2019", "form YYYY-MM-DD"),
}


def write_users(path: Path, rows: int, seed: int = 7, share: float = 0.3) -> dict[str, int]:
    """An Atlas download of ``rows`` users; about ``share`` of them get one problem each.

    Returns how many rows got each kind of problem.
    """
    rng = random.Random(seed)
    users = []
    for n in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        handle = f"{first[0]}{last.replace(' ', '')}{n}".lower().replace("é", "e")
        users.append(
            [
                f"{100 + n:07d}",
                handle,
                first,
                last,
                f"{handle}@example.com",
                rng.choice(["Sales", "Finance", "IT"]),
                "Clerk",
                "",
                rng.choice(["nl", "en"]),
                rng.choice(["Active", "Inactive"]),
                "2020-01-15",
            ]
        )
    spoiled: Counter[str] = Counter()
    for row in rng.sample(range(rows), int(rows * share)):
        kind = rng.choice(list(SPOILS))
        header, change, _ = SPOILS[kind]
        col = COL[header]
        if change is None:  # the email of another row (one that keeps its own)
            other = (row + 1) % rows
            users[row][col] = users[other][col]
        else:
            users[row][col] = change(users[row][col], rng)
        spoiled[kind] += 1
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(HEADERS)
        out.writerow(["Do not edit"] + [""] * (len(HEADERS) - 1))
        out.writerows(users)
    return dict(spoiled)


def counted(model: ProblemsModel) -> ProblemsModel:
    model.finish()
    return model


def fresh_state(document: UserDocument) -> list[tuple[str, int, list[tuple[int, int]]]]:
    """The groups as a full count from scratch finds them."""
    model = ProblemsModel()
    model.set_document(document)
    model.finish()
    state = model.state()
    model.set_document(None)
    return state


@pytest.fixture
def users(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    path = tmp_path / "users.csv"
    return path, write_users(path, 300)


def test_problems_are_grouped_by_what_is_wrong_with_counts(
    qtbot: Any, users: tuple[Path, dict[str, int]]
) -> None:
    path, spoiled = users
    document = open_document(path)
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.show_document(document)
    assert panel.summary.text().startswith("Counting problems…")
    qtbot.waitUntil(lambda: not panel.model.busy, timeout=5000)
    model = panel.model
    titles = {model.index(i, 0).data(): i for i in range(model.rowCount())}
    # One line per kind of problem, with its count; the values are in the rows, not the title.
    assert f"Email is not a valid email address: it is missing the @ — {spoiled['no @']} rows" in (
        titles
    )
    assert (
        f"Last name is required, but this cell is empty — {spoiled['blank last name']} rows"
        in titles
    )
    assert f"First name has a space at the end — {spoiled['space at end']} rows" in titles
    assert f"Status is not one of the allowed values — {spoiled['status typo']} rows" in titles
    assert not any("'" in title.split(" such as ")[0] for title in titles)
    # Each duplicated address counts both rows that share it.
    duplicates = next(t for t in titles if t.startswith("Email is used in more than one row"))
    assert int(duplicates.split("— ")[1].split()[0]) >= spoiled["duplicate email"]
    # Every problem the validator knows is in exactly one group, and the counts add up.
    issues = document.validator.all_issues()
    assert model.total == len(issues) == sum(len(cells) for _, _, cells in model.state())
    assert panel.summary.text().startswith(f"{len(issues):,} problems in")
    # Groups follow the table's columns, left to right.
    columns = [column for _, column, _ in model.state()]
    assert columns == sorted(columns)
    # A group's rows are in table order and show the full message with the Excel row.
    group = model.index(titles[duplicates], 0)
    panel.list.expand(group)
    first = model.index(0, 0, group)
    row, col = model.cell_at(first)  # type: ignore[misc]
    assert first.data() == f"Row {row + 3:,}: {document.cell_issues(row, col)[-1].message}"
    assert "is also used in row" in first.data()


def test_titles_leave_out_the_value_and_the_rows() -> None:
    from desktop_app.models.validation import Issue

    def title(message: str, kind: str, header: str = "Email") -> str:
        return problem_title(header, Issue(message, kind))

    assert (
        title("Email 'a b' is not a valid email address: it contains a space.", "email")
        == "Email is not a valid email address: it contains a space"
    )
    assert title("This email is also used in rows 7, 9, 12 and 4 more.", "duplicate") == (
        "Email is used in more than one row"
    )
    assert (
        title("Status 'Actve' is not allowed here: did you mean 'Active'?", "choice", "Status")
        == "Status is not one of the allowed values"
    )
    assert (
        title("Department 'Salez' is not in your organisation. Choose one of: A, B.", "choice")
        == "Department is not in your organisation"
    )
    assert (
        title("Active must be 'x' or left blank, not 'yes'.", "flag", "Active")
        == "Active must be 'x' or left blank"
    )
    assert (
        title("Language 'English' is not a language code such as 'en' or 'nl'.", "language")
        == "Language is not a language code such as 'en' or 'nl'"
    )
    assert (
        title("Name is 120 characters long; the platform accepts at most 100.", "length", "Name")
        == "Name is longer than 100 characters"
    )
    assert (
        title(
            "User ID O'Brien is also in row 4. Each user appears once: keep the row that "
            "matches the platform and delete the other.",
            "duplicate",
            "User ID",
        )
        == "User ID appears in more than one row"
    )


def test_edits_keep_the_groups_as_a_full_count_would_find_them(qtbot: Any, tmp_path: Path) -> None:
    """Seeded random typing, pasting, undo and redo; after each the groups equal a recount."""
    path = tmp_path / "users.csv"
    write_users(path, 120, seed=11, share=0.4)
    document = open_document(path)
    stack = QUndoStack()
    table = UserTableModel(document, stack)
    model = ProblemsModel()
    model.set_document(document)
    model.finish()
    # Qt's model checker, from here on: it fetches rows inside a reset and then flags them.
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    rng = random.Random(2024)
    emails = [document.value(r, COL["Email"]) for r in range(document.row_count)]
    values = {
        "Email": lambda: rng.choice([rng.choice(emails), "x.example.com", "a@@b.com", ""]),
        "Username": lambda: rng.choice(["dup", "dup2", "", f"u{rng.randrange(999)}"]),
        "Last name": lambda: rng.choice(["", "Smit", "Bos "]),
        "Status": lambda: rng.choice(["Active", "Actve", ""]),
        "Language": lambda: rng.choice(["nl", "English"]),
    }
    for step in range(120):
        # Open a few groups, so rows come and go in front of the view as well as behind it.
        for at in range(model.rowCount()):
            parent = model.index(at, 0)
            if rng.random() < 0.5 and model.canFetchMore(parent):
                model.fetchMore(parent)
        action = rng.random()
        if action < 0.15 and stack.canUndo():
            stack.undo()
        elif action < 0.2 and stack.canRedo():
            stack.redo()
        elif action < 0.3:  # a pasted block over a few rows, or a row wiped clean
            row = rng.randrange(document.row_count)
            if rng.random() < 0.3:
                cells = [(row, c, "") for c in range(1, document.column_count)]
            else:
                cells = [
                    (r, COL[h], values[h]())
                    for r in range(row, min(row + 4, document.row_count))
                    for h in rng.sample(list(values), 2)
                ]
            table.set_cells(cells, "Paste")
        else:
            header = rng.choice(list(values))
            row = rng.randrange(document.row_count)
            table.set_cells([(row, COL[header], values[header]())], "Edit")
        model.finish()
        assert model.state() == fresh_state(document), f"after step {step}"
        assert model.total == len(document.validator.all_issues())
        for at in range(model.rowCount()):  # what the view shows reads right too
            parent = model.index(at, 0)
            for child in range(model.rowCount(parent)):
                assert model.index(child, 0, parent).data().startswith("Row ")
    del tester
    model.set_document(None)
    stack.clear()  # the commands go before the table model they point at


def test_a_big_group_is_counted_in_slices_and_fetched_as_it_is_opened(
    qtbot: Any, tmp_path: Path
) -> None:
    path = tmp_path / "users.csv"
    write_users(path, 20_000, seed=3, share=0)
    document = open_document(path)
    status = COL["Status"]
    for row in range(document.row_count):  # every row has the same problem
        document.columns[status][row] = "Actve"
    document.validator.validate_all()
    model = ProblemsModel()
    model.set_document(document)
    model.work(0.0)  # a deadline already past: one batch of rows, then back to the window
    assert model.counting and model.progress == ROWS_PER_CHECK * 100 // 20_000
    assert model.rowCount() == 0  # nothing half-counted is shown
    # An edit while counting is not lost, whether its row was counted yet or not.
    stack = QUndoStack()
    table = UserTableModel(document, stack)
    table.set_cells([(0, status, "Active"), (19_999, status, "Active")], "Edit")
    model.finish()
    assert model.state() == fresh_state(document)
    group = model.index(0, 0)
    assert group.data() == "Status is not one of the allowed values — 19,998 rows"
    assert model.rowCount(group) == 0 and model.hasChildren(group)
    model.fetchMore(group)
    assert model.rowCount(group) == 200
    # A change far below the rows the view has is counted but not shown until fetched.
    table.set_cells([(15_000, status, "Active")], "Edit")
    model.finish()
    assert model.rowCount(group) == 200
    assert group.data() == "Status is not one of the allowed values — 19,997 rows"
    model.set_document(None)
    stack.clear()


def validator_state(document: UserDocument) -> list[tuple[str, int, list[tuple[int, int]]]]:
    """The groups as the validator's own issues and the server's refusals make them."""
    groups: dict[tuple[int, int, str], set[tuple[int, int]]] = {}
    for row, col, issue in document.validator.all_issues():
        header = document.validator.checkers[col].header
        groups.setdefault((1, col, problem_title(header, issue)), set()).add((row, col))
    for row in document.server_messages:
        groups.setdefault(SERVER_KEY, set()).add((row, document.server_column(row)))
    return [(key[2], key[1], sorted(cells)) for key, cells in sorted(groups.items())]


edit_steps = st.lists(
    st.tuples(
        st.integers(0, 3),  # slices of counting before the step
        st.sampled_from(["edit", "paste", "undo", "redo", "insert", "delete", "refuse"]),
        st.integers(0, 10**6),  # picks the row
        st.integers(0, 10**6),  # picks the value
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(share=st.sampled_from([0.02, 0.5]), steps=edit_steps)
def test_a_count_in_slices_matches_the_validator_while_edits_happen(
    qtbot: Any, tmp_path_factory: pytest.TempPathFactory, share: float, steps: list[Any]
) -> None:
    """Edits, undo, rows in and out and the server's refusals land between the slices of
    a count (few problems: only their rows are read; many: every row); when it is done
    the groups are the validator's own issues, exactly."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(problems_panel, "ROWS_PER_CHECK", 8)  # slices of 8 rows: many slices
        count_while_editing(qtbot, tmp_path_factory, share, steps)


def count_while_editing(
    qtbot: Any, tmp_path_factory: pytest.TempPathFactory, share: float, steps: list[Any]
) -> None:
    path = tmp_path_factory.mktemp("count") / "users.csv"
    write_users(path, 1500, seed=5, share=share)
    document = open_document(path)
    stack = QUndoStack()
    table = UserTableModel(document, stack)
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.show_document(document)

    # As the window does: a change that is not an edit has the panel count again.
    def content_changed() -> None:
        if panel.content_changed():
            panel.recount()

    table.contentChanged.connect(content_changed)
    model = panel.model
    emails = [document.value(r, COL["Email"]) for r in range(0, document.row_count, 50)]
    values = {
        "Email": lambda n: [emails[n % len(emails)], "x.example.com", "", f"n{n}@example.com"][
            n % 4
        ],
        "Status": lambda n: ["Active", "Actve", ""][n % 3],
        "Last name": lambda n: ["", "Smit", "Bos "][n % 3],
        "Language": lambda n: ["nl", "English"][n % 2],
    }
    headers = list(values)
    for slices, action, pick, value in steps:
        for _ in range(slices):
            model.work(0.0)
        rows = document.row_count
        row = pick % rows
        header = headers[value % len(headers)]
        if action == "edit":
            table.set_cells([(row, COL[header], values[header](value))], "Edit")
        elif action == "paste":
            table.set_cells(
                [
                    (r, COL[header], values[header](value + r))
                    for r in range(row, min(row + 40, rows))
                ],
                "Paste",
            )
        elif action == "undo" and stack.canUndo():
            stack.undo()
        elif action == "redo" and stack.canRedo():
            stack.redo()
        elif action == "insert":
            table.insert_rows(1 + value % 3, row, [(rows, COL["Status"], "Actve")])
        elif action == "delete" and not document.is_hidden(row):
            table.delete_rows([row])
        elif action == "refuse" and not document.is_hidden(row):
            table.show_server_messages({row: "HTTP 409"})
    model.finish()
    assert model.state() == validator_state(document)
    assert model.total == sum(len(cells) for _, _, cells in model.state())
    assert panel.red_rows() == len({row for _, _, cells in model.state() for row, _ in cells})
    model.set_document(None)
    stack.clear()


def test_a_newly_shown_document_is_counted_once(qtbot: Any, tmp_path: Path) -> None:
    """A change before the count has read a row needs no second count: it will see it."""
    path = tmp_path / "users.csv"
    write_users(path, 50, share=0.3)
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    document = open_document(path)
    panel.show_document(document)
    assert panel.model.pending and not panel.content_changed()
    panel.model.work(0.0)
    panel.model.finish()
    assert not panel.model.pending and panel.content_changed()  # counted: a change counts again
    assert panel.model.state() == validator_state(document)


def test_a_click_goes_to_the_cell(
    window: MainWindow, qtbot: Any, users: tuple[Path, dict[str, int]]
) -> None:
    path, _ = users
    open_in(window, qtbot, path)
    problems = window.problems
    qtbot.waitUntil(lambda: not problems.model.busy and problems.model.rowCount() > 0)
    model = problems.model
    target = next(i for i in range(model.rowCount()) if "missing the @" in model.index(i, 0).data())
    group = model.index(target, 0)
    problems.list.clicked.emit(group)  # a group goes to its first cell
    first = model.cell_at(group)
    here = window.current_source_index()
    assert first is not None and (here.row(), here.column()) == first
    problems.list.expand(group)
    child = model.index(model.rowCount(group) - 1, 0, group)
    problems.list.clicked.emit(child)
    here = window.current_source_index()
    assert (here.row(), here.column()) == model.cell_at(child)
    assert here.column() == COL["Email"]
    # Fixing that cell in the table takes it out of the group, without a recount.
    assert window.model is not None
    row = here.row()
    before = model.total
    window.model.setData(window.model.index(row, COL["Email"]), f"fixed{row}@example.com")
    qtbot.waitUntil(lambda: not model.busy)
    assert model.total == before - 1
    assert model.state() == fresh_state(window.document)  # type: ignore[arg-type]


def test_the_servers_refusals_are_listed(
    window: MainWindow, qtbot: Any, users: tuple[Path, dict[str, int]]
) -> None:
    path, _ = users
    open_in(window, qtbot, path)
    model = window.problems.model
    qtbot.waitUntil(lambda: not model.busy and model.rowCount() > 0)
    doc, table = window.document, window.model
    assert doc is not None and table is not None
    clean = [r for r in range(doc.row_count) if not doc.row_has_issues(r)][:2]
    before = window.problems.red_rows()
    table.show_server_messages({clean[0]: "userName is taken", clean[1]: "HTTP 409"})
    qtbot.waitUntil(lambda: not model.busy and model.index(0, 0).data() is not None)
    qtbot.waitUntil(lambda: model.index(0, 0).data() == f"{SERVER_TITLE} — 2 rows")
    group = model.index(0, 0)
    window.problems.list.expand(group)
    assert model.index(0, 0, group).data() == (
        f"Row {clean[0] + 3}: The server refused this user: userName is taken"
    )
    assert model.cell_at(model.index(1, 0, group)) == (clean[1], doc.key_column)
    assert window.problems.red_rows() == before + 2
    assert "· " + f"{before + 2:,} rows with problems" in window.counts_label.text()
    # Editing a refused row clears the refusal, row by row.
    table.setData(table.index(clean[0], COL["Department"]), "Legal")
    qtbot.waitUntil(lambda: model.index(0, 0).data() == f"{SERVER_TITLE} — 1 row")
    assert model.state() == fresh_state(doc)


def test_no_file_and_no_problems(qtbot: Any, tmp_path: Path) -> None:
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    assert panel.summary.text() == "No file is open."
    path = tmp_path / "users.csv"
    write_users(path, 20, share=0)
    panel.show_document(open_document(path))
    qtbot.waitUntil(lambda: not panel.model.busy)
    assert panel.summary.text() == "No problems: the platform should accept every row."
    assert panel.model.rowCount() == 0
    assert panel.model.cell_at(QModelIndex()) is None
    assert panel.model.index(0, 0).data(Qt.ItemDataRole.DisplayRole) is None
