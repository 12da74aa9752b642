"""Settings of the second SCIM server: sqlite at $SECOND_SCIM_DB, a bearer token, no UI."""

from __future__ import annotations

import os
from typing import Any

SECRET_KEY = "second-scim-server-for-tests"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "tests.helpers.second_scim_app.urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim",
    "tests.helpers.second_scim_app",
]
MIDDLEWARE = [
    "tests.helpers.second_scim_app.auth.BearerToken",
    "django_scim.middleware.SCIMAuthCheckMiddleware",
]
AUTH_USER_MODEL = "second_scim_app.User"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SECOND_SCIM_DB", ":memory:"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# django-scim2 logs every request and answer at DEBUG, and Django logs 4xx answers
# as warnings: the test process reads the server's stderr only when it fails to start.
LOGGING: dict[str, Any] = {"version": 1, "disable_existing_loggers": False}


def base_location(request: Any = None, *args: Any, **kwargs: Any) -> str:
    """Locations point at the address the client used (the port is chosen at start)."""
    host = request.get_host() if request is not None else "127.0.0.1"
    return f"http://{host}"


SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",
    "SCHEME": "http",
    "BASE_LOCATION_GETTER": "tests.helpers.second_scim_app.settings.base_location",
    "GROUP_MODEL": "tests.helpers.second_scim_app.models.Group",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token",
            "primary": True,
        }
    ],
    # Admins see the server's own reason, as a hosted platform would show it.
    "EXPOSE_SCIM_EXCEPTIONS": True,
}
