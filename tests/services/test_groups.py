"""Group membership (Rakoo's Teams, Udemy's Groups): shown, checked, changed on the groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from desktop_app.connectors.scim import ScimClient
from desktop_app.services.download import download_document
from desktop_app.services.upload import prepare, undo, upload
from tests.helpers.scim_server import running_scim_server
from tests.services.test_upload import State

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def make_group(server: Any, name: str, members: list[str]) -> str:
    reply = requests.post(
        f"{server.base_url}/Groups",
        json={"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in members]},
        headers={
            "Authorization": f"Bearer {server.token}",
            "Content-Type": "application/scim+json",
        },
        timeout=10,
    )
    reply.raise_for_status()
    return str(reply.json()["id"])


def members(client: ScimClient) -> dict[str, set[str]]:
    names = {r["id"]: r["userName"] for r, _ in client.iter_users()}
    return {
        g["displayName"]: {names[m["value"]] for m in g.get("members") or []}
        for g, _ in client.list_groups()
    }


def test_join_leave_and_check_groups(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("USER_EDITOR_DATA", str(tmp_path / "data"))
    with running_scim_server(token="t") as server, ScimClient(server.base_url, "t") as client:
        ids = {
            name: client.create_user({"schemas": [USER], "userName": name})[0]["id"]
            for name in ("ann", "bob", "cy")
        }
        make_group(server, "Team North", [ids["ann"], ids["bob"]])
        make_group(server, "Onboarding", [ids["bob"]])
        make_group(server, "Team South", [])

        doc = download_document(client, tmp_path)
        groups = doc.headers.index("groups")
        row = {doc.value(r, 1): r for r in range(doc.row_count)}
        # scim2-server lists members on the groups only; the table shows them per user.
        assert doc.value(row["bob"], groups) == "Onboarding, Team North"
        assert prepare(doc, client).to_update() == []

        doc.apply(
            doc.edits_for(
                [
                    (row["ann"], groups, "Team South, Team North"),
                    (row["bob"], groups, ""),
                    (row["cy"], groups, "Team Nort"),
                ]
            )
        )
        problems = [p.message for p in doc.problems()]
        assert problems == ["groups 'Team Nort' is not allowed here: did you mean 'Team North'?"]

        plan = prepare(doc, client)
        assert plan.summary() == (
            "2 users will be updated · 0 will be added · 1 row has "
            "problems and will not be uploaded"
        )
        bob = doc.excel_row(row["bob"])  # the server lists users in no fixed order
        assert f"Row {bob}: bob will leave Onboarding, Team North." in plan.warnings()
        before = members(client)
        result = upload(plan, client, State())
        assert result.sentence() == "2 users were successfully edited"
        assert members(client) == {
            "Team North": {"ann"},
            "Onboarding": set(),
            "Team South": {"ann"},
        }
        undo(result, client, State())
        assert members(client) == before
