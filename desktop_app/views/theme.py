"""The table's colours, worked out from the palette so they read well in light and dark.

Qt follows the system's light or dark scheme (and high contrast) on Windows and macOS by
changing the application palette. Every colour the app adds is derived from that palette:

- a problem row, a problem cell and a changed cell are the palette's Base blended toward
  red, red again more strongly, and yellow; the locked key column is Base blended toward
  the Text colour, a grey on light and on dark;
- the text drawn on each is the palette's Text while it stands out from the tint by at
  least 4.5:1 (WCAG 2.x AA). If it does not, the tint is made lighter, down to half its
  strength; if that is not enough, the text becomes black or white, whichever stands out
  more (one of them always reaches 4.58:1 on any background).

``colours()`` is cheap enough for ``data()``: it works the colours out again only when the
application palette is a different one. Views repaint by themselves when the palette
changes; a widget whose style sheet holds a colour uses ``follow()`` to get a new sheet
(``problem()``, ``note()`` and ``quiet()`` for the dialogs' red, blue and grey sentences).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QWidget

# WCAG 2.x level AA: text against its background, and lines or borders against theirs.
TEXT_CONTRAST = 4.5
LINE_CONTRAST = 3.0

RED = QColor("#e02424")
YELLOW = QColor("#facc15")
GREEN = QColor("#16a34a")
BLUE = QColor("#2563eb")

# How far Base is blended toward the hue: (on a light palette, on a dark one). A dark
# base needs a stronger tint for the same difference to the eye.
ROW_PROBLEM_TINT = (0.10, 0.22)
CELL_PROBLEM_TINT = (0.32, 0.45)
CELL_CHANGED_TINT = (0.30, 0.34)
KEY_COLUMN_TINT = (0.06, 0.10)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: QColor) -> float:
    """WCAG 2.x relative luminance of an opaque sRGB colour: 0 for black, 1 for white."""
    return (
        0.2126 * _channel(colour.red())
        + 0.7152 * _channel(colour.green())
        + 0.0722 * _channel(colour.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2.x contrast ratio of two opaque colours, from 1 (the same) to 21 (black, white)."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` moved ``amount`` (0 to 1) of the way to ``b``, opaque."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * amount),
        round(a.green() + (b.green() - a.green()) * amount),
        round(a.blue() + (b.blue() - a.blue()) * amount),
    )


def opaque(colour: QColor, under: QColor) -> QColor:
    """A colour as it looks over ``under`` (macOS gives text colours some transparency)."""
    return mix(under, QColor(colour.red(), colour.green(), colour.blue()), colour.alphaF())


def readable_on(background: QColor) -> QColor:
    """Black or white, whichever stands out more from ``background``."""
    black, white = QColor("#000000"), QColor("#ffffff")
    return black if contrast(background, black) >= contrast(background, white) else white


@dataclass(frozen=True, eq=True)
class Pair:
    """A background the app paints and the text drawn on it."""

    background: QColor
    text: QColor

    @property
    def contrast(self) -> float:
        return contrast(self.background, self.text)


@dataclass(frozen=True, eq=True)
class Colours:
    """Every colour the app adds to Qt's own, for one palette."""

    row_problem: Pair
    cell_problem: Pair
    cell_changed: Pair
    key_column: Pair
    # A header that is not uploaded: muted text on the header's own background.
    not_uploaded: Pair
    # Words that matter less (hints, the empty window's invitation), on the window colour.
    muted_text: QColor
    # The line at the right of the frozen key column: 3:1 against Base and the key column.
    key_border: QColor
    dark: bool
    # Sentences in dialogs, on the window colour: what went wrong (red), what worked
    # (green) and what to read before going on (blue), each at 4.5:1 or more.
    problem_text: QColor
    good_text: QColor
    note_text: QColor


def tint(base: QColor, hue: QColor, strength: float, text: QColor) -> Pair:
    """``base`` blended toward ``hue``, with text on it that reaches 4.5:1."""
    for step in range(11):
        background = mix(base, hue, strength * (1 - step / 20))
        if contrast(background, text) >= TEXT_CONTRAST:
            return Pair(background, text)
    background = mix(base, hue, strength)
    return Pair(background, readable_on(background))


def muted(text: QColor, backgrounds: list[QColor], most: float) -> QColor:
    """``text`` faded toward the first background as far as ``most``, keeping 4.5:1 on all.

    Text that does not reach 4.5:1 even unfaded becomes black or white.
    """
    for step in range(11):
        colour = mix(text, backgrounds[0], most * (1 - step / 10))
        if all(contrast(colour, bg) >= TEXT_CONTRAST for bg in backgrounds):
            return colour
    return readable_on(backgrounds[0])


