"""The whole upload in the real window: open, fix, Upload, review, progress, the sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop_app.connectors.scim import ScimClient
from desktop_app.services.demo import sample_fixes
from desktop_app.views.main_window import MainWindow
from desktop_app.views.table_model import CELL_PROBLEM
from tests.helpers.gui import open_in


def test_fix_upload_review_and_see_the_sentence(
    window: MainWindow,
    qtbot: Any,
    demo: Any,
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
    model.set_cells(
        [*sample_fixes(doc), (0, col("Department"), "Sales"), (9, col("Username"), "ghost")],
        "Fix",
    )
    assert window.counts_label.text() == "40 users · 0 rows with problems · 7 changed"

    window.server_actions.start_upload()
    dialog = window.server_actions.upload_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1, timeout=20000)
    assert dialog.summary.text() == "5 users will be updated · 0 will be added"
    assert dialog.tree.topLevelItemCount() == 5
    assert "Department: 'Management' → 'Sales'" in [
        dialog.tree.topLevelItem(0).child(i).text(1)
        for i in range(dialog.tree.topLevelItem(0).childCount())
    ]
    qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2, timeout=30000)
    assert dialog.done_label.text() == "4 users were successfully edited."
    assert "1 row was not uploaded" in dialog.done_details.text()
    outcomes = [
        dialog.results_tree.topLevelItem(i).text(1)
        for i in range(dialog.results_tree.topLevelItemCount())
    ]
    assert outcomes.count("Edited") == 4
    assert [o for o in outcomes if o.startswith("Not uploaded")] == [
        next(o for o in outcomes if "already in use" in o)
    ]
    assert dialog.results_file is not None and dialog.results_file.exists()
    assert dialog.results_file.name.startswith("atlas-users-upload-results-")
    # The refused row is red in the table, with the server's reason on its key cell.
    key = model.index(9, doc.key_column or 0)
    assert key.data(Qt.ItemDataRole.BackgroundRole).color() == CELL_PROBLEM
    assert "already in use" in key.data(Qt.ItemDataRole.ToolTipRole)
    assert window.counts_label.text().startswith("40 users · 1 row with problems")

    # Fix it in the table and retry only that row.
    model.set_cells([(9, col("Username"), "nvandijk")], "Fix")
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1, timeout=20000)
    assert dialog.summary.text().startswith("1 user will be updated")
    qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2, timeout=30000)
    assert dialog.done_label.text() == "1 user was successfully edited."
    # Undo shows what it would put back, and sends only when asked.
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1, timeout=30000)
    assert dialog.summary.text() == "1 user will be put back as it was before the upload"
    assert dialog.upload_button.text() == "Put Back 1…"
    qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.done_label.text().startswith("Undone"), timeout=30000)
    assert dialog.done_label.text() == "Undone: 1 user was put back as it was before the upload."
    assert dialog.results_tree.topLevelItem(0).text(1) == "Put back"
    dialog.close()


def test_download_users_from_the_server(
    window: MainWindow, qtbot: Any, demo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QSettings

    QSettings().setValue("lastFolder", str(tmp_path))
    window.server_actions.server = (demo.url, demo.token)
    with qtbot.waitSignal(window.documentLoaded, timeout=20000):
        window.server_actions.download_from_server()
    doc = window.document
    assert doc is not None and doc.row_count == 40 and doc.loaded.is_new
    assert window.table.frozen.isVisible()  # the SCIM id is the locked key
    target = tmp_path / "users.xlsx"
    monkeypatch.setattr(
        "desktop_app.views.main_window.QFileDialog.getSaveFileName",
        lambda *_args, **_kwargs: (str(target), ""),
    )
    assert window.save()
    assert target.exists()


def test_start_offers_to_finish_an_interrupted_upload(
    window: MainWindow, qtbot: Any, demo: Any
) -> None:
    from desktop_app.models.document import open_document
    from desktop_app.services.journal import Journal
    from desktop_app.services.upload import prepare, writes_for
    from tests.services.test_upload import fix_the_sample

    doc = open_document(demo.download)
    fix_the_sample(doc)
    with ScimClient(demo.url, demo.token) as client:
        writes = writes_for(prepare(doc, client))
    # An upload that died before any answer came back: nothing confirmed.
    journal = Journal.start(demo.download, demo.url, writes)
    window.server_actions.server = (demo.url, demo.token)
    window.server_actions.offer_resume()  # the fixture answers "Send Them"
    qtbot.waitUntil(
        lambda: "successfully edited" in window.statusBar().currentMessage(), timeout=20000
    )
    assert window.statusBar().currentMessage() == "7 users were successfully edited."
    assert journal.finished and Journal.unfinished() == []
