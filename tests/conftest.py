"""Shared fixtures: Qt runs offscreen; sample downloads are copied so tests never change them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/views/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def private_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Journals, autosave, mappings and settings of every test stay in its own folder."""
    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "user-data"))
    # The tests read English: a command line they start follows LANGUAGE before LANG.
    monkeypatch.setenv("LANGUAGE", "en")
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )


@pytest.fixture
def sample(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private copy of a bundled sample download."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copy2(SAMPLES / name, target)
        return target

    return copy


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The demo: scim2-server on loopback seeded from the Atlas sample, and its download.

    Upload journals go to a private folder, never the user's own.
    """
    from desktop_app.services.demo import start_demo

    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "data"))
    running = start_demo(tmp_path / "work")
    yield running
    running.stop()


@pytest.fixture
def faults(scim_server):  # type: ignore[no-untyped-def]
    """The fault injector in front of the folder's ``scim_server`` (quiet until told)."""
    from tests.helpers.faults import Faults

    assert isinstance(scim_server.app, Faults)
    return scim_server.app


@pytest.fixture
def waits() -> list[float]:
    """The pauses the client asked for, recorded instead of slept."""
    return []
