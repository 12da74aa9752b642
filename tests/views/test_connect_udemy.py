"""File › Connect to Server with a Udemy Business file open: the invite API's id and token."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLineEdit

from desktop_app.connectors.credentials import SERVICE, load_invite_token
from desktop_app.views import theme
from desktop_app.views.main_window import MainWindow
from tests.connectors.conftest import MemoryKeyring
from tests.helpers.files import screenshot_folder
from tests.helpers.gui import open_in
from tests.helpers.udemy_server import RunningUdemy, running_udemy_server

TOKEN = "udemy-PAT-for-the-connect-dialog"


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def udemy() -> Iterator[RunningUdemy]:
    with running_udemy_server(token=TOKEN) as server:
        yield server


def open_udemy_file(window: MainWindow, qtbot: Any, sample: Any, udemy: RunningUdemy) -> None:
    open_in(window, qtbot, sample("udemy-users.csv"))
    document = window.document
    assert document is not None and document.profile.invite_api == "udemy"
    # The invite API of this test is the local server, as a profile's invite_api_url says.
    document.profile = dataclasses.replace(document.profile, invite_api_url=udemy.base_url)


def fill(edit: QLineEdit | None, text: str) -> None:
    assert edit is not None
    edit.setText(text)


def test_without_a_udemy_file_the_dialog_asks_only_for_scim(window: MainWindow) -> None:
    dialog = window.server_actions.connect_dialog()
    assert dialog.org_edit is None and dialog.invite_token_edit is None
    labels = " ".join(label.text() for label in dialog.findChildren(type(dialog.status)))
    assert "Udemy" not in labels
    dialog.close()


def test_udemy_organisation_and_token_are_tested_and_kept(
    window: MainWindow,
    qtbot: Any,
    sample: Any,
    demo: Any,
    udemy: RunningUdemy,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
) -> None:
    open_udemy_file(window, qtbot, sample, udemy)
    dialog = window.server_actions.connect_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.invite_url == udemy.base_url
    assert dialog.org_edit is not None and dialog.invite_token_edit is not None
    assert dialog.invite_token_edit.echoMode() == QLineEdit.EchoMode.Password
    labels = " ".join(label.text() for label in dialog.findChildren(type(dialog.status)))
    assert "Udemy organisation id" in labels and "Personal access token" in labels
    assert "Udemy's SCIM API cannot add users" in labels

    fill(dialog.url_edit, demo.url)
    fill(dialog.token_edit, demo.token)
    fill(dialog.org_edit, udemy.org_uuid)

    # A wrong personal access token: the test says Udemy's sentence, and nothing is kept.
    fill(dialog.invite_token_edit, "not-the-token")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20000)
    failure = dialog.status.text()
    assert "token" in failure.lower() and failure != "Testing the connection…"
    # Said as a failure, in the theme's red for problems (readable in light and dark).
    assert theme.colours().problem_text.name() in dialog.status.styleSheet()
    assert not dialog.isHidden()
    status = dialog.status
    assert status.height() >= status.heightForWidth(status.width())  # the whole sentence shows
    screenshot = screenshot_folder(tmp_path) / "connect-udemy.png"
    assert dialog.grab().save(str(screenshot))
    assert QSettings().value("udemyOrganisation") is None
    assert not any(key[1].startswith("udemy-invite:") for key in memory_keyring.passwords)

    # The right one: Connect tests both, keeps the id in the settings and the token in
    # the keyring, where the upload reads them.
    fill(dialog.invite_token_edit, TOKEN)
    with qtbot.waitSignal(dialog.accepted, timeout=20000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert QSettings().value("udemyOrganisation") == udemy.org_uuid
    assert load_invite_token("udemy", udemy.org_uuid) == TOKEN
    assert all(TOKEN not in str(QSettings().value(key)) for key in QSettings().allKeys())
    assert (dialog.invite_org, dialog.invite_token) == (udemy.org_uuid, TOKEN)
    assert any(service == SERVICE for service, _key in memory_keyring.passwords)

    # Opening the dialog again fills both in from where they were kept.
    again = window.server_actions.connect_dialog()
    qtbot.addWidget(again)
    assert again.org_edit is not None and again.org_edit.text() == udemy.org_uuid
    assert again.invite_token_edit is not None and again.invite_token_edit.text() == TOKEN
