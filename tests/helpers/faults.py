"""A fault-injecting WSGI middleware: make a real server misbehave on cue, and count requests.

Wrap an app (``Faults(app)``, or ``middleware=Faults`` for
:func:`tests.helpers.scim_server.running_scim_server`) then, per test:

* ``faults.respond(503, times=2)`` - answer 503 to the next two matching requests;
* ``faults.throttle(times=1, retry_after="3")`` - 429 with ``Retry-After: 3``;
* ``faults.drop(times=1, after_processing=False)`` - close the socket without any
  answer; with ``after_processing=True`` the app handles the request first (the
  change is saved) and only the answer is lost;
* ``faults.delay_ms = 20`` - every answer comes 20 ms late (latency benchmarks);
* ``faults.count("POST", "/Users")`` - how many such requests reached the server.

Rules match on method and on a substring of the path; each fires ``times`` times,
in the order they were added.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

from tests.helpers.scim_server import SOCKET_KEY

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@dataclass
class _Rule:
    kind: str  # "status" | "drop" | "drop_after"
    remaining: int
    status: int = 503
    retry_after: str | None = None
    method: str | None = None
    path: str | None = None
    then: Callable[[], None] | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or self.path in path
        )


class Faults:
    """WSGI middleware injecting failures; thread-safe, configurable while the server runs."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.delay_ms = 0.0
        self.requests: list[tuple[str, str]] = []
        self._counts: Counter[tuple[str, str]] = Counter()
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._handling = 0  # requests being answered now (a dead client's may still land)
        self._idle = threading.Condition(self._lock)

    # -- Configuration -------------------------------------------------------------

    def respond(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer ``status`` (a SCIM Error body) to the next ``times`` matching requests."""
        with self._lock:
            self._rules.append(_Rule("status", times, status, retry_after, method, path))

    def throttle(
        self,
        times: int = 1,
        retry_after: str | None = "1",
        *,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer 429 Too Many Requests, with ``Retry-After`` (seconds or HTTP date)."""
        self.respond(429, times, retry_after=retry_after, method=method, path=path)

    def drop(
        self,
        times: int = 1,
        *,
        after_processing: bool = False,
        method: str | None = None,
        path: str | None = None,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Close the connection without an answer, before or after the app handled it.

        ``then`` runs just before the socket is closed, e.g. another client's edit
        landing between a saved change and its lost answer.
        """
        with self._lock:
            self._rules.append(
                _Rule(
                    "drop_after" if after_processing else "drop",
                    times,
                    method=method,
                    path=path,
                    then=then,
                )
            )

    def reset(self) -> None:
        """Forget the rules, the delay and the counts."""
        with self._lock:
            self._rules.clear()
            self._counts.clear()
            self.requests.clear()
            self.delay_ms = 0.0

    def wait_until_idle(self, timeout: float = 30.0) -> None:
        """Wait until no request is being handled: one sent by a client that was killed
        meanwhile still reaches the server's data after the delay."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._handling == 0, timeout):
                raise TimeoutError("the server was still answering requests")

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests reached the server, by method and path substring."""
        with self._lock:
            return sum(
                n
                for (m, p), n in self._counts.items()
                if (method is None or m == method) and (path is None or path in p)
            )

    # -- WSGI --------------------------------------------------------------------

    def _take(self, method: str, path: str) -> _Rule | None:
        with self._lock:
            self._counts[(method, path)] += 1
            self.requests.append((method, path))
            for rule in self._rules:
                if rule.remaining > 0 and rule.matches(method, path):
                    rule.remaining -= 1
                    return rule
        return None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            self._handling += 1
        try:
            return self._handle(environ, start_response)
        finally:
            with self._idle:
                self._handling -= 1
                self._idle.notify_all()

    def _handle(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        rule = self._take(method, path)
        if self.delay_ms:
            time.sleep(self.delay_ms / 1000)
        if rule is None:
            return self.app(environ, start_response)
        if rule.kind == "status":
            return self._status(environ, start_response, rule)
        if rule.kind == "drop_after":
            result = self.app(environ, lambda status, headers, exc_info=None: lambda b: None)
            try:
                b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        else:
            _drain(environ)
        if rule.then is not None:
            rule.then()
        _drop(environ)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _status(
        environ: WSGIEnvironment, start_response: StartResponse, rule: _Rule
    ) -> Iterable[bytes]:
        _drain(environ)
        phrase = HTTPStatus(rule.status).phrase
        body = (
            '{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],'
            f'"status":"{rule.status}","detail":"Injected {phrase}"}}'
        ).encode()
        headers = [("Content-Type", "application/scim+json"), ("Content-Length", str(len(body)))]
        if rule.retry_after is not None:
            headers.append(("Retry-After", rule.retry_after))
        start_response(f"{rule.status} {phrase}", headers)
        return [body]


def _drain(environ: WSGIEnvironment) -> None:
    """Read the request body, so closing the socket sends a clean FIN rather than a reset."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)


def _drop(environ: WSGIEnvironment) -> None:
    """Shut the client's socket down and abort the handler, so no answer is ever written.

    wsgiref treats ConnectionAbortedError as "the client went away" and stops
    quietly, without writing its 500 page.
    """
    sock = environ.get(SOCKET_KEY)
    if not isinstance(sock, socket.socket):
        raise RuntimeError("drop() needs the server of tests.helpers.scim_server")
    sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("connection dropped by the fault injector")
