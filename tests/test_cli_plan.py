"""Review, keep the plan, send it later: `upload --dry-run --json`, `--save-plan` and `--plan`.

A real process against the demo's scim2-server; what reached the server is read back
over HTTP, past the app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from desktop_app.cli import PLAN_CONFLICT
from desktop_app.connectors.scim import PATCH_OP_SCHEMA
from desktop_app.models.document import UserDocument, open_document
from desktop_app.models.writers import save
from desktop_app.services.demo import Demo, sample_fixes
from tests.helpers.scim_server import server_copy

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEPARTMENT = f"{ENTERPRISE}:department"


def edit(doc: UserDocument, fix: bool = True) -> None:
    """An admin's work on the demo download: the red rows fixed (or not), and real edits."""
    col = doc.headers.index
    doc.apply(
        doc.edits_for(
            [
                *(sample_fixes(doc) if fix else []),
                (0, col("Department"), "Sales"),
                (4, col("Status"), "Inactive"),
                (11, col("Job title"), "Head of Payroll"),
            ]
        )
    )


def edited_file(demo: Demo, tmp_path: Path, fix: bool = True) -> Path:
    doc = open_document(demo.download)
    edit(doc, fix)
    return save(doc, tmp_path / "edited.xlsx")


def cli(token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TOKEN=token)
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "upload", *args, "--token-env", "TOKEN"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def patch_on_server(url: str, token: str, user_id: str, path: str, value: str) -> None:
    """Someone else's change, made straight on the server."""
    reply = requests.patch(
        f"{url}/Users/{user_id}",
        json={
            "schemas": [PATCH_OP_SCHEMA],
            "Operations": [{"op": "replace", "path": path, "value": value}],
        },
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/scim+json",
        },
        timeout=10,
    )
    reply.raise_for_status()


