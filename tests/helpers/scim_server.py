"""The in-process scim2-server, as the tests use it (it lives in the app for the demo)."""

from typing import Any

import requests

from desktop_app.services.local_server import (  # noqa: F401
    SOCKET_KEY,
    RunningServer,
    ScimServer,
    html_app,
    running_scim_server,
    serving,
)


def server_copy(server: ScimServer, user_id: str) -> dict[str, Any]:
    """Read a user straight from the server, past the client under test."""
    response = requests.get(
        f"{server.base_url}/Users/{user_id}",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=5,
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result
