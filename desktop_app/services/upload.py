"""An upload from start to end, without Qt: read the server, plan, send, report, undo.

The window runs these functions in a worker thread and the command line calls them
directly; both pass a state object for progress and cancelling. A worker is given an
:class:`UploadSnapshot` of the table, never the document itself: what the server
tells (its group names) comes back in the plan for the window to apply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop_app.connectors.scim import ScimClient, ScimError
from desktop_app.connectors.udemy import DEFAULT_BASE_URL, UdemyInviteClient
from desktop_app.i18n import N_, _, ngettext, numeral
from desktop_app.models.document import UserDocument
from desktop_app.models.profiles import Profile, UnknownProfile, generic_profile, profile_named
from desktop_app.models.scim_mapping import (
    GROUPS,
    MANAGER,
    MANAGER_PATH,
    People,
    operation_path,
    read_value,
    server_text,
)
from desktop_app.models.upload_plan import (
    CHANGED_SINCE,
    CREATE,
    MISSING,
    UNCHANGED,
    UPDATE,
    Change,
    PlanKind,
    ServerDirectory,
    UploadPlan,
    UploadSnapshot,
    UserUpdate,
    build_plan,
    group_changes,
    index_by,
    mapped_columns,
    operations_for,
    same_value,
)
from desktop_app.models.writers import atomic_write
from desktop_app.services.journal import Journal, RecordedUser
from desktop_app.services.sending import Outcome, SendState, Write, send_all
from desktop_app.services.udemy_invites import (
    ROW_KEY_OF_FIELD,
    InviteOutcome,
    Inviter,
    InviteResult,
    invite_new_rows,
)

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


def read_server(client: ScimClient, progress: Progress | None = None) -> ServerDirectory:
    """Every user on the server and its groups, for one or more plans."""
    users, group_ids = users_and_groups(client, progress)
    return ServerDirectory(users, group_ids)


def plan_against(
    source: UploadSnapshot, server: ServerDirectory, rows: Iterable[int] | None = None
) -> UploadPlan:
    """Compare a snapshot of the table with what was read from the server."""
    directory = index_by(server.users, source.profile.scim_key or "id")
    plan = build_plan(source, directory, rows, People(server.users), server.users)
    plan.group_ids = dict(server.group_ids)
    plan.server = server
    return plan


def groups_to_allow(group_ids: dict[str, str], document: UserDocument) -> dict[int, list[str]]:
    """The server's groups for each groups column of ``document`` that has no list of its own.

    Only the GUI thread (or a single-threaded caller) may apply them to the document.
    """
    if not group_ids:
        return {}
    return {
        col: sorted(group_ids)
        for col, path in mapped_columns(document)
        if path == GROUPS and not document.allowed_values(col)
    }


def prepare(
    source: UserDocument | UploadSnapshot,
    client: ScimClient,
    rows: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> UploadPlan:
    """Read each user's current record from the server and compare it with the table.

    Given a snapshot (the window, from a worker) nothing else is touched: the window
    applies the server's group names itself. Given the document (the command line,
    on one thread) the server's groups become its groups column's allowed values
    before the comparison, so a row naming an unknown group is held back.
    """
    server = read_server(client, progress)
    if isinstance(source, UploadSnapshot):
        return plan_against(source, server, rows)
    for col, names in groups_to_allow(server.group_ids, source).items():
        source.use_allowed_values(col, names)
    return plan_against(UploadSnapshot.of(source), server, rows)


def writes_for(plan: UploadPlan) -> list[Write]:
    """One write per user to update or add; users with nothing to change are not sent.

    A change of groups only is made on the groups themselves (see _settle_groups).
    """
    writes = []
    for user in plan.to_update():
        operations = tuple(operations_for(plan, user))
        if operations:
            writes.append(_update(user, operations, user.etag, _as_reviewed(user, operations)))
    if plan.source.profile.invite_api:
        return writes  # new users go through the platform's invite API (see invite_rows)
    writes += [
        Write(ref=u.row, user_id=None, operations=(), resource=u.snapshot, etag=None, label=u.label)
        for u in plan.to_create()
    ]
    return writes


def invite_rows(plan: UploadPlan) -> list[dict[str, Any]]:
    """The plan's new rows as the invite service takes them: each column the profile gives
    an ``invite`` field, by the service's row key, and the table row as ``ref``."""
    source = plan.source
    fields: list[tuple[int, str]] = []
    for col, header in enumerate(source.headers):
        rule = source.profile.rule_for(header)
        if rule is not None and rule.invite in ROW_KEY_OF_FIELD:
            fields.append((col, ROW_KEY_OF_FIELD[rule.invite]))
    return [
        {"ref": user.row, **{key: source.value(user.row, col) for col, key in fields}}
        for user in plan.to_create()
    ]


