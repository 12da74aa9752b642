"""A real scim2-server running in this process on a free loopback port.

It serves the demo (``user-editor --demo``) and the tests, which talk to a real
server, never a mock.

scim2-server is a WSGI application; its own ``scim2-server`` command serves it
with ``wsgiref`` and a threading server, and so does this helper (no werkzeug
needed). Each request handler also exposes its socket in the WSGI environ under
:data:`SOCKET_KEY`, so the fault injector can drop a connection for real.

    with running_scim_server(token="t", middleware=Faults) as server:
        client = ScimClient(server.base_url, server.token)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

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


class _QuietHandler(WSGIRequestHandler):
    """Logs to ``logging`` instead of stderr, and hands the socket to the WSGI app."""

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        environ[SOCKET_KEY] = self.connection
        return environ

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        log.debug("%s " + format, self.address_string(), *args)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread per request, as the ``scim2-server`` command does."""

    daemon_threads = True

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

    def stop(self) -> None:
        """Stop accepting, wait for the serving thread, close the socket."""
        self._server.shutdown()
        self._thread.join(timeout=5)
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
