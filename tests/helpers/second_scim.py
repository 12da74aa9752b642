"""Two independent real SCIM 2.0 servers on loopback, behind one small interface.

* ``scim2-server``: the in-process server the app also uses for its demo
  (``tests.helpers.scim_server``).
* ``django-scim2``: a Django project with sqlite (``tests/helpers/second_scim_app``),
  run in its own process so that Django's settings and logging never mix with
  the tests'. It is django-scim2 as the library ships it: its stock adapters keep
  userName, name.givenName, name.familyName, the primary email, active,
  externalId and group members, and drop every other attribute without a word;
  PATCH takes ``replace`` of those attributes only (anything else is 501); no
  ETags, no /Bulk; ``filter`` works for userName, names and active only (other
  attributes match nothing).

Tests take the ``scim`` fixture, parametrised over both (``both()`` marks the
django-scim2 case of a test as a known gap), talk to the server over HTTP with
:class:`Server` (seeding, reading back), never through the app, and run the
upload as ``user-editor upload FILE --json`` does (:func:`upload`).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import requests

from tests.helpers.scim_server import running_scim_server

ROOT = Path(__file__).resolve().parents[2]
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TOKEN = "second-server-token"
SCIM2_SERVER, DJANGO_SCIM2 = "scim2-server", "django-scim2"
#: How long the Django server may take to create its tables and listen.
START_TIMEOUT = 30.0
#: The SCIM layout (resources/profiles/scim.toml) less manager: every column that uploads.
SCIM_HEADERS = [
    "id",
    "userName",
    "givenName",
    "familyName",
    "email",
    "active",
    "preferredLanguage",
    "externalId",
    "employeeNumber",
    "department",
    "costCenter",
    "groups",
]


@dataclass
class Server:
    """A running SCIM server: where it is, its token, and reads and writes past the app."""

    name: str
    base_url: str
    token: str = TOKEN
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.session.headers.update(
            {
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/scim+json",
                "Content-Type": "application/scim+json",
            }
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base_url}{path}", timeout=10, **kwargs)
        assert response.ok, (
            f"{self.name}: {method} {path} -> {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def create_user(self, resource: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", "/Users", json=resource)
        return result

    def create_group(self, name: str, member_ids: Sequence[str] = ()) -> dict[str, Any]:
        group: dict[str, Any] = self._json(
            "POST", "/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": name}
        )
        if member_ids:
            members = [{"value": user_id} for user_id in member_ids]
            self.patch(
                f"/Groups/{group['id']}", [{"op": "add", "path": "members", "value": members}]
            )
        return group

    def patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        return self._json("PATCH", path, json={"schemas": [PATCH_OP], "Operations": operations})

    def user(self, user_id: str) -> dict[str, Any]:
        """A user as the server holds it, read straight from it."""
        result: dict[str, Any] = self._json("GET", f"/Users/{user_id}")
        return result

    def users(self) -> list[dict[str, Any]]:
        """Every user on the server (one page is plenty in these tests)."""
        body = self._json("GET", "/Users", params={"startIndex": 1, "count": 1000})
        return list(body.get("Resources") or [])

    def users_named(self, user_name: str) -> list[dict[str, Any]]:
        """Every user with this userName, found without a filter (not every server has one)."""
        return [
            u for u in self.users() if str(u.get("userName", "")).casefold() == user_name.casefold()
        ]

    def group_names_of(self, user_id: str) -> set[str]:
        """The groups that list this user as a member."""
        body = self._json("GET", "/Groups", params={"startIndex": 1, "count": 1000})
        return {
            g["displayName"]
            for g in body.get("Resources") or []
            if any(m.get("value") == user_id for m in g.get("members") or [])
        }


def user_resource(user_name: str, given: str, family: str, **extra: Any) -> dict[str, Any]:
    """A user to seed: the attributes every SCIM server keeps, and any others given."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE] if ENTERPRISE in extra else [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"value": f"{user_name}@example.org", "type": "work", "primary": True}],
        "active": True,
        **extra,
    }


@pytest.fixture(scope="session")
def django_scim_tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sqlite file with django-scim2's tables, made once; each server starts on a copy."""
    path = tmp_path_factory.mktemp("django-scim2") / "template.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "tests.helpers.second_scim_app", "--migrate-only"],
        cwd=ROOT,
        env=_django_env(path),
        check=True,
        capture_output=True,
        timeout=START_TIMEOUT,
    )
    return path


