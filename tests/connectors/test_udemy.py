"""The Udemy invite connector against a local server that follows Udemy's contract."""

from __future__ import annotations

import base64
import logging
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_app.connectors.udemy import (
    EXISTS_SENTENCE,
    AccountExists,
    FieldRefused,
    InviteStatus,
    OrganisationNotFound,
    UdemyAddressError,
    UdemyAuthError,
    UdemyConnectionProblem,
    UdemyError,
    UdemyInviteClient,
    error_for_status,
    existing_account,
    refused_field,
)
from desktop_app.models.errors import UserFacingError
from tests.helpers.udemy_server import RunningUdemy, running_udemy_server

TOKEN = "udemy-PAT-s3cr3t-for-tests"


@pytest.fixture
def udemy() -> Iterator[RunningUdemy]:
    """A fresh, empty organisation on loopback."""
    with running_udemy_server(token=TOKEN) as server:
        yield server


@pytest.fixture
def invites(udemy: RunningUdemy, waits: list[float]) -> Iterator[UdemyInviteClient]:
    """A client of ``udemy`` whose sleeps are recorded in ``waits``."""
    with UdemyInviteClient(
        udemy.base_url, udemy.org_uuid, udemy.token, timeout=5.0, sleep=waits.append
    ) as client:
        yield client


def ada(client: UdemyInviteClient, **extra: Any) -> Any:
    fields: dict[str, Any] = {
        "email": "ada@example.org",
        "firstname": "Ada",
        "lastname": "Lovelace",
        **extra,
    }
    return client.invite(**fields)


def one_sentence(error: BaseException) -> str:
    text = str(error)
    assert isinstance(error, UserFacingError)
    assert "\n" not in text and text.endswith(".") and text[0].isupper()
    return text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- 201 ----------------------------------------------------------------------------


def test_201_returns_the_new_id_and_the_server_holds_the_user(
    udemy: RunningUdemy, invites: UdemyInviteClient
) -> None:
    invited = ada(invites, externalid="E-1", role="learner")

    held = udemy.org.find("ada@example.org")
    assert held is not None
    assert invited.id == str(held["id"])
    assert invited.status is InviteStatus.INVITED
    assert (held["firstname"], held["lastname"], held["externalid"], held["role"]) == (
        "Ada",
        "Lovelace",
        "E-1",
        "learner",
    )
    assert len(udemy.org.users) == 1 and udemy.org.posts == 1


def test_201_carries_status_and_groups() -> None:
    sales, ops = str(uuid.uuid4()), str(uuid.uuid4())
    with (
        running_udemy_server(token=TOKEN, groups=[sales, ops], provisions=True) as udemy,
        UdemyInviteClient(udemy.base_url, udemy.org_uuid, TOKEN) as client,
    ):
        invited = ada(client, groups=[sales, "", ops])
        assert invited.status is InviteStatus.ACTIVE
        assert invited.groups == (sales, ops)
        assert udemy.org.users[invited.id]["groups"] == [sales, ops]


def test_blank_optional_fields_are_left_out(
    udemy: RunningUdemy, invites: UdemyInviteClient
) -> None:
    invited = ada(invites, externalid="", role=None, groups=())
    held = udemy.org.users[invited.id]
    assert "externalid" not in held and "role" not in held


# -- 409 ----------------------------------------------------------------------------


def test_409_reports_the_existing_account_and_adds_no_one(
    udemy: RunningUdemy, invites: UdemyInviteClient
) -> None:
    existing = udemy.org.add("Ada@Example.ORG")

    with pytest.raises(AccountExists) as caught:
        ada(invites)

    error = caught.value
    assert EXISTS_SENTENCE in one_sentence(error)
    assert error.existing_id == existing and error.existing_status == "invited"
    assert error.status == 409 and not error.may_have_been_added
    assert len(udemy.org.users) == 1
    assert invites.request_count == 1


# -- 400 ----------------------------------------------------------------------------


def test_400_names_the_missing_field(udemy: RunningUdemy, invites: UdemyInviteClient) -> None:
    with pytest.raises(FieldRefused) as caught:
        ada(invites, firstname=" ")

    assert caught.value.field == "firstname"
    assert one_sentence(caught.value) == "Udemy refused the user: the first name is missing."
    assert not caught.value.may_have_been_added
    assert udemy.org.users == {}


