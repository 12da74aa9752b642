"""The one way the window tells the admin something or asks: plain sentences in dialogs.

Tests patch these functions instead of clicking real modal dialogs.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


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
        "Save your changes?",
        f"You have changes in '{name}' that are not saved yet.",
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setInformativeText("Save them to a copy next to the download?")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    return QMessageBox.StandardButton(box.exec())
