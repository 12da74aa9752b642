"""A Udemy file's upload: edits over Udemy's SCIM API, new rows through its invite API.

A real scim2-server (publishing Udemy's licence extension) holds the users SCIM
created; the local Udemy server follows the invite API's contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.connectors.scim import ScimClient
from desktop_app.connectors.udemy import UdemyInviteClient
from desktop_app.models.document import open_document
from desktop_app.models.upload_plan import CREATE, INVALID, UPDATE
from desktop_app.services.udemy_invites import InviteResult
from desktop_app.services.upload import (
    NO_INVITER,
    Unattended,
    UploadResult,
    prepare,
    save_created_keys,
    upload,
    write_results_file,
)
from tests.helpers.files import read_grid, write_xlsx
from tests.helpers.scim_server import ScimServer, server_copy
from tests.helpers.udemy_server import RunningUdemy, running_udemy_server
from tests.services.conftest import WriteCounter
from tests.services.test_udemy_licences import HEADERS, LICENCES, row, udemy_user


@pytest.fixture
def udemy() -> Iterator[RunningUdemy]:
    with running_udemy_server() as server:
        yield server


def send(
    path: Path, server: ScimServer, udemy: RunningUdemy | None, folder: Path
) -> tuple[UploadResult, object]:
    document = open_document(str(path), None)
    with ScimClient(server.base_url, server.token) as client:
        plan = prepare(document, client)
        plan.include_external = True  # the file is the intent, as from the command line
        if udemy is None:
            return upload(plan, client, Unattended(), journal_folder=folder), document
        with UdemyInviteClient(udemy.base_url, udemy.org_uuid, udemy.token) as inviter:
            result = upload(plan, client, Unattended(), journal_folder=folder, inviter=inviter)
    return result, document


def test_edits_go_over_scim_and_new_rows_are_invited_once(
    udemy_scim_server: ScimServer, udemy: RunningUdemy, tmp_path: Path
) -> None:
    server = udemy_scim_server
    counter = getattr(server.app, "app", None)
    assert isinstance(counter, WriteCounter)
    with ScimClient(server.base_url, server.token) as client:
        ann = udemy_user(client, "ann", "U-1", ["Enterprise"])
        bob = udemy_user(client, "bob", "U-2", ["Pro"])
    dan_id = udemy.org.add("dan@example.org", "Dan", "Earlier")
    missing_first_name = row("eve", "", "Pro")
    missing_first_name[1] = ""
    path = write_xlsx(
        tmp_path / "udemy.xlsx",
        [
            HEADERS,
            row("ann", "U-1", "Enterprise, Pro"),
            ["bob@example.org", "Robert", "Tester", "Learner", "Active", "", "U-2", "", "Pro"],
            row("cat", "", "Enterprise"),
            row("dan", "", ""),
            missing_first_name,
            row("fay", "", "", role="Group Admin"),
        ],
    )

    result, document = send(path, server, udemy, tmp_path)

    plan = result.plan
    assert [u.action for u in plan.users] == [UPDATE, UPDATE, CREATE, CREATE, INVALID, CREATE]
    # The edits went over SCIM; no new user was ever POSTed there.
    assert result.updated == 2
    assert server_copy(server, ann)[LICENCES.rpartition(":")[0]]["licenseType"] == [
        "Enterprise",
        "Pro",
    ]
    assert server_copy(server, bob)["name"]["givenName"] == "Robert"
    posted = {name for method, name in counter.writes if method == "POST"}
    assert posted == {"ann@example.org", "bob@example.org"}  # the test's own, only
    # The invites: one added, one already there, one refused before any request.
    invites = {o.email: o for o in result.invites.values()}
    assert invites["cat@example.org"].result == InviteResult.CREATED
    assert invites["dan@example.org"].result == InviteResult.EXISTS
    assert invites["fay@example.org"].result == InviteResult.REFUSED
    assert "eve@example.org" not in invites and udemy.org.find("eve@example.org") is None
    cat = udemy.org.find("cat@example.org")
    assert cat is not None and cat["firstname"] == "Cat" and cat["status"] == "invited"
    assert udemy.org.find("fay@example.org") is None
    assert len(udemy.org.users) == 2 and udemy.org.posts == 2
    assert result.invited == 1 and result.added == 0
    assert result.sentence() == "2 users were successfully edited. 1 user was invited"
    # The new id goes into the row's key cell, the results file and the report.
    assert result.created_keys() == {2: str(cat["id"])}
    report = result.report()
    assert report["created"] == [{"row": 4, "key": str(cat["id"])}]
    assert report["invited"] == 1
    [exists] = report["matches_existing"]
    assert exists["row"] == 5 and "use that account?" in exists["message"]
    failed = {u.excel_row: m for u, m in result.failed}
    assert set(failed) == {5, 7}
    assert plan.users[4].message == "This row has problems; fix them to upload it."
    assert "learner or an admin" in failed[7]
    assert result.refused_cells() == {5: (HEADERS.index("Role"), failed[7])}
    assert result.retryable_rows() == [3, 5]
    results = read_grid(write_results_file(result))
    assert results[3][HEADERS.index("External ID")] == str(cat["id"])
    assert results[3][-2] == "Invited"
    assert dan_id not in {o.user_id for o in result.invites.values() if o.result != "exists"}

    # The copy with the new ids, uploaded again, invites no one and edits no one.
    copy = save_created_keys(result, document)  # type: ignore[arg-type]
    assert copy is not None
    again, _document = send(copy, server, udemy, tmp_path)
    assert again.invited == 0 and again.updated == 0
    assert len(udemy.org.users) == 2


def test_new_rows_are_never_posted_over_scim_without_the_invite_api(
    udemy_scim_server: ScimServer, tmp_path: Path
) -> None:
    server = udemy_scim_server
    path = write_xlsx(tmp_path / "udemy.xlsx", [HEADERS, row("cat", "", "Enterprise")])

    result, _document = send(path, server, None, tmp_path)

    counter = getattr(server.app, "app", None)
    assert isinstance(counter, WriteCounter) and not counter.writes
    assert [m for _u, m in result.failed] == [NO_INVITER]
    assert result.invited == 0 and result.not_sent == 0


def test_the_command_line_invites_new_rows_and_saves_their_ids(
    udemy_scim_server: ScimServer, udemy: RunningUdemy, tmp_path: Path
) -> None:
    import io
    import json
    import os
    from contextlib import redirect_stdout
    from unittest import mock

    from desktop_app.cli import run

    server = udemy_scim_server
    path = write_xlsx(tmp_path / "udemy.xlsx", [HEADERS, row("cat", "", "Enterprise")])
    argv = [
        "upload",
        str(path),
        "--server",
        server.base_url,
        "--token-env",
        "SCIM_TOKEN",
        "--udemy-org",
        udemy.org_uuid,
        "--udemy-token-env",
        "UDEMY_TOKEN",
        "--udemy-url",
        udemy.base_url,
        "--json",
    ]
    env = {
        "SCIM_TOKEN": server.token,
        "UDEMY_TOKEN": udemy.token,
        "USER_EDITOR_DATA": str(tmp_path),
    }
    out = io.StringIO()
    with mock.patch.dict(os.environ, env), redirect_stdout(out):
        code = run(argv)

    report = json.loads(out.getvalue())
    cat = udemy.org.find("cat@example.org")
    assert code == 0 and cat is not None
    assert report["invited"] == 1 and report["added"] == 0
    assert report["created"] == [{"row": 2, "key": str(cat["id"])}]
    copy = Path(report["saved_copy"])
    assert copy.name == "udemy-with-new-ids.xlsx"
    assert read_grid(copy)[1][HEADERS.index("External ID")] == str(cat["id"])
