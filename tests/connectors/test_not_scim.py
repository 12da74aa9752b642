"""An address that is not a SCIM server gets one clear sentence, from the connector and the CLI.

Each site is a tiny WSGI app served for real on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from desktop_app.connectors.scim import AddressError, ScimClient
from tests.helpers.files import write_csv
from tests.helpers.scim_server import html_app, running_scim_server, serving

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ADVICE = "Check the SCIM address in your platform's settings (it usually ends in /scim/v2)."
WEB_PAGE = "it answered with a web page, not SCIM data"
NOT_FOUND = "it has no SCIM users or configuration at that address (HTTP 404)"
NOT_A_LIST = "it answered with data that is not a SCIM list of resources"


def answering(
    status: str, content_type: str, body: bytes, headers: list[tuple[str, str]] | None = None
) -> WSGIApplication:
    """A site that gives the same answer to every request."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(
            status,
            [("Content-Type", content_type), ("Content-Length", str(len(body))), *(headers or [])],
        )
        return [body]

    return app


def not_found_site() -> WSGIApplication:
    page = b"<!doctype html><html><body>Page not found</body></html>"
    return answering("404 Not Found", "text/html", page)


def json_site(payload: Any) -> WSGIApplication:
    return answering("200 OK", "application/json", json.dumps(payload).encode())


def login_redirect_site(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A platform behind single sign-on: every API path sends the browser to its login page."""
    if environ["PATH_INFO"].startswith("/login"):
        return html_app(environ, start_response)
    start_response("302 Found", [("Location", "/login?next=/scim/v2"), ("Content-Length", "0")])
    return [b""]


#: (site, why) for each way an address can fail to be a SCIM server.
SITES = {
    "login page": (html_app, WEB_PAGE),
    "404 everywhere": (not_found_site(), NOT_FOUND),
    "json object": (json_site({"hello": 1}), NOT_A_LIST),
    "json list": (json_site([{"id": "1"}, {"id": "2"}]), NOT_A_LIST),
}


def sentence(url: str, why: str) -> str:
    return f"{url} is not a SCIM server: {why}. {ADVICE}"


@contextmanager
def site_url(app: WSGIApplication) -> Iterator[str]:
    with serving(app) as site:
        yield f"{site.root_url}/scim/v2"


@pytest.mark.parametrize("name", sorted(SITES))
def test_reading_users_and_groups_says_not_scim(name: str) -> None:
    app, why = SITES[name]
    with site_url(app) as url, ScimClient(url, "t", max_retries=0) as client:
        for read in (lambda: list(client.iter_users()), client.list_groups):
            with pytest.raises(AddressError) as caught:
                read()
            assert str(caught.value) == sentence(url, why)


@pytest.mark.parametrize("name", ["login page", "404 everywhere"])
def test_connection_test_says_not_scim(name: str) -> None:
    app, why = SITES[name]
    with (
        site_url(app) as url,
        ScimClient(url, "t", max_retries=0) as client,
        pytest.raises(AddressError) as caught,
    ):
        client.test_connection()
    assert str(caught.value) == sentence(url, why)


def test_json_that_is_not_scim_fails_the_connection_test() -> None:
    with (
        site_url(json_site({"hello": 1})) as url,
        ScimClient(url, "t") as client,
        pytest.raises(AddressError) as caught,
    ):
        client.test_connection()
    assert str(caught.value) == sentence(
        url, "it answered with data that is not a SCIM server configuration"
    )


def test_redirect_to_a_login_page_names_the_page() -> None:
    with serving(login_redirect_site) as site:
        url = f"{site.root_url}/scim/v2"
        with ScimClient(url, "t") as client, pytest.raises(AddressError) as caught:
            client.list_groups()
    login = f"{site.root_url}/login?next=/scim/v2"
    assert str(caught.value) == sentence(url, f"it sent the request to a sign-in page ({login})")
    assert caught.value.status == 302


def test_a_moved_api_still_gets_the_new_address() -> None:
    """A redirect that is not to a sign-in page may be the SCIM API moving; say where."""
    moved = answering("301 Moved Permanently", "text/plain", b"", [("Location", "/api/v3/scim")])
    with (
        site_url(moved) as url,
        ScimClient(url, "t") as client,
        pytest.raises(AddressError, match=r"^The server sent the request to /api/v3/scim;"),
    ):
        list(client.iter_users())


def test_a_scim_server_without_groups_has_none() -> None:
    """Groups are optional in SCIM: a 404 on /Groups alone is not "not a SCIM server"."""

    def wrap(app: WSGIApplication) -> WSGIApplication:
        def no_groups(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            if environ["PATH_INFO"].endswith("/Groups"):
                return not_found_site()(environ, start_response)
            return app(environ, start_response)

        return no_groups

    with (
        running_scim_server(token="t", middleware=wrap) as server,
        ScimClient(server.base_url, "t") as client,
    ):
        assert client.list_groups() == []
        assert list(client.iter_users()) == []


# -- The command line ---------------------------------------------------------------------


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "users.csv",
        [["id", "userName", "emails"], ["1", "ann", "ann@example.org"]],
    )


def upload(users_file: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TOKEN="t", USER_EDITOR_DATA=str(users_file.parent / "data"))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_app",
            "upload",
            str(users_file),
            "--server",
            url,
            "--token-env",
            "TOKEN",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("name", sorted(SITES))
@pytest.mark.parametrize("extra", [(), ("--dry-run", "--json")])
def test_cli_upload_says_not_scim_and_exits_2(
    users_file: Path, name: str, extra: tuple[str, ...]
) -> None:
    app, why = SITES[name]
    with site_url(app) as url:
        result = upload(users_file, url, *extra)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == sentence(url, why) + "\n"


def test_cli_upload_to_a_login_redirect_exits_2(users_file: Path) -> None:
    with serving(login_redirect_site) as site:
        url = f"{site.root_url}/scim/v2"
        result = upload(users_file, url)
    assert result.returncode == 2
    assert result.stdout == ""
    login = f"{site.root_url}/login?next=/scim/v2"
    assert result.stderr == sentence(url, f"it sent the request to a sign-in page ({login})") + "\n"
