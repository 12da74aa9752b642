"""Udemy's licences go up as a list in Udemy's own SCIM extension; roles never go up.

Against a real scim2-server that publishes Udemy's extension, as Udemy's server does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.connectors.scim import USER_SCHEMA, ScimClient
from desktop_app.models.document import open_document
from desktop_app.models.profiles import profile_named
from desktop_app.models.scim_mapping import (
    holds,
    new_resource,
    patch_operations,
    server_text,
    written_values,
)
from desktop_app.models.upload_plan import UNCHANGED, UPDATE
from desktop_app.services.upload import Unattended, prepare, upload
from tests.helpers.files import write_xlsx
from tests.helpers.scim_server import ScimServer, server_copy
from tests.services.conftest import UDEMY_USER_SCHEMA, WriteCounter

LICENCES = f"{UDEMY_USER_SCHEMA}:licenseType"
HEADERS = [
    "Email",
    "Name",
    "Surname",
    "Role",
    "Status",
    "Groups",
    "External ID",
    "LMS User ID",
    "License Type",
]


def udemy_user(client: ScimClient, name: str, external_id: str, licences: list[str]) -> str:
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA, UDEMY_USER_SCHEMA],
        "userName": f"{name}@example.org",
        "externalId": external_id,
        "name": {"givenName": name.title(), "familyName": "Tester"},
        "emails": [{"value": f"{name}@example.org", "type": "work", "primary": True}],
        UDEMY_USER_SCHEMA: {"licenseType": licences},
    }
    created, _etag = client.create_user(resource)
    return str(created["id"])


def row(name: str, external_id: str, licences: str, role: str = "Learner") -> list[str]:
    return [
        f"{name}@example.org",
        name.title(),
        "Tester",
        role,
        "Active",
        "",
        external_id,
        "",
        licences,
    ]


def test_licences_go_up_as_a_list_a_blank_cell_sends_nothing_and_roles_never_go(
    udemy_scim_server: ScimServer, tmp_path: Path
) -> None:
    server = udemy_scim_server
    with ScimClient(server.base_url, server.token) as client:
        ann = udemy_user(client, "ann", "U-1", ["Enterprise"])
        bob = udemy_user(client, "bob", "U-2", ["Pro"])
        path = write_xlsx(
            tmp_path / "udemy.xlsx",
            [
                HEADERS,
                row("ann", "U-1", "Enterprise, Pro", role="Admin"),
                row("bob", "U-2", "", role="Group Admin"),
            ],
        )
        document = open_document(str(path), None)
        assert document.profile.name == "udemy_business"
        plan = prepare(document, client)
        plan.include_external = True  # the file is the intent, as from the command line

        assert [u.action for u in plan.users] == [UPDATE, UNCHANGED]
        [change] = plan.users[0].changes
        assert (change.path, change.before, change.after) == (
            LICENCES,
            "Enterprise",
            "Enterprise, Pro",
        )
        assert not plan.warnings(), "a blank licence cell clears nothing"
        assert ("Role", "Udemy's SCIM API cannot change roles") in plan.columns_not_uploaded()

        counter = getattr(server.app, "app", None)
        assert isinstance(counter, WriteCounter)
        result = upload(plan, client, Unattended(), journal_folder=tmp_path)

        assert result.updated == 1 and not result.failed
        assert counter.patched(ann) == 1 and counter.patched(bob) == 0
        stored_ann, stored_bob = server_copy(server, ann), server_copy(server, bob)
        assert stored_ann[UDEMY_USER_SCHEMA]["licenseType"] == ["Enterprise", "Pro"]
        assert stored_bob[UDEMY_USER_SCHEMA]["licenseType"] == ["Pro"]
        assert not any("role" in key.casefold() for key in stored_ann | stored_bob)

        # Read back, the list is the cell's text again: nothing is left to send, in
        # whatever order the cell names the licences.
        profile = profile_named("udemy_business")
        assert server_text(stored_ann, LICENCES, profile) == "Enterprise, Pro"
        again = write_xlsx(
            tmp_path / "udemy-again.xlsx",
            [HEADERS, row("ann", "U-1", "Pro,Enterprise"), row("bob", "U-2", "")],
        )
        replan = prepare(open_document(str(again), None), client)
        assert [u.action for u in replan.users] == [UNCHANGED, UNCHANGED]


def test_the_list_is_built_sent_and_checked_as_a_list() -> None:
    profile = profile_named("udemy_business")
    resource = new_resource({"emails": "cat@example.org", LICENCES: "Enterprise, Pro"}, profile)

    assert resource[UDEMY_USER_SCHEMA] == {"licenseType": ["Enterprise", "Pro"]}
    assert UDEMY_USER_SCHEMA in resource["schemas"]
    assert written_values(resource)[LICENCES] == ["Enterprise", "Pro"]
    assert holds(resource, LICENCES, ["Pro", "Enterprise"])
    assert not holds(resource, LICENCES, ["Pro"])

    blank = new_resource({"emails": "dee@example.org", LICENCES: " "}, profile)
    assert UDEMY_USER_SCHEMA not in blank and blank["schemas"] == [USER_SCHEMA]
    assert patch_operations(resource, {LICENCES: "  "}, profile) == []
    assert patch_operations(resource, {LICENCES: "Pro"}, profile) == [
        {"op": "replace", "path": LICENCES, "value": ["Pro"]}
    ]
