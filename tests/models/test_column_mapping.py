"""A column mapping is data: saved, read back, remembered per header set, applied to a profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.models.column_mapping import (
    SCIM_PREFIX,
    ColumnMapping,
    MappingFileProblem,
    MappingStore,
    apply_mapping,
    header_set_key,
)
from desktop_app.models.profiles import generic_profile, profile_named

ATLAS = ColumnMapping(
    "atlas",
    (
        ("Gebruikers-ID", "User ID"),
        ("E-mailadres", "Email"),
        ("Voornaam", "First name"),
        ("Vestiging", None),
        (
            "Kostenplaats",
            f"{SCIM_PREFIX}urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
        ),
    ),
    key="Gebruikers-ID",
)


def test_a_mapping_survives_its_json_file(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    ATLAS.save(path)
    assert ColumnMapping.load(path) == ATLAS
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["columns"][3] == {"header": "Vestiging", "column": None}


def test_a_hand_written_mapping_may_be_a_plain_object(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(
        json.dumps(
            {"profile": "atlas", "key": "ID", "columns": {"ID": "User ID", "Mail": "Email"}}
        ),
        encoding="utf-8",
    )
    mapping = ColumnMapping.load(path)
    assert mapping.columns == (("ID", "User ID"), ("Mail", "Email")) and mapping.key == "ID"


@pytest.mark.parametrize(
    "text", ["not json", "[]", '{"columns": []}', '{"profile": "atlas", "columns": [{"x": 1}]}']
)
def test_a_damaged_mapping_file_is_one_sentence(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingFileProblem, match="mapping"):
        ColumnMapping.load(path)


def test_applied_to_a_profile_each_header_takes_its_columns_rule() -> None:
    concrete = apply_mapping(profile_named("atlas"), ATLAS)
    rules = {r.header: r for r in concrete.columns}
    assert list(rules) == list(ATLAS.headers)
    assert concrete.key == "Gebruikers-ID" and rules["Gebruikers-ID"].unique
    assert rules["E-mailadres"].type == "email" and rules["E-mailadres"].scim == "emails"
    assert rules["Voornaam"].required and rules["Voornaam"].scim == "name.givenName"
    assert rules["Vestiging"].scim is None
    assert rules["Kostenplaats"].scim.endswith(":costCenter")  # type: ignore[union-attr]
    assert concrete.scim_key == "externalId" and concrete.scim_true == "Active"
    assert concrete.signature == ("Gebruikers-ID", "E-mailadres")
    assert concrete.rule_for("e-mailadres") is rules["E-mailadres"]


def test_a_mapping_naming_a_column_the_profile_lacks_is_refused() -> None:
    mapping = ColumnMapping("atlas", (("Teams", "Teams"),))
    with pytest.raises(MappingFileProblem, match="no column called 'Teams'"):
        apply_mapping(profile_named("atlas"), mapping)


def test_a_mapping_follows_its_headers_into_another_order() -> None:
    moved = ATLAS.for_headers(["Voornaam", "Gebruikers-ID", "Nieuw", "E-mailadres"])
    assert moved.columns == (
        ("Voornaam", "First name"),
        ("Gebruikers-ID", "User ID"),
        ("Nieuw", None),
        ("E-mailadres", "Email"),
    )
    assert moved.key == "Gebruikers-ID"


def test_the_generic_profile_made_concrete_stays_as_mapped() -> None:
    mapping = ColumnMapping(
        "generic", (("id", None), ("Mail", "Email"), ("Telefoon", "Phone")), key="id"
    )
    concrete = apply_mapping(generic_profile(), mapping)
    assert concrete.generic and concrete.key == "id"
    assert [(r.header, r.scim) for r in concrete.columns] == [
        ("id", None),
        ("Mail", "emails"),
        ("Telefoon", "phoneNumbers"),
    ]
    assert concrete.for_headers(["id", "Mail", "Telefoon"]) is concrete


def test_mappings_are_remembered_per_platform_and_header_set(tmp_path: Path) -> None:
    store = MappingStore(tmp_path / "mappings")
    assert store.recall("atlas", ATLAS.headers) is None
    path = store.remember(ATLAS)
    assert path.name == f"{header_set_key('atlas', ATLAS.headers)}.json"
    # The same headers in another case or spacing are the same header set.
    again = [h.upper() for h in ATLAS.headers]
    recalled = store.recall("atlas", again)
    assert recalled is not None and recalled.headers == tuple(again)
    assert recalled.target("E-MAILADRES") == "Email"
    assert store.recall("rakoo", ATLAS.headers) is None
    assert store.recall("atlas", ATLAS.headers[:-1]) is None
    path.write_text("{", encoding="utf-8")
    assert store.recall("atlas", ATLAS.headers) is None  # damaged: asked again, no error
    store.forget("atlas", ATLAS.headers)
    assert not path.exists()


def test_the_store_lives_in_the_apps_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path))
    assert MappingStore().folder == tmp_path / "mappings"
