"""Fill the table from the directory itself, so an admin can start without a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from desktop_app.connectors.scim import ScimClient
from desktop_app.models.document import UserDocument
from desktop_app.models.profiles import profile_named
from desktop_app.models.readers import LoadedFile
from desktop_app.models.scim_mapping import ENTERPRISE, People, server_text
from desktop_app.services.upload import users_and_groups

Progress = Callable[[int, int], None]


def download_document(
    client: ScimClient, folder: Path, progress: Progress | None = None
) -> UserDocument:
    """Every user on the server (paged GET /Users) as a new, unsaved table."""
    profile = profile_named("scim")
    headers = [rule.header for rule in profile.columns]
    paths = [
        "id" if rule.header == profile.key else rule.scim or f"{ENTERPRISE}:{rule.header}"
        for rule in profile.columns
    ]
    columns: list[list[str]] = [[] for _ in headers]
    users, group_ids = users_and_groups(client, progress)
    people = People(users)
    for resource, _etag in users:
        for values, path in zip(columns, paths, strict=True):
            if path == "id":
                values.append(str(resource.get("id", "")))
            else:
                values.append(server_text(resource, path, profile, people))
    host = urlsplit(client.base_url).hostname or "server"
    loaded = LoadedFile(
        path=folder / f"users-from-{host}.xlsx",
        kind="xlsx",
        profile=profile,
        headers=headers,
        columns=columns,
        header_row=0,
        data_start=1,
        sheet_name="Users",
    )
    document = UserDocument(loaded)
    # The server's groups are the allowed values of the groups column.
    if "groups" in headers and group_ids:
        document.use_allowed_values(headers.index("groups"), sorted(group_ids))
    return document
