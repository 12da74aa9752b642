"""Uploads against two independent real SCIM servers: scim2-server and django-scim2.

Each test writes a download, uploads it as ``user-editor upload FILE --json`` does
(its entry point, in this process), then reads every mapped attribute back from
the server over HTTP, past the app. Where django-scim2 behaves differently and the
app gets it wrong from the admin's point of view, the django-scim2 case is a
strict xfail whose reason names the gap.
"""

from __future__ import annotations

from pathlib import Path

from desktop_app.connectors.scim import ScimClient
from desktop_app.models.document import open_document
from desktop_app.services.upload import Unattended, prepare
from desktop_app.services.upload import upload as send
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


@both()
def test_edits_of_the_core_attributes_are_read_back(scim: Server, tmp_path: Path) -> None:
    """userName, names, primary email and active: what every SCIM server keeps."""
    ann = scim.create_user(user_resource("ann", "Ann", "Lee", externalId="A-1"))
    edited = on_server(scim, ann) | {
        "userName": "ann.lee", "givenName": "Anna", "familyName": "Leigh",
        "email": "anna.leigh@example.org", "active": "false",
    }  # fmt: skip
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(edited)])

    code, report, errors = upload(scim, path, tmp_path / "data")

    assert (code, report.get("updated"), report.get("failed")) == (0, 1, []), errors
    assert on_server(scim, scim.user(ann["id"])) == edited


@both()
def test_every_mapped_column_edited_is_read_back(scim: Server, tmp_path: Path) -> None:
    ann = scim.create_user(user_resource("ann", "Ann", "Lee", externalId="A-1"))
    scim.create_group("Sales")
    edited = on_server(scim, ann) | {
        "givenName": "Anna", "familyName": "Leigh", "email": "anna.leigh@example.org",
        "preferredLanguage": "de", "externalId": "A-100", "employeeNumber": "E-100",
        "department": "Research", "costCenter": "CC-1", "groups": "Sales",
    }  # fmt: skip
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(edited)])

    code, report, errors = upload(scim, path, tmp_path / "data")

    stored = on_server(scim, scim.user(ann["id"]))
    core = ("givenName", "familyName", "email")
    assert {h: stored[h] for h in core} == {h: edited[h] for h in core}, report
    # Every other column is on the server, or the admin is told which is not.
    missing = [h for h in SCIM_HEADERS if stored[h] != edited[h]]
    if report.get("failed"):
        message = report["failed"][0]["message"]
        assert all(header in message for header in missing), (missing, message)
    else:
        assert code == 0, errors
        assert missing == [], {h: (edited[h], stored[h]) for h in missing}


@both()
def test_a_blank_cell_clears_the_value(scim: Server, tmp_path: Path) -> None:
    ann = scim.create_user(user_resource("ann", "Ann", "Lee"))
    edited = on_server(scim, ann) | {"givenName": ""}
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(edited)])

    code, report, errors = upload(scim, path, tmp_path / "data")

    assert (code, report.get("failed")) == (0, []), (report, errors)
    assert on_server(scim, scim.user(ann["id"]))["givenName"] == ""


@both()
def test_groups_joined_and_left_are_read_back(scim: Server, tmp_path: Path) -> None:
    ann = scim.create_user(user_resource("ann", "Ann", "Lee"))
    scim.create_group("Sales", [ann["id"]])
    scim.create_group("Research")
    edited = on_server(scim, ann) | {"groups": "Research"}
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(edited)])

    code, report, errors = upload(scim, path, tmp_path / "data")

    assert scim.group_names_of(ann["id"]) == {"Research"}, report
    assert (code, report.get("failed")) == (0, []), errors


@both()
def test_a_row_without_key_is_created_once(scim: Server, tmp_path: Path) -> None:
    """The SCIM layout keys on id; a row without one is a new user, sent once per upload."""
    new = {"userName": "dee", "givenName": "Dee", "familyName": "Ng", "email": "dee@example.org"}
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(new | {"active": "true"})])

    first = upload(scim, path, tmp_path / "data")
    second = upload(scim, path, tmp_path / "data")

    assert first[:2] == (0, {**first[1], "added": 1, "failed": []}), first[2]
    assert len(scim.users_named("dee")) == 1
    # The file still has no id: the user just added is found by name, not added again,
    # and the admin reads why.
    assert second[0] == 1 and second[1]["added"] == 0
    [failure] = second[1]["failed"]
    assert "already in use" in failure["message"]
    assert [m["row"] for m in second[1]["matches_existing"]] == [failure["row"]]
    assert len(scim.users_named("dee")) == 1


