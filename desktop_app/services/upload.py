"""An upload from start to end, without Qt: read the server, plan, send, report, undo.

The window runs these functions in a worker thread and the command line calls them
directly; both pass a state object for progress and cancelling.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.connectors.scim import ScimClient, ScimError
from desktop_app.models.scim_mapping import GROUPS, People
from desktop_app.models.upload_plan import (
    UploadPlan,
    UserUpdate,
    build_plan,
    group_changes,
    index_by,
    mapped_columns,
    operations_for,
    undo_operations,
)
from desktop_app.models.writers import atomic_write
from desktop_app.services.journal import Journal
from desktop_app.services.sending import Outcome, SendState, Write, send_all

Progress = Callable[[int, int], None]


def users_and_groups(
    client: ScimClient, progress: Progress | None = None
) -> tuple[list[tuple[dict[str, Any], str | None]], dict[str, str]]:
    """Every user on the server, and the groups' ids by name.

    A user's groups come from the groups' members when the server does not list
    them on the user itself (RFC 7643 makes User.groups optional and read-only).
    """
    groups = client.list_groups()
    member_of: dict[str, list[dict[str, str]]] = {}
    for group, _etag in groups:
        for member in group.get("members") or []:
            entry = {"value": group["id"], "display": group.get("displayName", "")}
            member_of.setdefault(member.get("value", ""), []).append(entry)
    users = []
    for resource, etag in client.iter_users():
        if GROUPS not in resource and resource.get("id") in member_of:
            resource[GROUPS] = member_of[resource["id"]]
        users.append((resource, etag))
        if progress and len(users) % 200 == 0:
            progress(len(users), 0)
    return users, {g.get("displayName", ""): g["id"] for g, _etag in groups}


def prepare(
    document: Any,
    client: ScimClient,
    rows: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> UploadPlan:
    """Read each user's current record from the server and compare it with the table."""
    key_path = document.profile.scim_key or "id"
    users, group_ids = users_and_groups(client, progress)
    directory = index_by(users, key_path)
    # The server's groups are the allowed values of a groups column that has no list.
    for col, path in mapped_columns(document):
        if path == GROUPS and group_ids and not document.allowed_values(col):
            document.use_allowed_values(col, sorted(group_ids))
    plan = build_plan(document, directory, rows, People(users))
    plan.group_ids = group_ids
    return plan


def writes_for(plan: UploadPlan) -> list[Write]:
    """One write per user to update or add; users with nothing to change are not sent.

    A change of groups only is made on the groups themselves (see _settle_groups).
    """
    writes = []
    for user in plan.to_update():
        operations = tuple(operations_for(plan, user))
        if operations:
            writes.append(_update(user, operations, user.etag))
    writes += [
        Write(ref=u.row, user_id=None, operations=(), resource=u.snapshot, etag=None, label=u.label)
        for u in plan.to_create()
    ]
    return writes


def _update(user: UserUpdate, operations: tuple[dict[str, Any], ...], etag: str | None) -> Write:
    return Write(
        ref=user.row,
        user_id=user.user_id,
        operations=operations,
        resource=None,
        etag=etag,
        label=user.label,
    )


@dataclass
class UploadResult:
    """What happened to every row the upload sent."""

    plan: UploadPlan
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    cancelled: bool = False

    def _ok(self, users: list[UserUpdate]) -> int:
        return sum(1 for u in users if u.row in self.outcomes and self.outcomes[u.row].ok)

    @property
    def updated(self) -> int:
        return self._ok(self.plan.to_update())

    @property
    def added(self) -> int:
        return self._ok(self.plan.to_create())

    @property
    def failed(self) -> list[tuple[UserUpdate, str]]:
        """Rows that did not go through, with the reason; unmatched rows included."""
        failed = [(u, u.message or "") for u in self.plan.not_sendable()]
        for user in self.plan.to_update() + self.plan.to_create():
            outcome = self.outcomes.get(user.row)
            if outcome is not None and not outcome.ok:
                failed.append((user, outcome.message or "The server refused this user."))
        return failed

    @property
    def not_sent(self) -> int:
        return sum(
            1 for u in self.plan.to_update() + self.plan.to_create() if u.row not in self.outcomes
        )

    def sentence(self) -> str:
        """'17 users were successfully edited', with added users counted apart."""
        n = self.updated
        text = f"{n:,} {'user was' if n == 1 else 'users were'} successfully edited"
        if self.added:
            text += f". {self.added:,} {'user was' if self.added == 1 else 'users were'} added"
        return text

    def report(self) -> dict[str, Any]:
        """The command line's --json report."""
        return {
            "updated": self.updated,
            "added": self.added,
            "failed": [{"row": u.excel_row, "message": m} for u, m in self.failed],
            "skipped_invalid": len(self.plan._with("invalid")),
            "unchanged": len(self.plan._with("unchanged")),
        }