def accent(hue: QColor, text: QColor, backgrounds: list[QColor]) -> QColor:
    """``hue`` moved toward ``text`` until it reads at 4.5:1 on every background."""
    for step in range(11):
        colour = mix(hue, text, step / 10)
        if all(contrast(colour, bg) >= TEXT_CONTRAST for bg in backgrounds):
            return colour
    return readable_on(backgrounds[0])


def derive(palette: QPalette) -> Colours:
    """The app's colours for ``palette`` (its active colours)."""
    role = QPalette.ColorRole
    base = opaque(palette.color(role.Base), QColor("#ffffff"))
    window = opaque(palette.color(role.Window), base)
    button = opaque(palette.color(role.Button), window)
    text = opaque(palette.color(role.Text), base)
    window_text = opaque(palette.color(role.WindowText), window)
    button_text = opaque(palette.color(role.ButtonText), button)
    dark = luminance(base) < luminance(text)
    which = 1 if dark else 0

    key = tint(base, text, KEY_COLUMN_TINT[which], text)
    border = key.text
    for step in range(4, 21):
        border = mix(base, key.text, step / 20)
        if min(contrast(border, base), contrast(border, key.background)) >= LINE_CONTRAST:
            break
    return Colours(
        row_problem=tint(base, RED, ROW_PROBLEM_TINT[which], text),
        cell_problem=tint(base, RED, CELL_PROBLEM_TINT[which], text),
        cell_changed=tint(base, YELLOW, CELL_CHANGED_TINT[which], text),
        key_column=key,
        not_uploaded=Pair(button, muted(button_text, [button, window, base], 0.45)),
        muted_text=muted(window_text, [window], 0.35),
        key_border=border,
        dark=dark,
        problem_text=accent(RED, window_text, [window]),
        good_text=accent(GREEN, window_text, [window]),
        note_text=accent(BLUE, window_text, [window]),
    )


def _plain_light() -> QPalette:
    palette = QPalette(QColor("#efefef"), QColor("#efefef"))
    role = QPalette.ColorRole
    for each, colour in (
        (role.Base, "#ffffff"),
        (role.Text, "#000000"),
        (role.WindowText, "#000000"),
        (role.ButtonText, "#000000"),
    ):
        palette.setColor(each, QColor(colour))
    return palette


# The colours on a plain light palette (white base, black text): what the table shows
# before an application exists, and on a default light system.
LIGHT = derive(_plain_light())

_cache: tuple[int, Colours] | None = None


def colours() -> Colours:
    """The app's colours for the application palette as it is now."""
    global _cache
    if QGuiApplication.instance() is None:
        return LIGHT
    palette = QGuiApplication.palette()
    key = palette.cacheKey()
    if _cache is None or _cache[0] != key:
        _cache = (key, derive(palette))
    return _cache[1]


class _Follower(QObject):
    """Sets a widget's sheet again whenever the application palette changes.

    Qt does not tell a widget whose sheet sets a colour of a new palette, so the follower
    hears it from the application's ``paletteChanged`` (sent beside every
    ApplicationPaletteChange event). An event filter on the widget and its window would
    also hear of it, but would run Python for every event they get: each one waits for
    the interpreter while a file is read, and kept the window from repainting.
    """

    def __init__(self, widget: QWidget, sheet: Callable[[Colours], str]) -> None:
        super().__init__(widget)  # goes with the widget, and its connection with it
        self._widget = widget
        self._sheet = sheet
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.paletteChanged.connect(self.apply)
        self.apply()

    @Slot()
    def apply(self) -> None:
        text = self._sheet(colours())
        if self._widget.styleSheet() != text:  # setting it again would tell the widget again
            self._widget.setStyleSheet(text)


def follow(widget: QWidget, sheet: Callable[[Colours], str]) -> _Follower:
    """Give ``widget`` the style sheet ``sheet(colours())``, now and whenever the palette changes.

    Qt reads the colours of a style sheet once, so a sheet with a colour in it would keep
    the old theme's colour: ``follow(label, lambda c: f"color: {c.muted_text.name()};")``.
    """
    return _Follower(widget, sheet)


def problem(widget: QWidget) -> None:
    """Text that says what went wrong, in a red that reads in every theme."""
    follow(widget, lambda c: f"color: {c.problem_text.name()};")


def note(widget: QWidget) -> None:
    """Text to read before going on, in a blue that reads in every theme."""
    follow(widget, lambda c: f"color: {c.note_text.name()};")


def quiet(widget: QWidget, more: str = "") -> None:
    """Muted text for words that matter less (hints, notes), readable in every theme."""
    follow(widget, lambda c: f"color: {c.muted_text.name()}; {more}".strip())