def _invite_column(plan: UploadPlan, field: str | None) -> int | None:
    """The column of the table that fills an invite field (to mark the cell refused)."""
    source = plan.source
    for col, header in enumerate(source.headers):
        rule = source.profile.rule_for(header)
        if rule is not None and field is not None and rule.invite == field:
            return col
    return None


def invite_client(
    profile: Profile, org: str, token: str, base_url: str | None = None
) -> UdemyInviteClient:
    """The client of the profile's invite API for one organisation (Udemy's, so far)."""
    if profile.invite_api != "udemy":
        raise UnknownProfile(
            _("The invite API '{api}' is not known.").format(api=profile.invite_api)
        )
    return UdemyInviteClient(base_url or profile.invite_api_url or DEFAULT_BASE_URL, org, token)


NO_INVITER = N_(
    "New users of this platform are added through its invite API, which is not connected: "
    "give its organisation id and personal access token, and upload again."
)


def _update(
    user: UserUpdate,
    operations: tuple[dict[str, Any], ...],
    etag: str | None,
    before: dict[str, Any] | None = None,
) -> Write:
    return Write(
        ref=user.row,
        user_id=user.user_id,
        operations=operations,
        resource=None,
        etag=etag,
        label=user.label,
        before=before,
    )


def _as_reviewed(user: UserUpdate, operations: tuple[dict[str, Any], ...]) -> dict[str, Any] | None:
    """Without a version to send as If-Match: what each attribute being changed held at
    the review, so the user is read again and compared just before it is changed."""
    if user.etag or user.snapshot is None:
        return None
    return {operation_path(op): read_value(user.snapshot, operation_path(op)) for op in operations}


def _not_saved_message(user: UserUpdate, outcome: Outcome, plan: UploadPlan) -> str | None:
    """'Language was not saved: the server does not keep this field', naming each column."""
    if not outcome.not_kept and not outcome.unsupported:
        return None
    labels = _column_labels(plan)
    parts = []
    for paths, one, many in (
        (outcome.unsupported,
         N_("{columns} was not saved: the server does not allow changing this field"),
         N_("{columns} were not saved: the server does not allow changing these fields")),
        (outcome.not_kept,
         N_("{columns} was not saved: the server does not keep this field"),
         N_("{columns} were not saved: the server does not keep these fields")),
    ):  # fmt: skip
        names = list(dict.fromkeys(labels.get(_mapped_path(p), p) for p in paths))
        if names:
            listed = (
                names[0]
                if len(names) == 1
                else _("{items} and {last}").format(items=", ".join(names[:-1]), last=names[-1])
            )
            parts.append(_(one if len(names) == 1 else many).format(columns=listed))
    done = _("The user was added") if user.action == CREATE else _("The other changes were saved")
    return f"{'; '.join(parts)}. {done}."


def _mapped_path(path: str) -> str:
    """The profile's path of a SCIM path sent (the manager goes as its id)."""
    return MANAGER if path == MANAGER_PATH else path


def _column_labels(plan: UploadPlan) -> dict[str, str]:
    source = plan.source
    return {path: source.labels[col] for col, path in mapped_columns(source)}


