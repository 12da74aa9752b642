"""The SCIM connector against a real scim2-server on loopback, with injected faults."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import os
import socket
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest
import requests

from desktop_app.connectors.scim import (
    CONFLICT_SENTENCE,
    ENTERPRISE_USER_SCHEMA,
    USER_SCHEMA,
    AddressError,
    AuthError,
    ConflictError,
    ConnectionProblem,
    NotFoundError,
    ScimClient,
    ScimError,
    UniquenessError,
    attribute_in_detail,
    create_operation,
    encode_json,
    filter_expression,
    parse_retry_after,
    patch_operation,
    plan_bulk_batches,
)
from desktop_app.models.errors import UserFacingError
from tests.helpers.faults import Faults
from tests.helpers.scim_server import (
    ScimServer,
    html_app,
    running_scim_server,
    server_copy,
    serving,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ENTERPRISE = ENTERPRISE_USER_SCHEMA


def user(name: str, **extra: Any) -> dict[str, Any]:
    """A user dict with an email and the Enterprise User extension."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": name,
        "name": {"givenName": name.title(), "familyName": "Tester"},
        "emails": [{"value": f"{name}@example.org", "type": "work", "primary": True}],
        "active": True,
        ENTERPRISE: {
            "employeeNumber": f"E-{name}",
            "department": "Research",
            "costCenter": "CC-42",
            "organization": "Atlas Learning",
            "manager": {"value": "boss-id"},
        },
        **extra,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(client: ScimClient, count: int, prefix: str = "user") -> None:
    results = client.bulk_all(
        [create_operation(user(f"{prefix}{i:04d}"), f"b{i}") for i in range(count)]
    )
    assert [r["status"] for r in results] == [201] * count


# -- Connection test -----------------------------------------------------------------


def test_connection_success_says_so_in_one_sentence(client: ScimClient) -> None:
    client.create_user(user("ada"))
    sentence = client.test_connection()
    assert sentence == f"Connected to {client.host}: the token works and the server has 1 user."


def test_capabilities_come_from_the_service_provider_config(client: ScimClient) -> None:
    caps = client.service_provider_config()
    assert caps.patch and caps.bulk_supported and caps.etag_supported and caps.filter_supported
    assert caps.bulk_max_operations == 1000
    assert caps.bulk_max_payload == 1_048_576


def test_wrong_token_is_an_auth_error(scim_server: ScimServer) -> None:
    client = ScimClient(scim_server.base_url, "not-the-token", sleep=lambda s: None)
    with pytest.raises(AuthError) as caught:
        client.test_connection()
    assert caught.value.status == 401
    assert str(caught.value).startswith("The server refused the token: ")


def test_nothing_listening_is_a_refused_connection() -> None:
    client = ScimClient(f"http://127.0.0.1:{free_port()}/scim/v2", "t", sleep=lambda s: None)
    with pytest.raises(ConnectionProblem) as caught:
        client.test_connection()
    assert str(caught.value) == (
        f"Could not reach {client.host}: the connection was refused. Check the server address."
    )
    assert client.request_count == 1  # the connection test does not retry


def test_refused_connection_is_retried_by_ordinary_calls() -> None:
    waits: list[float] = []
    client = ScimClient(
        f"http://127.0.0.1:{free_port()}/v2", "t", sleep=waits.append, max_retries=3, backoff=0.5
    )
    with pytest.raises(ConnectionProblem, match="refused"):
        client.get_user("x")
    assert waits == [0.5, 1.0, 2.0]
    assert client.request_count == 4


def test_html_site_is_not_a_scim_server() -> None:
    with serving(html_app) as site:
        client = ScimClient(f"{site.root_url}/scim/v2", "t")
        with pytest.raises(AddressError) as caught:
            client.test_connection()
    assert str(caught.value) == (
        f"{site.root_url}/scim/v2 is not a SCIM server: it answered with a web page, not SCIM "
        "data. Check the SCIM address in your platform's settings (it usually ends in /scim/v2)."
    )


def test_404_at_service_provider_config_is_not_a_scim_server(scim_server: ScimServer) -> None:
    client = ScimClient(scim_server.base_url + "/wrong/path", scim_server.token)
    with pytest.raises(AddressError, match="is not a SCIM server: it has no SCIM") as caught:
        client.test_connection()
    assert caught.value.status == 404


