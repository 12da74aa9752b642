"""A refusal that names a field marks that field's cell, with the server's reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from desktop_app.views.main_window import MainWindow
from desktop_app.views.table_model import CELL_PROBLEM
from tests.helpers.files import write_xlsx
from tests.helpers.gui import open_in, type_into


def test_the_named_field_is_red_with_the_reason_until_the_row_is_edited(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    headers = ["id", "userName", "givenName", "familyName", "email", "active"]
    path = write_xlsx(
        tmp_path / "users.xlsx",
        [headers, ["", "zoe", "Zoe", "New", "zoe@example.org", "true"]],
    )
    open_in(window, qtbot, path)
    model, doc = window.model, window.document
    assert model is not None and doc is not None
    reason = "Udemy refused the email address: it belongs to a blocked domain."
    model.show_server_messages({0: reason}, {0: (4, reason)})

    email, key = model.index(0, 4), model.index(0, 0)
    assert email.data(Qt.ItemDataRole.BackgroundRole).color() == CELL_PROBLEM
    assert reason in email.data(Qt.ItemDataRole.ToolTipRole)
    assert key.data(Qt.ItemDataRole.BackgroundRole).color() != CELL_PROBLEM
    [problem] = doc.problems()
    assert (problem.col, problem.header) == (4, "email")
    window.problems.recount()  # what the window does once the refusals are shown
    window.problems.model.finish()
    assert window.problems.model.state()[0][2] == [(0, 4)]

    type_into(window, 0, 4, "zoe@example.net")
    assert email.data(Qt.ItemDataRole.BackgroundRole).color() != CELL_PROBLEM
    assert doc.server_messages == {} and doc.server_cells == {}
