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


def type_into(window: MainWindow, qtbot: Any, row: int, header: str, text: str) -> None:
    """Type a value into a cell through the real table and its editor, as an admin does."""
    from PySide6.QtWidgets import QAbstractItemView, QLineEdit

    doc, model = window.document, window.model
    assert doc is not None and model is not None
    index = window.proxy.mapFromSource(model.index(row, doc.headers.index(header)))
    window.table.setCurrentIndex(index)
    window.table.edit(index)
    editor = window.table.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.table.state() != QAbstractItemView.State.EditingState)


def test_an_edit_made_while_the_check_runs_is_reviewed_and_sent(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.views.table_model import CELL_CHANGED
    from tests.helpers.faults import Faults
    from tests.helpers.scim_server import running_scim_server
    from tests.services.test_groups import make_group, members

    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "data"))
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    with (
        running_scim_server(token="t", middleware=Faults) as server,
        ScimClient(server.base_url, "t") as client,
    ):
        faults = server.app
        assert isinstance(faults, Faults)
        ids = {
            name: client.create_user(
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
                    "userName": name,
                    enterprise: {"department": "Research"},
                }
            )[0]["id"]
            for name in ("ann", "bob")
        }
        make_group(server, "Team North", [ids["ann"], ids["bob"]])
        make_group(server, "Team South", [])
        table = tmp_path / "users.csv"
        table.write_text(
            "id,userName,department,groups\n"
            f"{ids['ann']},ann,Research,Team North\n"
            f"{ids['bob']},bob,Research,Team Nrth\n",
            encoding="utf-8",
        )
        with qtbot.waitSignal(window.documentLoaded, timeout=30000):
            window.open_file(table, "scim")
        doc, model = window.document, window.model
        assert doc is not None and model is not None
        groups, department = doc.headers.index("groups"), doc.headers.index("department")
        assert doc.problems() == []  # the server's group names are not known yet
        repainted: list[tuple[int, int, int, int]] = []
        model.dataChanged.connect(
            lambda top, bottom, *_: repainted.append(
                (top.row(), top.column(), bottom.row(), bottom.column())
            )
        )

        faults.delay_ms = 400  # every answer is slow: the check takes a few seconds
        window.server_actions.server = (server.base_url, "t")
        window.server_actions.start_upload()
        dialog = window.server_actions.upload_dialog
        assert dialog is not None and dialog.busy
        type_into(window, qtbot, 0, "department", "Sales")
        assert dialog.busy and dialog.stack.currentIndex() == 0  # typed while it ran
        qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1, timeout=30000)
        faults.delay_ms = 0

        # The review shows the edit; the note says why it was made again.
        assert dialog.summary.text() == (
            "1 user will be updated · 0 will be added · 1 row has problems and will not be uploaded"
        )
        ann = dialog.tree.topLevelItem(0)
        assert ann.text(0) == "Row 2: ann"
        assert [ann.child(i).text(1) for i in range(ann.childCount())] == [
            "department: 'Research' → 'Sales'"
        ]
        assert dialog.note_label.isVisible()
        assert "changed the table while it was being checked" in dialog.note_label.text()
        # The table is right: the edit kept, bob's unknown team now red, every cell repainted.
        edited = model.index(0, department)
        assert edited.data() == "Sales"
        assert edited.data(Qt.ItemDataRole.BackgroundRole).color() == CELL_CHANGED
        team = model.index(1, groups)
        assert team.data(Qt.ItemDataRole.BackgroundRole).color() == CELL_PROBLEM
        assert "did you mean 'Team North'" in team.data(Qt.ItemDataRole.ToolTipRole)
        assert (0, 0, model.rowCount() - 1, model.columnCount() - 1) in repainted
        assert window.counts_label.text() == "2 users · 1 row with problems · 1 changed"

        # An edit after the review: Upload makes the review again and sends nothing yet.
        type_into(window, qtbot, 0, "groups", "Team North, Team South")
        patches = faults.count("PATCH")
        qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: (
                dialog.stack.currentIndex() == 1 and "after the check" in dialog.note_label.text()
            ),
            timeout=30000,
        )
        assert faults.count("PATCH") == patches
        ann = dialog.tree.topLevelItem(0)
        assert [ann.child(i).text(1) for i in range(ann.childCount())] == [
            "department: 'Research' → 'Sales'",
            "groups: 'Team North' → 'Team North, Team South'",
        ]
        qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2, timeout=30000)
        assert dialog.done_label.text() == "1 user was successfully edited."
        resource = client.get_user(ids["ann"])[0]
        assert resource[enterprise]["department"] == "Sales"
        assert members(client)["Team South"] == {"ann"}
        dialog.close()


def test_a_new_users_id_goes_into_its_row_and_the_next_check_finds_it(
    window: MainWindow, qtbot: Any, demo: Any, tmp_path: Path
) -> None:
    from tests.helpers.files import write_xlsx

    headers = ["id", "userName", "givenName", "familyName", "email", "active"]
    path = write_xlsx(
        tmp_path / "users.xlsx",
        [headers, ["", "zoe.new", "Zoe", "New", "zoe.new@example.org", "true"]],
    )
    window.server_actions.server = (demo.url, demo.token)
    open_in(window, qtbot, path)
    doc = window.document
    assert doc is not None and doc.key_column == 0

    window.server_actions.start_upload()
    dialog = window.server_actions.upload_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1, timeout=20000)
    assert dialog.summary.text() == "0 users will be updated · 1 will be added"
    qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2, timeout=30000)
    assert dialog.done_label.text() == "0 users were successfully edited. 1 user was added."

    with ScimClient(demo.url, demo.token) as client:
        [(zoe, _etag)] = client.find_users("userName", "zoe.new")
    assert doc.value(0, 0) == zoe["id"]
    assert doc.is_changed(0, 0)  # Save writes it
    dialog.close()

    # Checked again, the row is that user: nothing to add.
    window.server_actions.start_upload()
    again = window.server_actions.upload_dialog
    assert again is not None
    qtbot.waitUntil(lambda: again.stack.currentIndex() == 1, timeout=20000)
    assert again.summary.text() == "0 users will be updated · 0 will be added"
    again.close()