@both()
def test_a_keyless_row_for_an_existing_user_name_creates_no_second_account(
    scim: Server, tmp_path: Path
) -> None:
    scim.create_user(user_resource("erin.fox", "Erin", "Fox"))
    new = {
        "userName": "Erin.Fox", "givenName": "Erin", "familyName": "Fox",
        "email": "erin.fox@example.org", "active": "true",
    }  # fmt: skip
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(new)])

    code, report, errors = upload(scim, path, tmp_path / "data")

    assert len(scim.users_named("erin.fox")) == 1, report
    assert report.get("added") == 0, errors


@both()
def test_a_taken_user_name_is_named_in_plain_words(scim: Server, tmp_path: Path) -> None:
    scim.create_user(user_resource("gus", "Gus", "Ho"))
    new = {"userName": "gus", "givenName": "Gus", "familyName": "Hall", "email": "gh@example.org"}
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(new)])

    code, report, errors = upload(scim, path, tmp_path / "data")

    [failure] = report["failed"]
    assert code == 1 and "already in use" in failure["message"], errors
    assert "second_scim_app" not in failure["message"], failure
    assert "username" in failure["message"].casefold(), failure


@both()
def test_a_user_changed_on_the_server_meanwhile_is_reported_not_overwritten(
    scim: Server, tmp_path: Path
) -> None:
    ann = scim.create_user(user_resource("ann", "Ann", "Lee"))
    edited = on_server(scim, ann) | {"givenName": "Anna"}
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(edited)])
    with ScimClient(scim.base_url, scim.token) as client:
        plan = prepare(open_document(str(path), None), client)
        plan.include_external = True  # the file is the intent, as from the command line
        # A colleague renames her on the server between the review and the upload.
        scim.patch(
            f"/Users/{ann['id']}", [{"op": "replace", "path": "name.givenName", "value": "Annie"}]
        )
        result = send(plan, client, Unattended(), journal_folder=tmp_path)

    assert on_server(scim, scim.user(ann["id"]))["givenName"] == "Annie"
    assert [user.row for user, _message in result.failed] == [0]


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

    first = upload(scim, path, tmp_path / "data")
    second = upload(scim, path, tmp_path / "data")

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


@both()
def test_a_user_name_taken_after_the_review_is_named_in_plain_words(
    scim: Server, tmp_path: Path
) -> None:
    """The server's own refusal (409), not the app's lookup: someone took the name meanwhile."""
    new = {"userName": "hal", "givenName": "Hal", "familyName": "Ho", "email": "hal@example.org"}
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(new | {"active": "true"})])
    with ScimClient(scim.base_url, scim.token) as client:
        plan = prepare(open_document(str(path), None), client)
        scim.create_user(user_resource("hal", "Hal", "Other"))
        result = send(plan, client, Unattended(), journal_folder=tmp_path)

    [(_user, message)] = result.failed
    assert "already in use" in message and "username" in message, message
    assert "second_scim_app" not in message


@both()
def test_a_new_user_gets_its_id_and_uploading_again_adds_no_one(
    scim: Server, tmp_path: Path
) -> None:
    """The new id is reported, written to a copy of the file, and found on the next run."""
    new = {"userName": "ivy", "givenName": "Ivy", "familyName": "Po", "email": "ivy@example.org"}
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(new | {"active": "true"})])

    code, report, errors = upload(scim, path, tmp_path / "data")

    [ivy] = scim.users_named("ivy")
    assert (code, report["added"], report["created"]) == (0, 1, [{"row": 2, "key": ivy["id"]}])
    copy = Path(report["saved_copy"])
    assert copy.name == "users-with-new-ids.xlsx"
    assert open_document(str(copy), None).value(0, 0) == ivy["id"]
    # The copy holds the id: nothing to do. The original does not: matched, not added.
    again = upload(scim, copy, tmp_path / "data")
    assert again[:2] == (0, {**again[1], "added": 0, "updated": 0, "unchanged": 1}), again
    original = upload(scim, path, tmp_path / "data")
    assert original[1]["added"] == 0
    [match] = original[1]["matches_existing"]
    assert match["existing"]["id"] == ivy["id"] and "use that account?" in match["message"]
    assert len(scim.users_named("ivy")) == 1


@both()
def test_a_blank_cell_clears_an_attribute_only_put_can_change(scim: Server, tmp_path: Path) -> None:
    """externalId: django-scim2 takes it on PUT only, so the blank goes as a PUT there."""
    ann = scim.create_user(user_resource("ann", "Ann", "Lee", externalId="A-1"))
    edited = on_server(scim, ann) | {"externalId": "", "familyName": "Leigh"}
    path = write_xlsx(tmp_path / "users.xlsx", [SCIM_HEADERS, row_of(edited)])

    code, report, errors = upload(scim, path, tmp_path / "data")

    assert (code, report.get("failed")) == (0, []), (report, errors)
    assert on_server(scim, scim.user(ann["id"])) == edited
