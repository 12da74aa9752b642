"""Layouts are recognised from evidence: real downloads renamed, reordered and padded."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings

from desktop_app.models.column_mapping import ColumnMapping, apply_mapping
from desktop_app.models.profiles import all_profiles, profile_named
from desktop_app.models.recognition import Recognition, recognise
from tests.helpers.layout_variants import PLATFORM_PROFILES, Variant, layout_variants, sweep

TARGET = 0.95
SWEEP = 400

ATLAS_ISSUE = [
    ["User ID", "First name", "Last name", "Email", "Department", "Job title"],
    ["Do not edit", "Required", "Required", "Required", "Optional", "Optional"],
    *[
        [f"{101 + i:06d}", "Anna", "Bakker", f"user{i}@atlas-demo.com", "Sales", "Advisor"]
        for i in range(9)
    ],
]


def right_platform(variant: Variant, found: Recognition | None) -> bool:
    return found is not None and found.profile.name == variant.profile


def right_mapping(variant: Variant, found: Recognition | None) -> bool:
    return (
        right_platform(variant, found)
        and found is not None
        and dict(found.mapping.columns) == variant.expected
        and found.mapping.key == variant.key
        and found.header_row == variant.header_row
        and found.guidance_rows == variant.guidance_rows
    )


@cache
def figures(name: str, count: int = SWEEP) -> tuple[int, int, int, list[Variant]]:
    """(variants, right platform, right mapping, guidance rows read as users) for a profile."""
    platform = mapping = 0
    guidance_as_users: list[Variant] = []
    for variant in sweep(name, count):
        found = recognise(variant.rows)
        platform += right_platform(variant, found)
        mapping += right_mapping(variant, found)
        if variant.guidance_rows and (found is None or found.data_start < variant.data_start):
            guidance_as_users.append(variant)
    return count, platform, mapping, guidance_as_users


def test_the_atlas_download_from_the_issue_is_atlas_with_its_guidance_row_skipped() -> None:
    found = recognise(ATLAS_ISSUE)
    assert found is not None
    assert found.profile.name == "atlas" and not found.weak
    assert (found.header_row, found.guidance_rows, found.data_start) == (0, 1, 2)
    assert dict(found.mapping.columns) == {h: h for h in ATLAS_ISSUE[0]}
    assert found.mapping.key == "User ID"
    assert found.reason.startswith("Recognised as an Atlas user data download: 6 of 6 columns")
    assert "User ID is in column A" in found.reason
    concrete = apply_mapping(found.profile, found.mapping)
    assert concrete.key == "User ID"
    assert concrete.rule_for("Email") is not None
    assert {r.header: r.scim for r in concrete.columns}["First name"] == "name.givenName"


def test_nine_users_not_ten() -> None:
    found = recognise(ATLAS_ISSUE)
    assert found is not None
    assert len(ATLAS_ISSUE) - found.data_start == 9


@pytest.mark.parametrize("name", PLATFORM_PROFILES)
def test_the_sweep_recognises_each_platform_and_its_columns(name: str) -> None:
    count, platform, mapping, guidance_as_users = figures(name)
    print(
        f"\n{name}: {count} variants, right platform {platform / count:.1%}, "
        f"right mapping {mapping / count:.1%}"
    )
    assert not guidance_as_users, [v.changes for v in guidance_as_users[:3]]
    assert platform / count >= TARGET
    assert mapping / count >= TARGET


def test_the_sweep_overall() -> None:
    totals = [figures(name) for name in PLATFORM_PROFILES]
    count = sum(t[0] for t in totals)
    platform = sum(t[1] for t in totals) / count
    mapping = sum(t[2] for t in totals) / count
    print(f"\noverall: {count} variants, right platform {platform:.1%}, mapping {mapping:.1%}")
    assert platform >= TARGET and mapping >= TARGET


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout_variants())
def test_a_guidance_row_is_never_read_as_a_user(variant: Variant) -> None:
    found = recognise(variant.rows)
    assert found is not None
    if variant.guidance_rows:
        assert found.data_start >= variant.data_start
    # Every user row the variant wrote is read as a user.
    assert found.data_start <= variant.data_start


@settings(max_examples=80, deadline=None)
@given(layout_variants())
def test_a_mapping_names_each_profile_column_once_and_only_real_ones(variant: Variant) -> None:
    found = recognise(variant.rows)
    assert found is not None
    targets = [t for _h, t in found.mapping.columns if t is not None]
    assert len(targets) == len(set(targets))
    concrete = apply_mapping(found.profile, found.mapping)
    assert [r.header for r in concrete.columns] == [h for h in found.mapping.headers if h.strip()]
    assert recognise(variant.rows) == found  # deterministic


@pytest.mark.parametrize(
    "header",
    [
        ["First name", "Last name", "Email", "Department"],  # every platform has these
        ["Email", "Name", "Phone", "Notes"],
        ["Colour", "Size", "Weight", "Price"],  # not users at all
        # Half Atlas, half Rakoo.
        ["User ID", "Username", "Hire date", "Employee number", "Company", "Send invitation"],
    ],
)
def test_ambiguous_layouts_are_weak_evidence(header: list[str]) -> None:
    rows = [header, *[[f"v{i}{c}" for c in range(len(header))] for i in range(5)]]
    found = recognise(rows)
    assert found is not None
    assert found.weak, found.reason


def test_no_header_at_all_is_none() -> None:
    assert recognise([["ann@example.com", "12"], ["bob@example.com", "13"]]) is None


def test_rows_above_the_header_and_an_unknown_column_are_reported() -> None:
    rows = [
        ["Gebruikersgegevens"],
        ["Geëxporteerd op 01-05-2024"],
        [],
        ["Gebruikers-ID", "Gebruikersnaam", "Voornaam", "Achternaam", "E-mailadres", "Vestiging"],
        ["Niet wijzigen", "Verplicht", "Verplicht", "Verplicht", "Verplicht", ""],
        ["000101", "abakker", "Anna", "Bakker", "anna@acme.test", "Utrecht"],
        ["000102", "bvries", "Bram", "de Vries", "bram@acme.test", "Delft"],
    ]
    found = recognise(rows)
    assert found is not None and found.profile.name == "atlas"
    assert (found.header_row, found.guidance_rows) == (3, 1)
    assert found.mapping.target("Vestiging") is None
    assert found.mapping.target("E-mailadres") == "Email"
    assert found.mapping.key == "Gebruikers-ID"


def test_an_unknown_layout_falls_back_to_the_generic_profile_with_scim_attributes() -> None:
    rows = [
        ["Vorname", "Nachname", "E-Mail", "Abteilung", "Telefon", "Sprache", "Aktiv", "Notiz"],
        ["Jürgen", "Müller", "jm@acme.test", "Vertrieb", "+49 30 1234", "de", "ja", ""],
    ]
    found = recognise(rows)
    assert found is not None and found.profile.generic
    assert found.weak  # no key column: the admin should say what the file is
    concrete = apply_mapping(found.profile, found.mapping)
    scim = {r.header: r.scim for r in concrete.columns}
    assert scim == {
        "Vorname": "name.givenName",
        "Nachname": "name.familyName",
        "E-Mail": "emails",
        "Abteilung": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "Telefon": "phoneNumbers",
        "Sprache": "preferredLanguage",
        "Aktiv": "active",
        "Notiz": None,
    }
    assert concrete.key is None
    assert concrete.for_headers(rows[0]) is concrete


def test_a_generic_key_finds_users_by_what_it_holds() -> None:
    generic = next(p for p in all_profiles() if p.generic)
    mapping = ColumnMapping(
        "generic",
        (("Personeelsnummer", "Employee number"), ("Voornaam", "First name"), ("E-mail", "Email")),
        key="Personeelsnummer",
    )
    concrete = apply_mapping(generic, mapping)
    assert concrete.key == "Personeelsnummer"
    assert concrete.scim_key.endswith(":employeeNumber")  # type: ignore[union-attr]
    assert concrete.rule_for("Personeelsnummer").scim is None  # type: ignore[union-attr]


def test_a_forced_profile_is_scored_alone() -> None:
    found = recognise(ATLAS_ISSUE, forced=profile_named("udemy_business"))
    assert found is not None and found.profile.name == "udemy_business"
    assert found.mapping.target("Email") == "Email"
    assert found.weak



def test_a_row_describing_the_columns_is_guidance_not_a_user() -> None:
    header = ["User ID", "Username", "First name", "Last name", "Email", "Status"]
    users = [
        [f"A-{n}", f"user{n}", "Ann", "Lee", f"user{n}@example.org", "Active"] for n in range(6)
    ]
    describing = ["Do not change", "Login name", "Given name", "Family name", "Work email", ""]
    found = recognise([header, describing, *users])
    assert found is not None and found.profile.name == "atlas"
    assert found.guidance_rows == 1
    # A user whose address is mistyped is still a user.
    mistyped = ["A-9", "user9", "Ann", "Lee", "user9.example.org", "Active"]
    found = recognise([header, mistyped, *users])
    assert found is not None and found.guidance_rows == 0
