"""The files support staff really get: an Atlas download without a Username column, and the
results file of a failed upload opened, fixed and sent again, in the real window against a
real SCIM server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from desktop_app.connectors.scim import ScimClient
from desktop_app.models.document import open_document
from desktop_app.services.demo import sample_fixes
from desktop_app.views.main_window import MainWindow
from desktop_app.views.table_model import CELL_PROBLEM, NOT_UPLOADED
from tests.helpers.files import write_xlsx
from tests.helpers.gui import open_in

ISSUE_HEADER = ["User ID", "First name", "Last name", "Email", "Department", "Job title"]
GUIDANCE = ["Do not edit", "Required", "Required", "Required", "Optional", "Optional"]
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def upload(window: MainWindow, qtbot: Any) -> Any:
    """Press Upload, wait for the review, send, and wait for the end; returns the dialog."""
    window.server_actions.start_upload()
    dialog = window.server_actions.upload_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1, timeout=20000)
    qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2, timeout=30000)
    return dialog


def server_user(demo: Any, external_id: str) -> dict[str, Any]:
    with ScimClient(demo.url, demo.token) as client:
        found = client.find_users("externalId", external_id)
    assert len(found) == 1
    return found[0][0]


def test_the_atlas_download_from_the_issue_is_atlas_and_its_edits_go_up(
    window: MainWindow, qtbot: Any, demo: Any, tmp_path: Path
) -> None:
    sample = open_document(demo.download)
    at = [sample.headers.index(h) for h in ISSUE_HEADER]
    users = [[sample.value(row, c) for c in at] for row in range(9)]
    path = write_xlsx(tmp_path / "atlas-issue.xlsx", [ISSUE_HEADER, GUIDANCE, *users])
    window.server_actions.server = (demo.url, demo.token)

    open_in(window, qtbot, path)
    doc = window.document
    assert doc is not None and doc.profile.name == "atlas"
    assert window.profile_label.text() == "Atlas user data download"
    assert "6 of 6 columns match" in window.profile_label.toolTip()
    assert doc.row_count == 9 and doc.excel_row(0) == 3  # the guidance row is not a user
    assert window.counts_label.text().startswith("9 users · ")
    qtbot.wait(50)
    assert window.mapping_dialog is None  # sure of itself: nothing asked

    department = doc.headers.index("Department")
    title = doc.headers.index("Job title")
    first = doc.key_of(0)
    assert first is not None
    window.model.set_cells([(0, department, "Finance"), (0, title, "Controller")], "Edit")
    dialog = upload(window, qtbot)
    assert dialog.done_label.text() == "1 user was successfully edited."
    user = server_user(demo, first)
    assert user[ENTERPRISE]["department"] == "Finance"
    assert user["title"] == "Controller"


def test_a_results_file_with_a_refused_row_is_fixed_and_sent_again(
    window: MainWindow, qtbot: Any, demo: Any
) -> None:
    with ScimClient(demo.url, demo.token) as client:
        # Someone outside the file already has the username 'ghost'.
        client.create_user(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "ghost",
                "externalId": "999999",
            }
        )
    window.server_actions.server = (demo.url, demo.token)
    open_in(window, qtbot, demo.download)
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    col = doc.headers.index
    model.set_cells([*sample_fixes(doc), (9, col("Username"), "ghost")], "Fix")
    refused_key = doc.key_of(9)
    dialog = upload(window, qtbot)
    results = dialog.results_file
    assert results is not None and results.exists()
    dialog.close()

    # Support opens the results file: the refused row is red with the server's reason.
    open_in(window, qtbot, results)
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    assert doc.profile.name == "atlas" and doc.loaded.report is not None
    assert doc.headers[-2:] == ["Status (import result)", "Message"]
    row = next(r for r in range(doc.row_count) if doc.key_of(r) == refused_key)
    problems = [p for p in doc.problems() if p.row == row]
    assert len(problems) == 1, problems
    assert problems[0].message.startswith("The platform refused this row: ")
    assert "already" in problems[0].message
    cell = model.index(row, problems[0].col)
    assert cell.data(Qt.ItemDataRole.BackgroundRole).color() == CELL_PROBLEM
    assert [r for r in range(doc.row_count) if doc.row_is_red(r)] == [row]
    for report_column in (len(doc.headers) - 2, len(doc.headers) - 1):
        brush = model.headerData(
            report_column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ForegroundRole
        )
        assert brush.color() == NOT_UPLOADED
    # The platform's own Status column is still the account status, and uploads.
    assert doc.profile.rule_for("Status").scim == "active"

    # Fixed in place: the note goes with the edit, and only that user is sent.
    model.set_cells([(row, col("Username"), "nvandijk")], "Fix")
    assert not doc.row_is_red(row)
    dialog = upload(window, qtbot)
    assert dialog.done_label.text() == "1 user was successfully edited."
    assert refused_key is not None
    assert server_user(demo, refused_key)["userName"] == "nvandijk"