def test_400_names_a_refused_value(udemy: RunningUdemy, invites: UdemyInviteClient) -> None:
    with pytest.raises(FieldRefused) as caught:
        ada(invites, role="teacher")

    assert caught.value.field == "role"
    assert "the role is not accepted" in one_sentence(caught.value)
    assert "teacher" in str(caught.value)
    assert udemy.org.users == {}


def test_400_names_an_unknown_group() -> None:
    with (
        running_udemy_server(token=TOKEN, groups=[str(uuid.uuid4())]) as udemy,
        UdemyInviteClient(udemy.base_url, udemy.org_uuid, TOKEN) as client,
        pytest.raises(FieldRefused) as caught,
    ):
        ada(client, groups=[str(uuid.uuid4())])
    assert caught.value.field == "groups"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"firstname": ["This field is required."]}, "firstname"),
        ({"field": "lastname", "detail": "This field is required."}, "lastname"),
        ({"errors": [{"field": "email", "message": "Enter a valid email."}]}, "email"),
        ({"detail": "Unknown field 'frstname'."}, "frstname"),
        ({"detail": "externalid is too long"}, "externalid"),
        ({"first_name": ["This field is required."]}, "firstname"),
        ({"detail": "Bad request."}, None),
        ("not json", None),
    ],
)
def test_the_field_a_400_names_is_read_from_each_shape(body: Any, field: str | None) -> None:
    assert refused_field(body)[0] == field
    error = error_for_status(400, body, org_uuid="x")
    assert isinstance(error, FieldRefused) and error.field == field
    one_sentence(error)


def test_a_misspelled_field_is_named_in_quotes() -> None:
    error = error_for_status(400, {"frstname": ["Unknown field."]}, org_uuid="x")
    assert "“frstname”" in one_sentence(error)


def test_an_unknown_value_is_not_called_an_unknown_field() -> None:
    # "Unknown group." is about the group's name: the field itself is fine.
    sentence = one_sentence(error_for_status(400, {"groups": ["Unknown group."]}, org_uuid="x"))
    assert "does not accept the field" not in sentence
    assert "(Udemy said: Unknown group)" in sentence
    unknown = one_sentence(error_for_status(400, {"groups": ["Unknown field."]}, org_uuid="x"))
    assert "does not accept the field “groups”" in unknown


def test_existing_account_shapes() -> None:
    assert existing_account({"id": 7, "status": "active"}) == ("7", "active")
    assert existing_account({"user": {"id": "u-1"}}) == ("u-1", None)
    assert existing_account({"detail": "exists"}) == (None, None)
    error = error_for_status(409, {"detail": "exists"}, org_uuid="x")
    assert isinstance(error, AccountExists) and error.existing_id is None
    assert EXISTS_SENTENCE in one_sentence(error)


# -- 401, 403, 404 ---------------------------------------------------------------------


def test_401_says_the_token_was_not_accepted_and_is_not_retried(
    udemy: RunningUdemy, waits: list[float]
) -> None:
    with UdemyInviteClient(udemy.base_url, udemy.org_uuid, "wrong-token", sleep=waits.append) as c:
        with pytest.raises(UdemyAuthError) as caught:
            ada(c)
        assert c.request_count == 1
    assert one_sentence(caught.value).startswith("Udemy did not accept the access token")
    assert caught.value.status == 401 and not caught.value.may_have_been_added
    assert udemy.org.users == {} and waits == []


def test_403_says_the_token_may_not_add_users(
    udemy: RunningUdemy, invites: UdemyInviteClient
) -> None:
    udemy.faults.respond(403, method="POST")
    with pytest.raises(UdemyAuthError) as caught:
        ada(invites)
    assert "not allowed to add users" in one_sentence(caught.value)


def test_404_says_the_organisation_id_is_wrong(udemy: RunningUdemy) -> None:
    other = str(uuid.uuid4())
    with (
        UdemyInviteClient(udemy.base_url, other, TOKEN) as client,
        pytest.raises(OrganisationNotFound) as caught,
    ):
        ada(client)
    assert other in one_sentence(caught.value)
    assert "organisation id" in str(caught.value)
    assert udemy.org.users == {}


# -- 429, 5xx: what is sent again ------------------------------------------------------


def test_429_waits_as_asked_and_adds_the_user_exactly_once(
    udemy: RunningUdemy, invites: UdemyInviteClient, waits: list[float]
) -> None:
    udemy.org.throttle(times=1, retry_after="3")

    invited = ada(invites)

    assert waits == [3.0]
    assert invites.request_count == 2
    assert list(udemy.org.users) == [invited.id]


def test_429_that_goes_on_is_reported_busy_and_nothing_was_added(
    udemy: RunningUdemy, waits: list[float]
) -> None:
    udemy.org.throttle(times=10, retry_after="1")
    with (
        UdemyInviteClient(
            udemy.base_url, udemy.org_uuid, TOKEN, max_retries=2, sleep=waits.append
        ) as client,
        pytest.raises(UdemyError) as caught,
    ):
        ada(client)
    assert "busy" in one_sentence(caught.value) and "was not added" in str(caught.value)
    assert not caught.value.may_have_been_added
    assert waits == [1.0, 1.0] and udemy.org.users == {}


def test_429_asking_for_too_long_a_wait_is_not_waited_for(
    udemy: RunningUdemy, invites: UdemyInviteClient, waits: list[float]
) -> None:
    udemy.org.throttle(times=1, retry_after="3600")
    with pytest.raises(UdemyError, match="busy"):
        ada(invites)
    assert waits == [] and invites.request_count == 1


def test_503_is_retried_with_backoff(
    udemy: RunningUdemy, invites: UdemyInviteClient, waits: list[float]
) -> None:
    udemy.faults.respond(503, times=2, method="POST")
    ada(invites)
    assert waits == [0.5, 1.0] and len(udemy.org.users) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_an_answer_that_may_follow_the_invite_is_never_resent(
    udemy: RunningUdemy, invites: UdemyInviteClient, waits: list[float], status: int
) -> None:
    udemy.faults.respond(status, method="POST")
    with pytest.raises(UdemyError) as caught:
        ada(invites)
    assert caught.value.may_have_been_added and caught.value.status == status
    assert "may have been added" in one_sentence(caught.value)
    assert invites.request_count == 1 and waits == []


# -- Lost answers and unreachable servers ------------------------------------------------


def test_a_connection_dropped_after_the_invite_arrived_is_never_resent(
    udemy: RunningUdemy, invites: UdemyInviteClient, waits: list[float]
) -> None:
    udemy.faults.drop(method="POST", after_processing=True)

    with pytest.raises(UdemyConnectionProblem) as caught:
        ada(invites)

    assert caught.value.may_have_been_added
    assert "may have been added: check Pending invitations" in one_sentence(caught.value)
    assert udemy.faults.count("POST") == 1 and invites.request_count == 1 and waits == []
    assert len(udemy.org.users) == 1  # it was added: a second POST would only meet a 409


def test_a_slow_answer_is_not_waited_for_twice(udemy: RunningUdemy, waits: list[float]) -> None:
    udemy.org.delay = 1.0
    with (
        UdemyInviteClient(
            udemy.base_url, udemy.org_uuid, TOKEN, timeout=0.3, sleep=waits.append
        ) as client,
        pytest.raises(UdemyConnectionProblem) as caught,
    ):
        ada(client)
    assert caught.value.may_have_been_added
    assert "did not answer within 0.3 seconds" in one_sentence(caught.value)
    assert client.request_count == 1 and waits == []


def test_a_refused_connection_is_retried_and_says_nothing_was_added(waits: list[float]) -> None:
    with (
        UdemyInviteClient(
            f"http://127.0.0.1:{free_port()}/api-2.0",
            str(uuid.uuid4()),
            TOKEN,
            max_retries=2,
            sleep=waits.append,
        ) as client,
        pytest.raises(UdemyConnectionProblem) as caught,
    ):
        ada(client)
    assert not caught.value.may_have_been_added
    assert "connection was refused" in one_sentence(caught.value)
    assert "was not added" in str(caught.value)
    assert client.request_count == 3 and waits == [0.5, 1.0]