def test_plain_http_to_another_host_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a request was sent")

    monkeypatch.setattr(requests.Session, "request", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(AddressError) as caught:
        ScimClient("http://scim.example.com/v2", "token")
    assert str(caught.value).startswith("The address http://scim.example.com/v2 is not encrypted")
    # Loopback may use http, in every spelling.
    for url in ("http://localhost:8080/v2", "http://127.0.0.5/v2", "http://[::1]:9/v2"):
        ScimClient(url, "token")


@pytest.mark.parametrize("url", ["", "scim.example.com", "ftp://x/v2", "https://", "http://[::1"])
def test_malformed_address_is_one_sentence(url: str) -> None:
    with pytest.raises(AddressError, match="is not a web address"):
        ScimClient(url, "token")


@pytest.mark.parametrize("token", ["", "  ", "abc def", "abc\ndef", "tökén"])
def test_unusable_token_is_refused_up_front(token: str) -> None:
    with pytest.raises(AuthError):
        ScimClient("https://scim.example.com/v2", token)


def test_tls_failure_is_a_certificate_sentence(scim_server: ScimServer) -> None:
    # https:// to a plain-http server fails the TLS handshake, as a bad certificate would.
    url = scim_server.base_url.replace("http://", "https://")
    client = ScimClient(url, scim_server.token)
    with pytest.raises(ConnectionProblem, match="security certificate .* could not be verified"):
        client.test_connection()


def test_unknown_host_is_a_sentence() -> None:
    client = ScimClient("https://no-such-host.invalid/v2", "t", timeout=3)
    with pytest.raises(ConnectionProblem) as caught:
        client.test_connection()
    assert str(caught.value).startswith("Could not ")
    assert "no-such-host.invalid" in str(caught.value)


def test_slow_server_times_out_with_the_number_of_seconds(
    scim_server: ScimServer, faults: Faults
) -> None:
    faults.delay_ms = 800
    client = ScimClient(scim_server.base_url, scim_server.token, timeout=0.2, max_retries=0)
    with pytest.raises(ConnectionProblem) as caught:
        client.get_user("x")
    assert "did not answer within 0.2 seconds" in str(caught.value)


# -- Users --------------------------------------------------------------------------


def test_create_user_with_enterprise_extension(scim_server: ScimServer, client: ScimClient) -> None:
    created, etag = client.create_user(user("ada"))
    assert etag and etag == created["meta"]["version"]
    extension = created[ENTERPRISE]
    assert extension["employeeNumber"] == "E-ada"
    assert extension["department"] == "Research"
    assert extension["costCenter"] == "CC-42"
    assert extension["organization"] == "Atlas Learning"
    assert extension["manager"]["value"] == "boss-id"
    assert server_copy(scim_server, created["id"])[ENTERPRISE] == extension
    again, again_etag = client.get_user(created["id"])
    assert again == server_copy(scim_server, created["id"])
    assert again_etag == etag


def test_schemas_are_added_when_missing(client: ScimClient) -> None:
    bare = user("bob")
    del bare["schemas"]
    created, _ = client.create_user(bare)
    assert created["schemas"] == [USER_SCHEMA, ENTERPRISE]


def test_iter_users_pages_through_450_users(client: ScimClient, faults: Faults) -> None:
    seed(client, 450)
    faults.reset()
    seen = list(client.iter_users(page_size=200))
    assert len(seen) == 450
    assert len({resource["id"] for resource, _ in seen}) == 450
    assert all(etag for _, etag in seen)
    assert faults.count("GET", "/Users") == 3
    assert {resource["userName"] for resource, _ in seen} == {f"user{i:04d}" for i in range(450)}


def test_iter_users_on_an_empty_server(client: ScimClient) -> None:
    assert list(client.iter_users()) == []


def test_find_users_quotes_and_escapes_the_value(client: ScimClient) -> None:
    tricky = 'o"brien\\née'
    client.create_user(user(tricky))
    client.create_user(user("plain"))
    found = client.find_users("userName", tricky)
    assert [resource["userName"] for resource, _ in found] == [tricky]
    assert client.find_users("userName", "nobody") == []
    # A value cannot widen the search into a second clause.
    assert client.find_users("userName", 'x" or userName pr or userName eq "y') == []


def test_find_users_by_enterprise_attribute(client: ScimClient) -> None:
    client.create_user(user("ada"))
    client.create_user(user("bob"))
    found = client.find_users(f"{ENTERPRISE}:employeeNumber", "E-bob")
    assert [resource["userName"] for resource, _ in found] == ["bob"]


def test_filter_expression_refuses_an_attribute_that_is_not_a_path() -> None:
    assert filter_expression("userName", 'a"b') == 'userName eq "a\\"b"'
    assert filter_expression("active", True) == "active eq true"
    assert filter_expression("name.givenName", "x") == 'name.givenName eq "x"'
    with pytest.raises(ValueError):
        filter_expression("userName pr or userName", "x")


def test_patch_with_current_etag(
    scim_server: ScimServer, client: ScimClient, faults: Faults
) -> None:
    created, etag = client.create_user(user("ada"))
    patched, new_etag = client.patch_user(
        created["id"],
        [
            {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Operations"},
            {"op": "replace", "path": "displayName", "value": "Ada L."},
        ],
        etag,
    )
    assert new_etag and new_etag != etag
    assert patched[ENTERPRISE]["department"] == "Operations"
    assert patched["displayName"] == "Ada L."
    # scim2-server answers PATCH with 204, so the client read the user back.
    assert faults.count("GET", "/Users/") == 1
    assert server_copy(scim_server, created["id"])["displayName"] == "Ada L."


def test_patch_with_stale_etag_is_a_conflict_and_changes_nothing(
    scim_server: ScimServer, client: ScimClient
) -> None:
    created, stale = client.create_user(user("ada"))
    client.patch_user(created["id"], [{"op": "replace", "path": "title", "value": "Dr"}], stale)
    with pytest.raises(ConflictError) as caught:
        client.patch_user(
            created["id"], [{"op": "replace", "path": "title", "value": "Prof"}], stale
        )
    assert str(caught.value) == CONFLICT_SENTENCE
    assert caught.value.status == 412
    assert server_copy(scim_server, created["id"])["title"] == "Dr"


def test_replace_user_with_etag(scim_server: ScimServer, client: ScimClient) -> None:
    created, etag = client.create_user(user("ada"))
    changed = {**created, "title": "Engineer"}
    replaced, new_etag = client.replace_user(created["id"], changed, etag)
    assert replaced["title"] == "Engineer" and new_etag != etag
    with pytest.raises(ConflictError):
        client.replace_user(created["id"], {**created, "title": "Stale"}, etag)
    assert server_copy(scim_server, created["id"])["title"] == "Engineer"


def test_duplicate_username_is_a_uniqueness_error(client: ScimClient) -> None:
    client.create_user(user("ada"))
    for name in ("ada", "ADA"):  # userName is not case-exact (RFC 7643 §4.1.1)
        with pytest.raises(UniquenessError) as caught:
            client.create_user(user(name))
        assert caught.value.status == 409
        assert caught.value.scim_type == "uniqueness"
        assert str(caught.value) == (
            f"Could not create the user “{name}”: the username or email is already in use "
            "by another user on the server."
        )


def test_missing_user_is_not_found(client: ScimClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_user("no-such-id")
    assert caught.value.status == 404
    assert "does not exist on the server" in str(caught.value)


def test_refused_value_names_the_attribute(client: ScimClient) -> None:
    with pytest.raises(ScimError) as caught:
        client.create_user(user("ada", active="maybe"))
    assert caught.value.status == 400 and caught.value.scim_type == "invalidValue"
    assert caught.value.attribute == "active"
    assert str(caught.value).startswith(
        "Could not create the user “ada”: the server refused the value of “active”"
    )
    nameless = user("x")
    del nameless["userName"]
    with pytest.raises(ScimError) as caught:
        client.create_user(nameless)
    assert caught.value.attribute == "userName"


@pytest.mark.parametrize(
    ("detail", "attribute"),
    [
        ("Field 'userName' is required but value is missing, null or empty", "userName"),
        ("Input should be a valid boolean, unable to interpret input: active", "active"),
        ("Value error: emails[0].value", "emails[0].value"),
        ('Attribute "title" is read only', "title"),
        ("Something went wrong", None),
        (None, None),
    ],
)
def test_attribute_in_detail(detail: str | None, attribute: str | None) -> None:
    assert attribute_in_detail(detail) == attribute


def test_list_groups(client: ScimClient) -> None:
    group_schema = "urn:ietf:params:scim:schemas:core:2.0:Group"
    client.bulk(
        [
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "g",
                "data": {"schemas": [group_schema], "displayName": "Teachers"},
            }
        ]
    )
    groups = client.list_groups()
    assert [group["displayName"] for group, _ in groups] == ["Teachers"]
    assert groups[0][1]


# -- Bulk ----------------------------------------------------------------------------


def test_bulk_splits_by_max_operations() -> None:
    with running_scim_server(token="t", middleware=Faults, max_operations=3) as server:
        client = ScimClient(server.base_url, server.token)
        assert client.service_provider_config().bulk_max_operations == 3
        results = client.bulk_all([create_operation(user(f"u{i}"), f"b{i}") for i in range(7)])
        assert isinstance(server.app, Faults)
        assert server.app.count("POST", "/Bulk") == 3
    assert [r["status"] for r in results] == [201] * 7
    assert [r["bulkId"] for r in results] == [f"b{i}" for i in range(7)]
    assert all(r["location"] and r["version"] and r["message"] is None for r in results)


def test_bulk_splits_by_max_payload_size() -> None:
    operations = [create_operation(user(f"u{i}"), f"b{i}") for i in range(10)]
    one = len(encode_json(operations[0]))
    limit = one * 3 + 100
    batches = plan_bulk_batches(operations, max_operations=None, max_payload_size=limit)
    assert len(batches) > 1 and [op for b in batches for op in b] == operations
    for batch in batches:
        envelope = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": batch,
        }
        assert len(encode_json(envelope)) <= limit
    # The real server accepts every batch at that limit (a 413 would raise).
    with running_scim_server(token="t", max_payload_size=limit) as server:
        client = ScimClient(server.base_url, server.token)
        results = client.bulk_all(operations)
    assert [r["status"] for r in results] == [201] * 10


def test_one_change_larger_than_max_payload_is_a_sentence() -> None:
    with pytest.raises(ScimError, match="larger than the server accepts"):
        plan_bulk_batches(
            [create_operation(user("big"), "b1")], max_operations=10, max_payload_size=100
        )


def test_bulk_reports_each_failure_as_a_sentence(client: ScimClient) -> None:
    created, etag = client.create_user(user("ada"))
    results = client.bulk(
        [
            create_operation(user("ada"), "dup"),
            create_operation(user("bob"), "new"),
            patch_operation(
                created["id"], [{"op": "replace", "path": "title", "value": "x"}], 'W/"999"'
            ),
        ]
    )
    assert [r["status"] for r in results] == [409, 201, 412]
    assert results[0]["message"] == (
        "Could not create the user of change “dup”: the username or email is already in use "
        "by another user on the server."
    )
    assert results[1]["message"] is None
    assert results[2]["message"] == CONFLICT_SENTENCE


# -- Retries -------------------------------------------------------------------------


def test_429_retry_after_seconds_is_honoured(
    client: ScimClient, faults: Faults, waits: list[float]
) -> None:
    faults.throttle(times=2, retry_after="3", method="GET")
    assert list(client.iter_users()) == []
    assert waits == [3.0, 3.0]
    assert faults.count("GET", "/Users") == 3


def test_429_retry_after_http_date_is_honoured(
    client: ScimClient, faults: Faults, waits: list[float]
) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    faults.throttle(times=1, retry_after=email.utils.format_datetime(when, usegmt=True))
    client.create_user(user("ada"))  # a 429 means "not processed", so even POST is retried
    assert len(waits) == 1 and 3.0 <= waits[0] <= 5.0
    assert faults.count("POST", "/Users") == 2


def test_retry_after_holds_back_the_other_threads_of_the_client(
    client: ScimClient, faults: Faults, waits: list[float]
) -> None:
    """A parallel upload shares one client: a Retry-After given to one of its requests
    keeps the others from starting before that time, each waiting once."""
    created, _ = client.create_user(user("ada"))
    faults.throttle(times=1, retry_after="30", method="GET")
    client.get_user(created["id"])
    assert waits == [30.0]  # the throttled request waited, then was sent again
    client.get_user(created["id"])  # this thread has waited already
    assert waits == [30.0]

    def other_thread() -> None:
        client.get_user(created["id"])
        client.get_user(created["id"])

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    # the other thread waited out what was left of the 30 s (the test's sleeps are not
    # real), once, before its first request
    assert len(waits) == 2 and 0 < waits[1] <= 30.0
    assert faults.count("GET", "/Users/") == 3 + 2


def test_parse_retry_after() -> None:
    now = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_retry_after_too_long_is_not_waited_for(
    client: ScimClient, faults: Faults, waits: list[float]
) -> None:
    faults.throttle(times=1, retry_after="3600")
    with pytest.raises(ScimError, match="busy and asked to slow down") as caught:
        client.get_user("x")
    assert caught.value.status == 429 and waits == []


def test_503_twice_then_success(client: ScimClient, faults: Faults, waits: list[float]) -> None:
    created, _ = client.create_user(user("ada"))
    faults.respond(503, times=2, method="GET")
    fetched, _ = client.get_user(created["id"])
    assert fetched["userName"] == "ada"
    assert waits == [0.5, 1.0]  # exponential backoff from 0.5 s
    assert faults.count("GET") == 3


def test_503_on_create_is_retried_and_creates_once(client: ScimClient, faults: Faults) -> None:
    faults.respond(503, times=1, method="POST")
    client.create_user(user("ada"))
    assert faults.count("POST", "/Users") == 2
    assert len(client.find_users("userName", "ada")) == 1


def test_retries_give_up_after_max_retries(
    client: ScimClient, faults: Faults, waits: list[float]
) -> None:
    faults.respond(503, times=10)
    with pytest.raises(ScimError, match=r"temporarily unavailable \(HTTP 503\)"):
        client.get_user("x")
    assert faults.count() == 5 and len(waits) == 4


def test_dropped_connection_on_patch_is_retried_safely(
    scim_server: ScimServer, client: ScimClient, faults: Faults
) -> None:
    created, etag = client.create_user(user("ada"))
    faults.drop(times=1, method="PATCH")  # lost before the server saw it
    patched, new_etag = client.patch_user(
        created["id"], [{"op": "replace", "path": "title", "value": "Dr"}], etag
    )
    assert patched["title"] == "Dr"
    assert faults.count("PATCH") == 2
    assert server_copy(scim_server, created["id"])["meta"]["version"] == new_etag


def test_patch_whose_answer_was_lost_is_recognised_on_replay(
    scim_server: ScimServer, client: ScimClient, faults: Faults
) -> None:
    created, etag = client.create_user(user("ada"))
    faults.drop(times=1, method="PATCH", after_processing=True)  # saved, answer lost
    patched, new_etag = client.patch_user(
        created["id"], [{"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Ops"}], etag
    )
    # The replay met 412 (the first attempt had changed the version); the client read the
    # user back, saw the change already there, and reported success instead of a conflict.
    assert faults.count("PATCH") == 2
    assert patched[ENTERPRISE]["department"] == "Ops"
    assert new_etag == server_copy(scim_server, created["id"])["meta"]["version"]


def test_put_whose_answer_was_lost_is_recognised_on_replay(
    scim_server: ScimServer, client: ScimClient, faults: Faults
) -> None:
    created, etag = client.create_user(user("ada"))
    faults.drop(times=1, method="PUT", after_processing=True)
    replaced, new_etag = client.replace_user(created["id"], {**created, "title": "Dr"}, etag)
    assert faults.count("PUT") == 2
    assert replaced["title"] == "Dr"
    assert new_etag == server_copy(scim_server, created["id"])["meta"]["version"]


def test_lost_answer_and_a_real_conflict_is_still_a_conflict(
    scim_server: ScimServer, client: ScimClient, faults: Faults
) -> None:
    created, etag = client.create_user(user("ada"))
    url = f"{scim_server.base_url}/Users/{created['id']}"

    def someone_else_edits() -> None:
        requests.patch(
            url,
            timeout=5,
            json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": "Someone's"}],
            },
            headers={"Authorization": f"Bearer {scim_server.token}"},
        ).raise_for_status()

    # Our first attempt is saved, then someone else edits, then our answer is lost.
    faults.drop(times=1, method="PATCH", after_processing=True, then=someone_else_edits)
    with pytest.raises(ConflictError):
        client.patch_user(created["id"], [{"op": "replace", "path": "title", "value": "Dr"}], etag)
    assert server_copy(scim_server, created["id"])["title"] == "Someone's"
    assert faults.count("PATCH") == 3  # ours, theirs, our replay