@dataclass
class UploadResult:
    """What happened to every row the upload (or undo) sent."""

    plan: UploadPlan
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    cancelled: bool = False
    started: datetime = field(default_factory=datetime.now)
    # Where the upload is recorded (None when there was nothing to send).
    journal: Journal | None = None
    # New rows added through the platform's invite API, by table row.
    invites: dict[int, InviteOutcome] = field(default_factory=dict)

    @property
    def invited(self) -> int:
        return sum(o.result == InviteResult.CREATED for o in self.invites.values())

    def invite_message(self, user: UserUpdate) -> str | None:
        """Why a new row was not invited, in the words of the review; None when it was."""
        outcome = self.invites.get(user.row)
        if outcome is None or outcome.result == InviteResult.CREATED:
            return None
        if outcome.result == InviteResult.EXISTS:
            return _(
                "The email address '{email}' is already in use in the organisation: "
                "this user probably already exists as {email}: use that account? "
                "Put its ID in this row, or change the row, and upload again."
            ).format(email=outcome.email)
        return outcome.message or _("The invite failed.")

    def refused_cells(self) -> dict[int, tuple[int, str]]:
        """Row -> (column, message) of each cell the invite API refused."""
        cells = {}
        for row, outcome in self.invites.items():
            col = _invite_column(self.plan, outcome.field)
            if outcome.result == InviteResult.REFUSED and col is not None:
                cells[row] = (col, outcome.message or "")
        return cells

    def retryable_rows(self) -> list[int]:
        """The failed rows Retry Failed Rows sends again: not a new user that may have been
        added already (its row says to check the platform first)."""
        held = {r for r, o in self.invites.items() if o.may_have_been_added}
        return sorted(u.row for u, _m in self.failed if u.row not in held)

    def _ok(self, users: list[UserUpdate]) -> int:
        return sum(1 for u in users if u.row in self.outcomes and self._whole(self.outcomes[u.row]))

    @staticmethod
    def _whole(outcome: Outcome) -> bool:
        """Whether the write went through with every value it carried."""
        return outcome.ok and not outcome.not_kept and not outcome.unsupported

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
            not_invited = self.invite_message(user)
            if not_invited is not None:
                failed.append((user, not_invited))
                continue
            outcome = self.outcomes.get(user.row)
            if outcome is not None and not outcome.ok:
                failed.append((user, outcome.message or _("The server refused this user.")))
            elif outcome is not None:
                partly = _not_saved_message(user, outcome, self.plan)
                if partly:
                    failed.append((user, partly))
        return failed

    @property
    def partly_saved(self) -> int:
        """Rows that went through without some of their values (the server did not keep them)."""
        return sum(
            1
            for o in self.outcomes.values()
            if o.ok and (o.not_kept or o.unsupported) and o.ref in self._sent_rows()
        )

    def _sent_rows(self) -> set[int]:
        return {u.row for u in self.plan.to_update() + self.plan.to_create()}

    def created_keys(self) -> dict[int, str]:
        """The key each added row now has on the server, for rows whose key cell is blank:
        the new user's id, or the attribute the profile keys on when the server gave one."""
        source = self.plan.source
        if source.key_column is None or not source.columns:
            return {}
        key_path = source.profile.scim_key or "id"
        keys: dict[int, str] = {}
        for user in self.plan.to_create():
            outcome = self.outcomes.get(user.row)
            if outcome is None or not outcome.ok or source.value(user.row, source.key_column):
                continue
            if key_path == "id":
                key = outcome.user_id
            else:
                value = read_value(outcome.resource or {}, key_path)
                key = None if value in (None, "") else str(value)
            if key:
                keys[user.row] = key
        for row, invited in self.invites.items():
            created = invited.result == InviteResult.CREATED and invited.user_id
            if created and not source.value(row, source.key_column):
                keys[row] = str(invited.user_id)
        return dict(sorted(keys.items()))

    @property
    def not_sent(self) -> int:
        return sum(
            1
            for u in self.plan.to_update() + self.plan.to_create()
            if u.row not in self.outcomes and u.row not in self.invites
        )

    def counts(self) -> dict[str, int]:
        """The figures the upload history shows."""
        return {
            "updated": self.updated,
            "added": self.added,
            "invited": self.invited,
            "failed": len(self.failed),
            "not_sent": self.not_sent,
        }

    def sentence(self) -> str:
        """'17 users were successfully edited', with added users counted apart."""
        n = self.updated
        if self.plan.kind == PlanKind.UNDO:
            return ngettext(
                "{count} user was put back as it was before the upload",
                "{count} users were put back as they were before the upload",
                n,
            ).format(count=numeral(n))
        text = ngettext(
            "{count} user was successfully edited", "{count} users were successfully edited", n
        ).format(count=numeral(n))
        if self.added:
            text += ". " + ngettext(
                "{count} user was added", "{count} users were added", self.added
            ).format(count=numeral(self.added))
        if self.invited:
            n = self.invited
            text += ". " + ngettext(
                "{count} user was invited", "{count} users were invited", n
            ).format(count=numeral(n))
        partly = self.partly_saved
        if partly:
            text += ". " + ngettext(
                "{count} row was saved without values the server does not keep (it says which)",
                "{count} rows were saved without values the server does not keep (each row "
                "says which)",
                partly,
            ).format(count=numeral(partly))
        return text

    def report(self) -> dict[str, Any]:
        """The command line's --json report."""
        return {
            "updated": self.updated,
            "added": self.added,
            "invited": self.invited,
            "failed": [{"row": u.excel_row, "message": m} for u, m in self.failed],
            "skipped_invalid": len(self.plan._with("invalid")),
            "unchanged": len(self.plan._with("unchanged")),
            "matches_existing": [
                {"row": u.excel_row, "existing": u.match, "message": u.message}
                for u in self.plan.matches_existing()
            ]
            + [
                {
                    "row": u.excel_row,
                    "existing": {
                        "id": self.invites[u.row].user_id or "",
                        "email": self.invites[u.row].email,
                    },
                    "message": self.invite_message(u),
                }
                for u in self.plan.to_create()
                if u.row in self.invites and self.invites[u.row].result == InviteResult.EXISTS
            ],
            "created": [
                {"row": self.plan.source.excel_row(row), "key": key}
                for row, key in sorted(self.created_keys().items())
            ],
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


class _InviteRecorder:
    """The invite service's report: progress and cancel pass through, each outcome is kept
    and journalled first (an invited user's id, so the history counts it)."""

    def __init__(
        self, state: SendState, journal: Journal | None, invites: dict[int, InviteOutcome]
    ) -> None:
        self._state, self._journal, self._invites = state, journal, invites

    def progress(self, done: int, total: int) -> None:
        self._state.progress(done, total)

    def cancelled(self) -> bool:
        return self._state.cancelled()

    def record(self, outcome: InviteOutcome) -> None:
        self._invites[int(outcome.ref)] = outcome
        if self._journal is not None:
            created = outcome.result == InviteResult.CREATED
            self._journal.record(
                Outcome(
                    int(outcome.ref),
                    created,
                    None,
                    None,
                    outcome.message,
                    user_id=outcome.user_id if created else None,
                    sent=outcome.result != InviteResult.FAILED or outcome.may_have_been_added,
                )
            )


def _invite(
    plan: UploadPlan, inviter: Inviter | None, state: SendState, result: UploadResult
) -> None:
    """Add the plan's new rows through the platform's invite API, before any SCIM write."""
    rows = invite_rows(plan)
    if not rows:
        return
    if inviter is None:
        for row in rows:
            ref = int(row["ref"])
            result.invites[ref] = InviteOutcome(
                ref, InviteResult.FAILED, str(row.get("email") or ""), _(NO_INVITER)
            )
        return
    invite_new_rows(
        inviter,
        rows,
        _InviteRecorder(state, result.journal, result.invites),
        group_ids=plan.group_ids or None,
    )


def recorded_users(plan: UploadPlan) -> list[RecordedUser]:
    """What the journal keeps of each user the plan changes: its changes, from → to."""
    return [
        RecordedUser(
            ref=u.row,
            excel_row=u.excel_row,
            key=u.key,
            label=u.label,
            action=u.action,
            user_id=u.user_id,
            changes=tuple(u.chosen(plan.include_external)),
        )
        for u in plan.to_update() + plan.to_create()
    ]


def upload(
    plan: UploadPlan,
    client: ScimClient,
    state: SendState,
    *,
    journal_folder: Path | None = None,
    mode: str = "auto",
    writes: list[Write] | None = None,
    inviter: Inviter | None = None,
) -> UploadResult:
    """Send the plan's writes, journalled one by one, and say what happened to each row.

    An undo's plan is sent the same way; its journal names the upload it undoes. When
    the profile adds new users through an invite API, the new rows go to ``inviter``
    first (never as a SCIM POST), then the updates go over SCIM.
    """
    writes = writes_for(plan) if writes is None else writes
    result = UploadResult(plan)
    if writes or plan.to_update() or plan.to_create():
        result.journal = Journal.start(
            plan.source.path,
            client.base_url,
            writes,
            journal_folder,
            users=recorded_users(plan),
            profile=plan.source.profile.name,
            kind=plan.kind,
            undoes=plan.undoes,
        )
    journal = result.journal
    if plan.source.profile.invite_api and plan.kind == PlanKind.UPLOAD:
        _invite(plan, inviter, state, result)
    send_all(client, writes, _Recorder(state, journal, result.outcomes), mode=mode)
    result.cancelled = state.cancelled()
    if not result.cancelled:
        settled = _settle_groups(plan, client, result.outcomes, reverse=False)
        if journal is not None:
            sent = {w.ref for w in writes}
            for row, outcome in settled.items():
                if row not in sent or not outcome.ok:
                    journal.record(outcome)
    if journal is not None and not result.cancelled:
        journal.finish(result.counts())
    return result


def _profile(name: str | None) -> Profile:
    try:
        return profile_named(name) if name else generic_profile()
    except UnknownProfile:
        return generic_profile()


def plan_undo(
    journal: Journal, server: ServerDirectory, *, only: Iterable[int] | None = None
) -> UploadPlan:
    """What putting back the values from before an upload would do, user by user.

    Each user the upload changed is compared with the server now. A user whose
    version is still the one the upload left (and whose attributes still hold what
    it set) is put back, its PATCH carrying that version as If-Match; a user changed
    on the server since, by anyone, is left as it is and reported; one already as
    before is not sent. New users are not removed.
    """
    header = journal.header
    profile = _profile(header.get("profile"))
    people = People(server.users)
    by_id = {str(r.get("id")): (r, etag) for r, etag in server.users}
    done = {o.ref: o for o in journal.outcomes() if o.ok}
    wanted = set(only) if only is not None else None
    users: list[UserUpdate] = []
    for recorded in journal.users():
        if recorded.action != UPDATE or recorded.ref not in done or recorded.user_id is None:
            continue
        if wanted is not None and recorded.ref not in wanted:
            continue
        user = UserUpdate(
            recorded.ref,
            recorded.excel_row,
            recorded.key,
            recorded.label,
            MISSING,
            user_id=recorded.user_id,
        )
        users.append(user)
        found = by_id.get(recorded.user_id)
        if found is None:
            user.message = _("This user no longer exists on the server.")
            continue
        resource, etag = found
        user.etag, user.snapshot = etag, resource
        back, moved = [], []
        for change in recorded.changes:
            now = server_text(resource, change.path, profile, people)
            if same_value(change.path, now, change.after, change.separator, listed=change.listed):
                back.append(Change(**{**_fields(change), "before": now, "after": change.before}))
            elif not same_value(change.path, now, change.before, ",", listed=change.listed):
                moved.append(
                    _("{header} is now {now!r}").format(header=change.header, now=now)
                    if now
                    else _("{header} is now empty").format(header=change.header)
                )
        left = done[recorded.ref].etag
        if moved or (back and left and etag and left != etag):
            user.action = CHANGED_SINCE
            detail = f" ({'; '.join(moved)})" if moved else ""
            user.message = _(
                "Someone changed this user on the server after the upload{detail}, so it "
                "is left as it is."
            ).format(detail=detail)
        else:
            user.action = UPDATE if back else UNCHANGED
            user.changes = back
    plan = UploadPlan(
        UploadSnapshot.without_table(Path(header["file"]), profile),
        users,
        include_external=True,
        group_ids=dict(server.group_ids),
        people=people,
        kind=PlanKind.UNDO,
        undoes=journal.name,
        undoes_started=header.get("started"),
    )
    plan.server = server
    return plan


def _fields(change: Change) -> dict[str, Any]:
    return {
        "column": change.column,
        "header": change.header,
        "path": change.path,
        "before": change.before,
        "after": change.after,
        "edited_here": True,
        "separator": ",",  # the values put back are the server's own text
        "listed": change.listed,
    }


def undo(
    result: UploadResult,
    client: ScimClient,
    state: SendState,
    *,
    journal_folder: Path | None = None,
) -> UploadResult:
    """Put back the server's values from before the upload, for the users it changed.

    The same as reviewing the undo (``plan_undo``) and sending it at once: users
    changed on the server since are reported, never overwritten.
    """
    if result.journal is None:
        return UploadResult(replace_plan_kind(result.plan))
    plan = plan_undo(result.journal, read_server(client))
    return upload(plan, client, state, journal_folder=journal_folder or result.journal.path.parent)


def replace_plan_kind(plan: UploadPlan) -> UploadPlan:
    """An empty undo of ``plan``: nothing was sent, so nothing is put back."""
    return UploadPlan(plan.source, [], kind=PlanKind.UNDO)


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
                _(
                    "The group '{unknown}' does not exist on the server: create it there, "
                    "or correct the name."
                ).format(unknown=unknown[0]),
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
        try:
            change_members(
                client, plan.group_ids[name], name, joins.get(name, []), leaves.get(name, [])
            )
        except ScimError as error:
            for row in rows_in[name]:
                settled[row] = Outcome(row, False, None, None, str(error))
    outcomes.update(settled)
    return settled


def change_members(
    client: ScimClient, group_id: str, name: str, joining: list[str], leaving: list[str]
) -> None:
    """One PATCH to a group: members join, and leave as RFC 7644 says
    (``members[value eq "id"]``), or, where the server refuses that (501, 400), as a
    ``remove`` of ``members`` with the leaving members in ``value`` (as Azure AD sends it);
    the server's answer is remembered for the rest of the run."""
    operations: list[dict[str, Any]] = []
    if joining:
        operations.append(
            {"op": "add", "path": "members", "value": [{"value": uid} for uid in joining]}
        )
    by_value = {"op": "remove", "path": "members", "value": [{"value": uid} for uid in leaving]}
    if leaving and client.habits.member_filter_refused:
        client.patch_group(group_id, name, [*operations, by_value])
        return
    operations += [{"op": "remove", "path": f'members[value eq "{uid}"]'} for uid in leaving]
    try:
        client.patch_group(group_id, name, operations)
    except ScimError as error:
        if not leaving or error.status not in (400, 501):
            raise
        client.patch_group(group_id, name, [*operations[: 1 if joining else 0], by_value])
        with client.habits.lock:
            client.habits.member_filter_refused = True


# --- results files ----------------------------------------------------------------------


def results_path(
    data_file: Path, started: datetime | None = None, kind: PlanKind = PlanKind.UPLOAD
) -> Path:
    """``NAME-upload-results-2026-12-03-1405.xlsx`` (an undo: ``NAME-undo-results-…``)."""
    stamp = (started or datetime.now()).strftime("%Y-%m-%d-%H%M")
    return data_file.with_name(f"{data_file.stem}-{kind}-results-{stamp}.xlsx")


def _claim_free_name(wanted: Path) -> Path:
    """``wanted``, or ``wanted`` with -2, -3… when taken: an earlier results file is never
    replaced. The name is claimed by creating the file, so two uploads never share one."""
    for number in range(1, 1000):
        candidate = wanted if number == 1 else wanted.with_stem(f"{wanted.stem}-{number}")
        try:
            with candidate.open("x"):
                return candidate
        except FileExistsError:
            continue
    raise FileExistsError(wanted)


def write_results_file(result: UploadResult, target: Path | None = None) -> Path:
    """An .xlsx beside the data file, one per upload: every row sent, its Status and
    Message, and a second sheet with each user's values before (for support).

    The journal notes the file, so the upload history can open it.
    """
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    plan = result.plan
    source = plan.source
    undoing = plan.kind == PlanKind.UNDO
    claimed = target is None
    target = target or _claim_free_name(results_path(source.path, result.started, plan.kind))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Results"
    headers = ["Row", "User"] if undoing else list(source.headers)
    sheet.append([*headers, "Status", "Message"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    failed = {u.row: m for u, m in result.failed}
    created = result.created_keys()
    red = PatternFill("solid", fgColor="F8B4B4")
    for user in plan.users:
        if user.action == UNCHANGED and not undoing:
            continue
        outcome = result.outcomes.get(user.row)
        if user.row in failed and outcome is not None and outcome.ok:
            status = "Added in part" if user.action == CREATE else "Edited in part"
            message = failed[user.row]
        elif user.row in failed:
            status, message = ("Not put back" if undoing else "Failed"), failed[user.row]
        elif user.action == UNCHANGED:
            status, message = "Already as before", ""
        elif user.action == "invalid":
            status, message = "Not uploaded", user.message or ""
        elif user.row in result.invites:  # invited (a row not invited is among the failed)
            status = "Invited"
            message = f"Invited ({result.invites[user.row].status or 'invited'})"
        elif outcome is None:
            status, message = "Not sent", "The upload stopped before this user was sent."
        else:
            status = "Put back" if undoing else "Added" if user.action == CREATE else "Edited"
            message = "; ".join(c.describe() for c in user.chosen(plan.include_external))
        if undoing:
            values = [user.excel_row, user.label]
        else:
            values = [source.value(user.row, c) for c in range(source.column_count)]
            if user.row in created and source.key_column is not None:
                values[source.key_column] = created[user.row]  # the new user's key
        sheet.append([*values, status, message])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text from a cell is never written as a formula
            if status in (
                "Failed",
                "Not uploaded",
                "Not put back",
                "Added in part",
                "Edited in part",
            ):
                cell.fill = red
    before = book.create_sheet("Before undo" if undoing else "Before upload")
    before.append(["Row", "User", "Server record before (JSON)"])
    for user in plan.to_update():
        if user.snapshot is not None:
            before.append(
                [user.excel_row, user.label, json.dumps(user.snapshot, ensure_ascii=False)]
            )
    try:
        atomic_write(target, lambda temp: book.save(temp))
    except BaseException:
        if claimed:
            target.unlink(missing_ok=True)
        raise
    if result.journal is not None:
        result.journal.note_results(target)
    return target


def save_created_keys(result: UploadResult, document: UserDocument) -> Path | None:
    """Without the window: a copy of the file with each added user's new key in its row
    (``NAME-with-new-ids.EXT`` beside it, never replacing a file), so that uploading
    that copy again finds those users. None when no user was added without a key."""
    from desktop_app.models.writers import save

    keys = result.created_keys()
    if not keys:
        return None
    for row, key in keys.items():
        document.set_created_key(row, key)
    path = document.loaded.path
    target = _claim_free_name(path.with_name(f"{path.stem}-with-new-ids{path.suffix}"))
    try:
        save(document, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


# --- an upload cut short ------------------------------------------------------------------


@dataclass
class ResumeResult:
    """What finishing an interrupted upload did."""

    outcomes: list[Outcome]
    # Users that already held the journal's values (a later upload made the change).
    already_done: int = 0

    @property
    def sent_ok(self) -> int:
        return sum(o.ok for o in self.outcomes) - self.already_done

    @property
    def conflicts(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.conflict]

    def sentence(self) -> str:
        done = self.sent_ok
        text = (
            ngettext(
                "{count} user was successfully edited",
                "{count} users were successfully edited",
                done,
            ).format(count=numeral(done))
            + "."
        )
        if self.already_done:
            had = self.already_done
            text += " " + ngettext(
                "{count} user already had the new values (a later upload sent them).",
                "{count} users already had the new values (a later upload sent them).",
                had,
            ).format(count=numeral(had))
            if not done and not (len(self.outcomes) - self.already_done):
                text = ngettext(
                    "The interrupted upload was already finished: {count} user already had "
                    "the new values.",
                    "The interrupted upload was already finished: {count} users already had "
                    "the new values.",
                    had,
                ).format(count=numeral(had))
        failed = sum(not o.ok for o in self.outcomes)
        if failed:
            text += " " + _("{count} failed.").format(count=numeral(failed))
        return text


def resume(
    journal: Journal, client: ScimClient, state: SendState, *, mode: str = "auto"
) -> ResumeResult:
    """Finish an upload that was cut short: send only the writes with no recorded outcome.

    The server is compared with the journal's target values first: a user that
    already holds them (the write arrived before the cut, or a later upload made the
    same change) is counted as done and not sent. Any other update goes again with its
    If-Match, so a user someone else changed is reported, never overwritten. A new
    user is looked up by userName first, so it is never created twice.
    """
    pending_writes = journal.pending()
    targets = {u.ref: u for u in journal.users()}
    current: dict[str, tuple[dict[str, Any], str | None]] = {}
    people = People([])
    if any(w.user_id is not None and w.ref in targets for w in pending_writes):
        server = read_server(client)
        current = {str(r.get("id")): (r, etag) for r, etag in server.users}
        people = People(server.users)
    profile = _profile(journal.header.get("profile"))
    pending = []
    done: list[Outcome] = []
    for write in pending_writes:
        found = _already_done(write, targets.get(write.ref), current, profile, people, client)
        if found is not None:
            journal.record(found)
            state.record(found)
            done.append(found)
            continue
        pending.append(write)
    outcomes = send_all(client, pending, _Recorder(state, journal, {}), mode=mode)
    if not state.cancelled():
        journal.finish()
    return ResumeResult(done + outcomes, already_done=len(done))


def _already_done(
    write: Write,
    target: RecordedUser | None,
    current: dict[str, tuple[dict[str, Any], str | None]],
    profile: Profile,
    people: People,
    client: ScimClient,
) -> Outcome | None:
    """An ok outcome when the server already holds what ``write`` would set, else None."""
    if write.user_id is None:
        name = (write.resource or {}).get("userName")
        found = client.find_users("userName", name) if name else []
        if not found:
            return None
        resource, etag = found[0]
        return Outcome(write.ref, True, None, etag, None, user_id=resource.get("id"))
    if target is None or write.user_id not in current:
        return None
    resource, etag = current[write.user_id]
    for change in target.changes:
        if change.path == GROUPS:
            continue  # groups are changed on the groups, not by this write
        now = server_text(resource, change.path, profile, people)
        if not same_value(change.path, now, change.after, change.separator, listed=change.listed):
            return None
    return Outcome(write.ref, True, None, etag, None, user_id=write.user_id)
