"""Inviting a Udemy file's new rows, against the local server that follows Udemy's contract."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_app.connectors.udemy import UdemyInviteClient
from desktop_app.services.udemy_invites import InviteOutcome, InviteResult, invite_new_rows
from tests.helpers.udemy_server import RunningUdemy, running_udemy_server

TOKEN = "udemy-PAT-for-service-tests"


class Report:
    """Records what the service reports; stops after ``stop_after`` outcomes when told."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.recorded: list[InviteOutcome] = []
        self.progress_calls: list[tuple[int, int]] = []
        self.stop_after = stop_after

    def progress(self, done: int, total: int) -> None:
        self.progress_calls.append((done, total))

    def cancelled(self) -> bool:
        return self.stop_after is not None and len(self.recorded) >= self.stop_after

    def record(self, outcome: InviteOutcome) -> None:
        self.recorded.append(outcome)


@pytest.fixture
def udemy() -> Iterator[RunningUdemy]:
    with running_udemy_server(token=TOKEN) as server:
        yield server


@pytest.fixture
def client(udemy: RunningUdemy) -> Iterator[UdemyInviteClient]:
    with UdemyInviteClient(
        udemy.base_url, udemy.org_uuid, TOKEN, timeout=5.0, sleep=lambda _: None
    ) as invites:
        yield invites


def row(ref: int, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "ref": ref,
        "email": f"{name}@example.org",
        "first_name": name.title(),
        "last_name": "Tester",
        **extra,
    }


def test_each_row_gets_its_outcome_and_the_server_holds_only_the_new_ones(
    udemy: RunningUdemy, client: UdemyInviteClient
) -> None:
    existing = udemy.org.add("Grace@example.org")
    rows = [
        row(2, "ada", external_id="E-2", role="Learner"),
        row(3, "grace"),
        row(4, "alan", first_name=""),
        row(5, "barbara", role="Group Admin"),
        row(6, "ADA"),
        row(7, "edsger", role="Admin", external_id="E-7"),
    ]
    report = Report()

    outcomes = invite_new_rows(client, rows, report)

    assert [o.ref for o in outcomes] == [2, 3, 4, 5, 6, 7]
    created, exists, missing, group_admin, twice, admin = outcomes
    ada = udemy.org.find("ada@example.org")
    assert ada is not None and ada["externalid"] == "E-2" and ada["role"] == "learner"
    assert created.result is InviteResult.CREATED and created.user_id == str(ada["id"])
    assert created.status == "invited" and created.message is None

    assert exists.result is InviteResult.EXISTS and exists.user_id == existing
    assert "already belongs to a user in your Udemy organisation" in (exists.message or "")

    assert missing.result is InviteResult.REFUSED
    assert (missing.field, missing.column) == ("firstname", "first_name")
    assert missing.message == "Udemy refused the user: the first name is missing."

    assert group_admin.result is InviteResult.REFUSED and group_admin.column == "role"
    assert "learner or an admin" in (group_admin.message or "")

    assert twice.result is InviteResult.REFUSED and twice.column == "email"
    assert "(2)" in (twice.message or "")

    edsger = udemy.org.find("edsger@example.org")
    assert admin.result is InviteResult.CREATED and edsger is not None
    assert edsger["role"] == "admin"

    assert len(udemy.org.users) == 3  # grace, ada, edsger: no one twice
    assert client.request_count == 4  # the role and the second ada never left
    assert report.recorded == outcomes
    assert report.progress_calls[0] == (0, 6) and report.progress_calls[-1] == (6, 6)


def test_group_names_become_the_organisations_group_ids() -> None:
    sales, ops = str(uuid.uuid4()), str(uuid.uuid4())
    ids = {"Sales": sales, "Operations": ops}
    with (
        running_udemy_server(token=TOKEN, groups=[sales, ops]) as udemy,
        UdemyInviteClient(udemy.base_url, udemy.org_uuid, TOKEN) as client,
    ):
        rows = [row(1, "ada", groups="sales, Operations"), row(2, "alan", groups=["Salez"])]
        ok, unknown = invite_new_rows(client, rows, Report(), group_ids=ids)

        assert ok.result is InviteResult.CREATED
        assert udemy.org.users[ok.user_id or ""]["groups"] == [sales, ops]
        assert unknown.result is InviteResult.REFUSED and unknown.column == "groups"
        assert unknown.message == "The group “Salez” is not in your Udemy organisation."
        assert client.request_count == 1


