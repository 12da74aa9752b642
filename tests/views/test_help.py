"""The Help menu, the empty window's hint, recent files, and the window's remembered habits."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QMenu

from desktop_app.views.help_dialogs import AboutDialog, GuideDialog, SupportReportDialog
from desktop_app.views.main_window import MainWindow
from tests.conftest import SAMPLES
from tests.helpers.gui import open_in


@pytest.fixture
def scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: Any) -> Iterator[Path]:
    """Settings and data in tmp_path: the admin's own settings are never read or written."""
    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "data"))
    folder = tmp_path / "settings"
    names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    default_format = QSettings.defaultFormat()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName("User Editor Tests")
    QCoreApplication.setApplicationName("Help Tests")
    yield folder
    QSettings().sync()
    QCoreApplication.setOrganizationName(names[0])
    QCoreApplication.setApplicationName(names[1])
    QSettings.setDefaultFormat(default_format)


@pytest.fixture
def new_window(scope: Path, qtbot: Any, said: list[tuple[str, str]]) -> Any:
    """Make a window as the app starts one (in the private settings scope)."""

    def make() -> MainWindow:
        win = MainWindow()
        qtbot.addWidget(win)
        win.show()
        return win

    return make


def menu_titles(window: MainWindow) -> list[str]:
    return [action.text() for action in window.menuBar().actions()]


def test_help_menu_opens_the_guide_and_about(new_window: Any) -> None:
    window = new_window()
    assert menu_titles(window)[-1] == "&Help"
    help_menu = window.help.menu
    assert [a.text() for a in help_menu.actions() if not a.isSeparator()] == [
        "&How to Use User Editor",
        "Open a &Sample File",
        "Save a &Report for Support…",
        "&About User Editor",
    ]
    window.help.guide_action.trigger()
    guide = window.help.guide
    assert isinstance(guide, GuideDialog) and guide.isVisible()
    text = guide.browser.toPlainText()
    for step in ("Open your download", "Fix them", "Undo a mistake", "Save your work"):
        assert step in text, step
    assert "**" not in text  # Markdown is shown formatted, not as its marks

    window.help.about_action.trigger()
    about = window.help.about
    assert isinstance(about, AboutDialog) and about.isVisible()
    cells = [
        [about.table.model().index(row, col).data() for col in range(3)]
        for row in range(about.table.rowCount())
    ]
    rows = {name: (version, licence) for name, version, licence in cells}
    assert rows["Qt"][1] == "LGPL-3.0-only"
    assert rows["Python"][1] == "PSF-2.0"
    assert rows["openpyxl"] == (__import__("openpyxl").__version__, "MIT")
    assert "pytest" not in rows
    assert "0.1.0" in about.versions_text()


def test_the_empty_window_says_how_to_start_and_opens_the_sample(
    new_window: Any, qtbot: Any
) -> None:
    window = new_window()
    hint = window.placeholder.text()
    assert "Open a download from your platform (<b>File › Open</b>, or drop it here)" in hint
    assert "Or try the sample:" in hint and "Help › Open a Sample File" in hint
    assert window.stack.currentWidget() is window.placeholder
    assert not window.problems_dock.isVisible()
    bundled = (SAMPLES / "atlas-users.xlsx").read_bytes()
    with qtbot.waitSignal(window.documentLoaded, timeout=30000):
        window.placeholder.linkActivated.emit("sample")  # the link in the hint
    assert window.document is not None
    opened = window.document.loaded.path
    assert opened.name == "atlas-users.xlsx" and opened.parent != SAMPLES
    assert opened.parent.name.startswith("user-editor-sample-")
    assert (SAMPLES / "atlas-users.xlsx").read_bytes() == bundled
    # A temporary copy is not a file to come back to.
    assert window.recent_files.paths() == []
    shutil.rmtree(opened.parent, ignore_errors=True)


