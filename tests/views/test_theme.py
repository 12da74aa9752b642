"""Every colour the table adds reads at 4.5:1 or more, in light, dark and high contrast.

The figures are worked out from what the model returns for real cells of an opened file,
and the window is photographed in light and in dark for the README.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QTableView, QWidget

from desktop_app.views import theme
from desktop_app.views.main_window import MainWindow
from desktop_app.views.table_model import CELL_PROBLEM, NOT_UPLOADED, ROW_PROBLEM
from tests.helpers.files import ATLAS_HEADERS, screenshot_folder, write_xlsx
from tests.helpers.gui import open_in

BG, FG = Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole
Role = QPalette.ColorRole


def palette(**colours: str) -> QPalette:
    """The application's palette with some colours replaced, in every colour group."""
    result = QPalette(QApplication.palette())
    for name, colour in colours.items():
        result.setColor(getattr(Role, name), QColor(colour))
    return result


def dark() -> QPalette:
    """Fusion's dark scheme, as Qt shows it when the system is dark."""
    return palette(
        Window="#353535",
        WindowText="#ffffff",
        Base="#2a2a2a",
        AlternateBase="#353535",
        ToolTipBase="#353535",
        ToolTipText="#ffffff",
        PlaceholderText="#a0a0a0",
        Text="#ffffff",
        Button="#353535",
        ButtonText="#ffffff",
        BrightText="#ff5555",
        Light="#505050",
        Midlight="#424242",
        Mid="#2f2f2f",
        Dark="#232323",
        Shadow="#141414",
        Link="#4ea1f3",
        Highlight="#2a82da",
        HighlightedText="#ffffff",
    )


def high_contrast() -> QPalette:
    """A high-contrast black scheme: white and yellow on black."""
    return palette(
        Window="#000000",
        WindowText="#ffffff",
        Base="#000000",
        AlternateBase="#000000",
        Text="#ffff00",
        Button="#000000",
        ButtonText="#ffffff",
        Highlight="#1aebff",
        HighlightedText="#000000",
    )


PALETTES = {
    "light": lambda: QPalette(QApplication.palette()),
    "dark": dark,
    "high contrast": high_contrast,
}


@pytest.fixture
def restore_palette(qapp: QApplication) -> Iterator[None]:
    before = QPalette(QApplication.palette())
    yield
    QApplication.setPalette(before)


HEADERS = ATLAS_HEADERS
GUIDANCE = [
    "Do not edit",
    "Required, unique",
    "Required",
    "Required",
    "Required, unique",
    "Optional",
    "Optional",
    "Email address of the manager",
    "nl, en, de or fr",
    "Active or Inactive",
    "YYYY-MM-DD",
]
PEOPLE = [
    ("Anna", "Bakker", "Management", "Managing Director"),
    ("Jan", "de Vries", "Sales", "Account Manager"),
    ("Sophie", "Janssen", "Marketing", "Content Marketeer"),
    ("Zoë", "Müller", "Finance", "Financial Controller"),
    ("Daan", "Visser", "Sales", "Sales Director"),
    ("Emma", "Smit", "Marketing", "Head of Marketing"),
    ("Lars", "Meijer", "Finance", "Accountant"),
    ("Noor", "de Jong", "Sales", "Account Manager"),
    ("Sem", "Bos", "IT", "Developer"),
    ("Julia", "Mulder", "IT", "Service Desk"),
    ("Finn", "Peters", "Sales", "Inside Sales"),
    ("Tess", "Hendriks", "Marketing", "Designer"),
    ("Milan", "Dekker", "Finance", "Payroll"),
    ("Lotte", "Brouwer", "IT", "IT Manager"),
]
# Rows (from 0) the file gets wrong, and the rows and columns the admin changes.
BAD_EMAIL, BAD_LANGUAGE, BAD_STATUS = 1, 4, 9
FIXED_ROW, EDITED_ROW, EDITED_IN_RED_ROW, REFUSED_ROW = 6, 2, 9, 11


def generated(folder: Path) -> Path:
    """An Atlas download with bad cells in three rows."""
    rows: list[list[Any]] = [HEADERS, GUIDANCE]
    for n, (first, last, department, title) in enumerate(PEOPLE):
        username = f"{first[0]}{last.replace(' ', '')}".lower().replace("ë", "e").replace("ü", "u")
        email = f"{first.lower()}.{last.replace(' ', '').lower()}@atlas-demo.com"
        email = email.replace("ë", "e").replace("ü", "u")
        rows.append(
            [
                f"{101 + n:06d}",
                username,
                first,
                last,
                email,
                department,
                title,
                "anna.bakker@atlas-demo.com",
                "nl",
                "Active",
                f"20{10 + n}-03-01",
            ]
        )
    rows[2 + BAD_EMAIL][4] = rows[2 + BAD_EMAIL][4].replace("@", ".")
    rows[2 + BAD_LANGUAGE][8] = "Dutch"
    rows[2 + BAD_STATUS][9] = "Away"
    rows[2 + FIXED_ROW][4] = "lars.meijer@atlas-demo"
    return write_xlsx(folder / "atlas-users.xlsx", rows)