def test_create_is_not_retried_after_a_500(
    client: ScimClient, faults: Faults, waits: list[float]
) -> None:
    faults.respond(500, times=1, method="POST")
    with pytest.raises(ScimError) as caught:
        client.create_user(user("ada"))
    assert str(caught.value) == (
        "Could not create the user “ada”: the server reported an internal error; check on "
        "the server whether the change was saved before trying again."
    )
    assert faults.count("POST") == 1 and waits == []


def test_create_is_not_retried_after_a_lost_answer(client: ScimClient, faults: Faults) -> None:
    faults.drop(times=1, method="POST", after_processing=True)
    with pytest.raises(ConnectionProblem, match="not known whether the change was saved"):
        client.create_user(user("ada"))
    assert faults.count("POST") == 1
    # ...and that was right: the user exists, a replay would have met a duplicate.
    assert len(client.find_users("userName", "ada")) == 1


def test_bulk_is_not_retried_after_a_502(client: ScimClient, faults: Faults) -> None:
    faults.respond(502, times=1, method="POST")
    with pytest.raises(ScimError, match="not known whether the change was saved"):
        client.bulk([create_operation(user("ada"), "b1")])
    assert faults.count("POST", "/Bulk") == 1


def test_reads_are_retried_after_502_504_and_drops(client: ScimClient, faults: Faults) -> None:
    faults.respond(502, times=1, method="GET")
    faults.respond(504, times=1, method="GET")
    faults.drop(times=1, method="GET")
    assert list(client.iter_users()) == []
    assert faults.count("GET") == 4


