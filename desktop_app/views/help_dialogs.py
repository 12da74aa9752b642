"""The Help menu: the built-in guide, a sample file to practise on, a report for support, About."""

from __future__ import annotations

import logging
import platform
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLayout,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app import __version__
from desktop_app.app_paths import log_folder
from desktop_app.i18n import _, current_language
from desktop_app.resource_files import resource
from desktop_app.services.support_report import (
    ColumnSummary,
    FileSummary,
    Library,
    build_report,
    report_name,
    runtime_libraries,
    write_report,
)
from desktop_app.views import messages, theme
from desktop_app.views.icons import icon
from desktop_app.views.recent_files import SAMPLE_PREFIX

if TYPE_CHECKING:
    from desktop_app.models.document import UserDocument
    from desktop_app.views.main_window import MainWindow

log = logging.getLogger(__name__)

SAMPLE = "atlas-users.xlsx"
QT_LICENCE = "LGPL-3.0-only"
PYTHON_LICENCE = "PSF-2.0"


def guide_text() -> str:
    """The guide (Markdown) in the app's language (guide.<code>.md), else in English."""
    translated = resource("help", f"guide.{current_language()}.md")
    if translated.is_file():
        return translated.read_text(encoding="utf-8")
    return resource("help", "guide.md").read_text(encoding="utf-8")


def copy_sample() -> Path:
    """A fresh copy of the bundled sample download in a new temporary folder.

    The admin practises on the copy; the bundled file stays as it is.
    """
    folder = Path(tempfile.mkdtemp(prefix=SAMPLE_PREFIX))
    target = folder / SAMPLE
    with resource("samples", SAMPLE).open("rb") as source, target.open("wb") as copy:
        shutil.copyfileobj(source, copy)
    return target


@cache
def _libraries() -> tuple[Library, ...]:
    """Qt, Python and every library the app runs with (read once: it walks the metadata)."""
    return (
        Library("Qt", qVersion(), QT_LICENCE),
        Library("Python", platform.python_version(), PYTHON_LICENCE),
        *runtime_libraries(),
    )


def versions() -> dict[str, str]:
    return {"Qt": qVersion(), "PySide6": PySide6.__version__}


