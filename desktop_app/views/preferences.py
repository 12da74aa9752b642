"""The language of the window: chosen at start, and in Edit › Preferences.

The app follows the system's language (``QLocale.system()``) unless the admin picks one
in Preferences; the choice is kept in the settings. Qt's own words (Save, Discard,
Cancel, Yes, No, the file dialogs) come from Qt's ``qtbase_<lang>.qm``, loaded for the
same language. Text is set when a window is built, so a new choice is used from the next
start, and the dialog says so.
"""

from __future__ import annotations

import zlib

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop_app import i18n
from desktop_app.i18n import _
from desktop_app.resource_files import resource
from desktop_app.views import theme

LANGUAGE_KEY = "language"
SYSTEM = "system"

_qt_translator: QTranslator | None = None
_qt_data: bytes = b""  # a translator loaded from memory reads it for as long as it is used


def system_language() -> str:
    """The first of the system's interface languages that the app ships, else English."""
    for name in QLocale.system().uiLanguages():
        found = i18n.supported(name)
        if found:
            return found
    return i18n.DEFAULT


def chosen_setting() -> str:
    """What Preferences holds: "system" or a language code."""
    value = str(QSettings().value(LANGUAGE_KEY, SYSTEM) or SYSTEM)
    return value if value in i18n.LANGUAGES else SYSTEM


def start_language() -> str:
    """Use the chosen language (or the system's) for the app's words and Qt's; its code."""
    setting = chosen_setting()
    code = i18n.install(system_language() if setting == SYSTEM else setting)
    install_qt_translation(code)
    return code


def install_qt_translation(code: str) -> bool:
    """Load Qt's own translation (qtbase_<code>.qm) so its buttons speak the same language."""
    global _qt_translator, _qt_data
    app = QCoreApplication.instance()
    if app is None:
        return False
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    if code == i18n.DEFAULT:
        return True
    translator = QTranslator(app)
    packed = resource("translations", f"qtbase_{code}.qm.z")  # the frozen app's (build.spec)
    if packed.is_file():
        data = zlib.decompress(packed.read_bytes())
        if not translator.load(data):
            return False
        _qt_data = data
    elif not translator.load(
        f"qtbase_{code}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ):
        return False
    app.installTranslator(translator)
    _qt_translator = translator
    return True


class PreferencesDialog(QDialog):
    """The language choice: follow the system, or one of the languages the app ships."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Preferences"))
        self.language_box = QComboBox()
        self.language_box.setAccessibleName(_("Language"))
        system_name = i18n.LANGUAGES[system_language()]
        self.language_box.addItem(
            _("Follow the system ({language})").format(language=system_name), SYSTEM
        )
        for code, name in i18n.LANGUAGES.items():
            self.language_box.addItem(name, code)  # each in its own language
        self.language_box.setCurrentIndex(self.language_box.findData(chosen_setting()))
        form = QFormLayout()
        form.addRow(_("Language:"), self.language_box)
        self.note = QLabel(_("A new language is used from the next start of User Editor."))
        self.note.setWordWrap(True)
        theme.quiet(self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(buttons)

    def chosen(self) -> str:
        return str(self.language_box.currentData())

    def accept(self) -> None:
        QSettings().setValue(LANGUAGE_KEY, self.chosen())
        super().accept()


def preferences_action(parent: QWidget) -> QAction:
    """Edit › Preferences… (on macOS, the application menu's Preferences)."""
    action = QAction(_("Pre&ferences…"), parent)
    action.setMenuRole(QAction.MenuRole.PreferencesRole)
    action.setShortcut(QKeySequence.StandardKey.Preferences)
    action.setStatusTip(_("Choose the language of User Editor"))
    action.triggered.connect(lambda: PreferencesDialog(parent).exec())
    return action