class Unattended:
    """Progress for scripts and background resumes: nothing shown, never cancelled."""

    def progress(self, done: int, total: int) -> None:
        pass

    def cancelled(self) -> bool:
        return False

    def record(self, outcome: Outcome) -> None:
        pass


class _Recorder:
    """Passes progress and cancel through, and writes each outcome to the journal first."""

    def __init__(
        self, state: SendState, journal: Journal | None, outcomes: dict[int, Outcome]
    ) -> None:
        self._state, self._journal, self._outcomes = state, journal, outcomes

    def progress(self, done: int, total: int) -> None:
        self._state.progress(done, total)

    def cancelled(self) -> bool:
        return self._state.cancelled()

    def record(self, outcome: Outcome) -> None:
        if self._journal is not None:
            self._journal.record(outcome)
        self._outcomes[outcome.ref] = outcome
        self._state.record(outcome)


def upload(
    plan: UploadPlan,
    client: ScimClient,
    state: SendState,
    *,
    journal_folder: Path | None = None,
    mode: str = "auto",
    writes: list[Write] | None = None,
) -> UploadResult:
    """Send the plan's writes, journalled one by one, and say what happened to each row."""
    writes = writes_for(plan) if writes is None else writes
    result = UploadResult(plan)
    journal = (
        Journal.start(plan.document.loaded.path, client.base_url, writes, journal_folder)
        if writes
        else None
    )
    send_all(client, writes, _Recorder(state, journal, result.outcomes), mode=mode)
    result.cancelled = state.cancelled()
    if not result.cancelled:
        _settle_groups(plan, client, result.outcomes, reverse=False)
    if journal is not None and not result.cancelled:
        journal.finish()
    return result


def undo(
    result: UploadResult,
    client: ScimClient,
    state: SendState,
    *,
    journal_folder: Path | None = None,
) -> UploadResult:
    """Put back the server's values from before the upload, for the users it changed.

    Each write is conditional on the ETag the upload produced, so a user someone
    changed since is reported as a conflict instead of being overwritten.
    """
    plan = result.plan
    writes = []
    for user in plan.to_update():
        outcome = result.outcomes.get(user.row)
        operations = tuple(undo_operations(plan, user))
        if outcome is None or not outcome.ok or user.user_id is None or not operations:
            continue
        writes.append(_update(user, operations, outcome.etag))
    undone = UploadResult(plan)
    journal = (
        Journal.start(plan.document.loaded.path, client.base_url, writes, journal_folder)
        if writes
        else None
    )
    send_all(client, writes, _Recorder(state, journal, undone.outcomes))
    done = {row: o for row, o in result.outcomes.items() if o.ok}
    undone.outcomes.update(
        {
            row: o
            for row, o in _settle_groups(plan, client, done, reverse=True).items()
            if row not in undone.outcomes or not o.ok
        }
    )
    if journal is not None:
        journal.finish()
    return undone


