"""Icons from the bundled resources, loaded once."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop_app.resource_files import resource


@cache
def icon(name: str) -> QIcon:
    """The bundled icon resources/icons/<name>.svg."""
    data = resource("icons", f"{name}.svg").read_bytes()
    result = QIcon()
    for size in (16, 24, 32, 64):
        result.addPixmap(_render(data, size))
    return result


def _render(data: bytes, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(data))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap
