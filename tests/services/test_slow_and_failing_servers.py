"""Answers that come too late, and a server error: every write confirmed or reported, once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from desktop_app.connectors.scim import ScimClient
from desktop_app.services.sending import send_all
from tests.helpers.faults import Faults
from tests.helpers.scim_server import running_scim_server
from tests.services.conftest import TOKEN, WriteCounter
from tests.services.test_sending import Recorder, check_recorded, seed, server_copy, title_writes

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class LateFirstAnswer:
    """Carries out the first PATCH of each user at once, but answers only after the client
    has given up waiting: the write happened, its answer is lost."""

    def __init__(self, app: WSGIApplication, seconds: float) -> None:
        self.app, self.seconds = app, seconds
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "PATCH":
            with self.lock:
                first = environ["PATH_INFO"] not in self.seen
                self.seen.add(environ["PATH_INFO"])
            if first:
                answer = list(self.app(environ, start_response))
                time.sleep(self.seconds)
                return answer
        return self.app(environ, start_response)


def test_late_answers_are_replayed_and_recognised_never_applied_twice() -> None:
    def wrap(app: Any) -> Any:
        return Faults(LateFirstAnswer(WriteCounter(app), seconds=1.0))

    with running_scim_server(token=TOKEN, middleware=wrap) as server:
        counter = server.app.app.app
        assert isinstance(counter, WriteCounter)
        with ScimClient(server.base_url, TOKEN, timeout=0.3, backoff=0.01) as client:
            seeded = seed(client, 6)
            writes = title_writes(seeded)
            state = Recorder()
            outcomes = send_all(client, writes, state, mode="parallel", workers=3)
        check_recorded(state, outcomes, writes)
        assert all(o.ok for o in outcomes), [o.message for o in outcomes]
        for user_id, _, _ in seeded:
            # The late first PATCH was applied; its replay met If-Match and changed nothing.
            assert counter.patched(user_id) == 2
            assert server_copy(server, user_id)["title"].startswith("Dr ")


def test_a_server_error_is_reported_once_and_not_retried(
    scim_server: Any, client: ScimClient, faults: Faults, counter: WriteCounter
) -> None:
    seeded = seed(client, 5)
    writes = title_writes(seeded)
    faults.reset()
    faults.respond(500, times=1, method="PATCH")
    state = Recorder()
    outcomes = send_all(client, writes, state, mode="serial")
    check_recorded(state, outcomes, writes)
    failed = [o for o in outcomes if not o.ok]
    assert len(failed) == 1 and failed[0].message and "\n" not in failed[0].message
    assert faults.count("PATCH") == 5  # the failed one was not sent again
    assert sum(counter.patched(user_id) for user_id, _, _ in seeded) == 4
