"""The in-process scim2-server, as the tests use it (it lives in the app for the demo)."""

from desktop_app.services.local_server import (  # noqa: F401
    SOCKET_KEY,
    RunningServer,
    ScimServer,
    html_app,
    running_scim_server,
    serving,
)