def test_a_refused_token_stops_the_run_after_one_request(udemy: RunningUdemy) -> None:
    with UdemyInviteClient(udemy.base_url, udemy.org_uuid, "not-the-token") as client:
        outcomes = invite_new_rows(client, [row(1, "ada"), row(2, "alan")], Report())
        assert client.request_count == 1
    assert [o.result for o in outcomes] == [InviteResult.FAILED, InviteResult.FAILED]
    assert all("did not accept the access token" in (o.message or "") for o in outcomes)
    assert not any(o.may_have_been_added for o in outcomes)
    assert udemy.org.users == {}


def test_a_wrong_organisation_stops_the_run(udemy: RunningUdemy) -> None:
    with UdemyInviteClient(udemy.base_url, str(uuid.uuid4()), TOKEN) as client:
        outcomes = invite_new_rows(client, [row(1, "ada"), row(2, "alan")], Report())
        assert client.request_count == 1
    assert all("no organisation" in (o.message or "") for o in outcomes)


def test_a_lost_answer_is_reported_and_the_next_rows_go_on(
    udemy: RunningUdemy, client: UdemyInviteClient
) -> None:
    udemy.faults.drop(method="POST", after_processing=True)

    lost, next_one = invite_new_rows(client, [row(1, "ada"), row(2, "alan")], Report())

    assert lost.result is InviteResult.FAILED and lost.may_have_been_added
    assert "may have been added" in (lost.message or "")
    assert next_one.result is InviteResult.CREATED
    assert udemy.faults.count("POST") == 2 and len(udemy.org.users) == 2


def test_sending_again_after_a_lost_answer_finds_the_account_instead_of_a_second_one(
    udemy: RunningUdemy, client: UdemyInviteClient
) -> None:
    udemy.faults.drop(method="POST", after_processing=True)
    (lost,) = invite_new_rows(client, [row(1, "ada")], Report())
    (again,) = invite_new_rows(client, [row(1, "ada")], Report())

    held = udemy.org.find("ada@example.org")
    assert lost.may_have_been_added and held is not None
    assert again.result is InviteResult.EXISTS and again.user_id == str(held["id"])
    assert len(udemy.org.users) == 1


def test_throttled_rows_are_created_once(udemy: RunningUdemy, client: UdemyInviteClient) -> None:
    udemy.org.throttle(times=2, retry_after="0")
    outcomes = invite_new_rows(client, [row(1, "ada"), row(2, "alan")], Report())
    assert [o.result for o in outcomes] == [InviteResult.CREATED] * 2
    assert len(udemy.org.users) == 2 and udemy.org.posts == 2


def test_udemy_still_busy_after_the_retries_stops_the_run(udemy: RunningUdemy) -> None:
    udemy.org.throttle(times=100, retry_after="0")
    with UdemyInviteClient(
        udemy.base_url, udemy.org_uuid, TOKEN, max_retries=1, sleep=lambda _: None
    ) as client:
        outcomes = invite_new_rows(client, [row(1, "ada"), row(2, "alan")], Report())
        assert client.request_count == 2
    assert all("busy" in (o.message or "") and not o.may_have_been_added for o in outcomes)


def test_a_stop_leaves_the_rows_not_started_without_an_outcome(
    udemy: RunningUdemy, client: UdemyInviteClient
) -> None:
    report = Report(stop_after=1)
    outcomes = invite_new_rows(client, [row(1, "ada"), row(2, "alan"), row(3, "edsger")], report)
    assert [o.ref for o in outcomes] == [1]
    assert len(udemy.org.users) == 1


def test_rows_without_ref_are_numbered_by_position(
    udemy: RunningUdemy, client: UdemyInviteClient
) -> None:
    rows = [{"email": "ada@example.org", "first_name": "Ada", "last_name": "L"}]
    (outcome,) = invite_new_rows(client, rows, Report())
    assert outcome.ref == 0 and outcome.result is InviteResult.CREATED
