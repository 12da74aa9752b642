"""File › Upload History in the real window: two uploads kept, the older undone after a review."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from desktop_app.connectors.scim import ScimClient
from desktop_app.services.demo import sample_fixes
from desktop_app.views import messages
from desktop_app.views.main_window import MainWindow
from desktop_app.views.upload_dialog import UploadDialog
from tests.helpers.gui import open_in

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def department(client: ScimClient, key: str) -> str:
    found = {r["externalId"]: r for r, _ in client.iter_users()}
    return str(found[key][ENTERPRISE].get("department", ""))


def upload_through_the_dialog(window: MainWindow, qtbot: Any) -> UploadDialog:
    window.server_actions.start_upload()
    dialog = window.server_actions.upload_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1, timeout=20000)
    qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2, timeout=30000)
    return dialog


def screenshot(widget: QWidget, name: str) -> None:
    """Save what the admin sees when USER_EDITOR_SCREENSHOTS names a folder."""
    folder = os.environ.get("USER_EDITOR_SCREENSHOTS")
    if folder:
        widget.grab().save(str(Path(folder) / name))


def test_two_uploads_are_kept_and_the_older_is_undone_after_a_review(
    window: MainWindow, qtbot: Any, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.server_actions.server = (demo.url, demo.token)
    open_in(window, qtbot, demo.download)
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    col = doc.headers.index
    first_key, second_key = doc.value(0, 0), doc.value(5, 0)
    model.set_cells([*sample_fixes(doc), (0, col("Department"), "Sales")], "Fix")
    first = upload_through_the_dialog(window, qtbot)
    assert first.last_result is not None
    edited = first.last_result.updated
    assert edited >= 2 and first.done_label.text() == f"{edited} users were successfully edited."
    first_file = first.results_file
    model.set_cells([(5, col("Department"), "Legal")], "Edit")
    second = upload_through_the_dialog(window, qtbot)
    assert second is not first
    assert second.done_label.text() == "1 user was successfully edited."
    second_file = second.results_file
    second.close()
    # Both results files are kept, side by side.
    assert first_file is not None and second_file is not None and first_file != second_file
    assert first_file.exists() and second_file.exists()

    window.server_actions.show_history()
    history = window.server_actions.history_dialog
    assert history is not None
    assert history.tree.topLevelItemCount() == 2
    rows = [
        [history.tree.topLevelItem(r).text(c) for c in range(5)]
        for r in range(history.tree.topLevelItemCount())
    ]
    host = demo.url.split("//", 1)[1].split("/", 1)[0]
    assert [r[1:] for r in rows] == [
        ["Upload", host, "1 edited", second_file.name],
        ["Upload", host, f"{edited} edited", first_file.name],
    ]
    screenshot(history, "upload-history.png")

    # Review the undo of the older upload: what goes back, per user; nothing sent yet.
    history.tree.setCurrentItem(history.tree.topLevelItem(1))
    assert history.undo_button.isEnabled()
    qtbot.mouseClick(history.undo_button, Qt.MouseButton.LeftButton)
    review = window.server_actions.upload_dialog
    assert review is not None and review is not second
    qtbot.waitUntil(lambda: review.stack.currentIndex() == 1, timeout=20000)
    assert review.windowTitle() == "Undo an upload"
    assert review.title.text().startswith("Undo the upload of ")
    assert review.summary.text() == (
        f"{edited} users will be put back as they were before the upload"
    )
    changes = {
        review.tree.topLevelItem(i).text(0): [
            review.tree.topLevelItem(i).child(j).text(1)
            for j in range(review.tree.topLevelItem(i).childCount())
        ]
        for i in range(review.tree.topLevelItemCount())
    }
    sent = first.last_result.plan.to_update()
    assert len(changes) == edited == len(sent)
    for user in sent:  # each user's change, the other way round
        assert changes[f"Row {user.excel_row}: {user.label}"] == [
            c.reversed().describe() for c in user.changes if c.edited_here
        ]
    assert changes[f"Row {doc.excel_row(0)}: {sent[0].label}"] == [
        "Department: 'Sales' → 'Management'"
    ]
    assert review.upload_button.text() == f"Put Back {edited}…"
    screenshot(review, "undo-review.png")

    asked: list[str] = []

    def no(_parent: Any, _title: str, sentence: str, _yes: str) -> bool:
        asked.append(sentence)
        return False

    monkeypatch.setattr(messages, "confirm", no)
    qtbot.mouseClick(review.upload_button, Qt.MouseButton.LeftButton)
    assert (
        asked and f"{edited} users will be put back as they were before the upload of" in asked[0]
    )
    assert review.stack.currentIndex() == 1 and not review.busy  # the admin said no
    with ScimClient(demo.url, demo.token) as client:
        assert department(client, first_key) == "Sales"

    monkeypatch.setattr(messages, "confirm", lambda *_args: True)
    qtbot.mouseClick(review.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: review.stack.currentIndex() == 2, timeout=30000)
    assert review.done_label.text() == (
        f"Undone: {edited} users were put back as they were before the upload."
    )
    assert review.results_file is not None and review.results_file.exists()
    assert review.results_file.name.startswith("atlas-users-undo-results-")
    with ScimClient(demo.url, demo.token) as client:
        assert department(client, first_key) == "Management"  # put back
        assert department(client, second_key) == "Legal"  # the newer upload stays
    # The history records the undo, and marks the upload it undid.
    assert history.tree.topLevelItemCount() == 3
    top, _, oldest = (history.tree.topLevelItem(i) for i in range(3))
    assert top.text(1).startswith("Undo of the upload of ")
    assert top.text(3) == f"{edited} put back" and top.text(4) == review.results_file.name
    assert oldest.text(1).startswith("Upload (undone on ")
    review.close()
    history.close()


def test_closing_the_window_stops_and_waits_for_the_server_jobs(
    window: MainWindow, qtbot: Any, demo: Any
) -> None:
    window.server_actions.server = (demo.url, demo.token)
    open_in(window, qtbot, demo.download)
    window.server_actions.start_upload()
    dialog = window.server_actions.upload_dialog
    assert dialog is not None and dialog.busy
    assert window.server_actions.shutdown()
    assert not dialog.jobs._running  # every thread has ended
