"""A local server that follows Udemy Business's invite contract, for the connector tests.

It holds one organisation in memory and answers
``POST /api-2.0/organizations/{org_uuid}/users/`` as Udemy documents it:

* the personal access token as the basic-auth user name, with an empty password,
  else **401**;
* another organisation's UUID: **404**;
* email, firstname and lastname required, and only email, firstname, lastname,
  externalid, groups (a list of the organisation's group UUIDs) and role
  (learner or admin): else **400** naming the field;
* an email address already in the organisation, in any case: **409**, nothing added;
* otherwise **201** with the new id, its status (``invited``, or ``active`` when
  the organisation provisions at once) and its groups.

Udemy documents the status codes and the fields of the 201 answer, not the JSON
of its errors. The error bodies here are *assumed*: Django REST framework's
forms (``{"firstname": ["This field is required."]}`` for a 400,
``{"detail": "..."}`` otherwise), with the existing account's ``id`` in a 409
because Udemy's help says to "use the id from the response".

Switches, safe to flip while it runs: :meth:`UdemyOrganisation.throttle` answers
429 with ``Retry-After`` to the next requests, ``delay`` makes answers slow, and
the fault injector in front (:class:`tests.helpers.faults.Faults`, as
``RunningUdemy.faults``) drops connections.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from tests.helpers.faults import Faults
from tests.helpers.scim_server import RunningServer, serving

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

API_ROOT = "/api-2.0"
REQUIRED = ("email", "firstname", "lastname")
OPTIONAL = ("externalid", "groups", "role")
ROLES = ("learner", "admin")


class UdemyOrganisation:
    """One Udemy Business organisation as a WSGI app: its users, groups and token."""

    def __init__(
        self,
        org_uuid: str,
        token: str,
        *,
        groups: Iterable[str] = (),
        provisions: bool = False,
    ) -> None:
        self.org_uuid = org_uuid
        self.token = token
        #: Group UUIDs of the organisation; an empty set accepts any group.
        self.groups = set(groups)
        #: Whether new users are active at once (single sign-on) rather than invited.
        self.provisions = provisions
        #: Seconds each answer waits before it is written.
        self.delay = 0.0
        self.users: dict[str, dict[str, Any]] = {}
        self.posts = 0
        self._ids = itertools.count(1001)
        self._throttled = 0
        self._retry_after = "1"
        self._lock = threading.Lock()

    # -- Switches and inspection ---------------------------------------------------

    def throttle(self, times: int = 1, retry_after: str = "1") -> None:
        """Answer 429 with ``Retry-After`` to the next ``times`` requests."""
        with self._lock:
            self._throttled, self._retry_after = times, retry_after

    def add(self, email: str, firstname: str = "Existing", lastname: str = "User") -> str:
        """Put a user in the organisation directly; returns its id."""
        with self._lock:
            return self._store({"email": email, "firstname": firstname, "lastname": lastname})

    def find(self, email: str) -> dict[str, Any] | None:
        """The user with this email address (any case), as the organisation holds it."""
        with self._lock:
            return self._find(email)

    # -- The contract -----------------------------------------------------------------

    def _find(self, email: str) -> dict[str, Any] | None:
        wanted = email.casefold()
        return next((u for u in self.users.values() if u["email"].casefold() == wanted), None)

    def _store(self, fields: dict[str, Any]) -> str:
        new_id = str(next(self._ids))
        self.users[new_id] = {
            "id": int(new_id),
            "status": "active" if self.provisions else "invited",
            "groups": [],
            **fields,
        }
        return new_id

    def _authorised(self, environ: WSGIEnvironment) -> bool:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return bool(sep) and user == self.token and password == ""

    def answer(
        self, method: str, path: str, environ: WSGIEnvironment, data: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """The status, JSON body and extra headers for one request."""
        with self._lock:
            if self._throttled > 0:
                self._throttled -= 1
                return (
                    429,
                    {"detail": "Request was throttled."},
                    {"Retry-After": self._retry_after},
                )
        if not self._authorised(environ):
            return (
                401,
                {"detail": "Invalid username/password."},
                {"WWW-Authenticate": 'Basic realm="api"'},
            )
        prefix = f"{API_ROOT}/organizations/"
        org, _, rest = path.removeprefix(prefix).partition("/")
        if not path.startswith(prefix) or rest != "users/" or org != self.org_uuid:
            return 404, {"detail": "Not found."}, {}
        if method != "POST":
            return 405, {"detail": f'Method "{method}" not allowed.'}, {}
        try:
            body = json.loads(data or b"null")
        except ValueError:
            return 400, {"detail": "JSON parse error."}, {}
        if not isinstance(body, dict):
            return 400, {"detail": "Expected a JSON object."}, {}
        with self._lock:
            self.posts += 1
            return self._invite(body)

    def _invite(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        for name in body:
            if name not in REQUIRED + OPTIONAL:
                return 400, {name: ["Unknown field."]}, {}
        for name in REQUIRED:
            value = body.get(name)
            if not isinstance(value, str) or not value.strip():
                return 400, {name: ["This field is required."]}, {}
        if "@" not in body["email"]:
            return 400, {"email": ["Enter a valid email address."]}, {}
        if "role" in body and body["role"] not in ROLES:
            return 400, {"role": [f'"{body["role"]}" is not a valid choice.']}, {}
        groups = body.get("groups", [])
        if not isinstance(groups, list) or any(
            not isinstance(g, str) or (self.groups and g not in self.groups) for g in groups
        ):
            return 400, {"groups": ["Unknown group."]}, {}
        existing = self._find(body["email"])
        if existing is not None:
            return (
                409,
                {
                    "detail": "A user with this email already exists in the organization.",
                    "id": existing["id"],
                    "status": existing["status"],
                },
                {},
            )
        new_id = self._store({k: body[k] for k in REQUIRED + ("externalid", "role") if k in body})
        self.users[new_id]["groups"] = list(groups)
        user = self.users[new_id]
        return 201, {"id": user["id"], "status": user["status"], "groups": user["groups"]}, {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        # The whole request is read first, so closing the socket never resets the answer.
        data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        status, body, headers = self.answer(
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ, data
        )
        if self.delay:
            time.sleep(self.delay)
        answer = json.dumps(body).encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(answer))),
                *headers.items(),
            ],
        )
        return [answer]


@dataclass
class RunningUdemy:
    """A running organisation: the API address to give the client, and its switches."""

    base_url: str
    org_uuid: str
    token: str
    org: UdemyOrganisation
    faults: Faults
    running: RunningServer


@contextmanager
def running_udemy_server(
    *,
    token: str = "udemy-PAT-s3cr3t-for-tests",
    org_uuid: str | None = None,
    groups: Iterable[str] = (),
    provisions: bool = False,
) -> Iterator[RunningUdemy]:
    """Serve a fresh, empty organisation on a free loopback port, behind a fault injector."""
    org = UdemyOrganisation(
        org_uuid or str(uuid.uuid4()), token, groups=groups, provisions=provisions
    )
    faults = Faults(org)
    with serving(faults) as running:
        yield RunningUdemy(
            f"{running.root_url}{API_ROOT}", org.org_uuid, token, org, faults, running
        )
