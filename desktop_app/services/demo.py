"""The demo: a real SCIM server on this computer, seeded with a sample organisation,
and a sample download with a few invalid rows, so the whole flow works on one machine."""

from __future__ import annotations

import contextlib
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from desktop_app.models.document import UserDocument, open_document
from desktop_app.models.scim_mapping import MANAGER, MANAGER_PATH, People, new_resource
from desktop_app.models.upload_plan import mapped_columns
from desktop_app.resource_files import resource
from desktop_app.services.local_server import ScimServer, running_scim_server

SAMPLE = "atlas-users.xlsx"


@dataclass
class Demo:
    server: ScimServer
    download: Path
    _stack: contextlib.ExitStack

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def token(self) -> str:
        return self.server.token

    def stop(self) -> None:
        self._stack.close()


def seed(server: ScimServer, download: Path) -> int:
    """Put the download's users on the server as they were before anyone edited the file.

    The sample's deliberate problems are the admin's to fix, so the server holds
    tidy values for those cells (a server would not have accepted them).
    """
    from desktop_app.connectors.scim import ScimClient

    document = open_document(download)
    profile = document.profile
    count = 0
    managers: dict[str, str] = {}  # user id -> manager's email, set once everyone exists
    with ScimClient(server.base_url, server.token) as client:
        for row in range(document.row_count):
            values = {}
            for col, path in mapped_columns(document):
                value = document.value(row, col)
                for issue in document.cell_issues(row, col):
                    value = issue.fix if issue.fix is not None else value
                values[path] = value.strip()
            if "@" not in values.get("emails", "@"):
                values["emails"] = values["emails"].replace(".example.com", "@example.com")
            key = document.value(row, document.key_column or 0)
            values[profile.scim_key or "externalId"] = key
            created, _etag = client.create_user(new_resource(values, profile))
            if values.get(MANAGER):
                managers[created["id"]] = values[MANAGER]
            count += 1
        people = People(list(client.iter_users()))
        for user_id, email in managers.items():
            manager_id = people.id_of.get(email.casefold())
            if manager_id:
                operation = {"op": "replace", "path": MANAGER_PATH, "value": {"value": manager_id}}
                client.patch_user(user_id, [operation], None)
    return count


def start_demo(folder: Path) -> Demo:
    """Start the server, seed it, and write the sample download into ``folder``."""
    stack = contextlib.ExitStack()
    server = stack.enter_context(running_scim_server(token=secrets.token_urlsafe(24)))
    folder.mkdir(parents=True, exist_ok=True)
    download = folder / SAMPLE
    with resource("samples", SAMPLE).open("rb") as source, download.open("wb") as target:
        shutil.copyfileobj(source, target)
    try:
        seed(server, download)
    except BaseException:
        stack.close()
        raise
    return Demo(server, download, stack)


def sample_fixes(document: UserDocument) -> list[tuple[int, int, str]]:
    """The edits that fix every red row of the sample download: what the demo asks."""
    col = document.headers.index
    return [
        (1, col("Email"), "jan.devries@atlas-demo.com"),
        (2, col("First name"), "Sophie"),
        (14, col("Status"), "Active"),
        (22, col("Last name"), "Sharma"),
        (26, col("Email"), "m.dejong2@atlas-demo.com"),
    ]