# -- Addresses, organisation ids and tokens ---------------------------------------------


def test_plain_http_to_another_computer_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(UdemyAddressError) as caught:
        UdemyInviteClient("http://usermanagement.udemy.com/api-2.0", str(uuid.uuid4()), TOKEN)
    assert "not encrypted" in one_sentence(caught.value)
    for address in ("https://usermanagement.udemy.com/api-2.0/", "http://localhost:8000/api"):
        UdemyInviteClient(address, str(uuid.uuid4()), TOKEN).close()


@pytest.mark.parametrize("address", ["", "usermanagement.udemy.com", "ftp://x", "https://"])
def test_an_address_that_is_not_one_is_refused(address: str) -> None:
    with pytest.raises(UdemyAddressError) as caught:
        UdemyInviteClient(address, str(uuid.uuid4()), TOKEN)
    one_sentence(caught.value)


@pytest.mark.parametrize("org", ["", "  ", "my-company", "12345"])
def test_an_organisation_id_that_is_not_a_uuid_is_refused(org: str) -> None:
    with pytest.raises(UdemyAddressError) as caught:
        UdemyInviteClient("https://usermanagement.udemy.com/api-2.0", org, TOKEN)
    assert "organisation" in one_sentence(caught.value)


def test_the_organisation_id_is_sent_in_its_usual_form(udemy: RunningUdemy) -> None:
    spelled = "  " + udemy.org_uuid.upper() + " "
    with UdemyInviteClient(udemy.base_url, spelled, TOKEN) as client:
        assert client.users_url.endswith(f"/organizations/{udemy.org_uuid}/users/")
        ada(client)


@pytest.mark.parametrize("token", ["", "   ", "two words", "with:colon", "accentué"])
def test_a_token_that_cannot_be_sent_is_refused(token: str) -> None:
    with pytest.raises(UdemyAuthError) as caught:
        UdemyInviteClient("https://usermanagement.udemy.com/api-2.0", str(uuid.uuid4()), token)
    one_sentence(caught.value)


def test_the_token_is_never_logged_nor_shown(
    udemy: RunningUdemy, invites: UdemyInviteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    encoded = base64.b64encode(f"{TOKEN}:".encode()).decode()
    ada(invites)
    udemy.org.throttle(times=1, retry_after="0")
    errors: list[BaseException] = []
    for attempt in (lambda: ada(invites), lambda: ada(invites, firstname="")):
        with pytest.raises(UdemyError) as caught:
            attempt()
        errors.append(caught.value)
    udemy.faults.drop(method="POST", after_processing=True)
    with pytest.raises(UdemyError) as caught:
        ada(invites, email="grace@example.org")
    errors.append(caught.value)

    assert any("Udemy POST" in r.getMessage() for r in caplog.records)
    assert "<redacted>" in caplog.text
    shown = [
        caplog.text,
        repr(invites),
        repr(invites._session.auth),
        *(str(e) for e in errors),
        *(repr(vars(e)) for e in errors),
    ]
    for text in shown:
        assert TOKEN not in text and encoded not in text
    # Bodies are personal data: the log never holds them either.
    assert "ada@example.org" not in caplog.text and "Lovelace" not in caplog.text


# -- Checking a connection, redirects ----------------------------------------------------


def test_check_accepts_the_right_token_and_organisation_and_adds_no_one(
    udemy: RunningUdemy, invites: UdemyInviteClient
) -> None:
    invites.check()
    with (
        UdemyInviteClient(udemy.base_url, udemy.org_uuid, "wrong") as client,
        pytest.raises(UdemyAuthError),
    ):
        client.check()
    with (
        UdemyInviteClient(udemy.base_url, str(uuid.uuid4()), TOKEN) as client,
        pytest.raises(OrganisationNotFound),
    ):
        client.check()
    assert udemy.org.users == {}


def test_a_redirect_is_not_followed(udemy: RunningUdemy, invites: UdemyInviteClient) -> None:
    udemy.faults.respond(302, method="POST")
    with pytest.raises(UdemyAddressError) as caught:
        ada(invites)
    assert "check the API address" in one_sentence(caught.value)
    assert invites.request_count == 1 and udemy.org.users == {}