def by_row(plan: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {user["row"]: user for user in plan["users"]}


# -- --dry-run --json ----------------------------------------------------------------------


def test_dry_run_json_with_problems_is_the_plan_and_exits_1(demo: Demo, tmp_path: Path) -> None:
    path = edited_file(demo, tmp_path, fix=False)
    before = everyone(demo)
    result = cli(demo.token, str(path), "--server", demo.url, "--dry-run", "--json")
    assert result.returncode == 1, result.stderr
    plan = json.loads(result.stdout)
    assert plan["format"] == "user-editor-plan" and plan["version"] == 1
    assert plan["server"] == demo.url and plan["file"]["name"] == "edited.xlsx"
    first = by_row(plan)[3]  # Excel's row 3: the first user, under the guidance row
    assert first["action"] == "update" and first["version"] and first["id"]
    assert first["changes"] == [
        {"attribute": DEPARTMENT, "column": "Department", "before": "Management", "after": "Sales"}
    ]
    assert {"row": 4, "key": plan_key(plan, 4), "column": "Email"}.items() <= next(
        p for p in plan["problems"] if p["row"] == 4
    ).items()
    assert (
        "not a valid email address" in next(p for p in plan["problems"] if p["row"] == 4)["message"]
    )
    assert len({p["row"] for p in plan["problems"]}) == 6
    assert plan["columns_not_uploaded"] == ["Hire date"]
    assert plan["unchanged"] == 40 - 6 - len(plan["users"])
    # A review sends nothing.
    assert everyone(demo) == before


def plan_key(plan: dict[str, Any], row: int) -> str:
    return str(next(p["key"] for p in plan["problems"] if p["row"] == row))


def everyone(demo: Demo) -> list[dict[str, Any]]:
    """Every user on the server, straight from it."""
    reply = requests.get(
        f"{demo.url}/Users",
        params={"count": "1000"},
        headers={"Authorization": f"Bearer {demo.token}"},
        timeout=10,
    )
    reply.raise_for_status()
    return sorted(reply.json()["Resources"], key=lambda user: str(user["id"]))


def test_dry_run_json_of_a_clean_file_exits_0(demo: Demo, tmp_path: Path) -> None:
    path = edited_file(demo, tmp_path)
    result = cli(demo.token, str(path), "--server", demo.url, "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["problems"] == []
    # The edits (rows 3, 7, 14) and the fixes the server does not hold already.
    assert sorted(by_row(plan)) == [3, 4, 7, 14, 25, 29]
    assert plan["unchanged"] == 34


# -- --save-plan, then --plan ----------------------------------------------------------------


def saved_plan(url: str, token: str, path: Path, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    target = tmp_path / "plan.json"
    review = cli(token, str(path), "--server", url, "--dry-run", "--save-plan", str(target))
    assert review.returncode == 0, review.stderr
    assert f"Plan saved to {target}" in review.stdout
    plan: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    return target, plan


def test_a_user_changed_since_the_review_is_a_conflict_the_others_are_sent(
    demo: Demo, tmp_path: Path
) -> None:
    path = edited_file(demo, tmp_path)
    target, plan = saved_plan(demo.url, demo.token, path, tmp_path)
    users = by_row(plan)
    changed = users[3]
    patch_on_server(demo.url, demo.token, changed["id"], "title", "Changed elsewhere")

    result = cli(demo.token, "--plan", str(target), "--server", demo.url, str(path), "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["failed"] == [{"row": 3, "message": PLAN_CONFLICT}]
    assert report["updated"] == len(users) - 1 and report["added"] == 0
    # Not overwritten: the other change stands, the plan's did not go.
    now = server_copy(demo.server, changed["id"])
    assert now["title"] == "Changed elsewhere"
    assert now[ENTERPRISE]["department"] == "Management"
    for row, user in users.items():
        if row != 3:
            assert_sent(demo, user)


def assert_sent(demo: Demo, user: dict[str, Any]) -> None:
    """Every change of a plan's user holds on the server, as the review showed it."""
    from desktop_app.connectors.scim import ScimClient
    from desktop_app.models.profiles import profile_named
    from desktop_app.models.scim_mapping import People, server_text

    with ScimClient(demo.url, demo.token) as client:
        people = People(list(client.iter_users()))
        resource, _ = client.get_user(user["id"])
    profile = profile_named("atlas")
    for change in user["changes"]:
        assert server_text(resource, change["attribute"], profile, people) == change["after"]


def test_a_plan_with_nothing_changed_since_is_sent_whole(demo: Demo, tmp_path: Path) -> None:
    path = edited_file(demo, tmp_path)
    target, plan = saved_plan(demo.url, demo.token, path, tmp_path)

    result = cli(demo.token, "--plan", str(target), "--server", demo.url)  # the file is optional
    assert result.returncode == 0, result.stderr
    assert result.stdout == "6 users were successfully edited.\n"
    for user in plan["users"]:
        assert_sent(demo, user)
    again = cli(demo.token, str(path), "--server", demo.url, "--dry-run", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["users"] == []


# -- Refusals: one sentence, exit 2, nothing sent ---------------------------------------------


def test_a_plan_for_another_server_is_refused(demo: Demo, tmp_path: Path) -> None:
    path = edited_file(demo, tmp_path)
    target, _plan = saved_plan(demo.url, demo.token, path, tmp_path)
    other = demo.url.replace("/v2", "/other/v2")
    result = cli(demo.token, "--plan", str(target), "--server", other)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"The plan {target} was made for {demo.url}, not {other}; make a new plan against "
        "this server with --dry-run --save-plan.\n"
    )


def test_an_edited_plan_is_refused(demo: Demo, tmp_path: Path) -> None:
    path = edited_file(demo, tmp_path)
    target, plan = saved_plan(demo.url, demo.token, path, tmp_path)
    user = by_row(plan)[3]
    user["changes"][0]["after"] = user["operations"][0]["value"] = "Board"
    target.write_text(json.dumps(plan), encoding="utf-8")
    result = cli(demo.token, "--plan", str(target), "--server", demo.url)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"The plan file {target} is damaged or was edited after it was made; make a new plan "
        "with upload --dry-run --save-plan.\n"
    )
    assert server_copy(demo.server, user["id"])[ENTERPRISE]["department"] == "Management"


def test_a_file_changed_since_the_plan_is_refused(demo: Demo, tmp_path: Path) -> None:
    path = edited_file(demo, tmp_path)
    target, plan = saved_plan(demo.url, demo.token, path, tmp_path)
    doc = open_document(path)
    doc.apply(doc.edits_for([(0, doc.headers.index("Department"), "Finance")]))
    save(doc, path)
    result = cli(demo.token, "--plan", str(target), "--server", demo.url, str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"{path} has changed since the plan {target} was made; review it again with "
        "--dry-run --save-plan.\n"
    )
    assert server_copy(demo.server, by_row(plan)[3]["id"])[ENTERPRISE]["department"] == (
        "Management"
    )


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["FILE", "--save-plan", "p.json"], "--save-plan keeps a review: add --dry-run."),
        ([], "Name the file to upload, or a plan with --plan."),
        (
            ["--plan", "p.json", "--dry-run"],
            "--plan sends a plan already reviewed; leave out --dry-run and --save-plan.",
        ),
    ],
)
def test_options_that_do_not_go_together(
    demo: Demo, tmp_path: Path, args: list[str], sentence: str
) -> None:
    args = [str(demo.download) if a == "FILE" else a for a in args]
    result = cli(demo.token, *args, "--server", demo.url)
    assert result.returncode == 2
    assert result.stderr == sentence + "\n"