def _django_env(database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SECOND_SCIM_DB=str(database),
        SECOND_SCIM_TOKEN=TOKEN,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@contextmanager
def running_django_scim(tables: Path, folder: Path) -> Iterator[Server]:
    """django-scim2 on a fresh copy of ``tables``, in a child process; stopped after."""
    database = folder / "django-scim2.sqlite3"
    shutil.copyfile(tables, database)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.second_scim_app"],
        cwd=ROOT,
        env=_django_env(database),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "PORT n", or nothing when it could not start
        if not line.startswith("PORT "):
            process.kill()
            _, errors = process.communicate(timeout=START_TIMEOUT)
            raise RuntimeError(f"django-scim2 did not start: {errors.strip()[-2000:]}")
        yield Server(DJANGO_SCIM2, f"http://127.0.0.1:{int(line.split()[1])}/scim/v2")
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture(name="scim", params=[SCIM2_SERVER, DJANGO_SCIM2])
def scim_fixture(
    request: pytest.FixtureRequest, tmp_path: Path, django_scim_tables: Path
) -> Iterator[Server]:
    """A fresh, empty SCIM server: scim2-server, then django-scim2."""
    if request.param == SCIM2_SERVER:
        with running_scim_server(token=TOKEN) as server:
            yield Server(SCIM2_SERVER, server.base_url, server.token)
    else:
        with running_django_scim(django_scim_tables, tmp_path) as server:
            yield server


def both(django_gap: str | None = None) -> pytest.MarkDecorator:
    """Run a test on both servers; ``django_gap`` makes the django-scim2 case a strict xfail."""
    marks = [pytest.mark.xfail(strict=True, reason=django_gap)] if django_gap else []
    return pytest.mark.parametrize(
        "scim", [SCIM2_SERVER, pytest.param(DJANGO_SCIM2, marks=marks)], indirect=True
    )


def upload(
    server: Server, path: Path, data: Path, *, subprocess_: bool = False
) -> tuple[int, dict[str, Any], str]:
    """``user-editor upload FILE --server URL --token-env VAR --json``: exit code, report, stderr.

    In this process through the command line's own entry point, or as a real
    process with ``subprocess_``. Upload journals go to ``data``, never the user's own.
    """
    argv = ["upload", str(path), "--server", server.base_url, "--token-env", "SCIM_TOKEN", "--json"]
    env = {"SCIM_TOKEN": server.token, "USER_EDITOR_DATA": str(data)}
    if subprocess_:
        result = subprocess.run(
            [sys.executable, "-m", "desktop_app", *argv],
            capture_output=True,
            text=True,
            env=dict(os.environ, **env),
            timeout=120,
        )
        code, out, err = result.returncode, result.stdout, result.stderr
    else:
        from desktop_app.cli import run

        out_buffer, err_buffer = io.StringIO(), io.StringIO()
        with (
            mock.patch.dict(os.environ, env),
            redirect_stdout(out_buffer),
            redirect_stderr(err_buffer),
        ):
            code = run(argv)
        out, err = out_buffer.getvalue(), err_buffer.getvalue()
    return code, json.loads(out) if out.strip() else {}, err


def on_server(server: Server, resource: dict[str, Any]) -> dict[str, str]:
    """A user's mapped attributes as SCIM layout cells, read from the server's own record.

    Read here, not with the app's mapping, so that a mistake there cannot hide.
    """
    enterprise = resource.get(ENTERPRISE) or {}
    emails = resource.get("emails") or []
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else {})
    active = resource.get("active")
    return {
        "id": str(resource["id"]),
        "userName": resource.get("userName") or "",
        "givenName": (resource.get("name") or {}).get("givenName") or "",
        "familyName": (resource.get("name") or {}).get("familyName") or "",
        "email": primary.get("value") or "",
        "active": "" if active is None else str(active).lower(),
        "preferredLanguage": resource.get("preferredLanguage") or "",
        "externalId": resource.get("externalId") or "",
        "employeeNumber": enterprise.get("employeeNumber") or "",
        "department": enterprise.get("department") or "",
        "costCenter": enterprise.get("costCenter") or "",
        "groups": ",".join(sorted(server.group_names_of(str(resource["id"])))),
    }


def row_of(values: dict[str, str]) -> list[str]:
    """A SCIM layout row from cells by header (missing ones blank)."""
    return [values.get(header, "") for header in SCIM_HEADERS]
