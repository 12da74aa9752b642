"""Which users the filter and the search show, and what the status bar says about it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop_app.views.main_window import MainWindow
from desktop_app.views.table_model import RowFilterProxy
from tests.helpers.files import write_xlsx
from tests.helpers.gui import current_cell, open_in, shown_rows

HEADERS = ["User ID", "Username", "First name", "Last name", "Email", "Department", "Status"]
USERS = [
    ("000123", "anna.berg", "Anna", "Berg", "Sales", "Active"),
    ("10", "bob.smit", "Bob", "Smit", "Finance", "Inactive"),
    ("9", "carla.smit", "Carla", "SMIT", "Finance", "Active"),
    ("0042", "dirk.jansen", "Dirk", "Jansen", "Finance", "Active"),
    ("7001", "eva.strasse", "Eva", "Straße", "Legal", "Actve"),
    ("7002", "eva.visser", "Eva", "Visser", "Sales", "Inactive"),
]


@pytest.fixture
def opened(window: MainWindow, qtbot: Any, tmp_path: Path) -> MainWindow:
    rows: list[list[Any]] = [HEADERS]
    for key, username, first, last, department, status in USERS:
        rows.append([key, username, first, last, f"{username}@atlas-demo.com", department, status])
    open_in(window, qtbot, write_xlsx(tmp_path / "atlas-users.xlsx", rows))
    return window


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Search two rows at a time, as a big table is searched."""
    monkeypatch.setattr(RowFilterProxy, "SEARCH_SLICE", 2)


def search(window: MainWindow, qtbot: Any, text: str) -> None:
    window.search_box.setText(text)
    qtbot.waitUntil(lambda: not window._search_timer.isActive() and not window.proxy.searching)


def counts(window: MainWindow) -> str:
    return window.counts_label.text().split(" · ")[0]


@pytest.mark.usefixtures("small_slices")
def test_search_in_slices_finds_every_row_in_any_case(opened: MainWindow, qtbot: Any) -> None:
    search(opened, qtbot, "smit")
    assert shown_rows(opened) == [1, 2]
    assert counts(opened) == "2 of 6 users shown"
    search(opened, qtbot, "STRASSE")  # casefolded: Straße
    assert shown_rows(opened) == [4]
    search(opened, qtbot, "")
    assert shown_rows(opened) == list(range(6))
    assert counts(opened) == "6 users"


@pytest.mark.usefixtures("small_slices")
def test_a_new_search_replaces_one_under_way(opened: MainWindow, qtbot: Any) -> None:
    opened.proxy.set_search("smit")
    assert opened.proxy.searching
    opened.proxy.set_search("jansen")
    qtbot.waitUntil(lambda: not opened.proxy.searching)
    assert shown_rows(opened) == [3]
    assert counts(opened) == "1 of 6 users shown"


def test_filter_and_search_together(opened: MainWindow, qtbot: Any) -> None:
    opened.set_filter(RowFilterProxy.PROBLEMS)
    assert shown_rows(opened) == [4]  # Status 'Actve'
    search(opened, qtbot, "eva")
    assert shown_rows(opened) == [4]
    assert counts(opened) == "1 of 6 users shown"
    opened.set_filter(RowFilterProxy.ALL)
    assert shown_rows(opened) == [4, 5]
    opened.set_filter(RowFilterProxy.CHANGED)
    assert shown_rows(opened) == []
    assert counts(opened) == "0 of 6 users shown"


def test_an_edited_row_stays_until_the_filter_changes(opened: MainWindow, qtbot: Any) -> None:
    model = opened.model
    assert model is not None
    search(opened, qtbot, "smit")
    model.setData(model.index(1, HEADERS.index("Last name")), "Jones")
    model.setData(model.index(1, HEADERS.index("Username")), "bob.jones")
    model.setData(model.index(1, HEADERS.index("Email")), "bob.jones@atlas-demo.com")
    assert shown_rows(opened) == [1, 2]  # never vanishes under the cursor
    opened.set_filter(RowFilterProxy.CHANGED)
    qtbot.waitUntil(lambda: not opened.proxy.searching)
    assert shown_rows(opened) == []  # searched again: row 1 no longer says Smit
    opened.set_filter(RowFilterProxy.ALL)
    assert shown_rows(opened) == [2]


