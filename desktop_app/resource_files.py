"""The one way to find a bundled resource, from a checkout, a wheel or a frozen app."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def resource(*parts: str) -> Traversable:
    """The bundled file or folder at resources/<parts...>."""
    node = resources.files("desktop_app.resources")
    for part in parts:
        node = node / part
    return node
