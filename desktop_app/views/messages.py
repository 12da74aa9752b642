"""The one way the window tells the admin something or asks: plain sentences in dialogs.

Tests patch these functions instead of clicking real modal dialogs.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.i18n import _


def show_problem(parent: QWidget | None, title: str, sentence: str) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, sentence, QMessageBox.StandardButton.Ok, parent
    )
    box.exec()


def confirm(parent: QWidget | None, title: str, sentence: str, yes_text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, sentence, parent=parent)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


def ask_save(parent: QWidget | None, name: str) -> QMessageBox.StandardButton:
    box = QMessageBox(
        QMessageBox.Icon.Question,
        _("Save your changes?"),
        _("You have changes in '{name}' that are not saved yet.").format(name=name),
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setInformativeText(_("Save them to a copy next to the download?"))
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    return QMessageBox.StandardButton(box.exec())


def choose(
    parent: QWidget | None, title: str, sentence: str, detail: str, choices: list[str]
) -> int:
    """Ask with named buttons; returns the index of the one clicked (the last one on Escape)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, sentence, parent=parent)
    if detail:
        box.setInformativeText(detail)
    roles = [QMessageBox.ButtonRole.DestructiveRole] * len(choices)
    roles[0], roles[-1] = QMessageBox.ButtonRole.AcceptRole, QMessageBox.ButtonRole.RejectRole
    buttons = [box.addButton(text, role) for text, role in zip(choices, roles, strict=True)]
    box.setDefaultButton(buttons[0])
    box.setEscapeButton(buttons[-1])
    box.exec()
    clicked = box.clickedButton()
    return buttons.index(clicked) if clicked in buttons else len(choices) - 1
