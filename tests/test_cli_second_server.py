"""`user-editor upload` as a real process against two independent real SCIM servers.

scim2-server and django-scim2 (see tests/helpers/second_scim.py); every mapped
attribute is read back from the server over HTTP. The other cases run in
tests/services/test_second_server.py through the same entry point, in-process.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers.files import write_xlsx
from tests.helpers.second_scim import (  # noqa: F401 - fixtures
    SCIM_HEADERS,
    Server,
    both,
    django_scim_tables,
    on_server,
    row_of,
    scim_fixture,
    upload,
    user_resource,
)

ATLAS_HEADERS = ["User ID", "Username", "First name", "Last name", "Email", "Status"]
ATLAS_GUIDANCE = ["Do not change", "Login name", "Given name", "Family name", "Work email", ""]


@both(
    django_gap="django-scim2 answers 201 to a POST and silently drops preferredLanguage and "
    "every Enterprise User attribute (employeeNumber, department, costCenter); the app does "
    "not compare the user it gets back with what it sent, and reports the user as added, "
    "exit 0, with no word about the four columns that are not on the server"
)
def test_a_new_user_has_every_column_on_the_server(scim: Server, tmp_path: Path) -> None:
    scim.create_group("Sales")
    wanted = {
        "userName": "bob", "givenName": "Bob", "familyName": "Ray", "email": "bob@example.org",
        "active": "true", "preferredLanguage": "fr", "externalId": "B-2",
        "employeeNumber": "E-2", "department": "Research", "costCenter": "CC-7",
        "groups": "Sales",
    }  # fmt: skip
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(wanted)])

    code, report, errors = upload(scim, path, tmp_path / "data", subprocess_=True)

    [created] = scim.users_named("bob")
    stored = on_server(scim, created)
    missing = [h for h in wanted if stored[h] != wanted[h]]
    # Every column is on the server, or the admin is told which is not.
    if report.get("failed"):
        message = report["failed"][0]["message"]
        assert all(header in message for header in missing), (missing, message)
    else:
        assert (code, report["added"]) == (0, 1), errors
        assert missing == [], {h: (wanted[h], stored[h]) for h in missing}


@both()
def test_the_same_atlas_file_twice_creates_no_one_twice(scim: Server, tmp_path: Path) -> None:
    """Matched on User ID (externalId): the second upload finds nothing left to do."""
    scim.create_user(user_resource("ann", "Ann", "Lee", externalId="A-1"))
    path = write_xlsx(
        tmp_path / "atlas.xlsx",
        [
            ATLAS_HEADERS,
            ATLAS_GUIDANCE,
            ["A-1", "ann", "Anna", "Lee", "ann@example.org", "Active"],
            ["A-2", "carl", "Carl", "Diaz", "carl@example.org", "Active"],
        ],
    )

    first = upload(scim, path, tmp_path / "data", subprocess_=True)
    second = upload(scim, path, tmp_path / "data", subprocess_=True)

    assert first[:2] == (0, {**first[1], "updated": 1, "added": 1, "failed": []}), first[2]
    assert second[:2] == (0, {**second[1], "updated": 0, "added": 0, "failed": []}), second[2]
    assert second[1]["unchanged"] == 2
    [carl] = scim.users_named("carl")
    assert on_server(scim, carl) | {"id": ""} == row_of_atlas("carl", "Carl", "Diaz", "A-2")
    [ann] = scim.users_named("ann")
    assert on_server(scim, ann) | {"id": ""} == row_of_atlas("ann", "Anna", "Lee", "A-1")


def row_of_atlas(user_name: str, given: str, family: str, user_id: str) -> dict[str, str]:
    """What an Atlas row's mapped columns must read back as, in SCIM layout cells."""
    cells = dict.fromkeys(SCIM_HEADERS, "")
    return cells | {
        "userName": user_name, "givenName": given, "familyName": family,
        "email": f"{user_name}@example.org", "active": "true", "externalId": user_id,
    }  # fmt: skip
