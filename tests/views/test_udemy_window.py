"""A Udemy Business file uploaded from the real window: new rows go through the invite API.

A real scim2-server (publishing Udemy's licence extension) takes the edits; the local
Udemy server, following the invite contract, adds the new users or refuses a field.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from desktop_app.connectors.scim import ScimClient
from desktop_app.views.main_window import MainWindow
from desktop_app.views.problems_panel import SERVER_TITLE
from desktop_app.views.table_model import CELL_PROBLEM
from tests.connectors.conftest import MemoryKeyring
from tests.helpers.files import write_xlsx
from tests.helpers.gui import open_in, type_into
from tests.helpers.scim_server import ScimServer, running_scim_server
from tests.helpers.udemy_server import RunningUdemy, running_udemy_server
from tests.services.conftest import UDEMY_EXTENSION
from tests.services.test_udemy_licences import HEADERS, row, udemy_user

SCIM_TOKEN = "udemy-window-scim-token"
INVITE_TOKEN = "udemy-PAT-for-the-window"
#: The organisation's only group: a group name it does not know is refused by Udemy.
GROUP = str(uuid.uuid4())
GROUPS = HEADERS.index("Groups")
EXTERNAL_ID = HEADERS.index("External ID")


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def scim() -> Iterator[ScimServer]:
    with running_scim_server(token=SCIM_TOKEN, user_extensions=[UDEMY_EXTENSION]) as server:
        yield server


@pytest.fixture
def udemy() -> Iterator[RunningUdemy]:
    with running_udemy_server(token=INVITE_TOKEN, groups=[GROUP]) as server:
        yield server


def connect(window: MainWindow, qtbot: Any, scim: ScimServer, udemy: RunningUdemy) -> None:
    """File › Connect to Server: the SCIM address and token, Udemy's organisation and token."""
    dialog = window.server_actions.connect_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.invite_url == udemy.base_url
    assert dialog.org_edit is not None and dialog.invite_token_edit is not None
    dialog.url_edit.setText(scim.base_url)
    dialog.token_edit.setText(scim.token)
    dialog.org_edit.setText(udemy.org_uuid)
    dialog.invite_token_edit.setText(INVITE_TOKEN)
    with qtbot.waitSignal(dialog.accepted, timeout=20000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    window.server_actions.server = (dialog.url, dialog.token)


def background(index: QModelIndex) -> QColor | None:
    """The colour a cell is painted in (None: the table's own)."""
    brush = index.data(Qt.ItemDataRole.BackgroundRole)
    return None if brush is None else brush.color()


def problems_listed(window: MainWindow) -> list[tuple[str, list[tuple[int, int]]]]:
    """The Problems panel's groups, each with the cells it lists."""
    return [(title, cells) for title, _count, cells in window.problems.model.state()]


def test_a_refused_invite_marks_the_named_cell_and_an_added_user_gets_its_id(
    window: MainWindow,
    qtbot: Any,
    scim: ScimServer,
    udemy: RunningUdemy,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
) -> None:
    with ScimClient(scim.base_url, scim.token) as client:
        udemy_user(client, "ann", "U-1", ["Enterprise"])
    path = write_xlsx(
        tmp_path / "udemy.xlsx",
        [
            HEADERS,
            row("ann", "U-1", "Enterprise"),
            row("cat", "", "Enterprise"),  # new: Udemy adds her
            [*row("fay", "", "Enterprise")[:GROUPS], "Sales", *row("fay", "", "")[GROUPS + 1 :]],
        ],
    )
    open_in(window, qtbot, path)
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    assert doc.profile.invite_api == "udemy"
    # This test's Udemy is the local server, as a profile's invite_api_url says.
    doc.profile = dataclasses.replace(doc.profile, invite_api_url=udemy.base_url)
    connect(window, qtbot, scim, udemy)
    cat, fay = 1, 2
    assert not doc.row_is_red(fay)  # nothing in the file says Udemy will refuse it

    window.server_actions.start_upload()
    dialog = window.server_actions.upload_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1, timeout=20000)
    assert dialog.summary.text().endswith("2 will be added")
    qtbot.mouseClick(dialog.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2, timeout=30000)

    # 201: the new user's id is in her row's key cell, so the file will not invite her twice.
    added = udemy.org.find("cat@example.org")
    assert added is not None and added["groups"] == []
    assert doc.value(cat, EXTERNAL_ID) == str(added["id"])
    assert model.index(cat, EXTERNAL_ID).data() == str(added["id"])
    assert not doc.row_is_red(cat)
    # 400 naming the groups: that cell is red with Udemy's reason, the key is not.
    assert udemy.org.find("fay@example.org") is None
    assert "1 row was not uploaded" in dialog.done_details.text()
    groups = model.index(fay, GROUPS)
    assert background(groups) == CELL_PROBLEM
    reason = groups.data(Qt.ItemDataRole.ToolTipRole)
    assert "The server refused this user: Udemy refused the user" in reason
    assert "(Udemy said: Unknown group)" in reason
    key = model.index(fay, EXTERNAL_ID)
    assert background(key) != CELL_PROBLEM
    assert "refused" not in (key.data(Qt.ItemDataRole.ToolTipRole) or "")
    panel = window.problems.model
    qtbot.waitUntil(lambda: not panel.busy and problems_listed(window) != [])
    assert problems_listed(window) == [(SERVER_TITLE, [(fay, GROUPS)])]
    dialog.close()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    # Fixing the cell in the table clears Udemy's refusal from it and from the panel.
    type_into(window, fay, GROUPS, GROUP)
    assert doc.value(fay, GROUPS) == GROUP
    assert background(groups) != CELL_PROBLEM
    assert "refused" not in (groups.data(Qt.ItemDataRole.ToolTipRole) or "")
    qtbot.waitUntil(lambda: not panel.busy and problems_listed(window) == [])
    assert not doc.row_is_red(fay)
