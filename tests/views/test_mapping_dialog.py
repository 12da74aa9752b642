"""Columns and Platform: a layout no profile knows is checked, corrected and remembered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop_app.views.main_window import MainWindow
from desktop_app.views.mapping_dialog import MappingDialog
from desktop_app.views.table_model import NOT_UPLOADED
from tests.helpers.files import screenshot_folder, write_xlsx
from tests.helpers.gui import open_in

DUTCH = [
    "Personeelsnr",
    "Voornaam",
    "Achternaam",
    "E-mailadres",
    "Afdeling",
    "Kostenplaats",
    "Remarks",
]
PEOPLE = [
    ["P-1001", "Anna", "de Vries", "anna.devries@voorbeeld.nl", "Verkoop", "KP-100", ""],
    ["P-1002", "Bram", "Jansen", "bram.jansen@voorbeeld.nl", "Inkoop", "KP-200", "Parttime"],
    ["P-1003", "Carla", "Smit", "carla.smit@voorbeeld.nl", "Verkoop", "KP-100", ""],
    ["P-1004", "Daan", "Visser", "daan.visser@voorbeeld.nl", "Financiën", "KP-300", "Nieuw"],
]
EMPLOYEE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"


@pytest.fixture(autouse=True)
def private_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Mappings and journals go to a private folder, never the admin's own."""
    folder = tmp_path / "data"
    monkeypatch.setenv("USER_EDITOR_DATA", str(folder))
    return folder


def dialog_of(window: MainWindow, qtbot: Any) -> MappingDialog:
    qtbot.waitUntil(lambda: window.mapping_dialog is not None, timeout=5000)
    dialog = window.mapping_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def choose(box: Any, text: str) -> None:
    """Pick an entry of a drop-down as the admin does: by the words it shows."""
    index = box.findText(text)
    assert index >= 0, f"{text!r} is not offered"
    box.setCurrentIndex(index)


def test_an_unknown_layout_is_checked_corrected_and_remembered(
    window: MainWindow, qtbot: Any, tmp_path: Path, private_data: Path
) -> None:
    path = write_xlsx(tmp_path / "medewerkers.xlsx", [DUTCH, *PEOPLE])
    open_in(window, qtbot, path)
    doc = window.document
    assert doc is not None and doc.profile.generic and doc.row_count == 4

    # Not sure what the file is: the dialog asks by itself, with the reason and examples.
    dialog = dialog_of(window, qtbot)
    assert "not sure which platform" in dialog.findChild(type(dialog.reason)).text()
    assert dialog.reason.text().startswith("Not recognised as any platform's download")
    assert dialog.platform_box.currentText() == "Spreadsheet of users"
    titles = [dialog.platform_box.itemText(i) for i in range(dialog.platform_box.count())]
    assert "Atlas user data download" in titles and len(titles) == 5
    rows = {dialog.table.item(r, 0).text(): r for r in range(dialog.table.rowCount())}
    assert dialog.table.item(rows["Afdeling"], 3).text() == "Verkoop · Inkoop · Financiën"
    assert dialog.field_boxes[rows["Afdeling"]].currentText() == "Department"
    assert dialog.table.item(rows["Afdeling"], 2).text() == "Uploaded as the user's department"
    assert dialog.field_boxes[rows["Personeelsnr"]].currentText() == "Not uploaded"
    assert dialog.field_boxes[rows["Remarks"]].currentText() == "Not uploaded"

    # The admin corrects one column: the staff number is the employee number, and the key.
    choose(dialog.field_boxes[rows["Personeelsnr"]], "Employee number")
    choose(dialog.key_box, "Personeelsnr")
    assert (
        dialog.table.item(rows["Personeelsnr"], 2).text()
        == "Locked: the upload finds each user by it"
    )
    screenshot = screenshot_folder(tmp_path) / "mapping.png"
    assert dialog.grab().save(str(screenshot))

    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    doc = window.document
    assert doc is not None and doc.loaded.mapping_source == "given"
    assert doc.headers[doc.key_column or 0] == "Personeelsnr" and not doc.is_editable(0)
    assert doc.profile.scim_key == EMPLOYEE
    assert window.mapping_dialog is None
    # Remarks stays in the file and is shown, muted, as not uploaded.
    model = window.model
    assert model is not None
    remarks = DUTCH.index("Remarks")
    assert model.headerData(remarks, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "Not uploaded" in model.headerData(
        remarks, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    brush = model.headerData(remarks, Qt.Orientation.Horizontal, Qt.ItemDataRole.ForegroundRole)
    assert brush.color() == NOT_UPLOADED
    assert (
        model.headerData(
            DUTCH.index("Afdeling"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ForegroundRole
        )
        is None
    )
    assert list((private_data / "mappings").glob("generic-*.json"))

    # Opened again (another day), the correction is remembered and nothing is asked.
    open_in(window, qtbot, path)
    qtbot.wait(50)
    assert window.mapping_dialog is None
    doc = window.document
    assert doc is not None and doc.loaded.mapping_source == "remembered"
    assert doc.headers[doc.key_column or 0] == "Personeelsnr"
    assert doc.loaded.mapping is not None
    assert doc.loaded.mapping.target("Personeelsnr") == "Employee number"


def test_changing_the_columns_keeps_the_edits(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "medewerkers.xlsx", [DUTCH, *PEOPLE])
    open_in(window, qtbot, path)
    dialog_of(window, qtbot).reject()
    qtbot.waitUntil(lambda: window.mapping_dialog is None)
    assert window.model is not None
    window.model.set_cells([(1, DUTCH.index("Afdeling"), "Verkoop")], "Edit")
    assert window.document is not None and window.document.changed_rows == 1

    window.columns_action.trigger()
    dialog = dialog_of(window, qtbot)
    assert "not sure" not in dialog.findChild(type(dialog.reason)).text()
    choose(dialog.field_boxes[DUTCH.index("Personeelsnr")], "Employee number")
    choose(dialog.key_box, "Personeelsnr")
    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        dialog.accept()
    doc = window.document
    assert doc is not None and doc.key_column == 0
    assert doc.value(1, DUTCH.index("Afdeling")) == "Verkoop" and doc.changed_rows == 1
    assert window.isWindowModified()