class GuideDialog(QDialog):
    """How to open, fix, save, upload and undo, in plain words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("How to use User Editor"))
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(guide_text())
        self.browser.setAccessibleName(_("Guide"))
        self.browser.document().setDocumentMargin(18)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(680, 640)


class AboutDialog(QDialog):
    """The version, what it runs on, and the licence of each library it is built with."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("About User Editor"))
        self.libraries = _libraries()
        heading = QLabel(
            _(
                "<h2>User Editor {version}</h2>"
                "<p>Fix your learning platform's user download before it goes back up.</p>"
                "<p>Python {python_version} · Qt {qt_version} · "
                "PySide6 {pyside_version}</p>"
                "<p>User Editor is free software under the MIT licence. It is built with the "
                "libraries below, each under its own licence. Qt is used under the GNU Lesser "
                "General Public License version 3 (LGPL-3.0).</p>"
            ).format(
                version=__version__,
                python_version=platform.python_version(),
                qt_version=qVersion(),
                pyside_version=PySide6.__version__,
            )
        )
        heading.setWordWrap(True)
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(len(self.libraries), 3)
        self.table.setHorizontalHeaderLabels([_("Library"), _("Version"), _("Licence")])
        self.table.setAccessibleName(_("Libraries and their licences"))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        for row, library in enumerate(self.libraries):
            for col, text in enumerate((library.name, library.version, library.licence)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton(_("Copy Versions"), QDialogButtonBox.ButtonRole.ActionRole)
        copy.setToolTip(_("Copy the versions, to paste them into a message to support"))
        copy.clicked.connect(self.copy_versions)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        logo = QLabel()
        logo.setPixmap(icon("app").pixmap(48, 48))
        layout.addWidget(logo)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(620, 560)

    def versions_text(self) -> str:
        lines = [f"User Editor {__version__}", f"Python {platform.python_version()}"]
        lines += [f"{name} {version}" for name, version in versions().items()]
        lines.append(f"{platform.platform()} ({platform.machine()})")
        return "\n".join(lines)

    def copy_versions(self) -> None:
        QGuiApplication.clipboard().setText(self.versions_text())


def file_summary(document: UserDocument) -> FileSummary:
    """The open file by its column names and problem counts: never a cell's value."""
    counts = [0] * len(document.headers)
    for _row, col, _issue in document.validator.all_issues():
        if 0 <= col < len(counts):
            counts[col] += 1
    return FileSummary(
        platform=document.profile.title,
        rows=document.row_count,
        columns=tuple(
            ColumnSummary(name, count) for name, count in zip(document.headers, counts, strict=True)
        ),
    )


def current_settings() -> dict[str, object]:
    """The app's settings as plain Python values (the report decides what it shows)."""
    store = QSettings()
    result: dict[str, object] = {}
    for key in store.allKeys():
        value = store.value(key)
        result[key] = bytes(value.data()) if isinstance(value, QByteArray) else value
    return result


class SupportReportDialog(QDialog):
    """Save a text file for support; the open file is described only when the box is ticked."""

    def __init__(self, document: UserDocument | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.saved: Path | None = None
        self.setWindowTitle(_("Save a Report for Support"))
        intro = QLabel(
            _(
                "<p>The report is a small text file for whoever helps you with User Editor. It "
                "holds the app's version, your computer's system, the app's settings and the "
                "last lines of its log.</p>"
                "<p>Email addresses, keys (tokens) and the user name in file paths are left out. "
                "Your users' names and values are never in it. You can open the file to check "
                "before you send it.</p>"
            )
        )
        intro.setWordWrap(True)
        self.include_file = QCheckBox(_("Include the open file's column names and problem counts"))
        self.include_file.setEnabled(document is not None)
        note = QLabel(
            _(
                "Only the names of the columns and how many problems each one has: never what "
                "the cells hold."
            )
            if document is not None
            else _("No file is open, so the report says nothing about a file.")
        )
        note.setWordWrap(True)
        theme.quiet(note, "margin-left: 22px;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = QPushButton(_("Save Report…"))
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.clicked.connect(self.choose_and_save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self.include_file)
        layout.addWidget(note)
        layout.addSpacing(6)
        layout.addWidget(buttons)
        intro.setMinimumWidth(500)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)

    def report_text(self) -> str:
        summary = (
            file_summary(self.document)
            if self.document is not None and self.include_file.isChecked()
            else None
        )
        return build_report(
            versions=versions(),
            settings=current_settings(),
            log_folder=log_folder(),
            libraries=_libraries(),
            file_summary=summary,
        )

    def choose_and_save(self) -> None:
        desktop = Path.home() / "Desktop"
        folder = desktop if desktop.is_dir() else Path.home()
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Save the report"), str(folder / report_name()), _("Text files (*.txt)")
        )
        if name and self.save_to(Path(name)):
            self.accept()

    def save_to(self, target: Path) -> bool:
        """Write the report to ``target``; False (after telling the admin) when it cannot be."""
        try:
            write_report(target, self.report_text())
        except OSError as error:
            log.warning("The report for support could not be written: %s", type(error).__name__)
            messages.show_problem(
                self,
                _("The report was not saved"),
                _(
                    "'{name}' could not be written there ({reason}). "
                    "Choose another folder, such as your Documents."
                ).format(name=target.name, reason=error.strerror or _("no access")),
            )
            return False
        self.saved = target
        parent = self.parentWidget()
        if isinstance(parent, QMainWindow):
            parent.statusBar().showMessage(
                _("Saved the report {name} in {parent}").format(
                    name=target.name, parent=target.parent
                ),
                10000,
            )
        return True


class HelpActions(QObject):
    """The Help menu of a window: guide, sample, report for support, About."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.guide: GuideDialog | None = None
        self.about: AboutDialog | None = None
        self.report: SupportReportDialog | None = None
        self.guide_action = self._action(
            _("&How to Use User Editor"), self.show_guide, _("Open, fix, save, upload and undo")
        )
        self.guide_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.sample_action = self._action(
            _("Open a &Sample File"),
            self.open_sample,
            _("Practise on a made-up download with a few mistakes in it"),
        )
        self.report_action = self._action(
            _("Save a &Report for Support…"),
            self.show_report,
            _("Save the app's version and log for support, without your users' data"),
        )
        self.about_action = self._action(
            _("&About User Editor"), self.show_about, _("Version and licences")
        )
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.menu = QMenu(_("&Help"), window)
        self.menu.addAction(self.guide_action)
        self.menu.addAction(self.sample_action)
        self.menu.addSeparator()
        self.menu.addAction(self.report_action)
        self.menu.addSeparator()
        self.menu.addAction(self.about_action)

    def _action(self, text: str, slot: Callable[[], object], tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def show_guide(self) -> None:
        if self.guide is None:
            self.guide = GuideDialog(self.window)
        self._raise(self.guide)

    def show_about(self) -> None:
        if self.about is None:
            self.about = AboutDialog(self.window)
        self._raise(self.about)

    def show_report(self) -> None:
        """A new dialog each time: the open file may have changed since the last one."""
        if self.report is not None:
            self.report.deleteLater()
        self.report = SupportReportDialog(self.window.document, self.window)
        self.report.open()

    def open_sample(self) -> None:
        if not self.window.may_discard():
            return
        try:
            path = copy_sample()
        except OSError as error:
            messages.show_problem(
                self.window,
                _("The sample was not opened"),
                _("The sample could not be copied to a temporary folder ({strerror}).").format(
                    strerror=error.strerror
                ),
            )
            return
        self.window.open_file(path)

    @staticmethod
    def _raise(dialog: QDialog) -> None:
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
