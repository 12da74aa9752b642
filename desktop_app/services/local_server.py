"""A real scim2-server running in this process on a free loopback port.

It serves the demo (``user-editor --demo``) and the tests, which talk to a real
server, never a mock.

scim2-server is a WSGI application; its own ``scim2-server`` command serves it
with ``wsgiref`` and a threading server, and so does this helper (no werkzeug
needed). Each request handler also exposes its socket in the WSGI environ under
:data:`SOCKET_KEY`, so the fault injector can drop a connection for real.

Unlike plain ``wsgiref`` (HTTP/1.0, one request per connection), the handler speaks
HTTP/1.1 and keeps the connection open between requests, as a real SCIM platform
does: a client with a pool of connections pays for each one once, not for every
request. A request with ``Connection: close``, an HTTP/1.0 request, an answer
whose length is not known in advance, a request body the app did not read to
its end (past :data:`MAX_DRAIN` bytes) or a dropped answer ends the connection.

    with running_scim_server(token="t", middleware=Faults) as server:
        client = ScimClient(server.base_url, server.token)
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.headers import Headers
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from scim2_models import Schema, SchemaExtension, ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.utils import (
    load_default_provider,
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SOCKET_KEY = "user_editor.socket"
log = logging.getLogger(__name__)


# The most of a request body left unread by the app that is read and thrown away to
# keep the connection; beyond it the connection is closed instead.
MAX_DRAIN = 16 * 1_048_576


class _Body:
    """A request body: reads stop at its Content-Length, so the next request on the
    connection is never read by the app, and what it leaves unread can be skipped."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self.remaining = length

    def _size(self, size: int | None) -> int:
        if size is None or size < 0 or size > self.remaining:
            return self.remaining
        return size

    def read(self, size: int | None = -1) -> bytes:
        wanted = self._size(size)
        data: bytes = self._stream.read(wanted) if wanted else b""
        self._took(wanted, data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        wanted = self._size(size)
        data: bytes = self._stream.readline(wanted) if wanted else b""
        self._took(wanted, data)
        return data

    def _took(self, wanted: int, data: bytes) -> None:
        self.remaining -= len(data)
        if wanted and not data:
            self.remaining = 0  # the client went away mid-body

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def skip_rest(self) -> bool:
        """Read and throw away what the app left unread; False if it is too much."""
        if self.remaining > MAX_DRAIN:
            return False
        while self.remaining:
            if not self.read(65536):
                return False
        return True


class _KeepAliveHandler(ServerHandler):
    """Answers in HTTP/1.1, status line, headers and a first block of body in one send."""

    http_version = "1.1"
    request_handler: _QuietHandler
    headers: Headers  # set by start_response

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: list[bytes] = []
        self.completed = False  # the whole answer was sent

    def close(self) -> None:
        # Called once the answer is sent (not when the client went away or the
        # fault injector dropped the connection).
        self.completed = True
        super().close()

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        if "Content-Length" not in self.headers:
            # Length unknown (an answer of several blocks): the end of the connection
            # marks the end of the body, as in HTTP/1.0.
            self.request_handler.close_connection = True
        if self.request_handler.close_connection:
            self.headers["Connection"] = "close"

    def _write(self, data: bytes) -> None:
        self._pending.append(data)

    def _flush(self) -> None:
        # Not SimpleHandler._flush: it replaces itself with the stream's own flush.
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            super()._write(data)
        self.stdout.flush()

    def finish_content(self) -> None:
        super().finish_content()
        self._flush()


class _QuietHandler(WSGIRequestHandler):
    """Logs to ``logging`` instead of stderr, hands the socket to the WSGI app and
    serves every request of a keep-alive connection."""

    protocol_version = "HTTP/1.1"
    # Answers are sent in one write; without this a small answer could wait for
    # the client's delayed ACK of the previous one.
    disable_nagle_algorithm = True
    server: _ThreadingServer

    def setup(self) -> None:
        super().setup()
        self.server.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        environ[SOCKET_KEY] = self.connection
        return environ

    def handle(self) -> None:
        """Serve requests on this connection until one of them ends it."""
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()

    def handle_one_request(self) -> None:
        """Read one request and answer it through the WSGI app (wsgiref's ``handle``)."""
        self.close_connection = True
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except OSError:
            return  # the connection was shut down while it waited for a request
        if not self.raw_requestline:
            return  # the client closed the connection
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():  # an error was answered, the connection is closed
            return
        if (
            self.request_version != "HTTP/1.1"
            or "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        ):
            # HTTP/1.0 (no keep-alive header is sent back) or a body of unknown length
            self.close_connection = True
        length = self.headers.get("Content-Length")
        try:
            body = _Body(self.rfile, max(0, int(length)) if length else 0)
        except ValueError:
            self.send_error(400, "Bad Content-Length")
            self.close_connection = True
            return
        handler = _KeepAliveHandler(
            body, self.wfile, self.get_stderr(), self.get_environ(), multithread=False
        )
        handler.request_handler = self  # backpointer for logging
        app = self.server.get_app()
        assert app is not None
        handler.run(app)
        if not handler.completed:
            self.close_connection = True  # the answer was dropped or could not be sent
        elif not self.close_connection and not body.skip_rest():
            self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        log.debug("%s " + format, self.address_string(), *args)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread per connection, as the ``scim2-server`` command does; it keeps the
    open connections, so that stopping the server ends them too."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.connections_accepted = 0
        super().__init__(*args, **kwargs)

    def opened(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)
            self.connections_accepted += 1

    def closed(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """End every open connection: a client's next request on it fails, as on a
        server that stopped."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("test server: error while serving %s", client_address, exc_info=True)


@dataclass
class RunningServer:
    """A server started by :func:`serving`: its root URL and how to stop it."""

    root_url: str
    app: WSGIApplication
    _server: _ThreadingServer
    _thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def connections_accepted(self) -> int:
        """How many connections the server has accepted since it started."""
        return self._server.connections_accepted

    def stop(self) -> None:
        """Stop accepting, wait for the serving thread, end the open connections,
        close the socket."""
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.close_connections()
        self._server.server_close()


@contextmanager
def serving(app: WSGIApplication) -> Iterator[RunningServer]:
    """Serve any WSGI app on 127.0.0.1 at a free port, in a background thread."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="local-scim-server",
        daemon=True,
    )
    thread.start()
    running = RunningServer(f"http://127.0.0.1:{server.server_port}", app, server, thread)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class ScimServer:
    """A running scim2-server: ``base_url`` (…/v2), ``token``, its storage and its WSGI app."""

    base_url: str
    token: str
    storage: InMemoryStorage
    scim_app: BearerTokenApplication
    app: WSGIApplication
    running: RunningServer


@contextmanager
def running_scim_server(
    *,
    token: str = "test-token",
    middleware: Callable[[WSGIApplication], WSGIApplication] | None = None,
    max_operations: int = 1000,
    max_payload_size: int = 1_048_576,
    etag: bool = True,
    user_extensions: Iterable[Schema] = (),
) -> Iterator[ScimServer]:
    """Start scim2-server with the RFC 7643 schemas (User + Enterprise User, Group).

    The token is required on every endpoint but /ServiceProviderConfig (RFC 7644
    §4). ``middleware`` wraps the app (e.g. :class:`tests.helpers.faults.Faults`);
    the wrapped app is ``server.app``. ``user_extensions`` are more User extension
    schemas the server publishes and keeps (a platform's own, as Udemy's licences);
    scim2-server refuses an extension it does not publish.
    """
    provider = _provider(tuple(user_extensions))
    config = provider.config
    assert config is not None and config.bulk is not None and config.etag is not None
    config.bulk.max_operations = max_operations
    config.bulk.max_payload_size = max_payload_size
    config.etag.supported = etag
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    storage = InMemoryStorage()
    scim_app = BearerTokenApplication(
        storage, provider, ScimService(provider), bearer_tokens=[token]
    )
    app: WSGIApplication = middleware(scim_app) if middleware else scim_app
    with serving(app) as running:
        yield ScimServer(f"{running.root_url}/v2", token, storage, scim_app, app, running)


def _provider(user_extensions: tuple[Schema, ...]) -> ScimProvider:
    """The default provider, with ``user_extensions`` added to the User resource type."""
    if not user_extensions:
        return load_default_provider()
    types = []
    for resource_type in load_default_resource_types().values():
        if resource_type.id == "User":
            declared = [
                SchemaExtension.model_validate({"schema": schema.id, "required": False})
                for schema in user_extensions
            ]
            resource_type.schema_extensions = [
                *(resource_type.schema_extensions or []),
                *declared,
            ]
        types.append(resource_type)
    return ScimProvider.from_discovery(
        [*load_default_schemas().values(), *user_extensions],
        types,
        config=load_default_service_provider_config(),
    )


def html_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A web site that is not a SCIM server: every path answers 200 with a page."""
    body = b"<!doctype html><html><body><h1>Welcome</h1></body></html>"
    start_response(
        "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
