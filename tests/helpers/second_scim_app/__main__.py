"""Serve django-scim2 on 127.0.0.1 at a free port: ``python -m tests.helpers.second_scim_app``.

The environment gives the sqlite file (``SECOND_SCIM_DB``) and the bearer token
(``SECOND_SCIM_TOKEN``). The tables are created when missing, then the port is
printed as ``PORT <n>`` on one line. One request at a time, as sqlite writes are
anyway; the server stops when told (SIGTERM) or when its standard input closes,
so it never outlives the tests that started it.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        pass


class _Server(WSGIServer):
    # The app sends several requests at once; they wait in the backlog, not refused.
    request_queue_size = 64


def _stop_when_stdin_closes() -> None:
    sys.stdin.read()
    os._exit(0)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.helpers.second_scim_app.settings")
    import django
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)
    if "--migrate-only" in sys.argv:
        return
    app = get_wsgi_application()
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=_stop_when_stdin_closes, daemon=True).start()
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