def test_request_count_includes_retries(client: ScimClient, faults: Faults) -> None:
    faults.respond(503, times=2)
    client.create_user(user("ada"))
    list(client.iter_users())
    assert client.request_count == faults.count() == 4


def test_token_never_reaches_the_logs(
    scim_server: ScimServer, faults: Faults, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = scim_server.token
    client = ScimClient(scim_server.base_url, token, sleep=lambda s: None)
    client.test_connection()
    created, etag = client.create_user(user("ada"))
    faults.respond(503, times=1)
    client.patch_user(created["id"], [{"op": "replace", "path": "title", "value": "x"}], etag)
    with pytest.raises(ConflictError):
        client.patch_user(created["id"], [{"op": "replace", "path": "title", "value": "y"}], etag)
    with pytest.raises(AuthError):
        ScimClient(scim_server.base_url, token + "-wrong").get_user(created["id"])
    assert any(
        r.name == "desktop_app.connectors.scim" and "PATCH" in r.getMessage()
        for r in caplog.records
    )
    assert "<redacted>" in caplog.text
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in (record.exc_text or "")
    assert token not in caplog.text
    assert token not in repr(client)


def test_every_error_is_a_user_facing_sentence() -> None:
    assert issubclass(ScimError, UserFacingError)
    for cls in (
        ConflictError,
        UniquenessError,
        AuthError,
        NotFoundError,
        ConnectionProblem,
        AddressError,
    ):
        assert issubclass(cls, ScimError)


def _json_app(payload: Any, status: str = "200 OK") -> Any:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/scim+json")])
        return [body]

    return app


def test_loose_service_provider_config_is_read_leniently() -> None:
    loose = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True},
        "bulk": {"supported": True, "maxOperations": "ten", "maxPayloadSize": 5000},
    }
    with serving(_json_app(loose)) as site:
        caps = ScimClient(site.root_url, "t").service_provider_config()
    assert caps.patch and caps.bulk_supported
    assert caps.bulk_max_operations is None and caps.bulk_max_payload == 5000