def test_deleted_rows_stay_out_and_come_back_with_undo(opened: MainWindow, qtbot: Any) -> None:
    model = opened.model
    assert model is not None
    search(opened, qtbot, "smit")
    assert model.delete_rows([1])
    assert shown_rows(opened) == [2]
    assert counts(opened) == "1 of 5 users shown"
    opened.undo_stack.undo()
    assert sorted(shown_rows(opened)) == [1, 2]
    assert counts(opened) == "2 of 6 users shown"
    search(opened, qtbot, "")
    opened.set_filter(RowFilterProxy.PROBLEMS)
    assert shown_rows(opened) == [4]
    assert model.delete_rows([4])
    assert shown_rows(opened) == []
    opened.undo_stack.undo()
    assert shown_rows(opened) == [4]  # back, and still a problem
    opened.set_filter(RowFilterProxy.ALL)
    assert shown_rows(opened) == list(range(6))


def test_going_to_a_hidden_cell_shows_all_rows_once(opened: MainWindow, qtbot: Any) -> None:
    opened.set_filter(RowFilterProxy.PROBLEMS)
    search(opened, qtbot, "eva")
    assert shown_rows(opened) == [4]
    changes: list[int] = []
    opened.proxy.filterChanged.connect(lambda: changes.append(opened.proxy.mode))
    opened.go_to_cell(1, HEADERS.index("Last name"))
    assert opened.filter_box.currentIndex() == RowFilterProxy.ALL
    assert shown_rows(opened) == list(range(6))
    assert opened.search_box.text() == ""
    qtbot.wait(300)  # the search box's delay: the cleared search is not applied again
    assert changes == [RowFilterProxy.ALL]


def test_the_current_cell_and_selection_stay_on_their_user(opened: MainWindow, qtbot: Any) -> None:
    table, proxy, model = opened.table, opened.proxy, opened.model
    assert model is not None
    last_name = HEADERS.index("Last name")
    table.setCurrentIndex(proxy.mapFromSource(model.index(4, last_name)))
    search(opened, qtbot, "eva")
    assert shown_rows(opened) == [4, 5]
    assert current_cell(opened) == (4, last_name)
    assert [proxy.mapToSource(i).row() for i in table.selectionModel().selectedIndexes()] == [4]
    search(opened, qtbot, "")
    assert current_cell(opened) == (4, last_name)
    assert table.currentIndex().data() == "Straße"


def test_an_edit_in_a_filtered_table_shows_in_its_row(opened: MainWindow, qtbot: Any) -> None:
    model = opened.model
    assert model is not None
    search(opened, qtbot, "smit")
    seen: list[tuple[int, int]] = []
    opened.proxy.dataChanged.connect(
        lambda top, bottom, _roles: seen.append((top.row(), bottom.row()))
    )
    model.setData(model.index(2, HEADERS.index("First name")), "Carola")
    assert seen == [(1, 1)]  # row 2 of the file is the second row shown
    assert opened.proxy.index(1, HEADERS.index("First name")).data() == "Carola"
    assert opened.proxy.headerData(1, Qt.Orientation.Vertical) == model.headerData(
        2, Qt.Orientation.Vertical
    )


def test_rows_deleted_here_and_there_in_a_sorted_table_come_back_in_place(
    opened: MainWindow, qtbot: Any
) -> None:
    model = opened.model
    assert model is not None
    opened.table.sort_by(HEADERS.index("Last name"))
    assert shown_rows(opened) == [0, 3, 2, 1, 4, 5]  # Berg, Jansen, SMIT, Smit, Straße, Visser
    assert model.delete_rows([0, 2, 5])
    assert shown_rows(opened) == [3, 1, 4]
    assert counts(opened) == "3 users"
    opened.undo_stack.undo()
    assert shown_rows(opened) == [0, 3, 2, 1, 4, 5]
    search(opened, qtbot, "smit")
    assert model.delete_rows([1])
    assert shown_rows(opened) == [2]
    opened.undo_stack.undo()
    assert shown_rows(opened) == [2, 1]
    opened.undo_stack.redo()
    search(opened, qtbot, "")
    assert shown_rows(opened) == [0, 3, 2, 4, 5]