def open_with_changes(window: MainWindow, qtbot: Any, folder: Path) -> None:
    """The generated file, with one cell edited in a valid row, one in a red row, one row
    fixed, and one user the server refused."""
    open_in(window, qtbot, generated(folder))
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    col = doc.headers.index
    model.set_cells(
        [
            (EDITED_ROW, col("Job title"), "Senior Content Marketeer"),
            (EDITED_IN_RED_ROW, col("Department"), "Finance"),
            (FIXED_ROW, col("Email"), "lars.meijer@atlas-demo.com"),
        ],
        "Edit",
    )
    model.show_server_messages({REFUSED_ROW: "userName 'fpeters' is already taken"})
    assert doc.row_is_red(BAD_EMAIL) and doc.row_is_red(BAD_STATUS)
    assert not doc.row_is_red(EDITED_ROW) and not doc.row_is_red(FIXED_ROW)


def shown_pairs(window: MainWindow) -> dict[str, tuple[QColor, QColor]]:
    """What the model gives each kind of cell: (background, text)."""
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    col = doc.headers.index

    def pair(row: int, header: str) -> tuple[QColor, QColor]:
        index = model.index(row, col(header))
        background, text = index.data(BG), index.data(FG)
        assert isinstance(background, QBrush) and isinstance(text, QBrush), (row, header)
        return background.color(), text.color()

    return {
        "problem cell": pair(BAD_EMAIL, "Email"),
        "problem row": pair(BAD_EMAIL, "First name"),
        "changed cell": pair(EDITED_ROW, "Job title"),
        "changed cell in a problem row": pair(EDITED_IN_RED_ROW, "Department"),
        "locked column": pair(EDITED_ROW, "User ID"),
        "locked column in a problem row": pair(BAD_LANGUAGE, "User ID"),
        "user the server refused": pair(REFUSED_ROW, "User ID"),
    }


@pytest.mark.parametrize("scheme", list(PALETTES))
def test_every_colour_the_table_shows_reads_at_4_5_to_1(
    window: MainWindow, qtbot: Any, tmp_path: Path, restore_palette: None, scheme: str
) -> None:
    QApplication.setPalette(PALETTES[scheme]())
    open_with_changes(window, qtbot, tmp_path)
    pairs = shown_pairs(window)
    figures = {name: theme.contrast(*pair) for name, pair in pairs.items()}
    assert all(ratio >= 4.5 for ratio in figures.values()), figures
    # Red rows, red cells, yellow edits and the grey key column all look different,
    # and different from the plain cells.
    base = QApplication.palette().color(Role.Base)
    backgrounds = {
        pairs[name][0].name()
        for name in ("problem cell", "problem row", "changed cell", "locked column")
    }
    assert len(backgrounds) == 4 and base.name() not in backgrounds
    # A plain cell keeps Qt's own colours, and a header that is not uploaded reads too.
    doc, model = window.document, window.model
    assert doc is not None and model is not None
    assert model.index(0, doc.headers.index("Email")).data(BG) is None
    muted = theme.colours().not_uploaded
    assert muted.contrast >= 4.5 and contrast_on(muted.text, QApplication.palette()) >= 4.5


def contrast_on(text: QColor, palette: QPalette) -> float:
    return min(theme.contrast(text, palette.color(role)) for role in (Role.Button, Role.Window))


def test_switching_the_palette_while_open_changes_the_colours(
    window: MainWindow, qtbot: Any, tmp_path: Path, restore_palette: None
) -> None:
    open_with_changes(window, qtbot, tmp_path)
    light = shown_pairs(window)
    assert light["problem cell"][0] == CELL_PROBLEM and light["problem row"][0] == ROW_PROBLEM

    QApplication.setPalette(dark())
    now = shown_pairs(window)
    assert all(now[name] != light[name] for name in light)
    # The locked IDs: a dark grey under light text, not the light grey of the light theme.
    key, text = now["locked column"]
    assert theme.luminance(key) < 0.1 and theme.luminance(text) > 0.9

    # What the frozen column paints, not only what the model says.
    window.resize(1100, 600)
    qtbot.wait(50)
    frozen, doc = window.table.frozen, window.document
    assert doc is not None and window.model is not None
    cell = window.proxy.mapFromSource(window.model.index(EDITED_ROW, doc.headers.index("User ID")))
    rect = frozen.visualRect(cell)
    image = frozen.viewport().grab().toImage()
    assert image.pixelColor(rect.right() - 2, rect.center().y()) == key

    QApplication.setPalette(high_contrast())
    assert shown_pairs(window)["locked column"] != now["locked column"]