def test_report_for_support_describes_the_file_only_when_asked(
    new_window: Any, qtbot: Any, sample: Any, tmp_path: Path
) -> None:
    window = new_window()
    window.help.report_action.trigger()
    empty = window.help.report
    assert isinstance(empty, SupportReportDialog) and empty.isVisible()
    assert not empty.include_file.isEnabled()  # no file open
    empty.reject()

    open_in(window, qtbot, sample("atlas-users.xlsx"))
    window.help.report_action.trigger()
    dialog = window.help.report
    assert isinstance(dialog, SupportReportDialog) and dialog is not empty
    assert dialog.include_file.isEnabled() and not dialog.include_file.isChecked()
    plain = tmp_path / "plain.txt"
    assert dialog.save_to(plain)
    text = plain.read_text("utf-8")
    assert "User Editor: 0.1.0" in text and "Qt: " in text
    assert "Hire date" not in text and "First name" not in text

    dialog.include_file.setChecked(True)
    detailed = tmp_path / "detailed.txt"
    assert dialog.save_to(detailed)
    text = detailed.read_text("utf-8")
    assert "Platform: Atlas user data download" in text
    assert "  Hire date: 0 problems" in text and "  Email: " in text
    # Never a cell's value.
    for value in ("jan.devries", "Sophie", "Actve", "000101", "atlas-demo.com"):
        assert value not in text, value
    assert "Saved the report detailed.txt" in window.statusBar().currentMessage()


def test_a_report_that_cannot_be_written_is_said(
    new_window: Any, tmp_path: Path, said: list[tuple[str, str]]
) -> None:
    window = new_window()
    dialog = SupportReportDialog(None, window)
    assert not dialog.save_to(tmp_path / "missing-folder" / "report.txt")
    assert said and said[-1][0] == "The report was not saved"


def recent_texts(window: MainWindow) -> list[tuple[str, bool]]:
    menu: QMenu = window.recent_files.menu
    menu.aboutToShow.emit()
    return [(a.text(), a.isEnabled()) for a in menu.actions() if not a.isSeparator()]


def test_recent_files_newest_first_and_missing_ones_greyed(
    new_window: Any, qtbot: Any, tmp_path: Path
) -> None:
    first, second = tmp_path / "january.csv", tmp_path / "february.csv"
    for target in (first, second):
        shutil.copy2(SAMPLES / "scim-users.csv", target)
    window = new_window()
    assert recent_texts(window) == [("No recent files", False)]
    open_in(window, qtbot, first)
    open_in(window, qtbot, second)
    open_in(window, qtbot, first)  # opened again: back on top, listed once
    assert window.recent_files.paths() == [first, second]
    items = recent_texts(window)
    assert items[0] == (f"&1  january.csv  —  {tmp_path.name}", True)
    assert items[1] == (f"&2  february.csv  —  {tmp_path.name}", True)
    assert items[2] == ("Clear This List", True)

    second.unlink()
    later = new_window()  # the list outlives the window
    items = recent_texts(later)
    assert items[0] == (f"&1  january.csv  —  {tmp_path.name}", True)
    assert items[1] == (f"&2  february.csv  —  {tmp_path.name}  (moved or deleted)", False)

    with qtbot.waitSignal(later.documentLoaded, timeout=30000):
        later.recent_files.menu.actions()[0].trigger()
    assert later.document is not None and later.document.loaded.path == first

    for n in range(10):
        extra = tmp_path / f"more-{n}.csv"
        shutil.copy2(SAMPLES / "scim-users.csv", extra)
        later.recent_files.add(extra)
    assert len(later.recent_files.paths()) == 8
    assert later.recent_files.paths()[0].name == "more-9.csv"
    later.recent_files.clear()
    assert recent_texts(later) == [("No recent files", False)]


def test_window_place_and_column_widths_come_back(new_window: Any, qtbot: Any, sample: Any) -> None:
    window = new_window()
    window.resize(760, 540)
    open_in(window, qtbot, sample("atlas-users.xlsx"))
    doc = window.document
    assert doc is not None
    department = doc.headers.index("Department")
    window.table.setColumnWidth(department, 233)
    window.close()
    assert not window.isVisible()

    again = new_window()
    assert (again.width(), again.height()) == (760, 540)
    assert not again.problems_dock.isVisible()  # the empty window stays plain
    open_in(again, qtbot, sample("atlas-users-semicolon.csv"))  # another Atlas file
    doc = again.document
    assert doc is not None and doc.profile.name == "atlas"
    assert again.table.columnWidth(doc.headers.index("Department")) == 233
    # Widths the app chose for the file are not taken for the admin's.
    other = doc.headers.index("Email")
    assert again.column_widths.stored().keys() == {"Department"}
    again.table.setColumnWidth(other, 150)
    assert again.column_widths.stored() == {"Department": 233, "Email": 150}