# -- Environment: proxies and CA bundle, read once per client ----------------------------------


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"HTTPS_PROXY": "http://proxy.example:3128", "HTTP_PROXY": "http://proxy.example:3128"},
        {"HTTP_PROXY": "http://proxy.example:3128", "NO_PROXY": "127.0.0.1,localhost"},
        {"ALL_PROXY": "socks5://proxy.example:1080"},
        {"REQUESTS_CA_BUNDLE": "/etc/company/ca.pem"},
        {"CURL_CA_BUNDLE": "/etc/company/curl-ca.pem", "HTTPS_PROXY": "http://p.example:8080"},
    ],
)
@pytest.mark.parametrize(
    "base_url", ["https://atlas.example.com/scim/v2", "http://127.0.0.1:8000/scim/v2"]
)
def test_proxies_and_ca_bundle_are_those_requests_would_read_for_each_request(
    environment: dict[str, str], base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.upper().endswith(("_PROXY", "CA_BUNDLE")):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    expected = requests.Session().merge_environment_settings(
        base_url + "/Users/x", {}, False, True, None
    )
    with ScimClient(base_url, "t") as client:
        session = client._session
        settings = session.merge_environment_settings(
            base_url + "/Users/x", {}, False, client._verify, None
        )
    assert not session.trust_env
    assert settings["proxies"] == expected["proxies"]
    assert settings["verify"] == expected["verify"]
