"""Fixtures for the service tests: a real scim2-server that counts what it really processed.

The server is wrapped twice: ``Faults(WriteCounter(scim2-server))``. Faults
(outermost) injects 429/503/drops and counts every request that arrived;
WriteCounter sits behind it, so it only sees what the SCIM application really
handled, and counts it per user, inside /Bulk bodies too. "No write sent twice"
is checked on WriteCounter.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from scim2_models import Schema

from desktop_app.connectors.scim import ENTERPRISE_USER_SCHEMA, USER_SCHEMA, ScimClient
from desktop_app.services.sending import Outcome
from tests.helpers.faults import Faults
from tests.helpers.scim_server import ScimServer, running_scim_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

TOKEN = "services-test-token"
#: The bulk limit of the test server, small so 30 writes make several /Bulk requests.
MAX_OPERATIONS = 7

#: Udemy Business's own User extension: the licences, a list of names. scim2-server
#: refuses an extension it does not publish, so the Udemy fixtures publish it, as
#: Udemy's own server does.
UDEMY_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:udemy:2.0:User"
UDEMY_EXTENSION = Schema.model_validate(
    {
        "id": UDEMY_USER_SCHEMA,
        "name": "UdemyUser",
        "description": "Udemy Business user",
        "attributes": [
            {
                "name": "licenseType",
                "type": "string",
                "multiValued": True,
                "required": False,
                "caseExact": True,
                "mutability": "readWrite",
                "returned": "default",
                "uniqueness": "none",
            }
        ],
    }
)

_USER_PATH = re.compile(r"/Users/([^/?]+)$")


class WriteCounter:
    """WSGI middleware counting the writes the app processed, per user.

    Keys are ``("PATCH", user_id)`` and ``("POST", userName)``, for single requests
    and for each operation of a /Bulk body alike. It also keeps each /Bulk body's
    size and operation count, and the most requests it ever held at once
    (``hold_ms`` keeps each request that long inside, to measure concurrency).
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.writes: Counter[tuple[str, str]] = Counter()
        self.bulk_bodies: list[tuple[int, int]] = []  # (bytes, operations)
        self.hold_ms = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def _count(self, method: str, path: str, body: bytes) -> None:
        data: Any = json.loads(body) if body else None
        with self._lock:
            if path.endswith("/Bulk") and isinstance(data, dict):
                operations = data.get("Operations") or []
                self.bulk_bodies.append((len(body), len(operations)))
                for operation in operations:
                    self._count_one(
                        str(operation.get("method", "")).upper(),
                        str(operation.get("path", "")),
                        operation.get("data"),
                    )
            else:
                self._count_one(method, path, data)

    def _count_one(self, method: str, path: str, data: Any) -> None:
        match = _USER_PATH.search(path)
        if method in ("PATCH", "PUT") and match:
            self.writes[("PATCH", match.group(1))] += 1
        elif method == "POST" and path.endswith("/Users") and isinstance(data, dict):
            self.writes[("POST", str(data.get("userName")))] += 1

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        self._count(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), body)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold_ms:
                time.sleep(self.hold_ms / 1000)
            return list(self.app(environ, start_response))
        finally:
            with self._lock:
                self.in_flight -= 1

    def patched(self, user_id: str) -> int:
        """How many times the app processed a PATCH of this user."""
        return self.writes[("PATCH", user_id)]

    def created(self, user_name: str) -> int:
        """How many times the app processed a POST creating this userName."""
        return self.writes[("POST", user_name)]


class Recorder:
    """A SendState that keeps everything it is told.

    ``cancel_after``: ``cancelled()`` answers True once that many outcomes were
    recorded. ``on_record`` runs after each record (e.g. to arm a fault).
    """

    def __init__(
        self, cancel_after: int | None = None, on_record: Callable[[Outcome], None] | None = None
    ) -> None:
        self.cancel_after = cancel_after
        self.on_record = on_record
        self.outcomes: list[Outcome] = []
        self.progress_calls: list[tuple[int, int, float]] = []
        self.threads: set[int] = set()
        self.cancel_questions = 0

    def progress(self, done: int, total: int) -> None:
        self.threads.add(threading.get_ident())
        self.progress_calls.append((done, total, time.monotonic()))

    def cancelled(self) -> bool:
        self.cancel_questions += 1
        return self.cancel_after is not None and len(self.outcomes) >= self.cancel_after

    def record(self, outcome: Outcome) -> None:
        self.threads.add(threading.get_ident())
        self.outcomes.append(outcome)
        if self.on_record is not None:
            self.on_record(outcome)

    def by_ref(self) -> dict[int, Outcome]:
        """The recorded outcomes by ref; fails when a ref was recorded twice."""
        refs = [outcome.ref for outcome in self.outcomes]
        assert len(refs) == len(set(refs)), "record called twice for a write"
        return {outcome.ref: outcome for outcome in self.outcomes}


def new_user(name: str, **extra: Any) -> dict[str, Any]:
    """A user to create, with an email and the Enterprise User extension."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": name,
        "name": {"givenName": name.title(), "familyName": "Tester"},
        "emails": [{"value": f"{name}@example.org", "type": "work", "primary": True}],
        "active": True,
        ENTERPRISE_USER_SCHEMA: {"employeeNumber": f"E-{name}", "department": "Research"},
        **extra,
    }


def _wrap(app: WSGIApplication) -> WSGIApplication:
    return Faults(WriteCounter(app))


@pytest.fixture
def make_server() -> Iterator[Callable[..., ScimServer]]:
    """Start more servers (other limits) behind Faults(WriteCounter); all stopped after."""
    stack: list[Any] = []

    def start(**limits: Any) -> ScimServer:
        context = running_scim_server(token=TOKEN, middleware=_wrap, **limits)
        stack.append(context)
        return context.__enter__()

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture
def scim_server(make_server: Callable[..., ScimServer]) -> ScimServer:
    """A fresh scim2-server whose /Bulk takes at most MAX_OPERATIONS operations."""
    return make_server(max_operations=MAX_OPERATIONS)


@pytest.fixture
def udemy_scim_server(make_server: Callable[..., ScimServer]) -> ScimServer:
    """A fresh scim2-server that keeps Udemy's licence extension, as Udemy's SCIM API does."""
    return make_server(user_extensions=[UDEMY_EXTENSION])


@pytest.fixture
def counter(faults: Faults) -> WriteCounter:
    """What the SCIM application of ``scim_server`` really processed."""
    assert isinstance(faults.app, WriteCounter)
    return faults.app


@pytest.fixture
def client(scim_server: ScimServer, waits: list[float]) -> Iterator[ScimClient]:
    """A client of ``scim_server``: short backoff, sleeps recorded in ``waits``."""
    with ScimClient(
        scim_server.base_url,
        scim_server.token,
        timeout=5.0,
        backoff=0.01,
        pool_size=8,
        sleep=waits.append,
    ) as scim_client:
        yield scim_client
