"""Profiles are data: a new platform is a new file in resources/profiles/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.models import profiles
from desktop_app.models.document import open_document
from desktop_app.resource_files import resource
from tests.helpers.files import write_csv

MOODLE = """
name = "moodle"
title = "Moodle user export"
platform = "Moodle"
key = "idnumber"
key_required = true
signature = ["username", "idnumber", "email"]

[[columns]]
header = "idnumber"
unique = true

[[columns]]
header = "username"
required = true

[[columns]]
header = "email"
type = "email"
required = true
unique = true
"""


@pytest.fixture
def profile_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the bundled profiles that a test may add to."""
    folder = tmp_path / "profiles"
    shutil.copytree(str(resource("profiles")), folder)
    monkeypatch.setattr(profiles, "resource", lambda *_parts: folder)
    profiles.all_profiles.cache_clear()
    yield folder
    profiles.all_profiles.cache_clear()


def test_adding_a_profile_file_adds_a_platform(profile_folder: Path, tmp_path: Path) -> None:
    (profile_folder / "moodle.toml").write_text(MOODLE, encoding="utf-8")
    path = write_csv(
        tmp_path / "export.csv",
        [
            ["idnumber", "username", "email"],
            ["S001", "ann", "ann@example.com"],
            ["S001", "", "ann@example"],
        ],
    )
    doc = open_document(path)
    assert doc.profile.name == "moodle"
    assert doc.headers[doc.key_column or 0] == "idnumber" and not doc.is_editable(0)
    messages = {(p.excel_row, p.header) for p in doc.problems()}
    assert messages == {(2, "idnumber"), (3, "idnumber"), (3, "username"), (3, "email")}


def test_a_profile_with_an_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match="key column"):
        profiles.parse_profile('name = "x"\nkey = "id"\n[[columns]]\nheader = "email"\n')


@pytest.mark.parametrize(
    ("sample", "name"),
    [
        ("atlas-users.xlsx", "atlas"),
        ("atlas-users-semicolon.csv", "atlas"),
        ("rakoo-template.xlsx", "rakoo"),
        ("udemy-users.csv", "udemy_business"),
        ("scim-users.csv", "scim"),
    ],
)
def test_each_sample_is_recognised(sample: str, name: str) -> None:
    doc = open_document(Path(str(resource("samples", sample))))
    assert doc.profile.name == name
