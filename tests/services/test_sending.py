"""send_all against a real scim2-server on loopback: every mode, conflicts, faults, cancel."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from desktop_app.connectors.scim import (
    CONFLICT_SENTENCE,
    ENTERPRISE_USER_SCHEMA,
    ScimClient,
    create_operation,
)
from desktop_app.services.sending import PROGRESS_INTERVAL, Outcome, Write, send_all
from tests.helpers.faults import Faults
from tests.helpers.scim_server import ScimServer, server_copy
from tests.services.conftest import MAX_OPERATIONS, TOKEN, Recorder, WriteCounter, new_user

MODES = ["serial", "parallel", "bulk"]
ENTERPRISE = ENTERPRISE_USER_SCHEMA


def creates(names: list[str], first_ref: int = 0) -> list[Write]:
    return [
        Write(
            ref=first_ref + i,
            user_id=None,
            operations=(),
            resource=new_user(name),
            etag=None,
            label=name,
        )
        for i, name in enumerate(names)
    ]


def title_change(ref: int, user_id: str, etag: str | None, title: str, label: str = "") -> Write:
    return Write(
        ref=ref,
        user_id=user_id,
        operations=({"op": "replace", "path": "title", "value": title},),
        resource=None,
        etag=etag,
        label=label,
    )


def seed(client: ScimClient, count: int, prefix: str = "user") -> list[tuple[str, str, str]]:
    """Create users past send_all; return (id, etag, userName) of each."""
    results = client.bulk_all(
        [create_operation(new_user(f"{prefix}{i:03d}"), f"s{i}") for i in range(count)]
    )
    assert [r["status"] for r in results] == [201] * count
    return [
        (r["location"].rsplit("/", 1)[-1], r["version"], f"{prefix}{i:03d}")
        for i, r in enumerate(results)
    ]


def title_writes(seeded: list[tuple[str, str, str]], title: str = "Dr") -> list[Write]:
    return [
        title_change(i, user_id, etag, f"{title} {i}", name)
        for i, (user_id, etag, name) in enumerate(seeded)
    ]


def check_recorded(state: Recorder, outcomes: list[Outcome], writes: list[Write]) -> None:
    """record was called exactly once per outcome, from one thread, and nothing else."""
    by_ref = state.by_ref()
    assert by_ref == {outcome.ref: outcome for outcome in outcomes}
    order = [w.ref for w in writes]
    assert [o.ref for o in outcomes] == sorted((o.ref for o in outcomes), key=order.index)
    assert len(state.threads) == 1
    done = [call[0] for call in state.progress_calls]
    assert done == sorted(set(done)), "progress only when the count changes, never backwards"
    assert done[0] == 0 and done[-1] == len(outcomes)
    assert all(call[1] == len(writes) for call in state.progress_calls)


# -- Every mode, end to end ------------------------------------------------------------------


@pytest.mark.parametrize("mode", [*MODES, "auto"])
def test_30_users_created_then_patched_and_read_back(
    mode: str,
    scim_server: ScimServer,
    client: ScimClient,
    faults: Faults,
    counter: WriteCounter,
) -> None:
    names = [f"member{i:02d}" for i in range(30)]
    writes = creates(names)
    state = Recorder()
    created = send_all(client, writes, state, mode=mode, workers=4)
    check_recorded(state, created, writes)
    assert [o.ok for o in created] == [True] * 30, [o.message for o in created if not o.ok]
    assert all(o.user_id and o.etag for o in created)
    assert len({o.user_id for o in created}) == 30

    updates = [
        Write(
            ref=100 + i,
            user_id=str(o.user_id),
            etag=o.etag,
            label=names[i],
            resource=None,
            operations=(
                {"op": "replace", "path": "title", "value": f"Title {i}"},
                {"op": "replace", "path": f"{ENTERPRISE}:department", "value": f"Dept {i % 3}"},
                {"op": "replace", "path": "displayName", "value": f"Member number {i}"},
                {"op": "replace", "path": "name.givenName", "value": f"Given{i}"},
            ),
        )
        for i, o in enumerate(created)
    ]
    state = Recorder()
    patched = send_all(client, updates, state, mode=mode, workers=4)
    check_recorded(state, patched, updates)
    assert [o.ok for o in patched] == [True] * 30, [o.message for o in patched if not o.ok]
    # scim2-server answers a PATCH 204 with the new ETag: a user is read back only until
    # the attributes are seen kept, by the first write of each worker at most.
    read_back = faults.count("GET", "/Users/")
    if mode == "serial":
        assert read_back == 1
    elif mode == "parallel":
        assert 1 <= read_back <= 4

    for i, (before, after) in enumerate(zip(created, patched, strict=True)):
        assert before.user_id is not None
        server = server_copy(scim_server, before.user_id)
        assert server["userName"] == names[i]
        assert server["title"] == f"Title {i}"
        assert server["displayName"] == f"Member number {i}"
        assert server["name"]["givenName"] == f"Given{i}"
        assert server["name"]["familyName"] == "Tester"
        assert server["emails"][0]["value"] == f"{names[i]}@example.org"
        assert server[ENTERPRISE]["department"] == f"Dept {i % 3}"
        assert server[ENTERPRISE]["employeeNumber"] == f"E-{names[i]}"
        assert after.etag == server["meta"]["version"] != before.etag
        assert after.user_id == before.user_id
        assert counter.created(names[i]) == 1 and counter.patched(before.user_id) == 1
        if mode in ("serial", "parallel") and after.resource is not None:
            assert after.resource["title"] == f"Title {i}"
        assert after.not_kept == () and after.unsupported == ()

    bulk_requests = faults.count("POST", "/Bulk")
    if mode in ("bulk", "auto"):
        assert bulk_requests == 2 * -(-30 // MAX_OPERATIONS)  # creates, then updates
        assert all(ops <= MAX_OPERATIONS for _, ops in counter.bulk_bodies)
        assert faults.count("PATCH") == 0
    else:
        assert bulk_requests == 0
        assert faults.count("PATCH") == 30 and faults.count("POST", "/Users") == 30


def test_auto_without_bulk_support_sends_user_by_user(
    scim_server: ScimServer, client: ScimClient, faults: Faults
) -> None:
    config = scim_server.scim_app.service.config
    assert config.bulk is not None
    config.bulk.supported = False
    seeded = [client.create_user(new_user(f"u{i}")) for i in range(5)]
    writes = [title_change(i, r["id"], etag, "x") for i, (r, etag) in enumerate(seeded)]
    for mode in ("auto", "bulk"):  # "bulk" falls back too: the server refuses /Bulk
        outcomes = send_all(client, writes, Recorder(), mode=mode)
        assert [o.ok for o in outcomes] == [True] * 5
        writes = [title_change(o.ref, str(o.user_id), o.etag, mode) for o in outcomes]
    assert faults.count("POST", "/Bulk") == 0
    assert faults.count("PATCH") == 10


def test_bulk_respects_max_payload_size_and_sends_an_oversized_write_alone(
    make_server: Callable[..., ScimServer],
) -> None:
    limit = 1500
    server = make_server(max_operations=1000, max_payload_size=limit)
    assert isinstance(server.app, Faults) and isinstance(server.app.app, WriteCounter)
    faults, counter = server.app, server.app.app
    with ScimClient(server.base_url, server.token, sleep=lambda s: None) as client:
        seeded = [client.create_user(new_user(f"u{i}")) for i in range(20)]
        writes = [
            title_change(i, r["id"], etag, f"Title {i}") for i, (r, etag) in enumerate(seeded)
        ]
        big = "x" * (limit + 100)  # this write alone is larger than a /Bulk may be
        writes[5] = title_change(5, seeded[5][0]["id"], seeded[5][1], big)
        outcomes = send_all(client, writes, Recorder(), mode="bulk")
    assert [o.ok for o in outcomes] == [True] * 20
    assert len(counter.bulk_bodies) > 1
    assert all(size <= limit for size, _ in counter.bulk_bodies)
    assert sum(ops for _, ops in counter.bulk_bodies) == 19
    assert faults.count("PATCH") == 1  # the oversized one, by itself
    assert server_copy(server, seeded[5][0]["id"])["title"] == big


# -- Ordinary failures -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_stale_etag_is_a_conflict_and_the_server_keeps_its_value(
    mode: str, scim_server: ScimServer, client: ScimClient
) -> None:
    (ada, stale), (bob, bob_etag) = (client.create_user(new_user(n)) for n in ("ada", "bob"))
    client.patch_user(ada["id"], [{"op": "replace", "path": "title", "value": "Theirs"}], stale)
    writes = [
        title_change(1, ada["id"], stale, "Ours", "ada"),
        title_change(2, bob["id"], bob_etag, "Ours", "bob"),
    ]
    state = Recorder()
    outcomes = send_all(client, writes, state, mode=mode)
    check_recorded(state, outcomes, writes)
    conflict, fine = outcomes
    assert not conflict.ok and conflict.conflict and conflict.status == 412
    assert conflict.message == CONFLICT_SENTENCE
    assert fine.ok and not fine.conflict
    assert server_copy(scim_server, ada["id"])["title"] == "Theirs"
    assert server_copy(scim_server, bob["id"])["title"] == "Ours"


@pytest.mark.parametrize("mode", MODES)
def test_duplicate_username_on_create_is_a_uniqueness_failure(
    mode: str, client: ScimClient, counter: WriteCounter
) -> None:
    client.create_user(new_user("ada"))
    writes = creates(["ada", "bob"])
    state = Recorder()
    duplicate, fine = send_all(client, writes, state, mode=mode)
    check_recorded(state, [duplicate, fine], writes)
    assert not duplicate.ok and duplicate.status == 409 and not duplicate.conflict
    assert duplicate.message == (
        "Could not create the user “ada”: the username or email is already in use by another "
        "user on the server."
    )
    assert fine.ok and fine.user_id
    assert [r["userName"] for r, _ in client.find_users("userName", "ada")] == ["ada"]


@pytest.mark.parametrize("mode", MODES)
def test_update_of_a_deleted_user_is_an_ordinary_failure(
    mode: str, scim_server: ScimServer, client: ScimClient
) -> None:
    (gone, gone_etag), (kept, kept_etag) = (
        client.create_user(new_user(n)) for n in ("gone", "kept")
    )
    requests.delete(
        f"{scim_server.base_url}/Users/{gone['id']}",
        timeout=5,
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).raise_for_status()
    writes = [
        title_change(1, gone["id"], gone_etag, "x", "gone"),
        title_change(2, kept["id"], kept_etag, "x", "kept"),
    ]
    missing, fine = send_all(client, writes, Recorder(), mode=mode)
    assert not missing.ok and missing.status == 404 and not missing.conflict
    assert missing.message == (
        "Could not update the user “gone”: it does not exist on the "
        "server (it may have been deleted)."
    )
    assert fine.ok  # one failure does not stop the others


# -- Faults: retried by the client, never sent twice -------------------------------------------


@pytest.mark.parametrize("mode", ["parallel", "bulk"])
def test_429_and_503_during_a_send_are_waited_out_and_nothing_is_sent_twice(
    mode: str,
    scim_server: ScimServer,
    client: ScimClient,
    faults: Faults,
    counter: WriteCounter,
    waits: list[float],
) -> None:
    seeded = seed(client, 15)
    writes = title_writes(seeded) + creates([f"new{i:02d}" for i in range(15)], first_ref=15)
    faults.reset()
    if mode == "parallel":
        # At most max_retries (4) faults per method: the sleeps are only recorded, so
        # one request can meet every fault of its method in a row.
        faults.throttle(times=2, retry_after="2", method="PATCH")
        faults.respond(503, times=2, method="PATCH")
        faults.respond(503, times=2, method="POST")
        faults.throttle(times=1, retry_after="1", method="GET")
    else:
        faults.throttle(times=1, retry_after="2", path="/Bulk")
        faults.respond(503, times=2, path="/Bulk")
    state = Recorder()
    outcomes = send_all(client, writes, state, mode=mode, workers=6)
    check_recorded(state, outcomes, writes)
    assert [o.ok for o in outcomes] == [True] * 30, [o.message for o in outcomes if not o.ok]
    assert waits.count(2.0) == (2 if mode == "parallel" else 1)
    for user_id, _, _ in seeded:  # every write confirmed, and processed exactly once
        assert counter.patched(user_id) == 1
        assert server_copy(scim_server, user_id)["title"].startswith("Dr ")
    for i in range(15):
        assert counter.created(f"new{i:02d}") == 1
    if mode == "parallel":
        assert faults.count("PATCH") == 15 + 4 and faults.count("POST", "/Users") == 15 + 2
    else:
        assert faults.count("POST", "/Bulk") == -(-30 // MAX_OPERATIONS) + 3


@pytest.mark.parametrize("after_processing", [False, True], ids=["lost-request", "lost-answer"])
def test_dropped_connection_mid_bulk_is_reported_not_duplicated(
    after_processing: bool,
    scim_server: ScimServer,
    client: ScimClient,
    faults: Faults,
    counter: WriteCounter,
) -> None:
    seeded = seed(client, 30)
    writes = title_writes(seeded, "New")
    faults.reset()

    def drop_the_second_batch(outcome: Outcome) -> None:
        if len(state.outcomes) == MAX_OPERATIONS:  # the first batch is recorded
            faults.drop(times=1, path="/Bulk", after_processing=after_processing)

    state = Recorder(on_record=drop_the_second_batch)
    outcomes = send_all(client, writes, state, mode="bulk")
    check_recorded(state, outcomes, writes)
    second = range(MAX_OPERATIONS, 2 * MAX_OPERATIONS)
    for i, outcome in enumerate(outcomes):
        user_id = seeded[i][0]
        title = server_copy(scim_server, user_id).get("title") if i in second else None
        if i in second:
            assert not outcome.ok and outcome.status is None and outcome.sent
            assert outcome.message == (
                f"The server {client.host} cut the connection before answering, so it is not "
                "known whether the change was saved; check on the server before trying again."
            )
            assert counter.patched(user_id) == (1 if after_processing else 0)
            assert (title == f"New {i}") is after_processing
        else:
            assert outcome.ok, outcome.message
            assert counter.patched(user_id) == 1
    # The batch that met the drop was not sent again; the next batches still went.
    assert faults.count("POST", "/Bulk") == -(-30 // MAX_OPERATIONS)


# -- Dead ends stop the run ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["parallel", "bulk"])
def test_unreachable_server_stops_the_run_and_reports_every_write_unsent(
    mode: str, make_server: Callable[..., ScimServer]
) -> None:
    server = make_server(max_operations=MAX_OPERATIONS)
    with ScimClient(
        server.base_url, server.token, max_retries=1, backoff=0.01, sleep=lambda s: None
    ) as client:
        seeded = seed(client, 40)
        client.capabilities()
        server.running.stop()  # nothing listens any more: every connection is refused
        attempts = client.request_count
        state = Recorder()
        outcomes = send_all(client, title_writes(seeded), state, mode=mode, workers=4)
        sent = client.request_count - attempts
    assert len(state.by_ref()) == len(outcomes) == 40
    refused = (
        f"Could not reach {client.host}: the connection was refused. Check the server address."
    )
    assert all(not o.ok and not o.sent and o.message == refused for o in outcomes)
    assert sent <= 4 * 2  # at most the first requests under way, each tried twice


@pytest.mark.parametrize("mode", ["parallel", "bulk"])
def test_refused_token_stops_the_run(
    mode: str, scim_server: ScimServer, client: ScimClient, faults: Faults
) -> None:
    seeded = seed(client, 40)
    faults.reset()
    with ScimClient(scim_server.base_url, "wrong-token", sleep=lambda s: None) as wrong:
        outcomes = send_all(wrong, title_writes(seeded), Recorder(), mode=mode, workers=4)
    assert len(outcomes) == 40 and not any(o.ok for o in outcomes)
    assert all(
        o.message and o.message.startswith("The server refused the token: it is wrong")
        for o in outcomes
    )
    assert sum(o.status == 401 for o in outcomes) == (4 if mode == "parallel" else MAX_OPERATIONS)
    assert all(o.sent == (o.status == 401) for o in outcomes)
    assert faults.count("PATCH") + faults.count("POST", "/Bulk") == (4 if mode == "parallel" else 1)


# -- Cancel ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_cancel_after_n_records_stops_cleanly(
    mode: str,
    scim_server: ScimServer,
    client: ScimClient,
    counter: WriteCounter,
    faults: Faults,
) -> None:
    seeded = seed(client, 30)
    writes = title_writes(seeded, "Cancelled")
    faults.delay_ms = 5  # so parallel requests really overlap
    state = Recorder(cancel_after=10)
    outcomes = send_all(client, writes, state, mode=mode, workers=4)
    check_recorded(state, outcomes, writes)
    expected = {"serial": range(10, 11), "parallel": range(10, 14), "bulk": range(14, 15)}[
        mode
    ]  # bulk: whole batches of 7
    assert len(outcomes) in expected
    assert all(o.ok for o in outcomes)
    recorded = {seeded[o.ref][0] for o in outcomes}
    # Exactly the started writes reached the server, and every one of them was recorded.
    processed = {user_id for user_id, _, _ in seeded if counter.patched(user_id)}
    assert processed == recorded
    for user_id, _, _ in seeded:
        title = server_copy(scim_server, user_id).get("title")
        assert (title is not None) is (user_id in recorded)


def test_cancel_before_anything_sends_nothing(client: ScimClient, faults: Faults) -> None:
    seeded = seed(client, 5)
    faults.reset()
    state = Recorder(cancel_after=0)
    assert send_all(client, title_writes(seeded), state, mode="parallel") == []
    assert state.outcomes == [] and faults.count() == 0
    assert [c[:2] for c in state.progress_calls] == [(0, 5)]


# -- Parallel: bounded; progress: throttled --------------------------------------------------------


def test_parallel_never_has_more_than_workers_in_flight(
    client: ScimClient, counter: WriteCounter
) -> None:
    seeded = seed(client, 24)
    counter.hold_ms = 15
    counter.max_in_flight = 0
    state = Recorder()
    outcomes = send_all(client, title_writes(seeded), state, mode="parallel", workers=3)
    assert all(o.ok for o in outcomes)
    assert counter.max_in_flight == 3  # PATCH, then GET, per worker: never more than 3
    # cancel was asked before each request was started, never all up front
    assert state.cancel_questions == 24


def test_progress_is_throttled(client: ScimClient) -> None:
    seeded = seed(client, 60)
    state = Recorder()
    outcomes = send_all(client, title_writes(seeded), state, mode="serial")
    assert len(outcomes) == 60
    calls = state.progress_calls
    assert calls[0][:2] == (0, 60) and calls[-1][:2] == (60, 60)
    # Between two calls at least PROGRESS_INTERVAL, except the final (60, 60).
    gaps = [b[2] - a[2] for a, b in zip(calls[:-2], calls[1:-1], strict=True)]
    assert all(gap >= PROGRESS_INTERVAL * 0.9 for gap in gaps)
    assert len(calls) < 60  # a few ms per write, so most counts were skipped


# -- Arguments ------------------------------------------------------------------------------------


def test_invalid_arguments_are_refused_before_anything_is_sent(
    client: ScimClient, faults: Faults
) -> None:
    faults.reset()
    nothing = Write(ref=1, user_id="abc", operations=(), resource=None, etag=None)
    neither = Write(ref=2, user_id=None, operations=(), resource=None, etag=None)
    for writes, kwargs in (
        ([nothing], {}),
        ([neither], {}),
        ([], {"mode": "fast"}),
        ([], {"workers": 0}),
    ):
        with pytest.raises(ValueError):
            send_all(client, writes, Recorder(), **kwargs)
    assert faults.count() == 0
    state = Recorder()
    assert send_all(client, [], state) == [] and state.outcomes == []
