"""New rows are never created twice: matched against the server and the rows before them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.models.profiles import profile_named
from desktop_app.models.upload_plan import CREATE, EXISTS, UploadSnapshot, build_plan, index_by

HEADERS = ("id", "userName", "givenName", "familyName", "email")


def snapshot(*rows: tuple[str, ...]) -> UploadSnapshot:
    columns = tuple(tuple(row[c] for row in rows) for c in range(len(HEADERS)))
    return UploadSnapshot(
        path=Path("users.xlsx"),
        profile=profile_named("scim"),
        headers=HEADERS,
        labels=HEADERS,
        separators=(",",) * len(HEADERS),
        key_column=0,
        columns=columns,
        changed=frozenset(),
        red_rows=frozenset(),
        data_start=1,
    )


def on_server(user_id: str, user_name: str, email: str) -> tuple[dict[str, Any], None]:
    return {
        "id": user_id,
        "userName": user_name,
        "emails": [{"value": email, "primary": True}],
    }, None


def test_a_new_row_matching_a_user_by_name_or_email_in_any_case_is_held_back() -> None:
    users = [on_server("1", "erin.fox", "erin@example.org")]
    plan = build_plan(
        snapshot(
            ("", "Erin.Fox", "Erin", "Fox", "other@example.org"),
            ("", "efox", "Erin", "Fox", "ERIN@example.org"),
            ("", "new", "New", "One", "new@example.org"),
        ),
        index_by(users, "id"),
        everyone=users,
    )

    assert [u.action for u in plan.users] == [EXISTS, EXISTS, CREATE]
    first, second, _ = plan.users
    assert first.match == {"id": "1", "userName": "erin.fox", "email": "erin@example.org"}
    assert first.message is not None and first.message.startswith(
        "The username 'Erin.Fox' is already in use on the server: this user probably already "
        "exists as erin.fox (erin@example.org): use that account?"
    )
    assert second.message is not None and "email address 'ERIN@example.org'" in second.message
    assert plan.summary() == (
        "0 users will be updated · 1 will be added · 2 new rows probably already exist and "
        "will not be added"
    )
    assert plan.matches_existing() == [first, second]


def test_two_new_rows_for_the_same_person_add_one_account() -> None:
    plan = build_plan(
        snapshot(
            ("", "dee", "Dee", "Ng", "dee@example.org"),
            ("", "dee.ng", "Dee", "Ng", "Dee@Example.org"),
        ),
        {},
        everyone=[],
    )

    assert [u.action for u in plan.users] == [CREATE, EXISTS]
    assert plan.users[1].message is not None and "row 2 of this file" in plan.users[1].message


def test_a_server_without_versions_is_said_to_be_unable_to_lock_users() -> None:
    users = [on_server("1", "ann", "ann@example.org")]
    plan = build_plan(
        snapshot(("1", "ann", "Anna", "", "ann@example.org")), index_by(users, "id"), everyone=users
    )
    plan.include_external = True

    assert any("cannot lock users" in w for w in plan.warnings())
