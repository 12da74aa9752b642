"""Edit › Update from Another File, driven through its widgets in the real window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from desktop_app.views import update_dialog
from desktop_app.views.main_window import MainWindow
from desktop_app.views.update_dialog import UpdateDialog
from tests.helpers.files import write_csv, write_xlsx
from tests.helpers.gui import open_in

HEADERS = ["User ID", "Username", "Email", "Department", "Job title", "Employee number", "Location"]
DEPARTMENTS = ["Sales", "IT", "Finance", "HR"]


def users(count: int) -> list[list[str]]:
    return [
        [
            str(1000 + n),
            f"user{n}",
            f"user{n}@example.com",
            DEPARTMENTS[n % 4],
            "Engineer",
            f"{n:06d}",  # leading zeros: text, never a number
            "Utrecht",
        ]
        for n in range(count)
    ]


def hr_export(folder: Path, rows: list[list[str]]) -> Path:
    """An HR export of the same people in another order, with other names for the columns.

    Users 0-9 move to another department, users 0-4 get a new job title, user 5's title is
    blank (it must not clear anything), 000020 is twice in the export, and two rows are
    people the table does not have.
    """
    export: list[list[Any]] = [["Employee no", "Dept", "Job Title", "Office"]]
    for n, row in reversed(list(enumerate(rows))):
        department = DEPARTMENTS[(n + 1) % 4] if n < 10 else row[3]
        title = "Lead" if n < 5 else ("" if n == 5 else row[4])
        export.append([row[5], department, title, "Amsterdam"])
    export.append(["000020", "HR", "Lead", "Amsterdam"])
    export.append(["999001", "Sales", "Engineer", "Amsterdam"])
    export.append(["999002", "Sales", "Engineer", "Amsterdam"])
    return write_xlsx(folder / "hr.xlsx", export, sheet="Employees")


def open_dialog(
    window: MainWindow, qtbot: Any, monkeypatch: pytest.MonkeyPatch, path: Path
) -> UpdateDialog:
    """Edit › Update from Another File, choosing ``path`` in the file dialog."""
    monkeypatch.setattr(update_dialog, "ask_for_file", lambda _parent: str(path))
    window.update_from_file_action.trigger()
    dialog = window.findChild(UpdateDialog)
    assert isinstance(dialog, UpdateDialog)
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=20000)
    return dialog


def combo_texts(box: QComboBox) -> list[str]:
    return [box.itemText(i) for i in range(box.count())]


def test_update_through_the_dialog_and_one_undo_restores_every_cell(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = users(40)
    open_in(window, qtbot, write_csv(tmp_path / "users.csv", [HEADERS, *rows]))
    doc = window.document
    assert doc is not None
    before = [list(column) for column in doc.columns]
    dialog = open_dialog(window, qtbot, monkeypatch, hr_export(tmp_path, rows))

    # Suggested: match Employee number with Employee no; Job Title goes into Job title.
    assert dialog.table_key.currentText() == "Employee number"
    assert dialog.other_key.currentText() == "Employee no"
    assert "000123 is not 123" in dialog.match_hint.text()
    assert not dialog.blank_clears.isChecked()
    names = [dialog.take_item(row).text() for row in range(dialog.columns.rowCount())]
    assert names == ["Employee no", "Dept", "Job Title", "Office"]
    ticked = [
        dialog.take_item(row).checkState() == Qt.CheckState.Checked
        for row in range(dialog.columns.rowCount())
    ]
    assert ticked == [False, False, True, False]
    assert dialog.target_box(2).currentText() == "→ Job title"
    assert "→ User ID" not in combo_texts(dialog.target_box(1))  # the locked key
    assert "User ID is locked" in dialog.lock_hint.text()

    # Dept is named differently: the admin says where it goes, which ticks it.
    planned = dialog.plan
    box = dialog.target_box(1)
    box.setCurrentIndex(box.findText("→ Department"))
    assert dialog.take_item(1).checkState() == Qt.CheckState.Checked
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.plan is not planned, timeout=20000)

    text = dialog.summary.text()
    assert "15 cells will change in 10 users" in text
    assert "2 rows in hr.xlsx matched no user" in text
    assert "1 employee number appears more than once and was left out" in text
    assert "1 blank cell in hr.xlsx will be skipped" in text
    assert dialog.apply_button.text() == "Apply: Change 15 Cells"

    assert not dialog.details.isVisible()
    qtbot.mouseClick(dialog.details_button, Qt.MouseButton.LeftButton)
    assert dialog.details.isVisible()
    listed = [dialog.details.item(i).text() for i in range(dialog.details.count())]
    assert listed == [
        "Row 43 of hr.xlsx: employee number 999001 is not in this table",
        "Row 44 of hr.xlsx: employee number 999002 is not in this table",
        "Employee number 000020 appears more than once: left out",
    ]

    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    department, title = HEADERS.index("Department"), HEADERS.index("Job title")
    for n in range(40):
        assert doc.value(n, department) == (DEPARTMENTS[(n + 1) % 4] if n < 10 else rows[n][3])
        assert doc.value(n, title) == ("Lead" if n < 5 else "Engineer")
    assert doc.value(20, department) == rows[20][3]  # ambiguous: untouched
    assert window.undo_stack.count() == 1
    assert window.undo_stack.undoText() == "Update from file 15 cells"
    assert (
        window.statusBar()
        .currentMessage()
        .startswith("Update from file: 15 cells changed in 10 users.")
    )
    assert window.counts_label.text().endswith("10 changed")

    window.undo_action.trigger()
    assert [list(column) for column in doc.columns] == before
    assert not doc.originals
    assert window.undo_stack.redoText() == "Update from file 15 cells"


def test_blank_cells_clear_only_when_ticked_and_emails_match_without_case(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_in(window, qtbot, write_csv(tmp_path / "users.csv", [HEADERS, *users(3)]))
    hr = write_csv(
        tmp_path / "hr.csv",
        [["Work email", "Location"], [" USER1@Example.com", ""], ["user2@example.com", "Delft"]],
    )
    dialog = open_dialog(window, qtbot, monkeypatch, hr)
    assert dialog.table_key.currentText() == "Email"
    assert dialog.other_key.currentText() == "Work email"
    assert "whatever their capitals" in dialog.match_hint.text()
    assert "1 cell will change in 1 user" in dialog.summary.text()

    planned = dialog.plan
    qtbot.mouseClick(dialog.blank_clears, Qt.MouseButton.LeftButton)
    assert dialog.blank_clears.isChecked()
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.plan is not planned, timeout=20000)
    assert "2 cells will change in 2 users" in dialog.summary.text()
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    doc = window.document
    assert doc is not None
    location = HEADERS.index("Location")
    assert [doc.value(n, location) for n in range(3)] == ["Utrecht", "", "Delft"]


def test_a_table_edited_meanwhile_is_compared_again_before_applying(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = users(12)
    open_in(window, qtbot, write_csv(tmp_path / "users.csv", [HEADERS, *rows]))
    dialog = open_dialog(window, qtbot, monkeypatch, hr_export(tmp_path, rows))
    assert window.model is not None and window.document is not None
    title = HEADERS.index("Job title")
    window.model.set_cells([(0, title, "Lead")], "Edit")  # user 0 already has the new title
    with qtbot.waitSignal(dialog.applied, timeout=20000):  # after comparing again
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert window.undo_stack.count() == 2
    assert window.undo_stack.undoText() == "Update from file 4 cells"  # users 1-4
    window.undo_action.trigger()
    assert window.document.value(0, title) == "Lead"
    assert window.document.value(1, title) == "Engineer"


def test_a_file_that_cannot_be_read_is_said_in_the_dialog(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_in(window, qtbot, write_csv(tmp_path / "users.csv", [HEADERS, *users(3)]))
    broken = tmp_path / "hr.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    monkeypatch.setattr(update_dialog, "ask_for_file", lambda _parent: str(broken))
    window.update_from_file_action.trigger()
    dialog = window.findChild(UpdateDialog)
    assert isinstance(dialog, UpdateDialog)
    with qtbot.waitSignal(dialog.planReady, timeout=20000):
        pass
    assert "hr.xlsx" in dialog.summary.text()
    assert not dialog.apply_button.isEnabled()
    dialog.reject()
    assert window.undo_stack.count() == 0


def test_without_a_table_the_menu_item_is_greyed(window: MainWindow) -> None:
    assert not window.update_from_file_action.isEnabled()
    window.update_from_file_action.trigger()
    assert window.findChild(UpdateDialog) is None