def _settle_groups(
    plan: UploadPlan, client: ScimClient, outcomes: dict[int, Outcome], reverse: bool
) -> dict[int, Outcome]:
    """Add and remove members group by group, for the users whose own write went through.

    One PATCH per group carries every member it gains or loses. A user whose only
    change was its groups gets its outcome here; one whose groups could not be changed
    is reported with the reason. Returns the outcomes it set.
    """
    joins: dict[str, list[str]] = {}
    leaves: dict[str, list[str]] = {}
    rows_in: dict[str, list[int]] = {}
    settled: dict[int, Outcome] = {}
    for user in plan.to_update() + plan.to_create():
        joining, leaving = group_changes(plan, user)
        if reverse:
            joining, leaving = leaving, joining
        if not joining and not leaving:
            continue
        outcome = outcomes.get(user.row)
        if outcome is not None and not outcome.ok:
            continue
        user_id = user.user_id or (outcome.user_id if outcome else None)
        if user_id is None:
            continue
        unknown = sorted((joining | leaving) - set(plan.group_ids))
        if unknown:
            settled[user.row] = Outcome(
                user.row,
                False,
                None,
                None,
                f"The group '{unknown[0]}' does not exist on the server: create it there, "
                "or correct the name.",
            )
            continue
        for name in joining:
            joins.setdefault(name, []).append(user_id)
        for name in leaving:
            leaves.setdefault(name, []).append(user_id)
        for name in joining | leaving:
            rows_in.setdefault(name, []).append(user.row)
        settled[user.row] = outcome or Outcome(
            user.row, True, None, user.etag, None, user_id=user_id
        )
    for name in sorted(rows_in):
        operations: list[dict[str, Any]] = []
        if joins.get(name):
            operations.append(
                {"op": "add", "path": "members", "value": [{"value": uid} for uid in joins[name]]}
            )
        operations += [
            {"op": "remove", "path": f'members[value eq "{uid}"]'} for uid in leaves.get(name, [])
        ]
        try:
            client.patch_group(plan.group_ids[name], name, operations)
        except ScimError as error:
            for row in rows_in[name]:
                settled[row] = Outcome(row, False, None, None, str(error))
    outcomes.update(settled)
    return settled


def results_path(data_file: Path) -> Path:
    return data_file.with_name(f"{data_file.stem}-upload-results.xlsx")


def write_results_file(result: UploadResult, target: Path | None = None) -> Path:
    """An .xlsx beside the data file: every row sent, its Status and Message, and a
    second sheet with each user's values before the upload (for undo and for support)."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    plan = result.plan
    document = plan.document
    target = target or results_path(document.loaded.path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Results"
    sheet.append([*document.headers, "Status", "Message"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    failed = {u.row: m for u, m in result.failed}
    red = PatternFill("solid", fgColor="F8B4B4")
    for user in plan.users:
        if user.action in ("unchanged",):
            continue
        outcome = result.outcomes.get(user.row)
        if user.row in failed:
            status, message = "Failed", failed[user.row]
        elif user.action == "invalid":
            status, message = "Not uploaded", user.message or ""
        elif outcome is None:
            status, message = "Not sent", "The upload stopped before this user was sent."
        else:
            status = "Added" if user.action == "create" else "Edited"
            message = "; ".join(c.describe() for c in user.chosen(plan.include_external))
        values = [document.value(user.row, c) for c in range(document.column_count)]
        sheet.append([*values, status, message])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # text from a cell is never written as a formula
            if status in ("Failed", "Not uploaded"):
                cell.fill = red
    before = book.create_sheet("Before upload")
    before.append(["Row", "User", "Server record before the upload (JSON)"])
    for user in plan.to_update():
        if user.snapshot is not None:
            before.append(
                [user.excel_row, user.label, json.dumps(user.snapshot, ensure_ascii=False)]
            )
    atomic_write(target, lambda temp: book.save(temp))
    return target


def resume(
    journal: Journal, client: ScimClient, state: SendState, *, mode: str = "auto"
) -> list[Outcome]:
    """Finish an upload that was cut short: send only the writes with no recorded outcome.

    An update sent just before the cut may have reached the server: it goes again
    with its If-Match, and the client recognises its own earlier write. A new user
    is looked up by userName first, so it is never created twice.
    """
    pending = []
    for write in journal.pending():
        name = (write.resource or {}).get("userName")
        if write.user_id is None and name:
            found = client.find_users("userName", name)
            if found:
                resource, etag = found[0]
                outcome = Outcome(
                    ref=write.ref,
                    ok=True,
                    resource=resource,
                    etag=etag,
                    message=None,
                    user_id=resource.get("id"),
                )
                journal.record(outcome)
                state.record(outcome)
                continue
        pending.append(write)
    outcomes = send_all(client, pending, _Recorder(state, journal, {}), mode=mode)
    if not state.cancelled():
        journal.finish()
    return outcomes