# -- Group membership ----------------------------------------------------------------------


def test_a_plan_joins_and_leaves_groups_unless_the_user_changed_since(tmp_path: Path) -> None:
    """A change of groups only is made on the groups; the user is checked against the
    version it had at review time first."""
    from desktop_app.connectors.scim import USER_SCHEMA, ScimClient
    from desktop_app.services.download import download_document
    from tests.helpers.scim_server import running_scim_server

    group_schema = "urn:ietf:params:scim:schemas:core:2.0:Group"
    with running_scim_server(token="t") as server, ScimClient(server.base_url, "t") as client:
        ids = {
            name: client.create_user({"schemas": [USER_SCHEMA], "userName": name})[0]["id"]
            for name in ("ann", "bob")
        }
        for name, members in (("North", [ids["bob"]]), ("South", [])):
            requests.post(
                f"{server.base_url}/Groups",
                json={
                    "schemas": [group_schema],
                    "displayName": name,
                    "members": [{"value": m} for m in members],
                },
                headers={"Authorization": "Bearer t", "Content-Type": "application/scim+json"},
                timeout=10,
            ).raise_for_status()
        doc = download_document(client, tmp_path)
        groups = doc.headers.index("groups")
        row = {doc.value(r, 1): r for r in range(doc.row_count)}
        doc.apply(doc.edits_for([(row["ann"], groups, "South"), (row["bob"], groups, "")]))
        path = save(doc, tmp_path / "users.xlsx")
        target, plan = saved_plan(server.base_url, "t", path, tmp_path)
        assert {u["label"]: (u["join"], u["leave"]) for u in plan["users"]} == {
            "ann": (["South"], []),
            "bob": ([], ["North"]),
        }
        patch_on_server(server.base_url, "t", ids["ann"], "title", "Changed elsewhere")

        result = cli("t", "--plan", str(target), "--server", server.base_url, "--json")
        assert result.returncode == 1, result.stderr
        ann = doc.excel_row(row["ann"])
        assert json.loads(result.stdout)["failed"] == [{"row": ann, "message": PLAN_CONFLICT}]
        names = {user_id: name for name, user_id in ids.items()}
        members_now = {
            g["displayName"]: {names[m["value"]] for m in g.get("members") or []}
            for g, _ in client.list_groups()
        }
        assert members_now == {"North": set(), "South": set()}


def test_no_plan_for_a_server_without_versions(tmp_path: Path) -> None:
    """Without ETags a plan sent later could overwrite a change made after the review."""
    from tests.helpers.files import write_csv
    from tests.helpers.scim_server import running_scim_server

    path = write_csv(tmp_path / "users.csv", [["id", "userName"], ["", "ann"]])
    target = tmp_path / "plan.json"
    with running_scim_server(token="t", etag=False) as server:
        result = cli(
            "t", str(path), "--server", server.base_url, "--dry-run", "--save-plan", str(target)
        )
    assert result.returncode == 2 and not target.exists()
    host = server.base_url.split("/")[2]
    assert result.stderr == (
        f"The server {host} gives its users no version, so a plan sent later could overwrite "
        "changes made after the review; upload the file directly instead.\n"
    )
