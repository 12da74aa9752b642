"""`user-editor upload` as a real process against two independent real SCIM servers.

scim2-server and django-scim2 (see tests/helpers/second_scim.py); every mapped
attribute is read back from the server over HTTP. The other cases run through the
same entry point in-process (tests/services/test_second_server.py): a process
costs a second or more, and they would not test more with one.
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


@both()
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

    assert scim.users_named("bob"), (code, report, errors)
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