def test_style_sheets_follow_the_palette(qtbot: Any, restore_palette: None) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    label = QLabel("Open a user download", window)
    theme.follow(label, lambda c: f"color: {c.muted_text.name()}; padding: 40px;")
    assert theme.colours().muted_text.name() in label.styleSheet()
    QApplication.setPalette(dark())
    muted = theme.colours().muted_text
    qtbot.waitUntil(lambda: muted.name() in label.styleSheet())
    assert theme.luminance(muted) > 0.3
    assert theme.contrast(muted, QApplication.palette().color(Role.Window)) >= 4.5


def test_following_runs_no_python_for_the_widgets_events(qtbot: Any, restore_palette: None) -> None:
    """While a file is read each call into Python from the window's thread waits for the
    interpreter, so a following sheet must not watch its widget's events; a widget
    deleted while following is simply forgotten."""
    window = QWidget()
    qtbot.addWidget(window)
    kept, closed = QLabel("kept", window), QLabel("closed", window)
    for label in (kept, closed):
        theme.quiet(label)
    window.show()
    qtbot.waitExposed(window)
    closed.deleteLater()
    qtbot.waitUntil(lambda: len(window.findChildren(QLabel)) == 1)
    calls: list[str] = []
    sys.setprofile(
        lambda frame, event, _arg: event == "call" and calls.append(frame.f_code.co_name)
    )
    try:
        for width in range(200, 220):
            window.resize(width, 100)
            kept.resize(width - 20, 30)
            kept.repaint()
    finally:
        sys.setprofile(None)
    assert calls == []
    QApplication.setPalette(dark())
    assert theme.colours().muted_text.name() in kept.styleSheet()


def test_a_view_with_a_following_sheet_takes_the_new_palette(
    qtbot: Any, restore_palette: None
) -> None:
    """Qt keeps the palette a sheet was set with (a view with a fixed sheet goes on
    painting its empty part white in dark); a following sheet takes the new one."""
    window = QWidget()
    qtbot.addWidget(window)
    following = QTableView(window)
    border = "QTableView {{ border: none; border-right: 2px solid {}; }}"
    theme.follow(following, lambda c: border.format(c.key_border.name()))
    window.show()
    QApplication.setPalette(dark())
    qtbot.waitUntil(lambda: following.palette().color(Role.Base).name() == "#2a2a2a")
    assert theme.colours().key_border.name() in following.styleSheet()


def test_light_values_match_a_plain_light_palette(qapp: QApplication) -> None:
    assert theme.colours() == theme.LIGHT
    assert theme.LIGHT.not_uploaded.text == NOT_UPLOADED


# Bases from black to white through colours, and texts that may not suit them at all.
SAMPLES = [
    "#000000",
    "#1e1e1e",
    "#2a2a2a",
    "#3c3f41",
    "#595959",
    "#767676",
    "#808080",
    "#9e9e9e",
    "#c0c0c0",
    "#ececec",
    "#ffffff",
    "#002b36",
    "#fdf6e3",
    "#1a237e",
    "#ffff00",
    "#00ffff",
    "#7f0000",
    "#3a3a3a",
]


def test_every_palette_gets_readable_pairs_by_construction() -> None:
    for base in SAMPLES:
        for text in SAMPLES:
            colours = theme.derive(plain(base, text))
            for pair in (
                colours.row_problem,
                colours.cell_problem,
                colours.cell_changed,
                colours.key_column,
                colours.not_uploaded,
            ):
                assert pair.contrast >= 4.5, (base, text, pair)
            # The dialogs' red, green and blue sentences, on the window colour.
            for colour in (colours.problem_text, colours.good_text, colours.note_text):
                assert theme.contrast(colour, QColor(base)) >= 4.5, (base, text, colour.name())


def plain(base: str, text: str) -> QPalette:
    result = QPalette(QColor(base), QColor(base))
    for role, colour in (
        (Role.Base, base),
        (Role.Text, text),
        (Role.WindowText, text),
        (Role.ButtonText, text),
    ):
        result.setColor(role, QColor(colour))
    return result


def test_contrast_is_the_wcag_formula() -> None:
    assert theme.contrast(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21)
    assert theme.contrast(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)
    assert theme.contrast(QColor("#767676"), QColor("#ffffff")) == pytest.approx(4.54, abs=0.01)
    assert theme.contrast(QColor("#ff0000"), QColor("#ff0000")) == 1
    # Half-transparent black text over white looks mid grey.
    assert theme.opaque(QColor(0, 0, 0, 128), QColor("#ffffff")).name() == "#7f7f7f"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_in_light_and_dark(
    said: list[tuple[str, str]], qtbot: Any, tmp_path: Path, restore_palette: None, scheme: str
) -> None:
    # As the app starts on a light or a dark system: the palette is there before the window.
    QApplication.setStyle("Fusion")
    QApplication.setPalette(PALETTES[scheme]())
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1280, 760)
    window.show()
    open_with_changes(window, qtbot, tmp_path)
    window.table.setCurrentIndex(window.proxy.index(EDITED_ROW, 6))
    qtbot.wait(300)
    path = screenshot_folder(tmp_path) / f"{scheme}-theme.png"
    assert window.grab().save(str(path))
