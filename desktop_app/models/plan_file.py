"""A reviewed upload as a file: what will change, user by user, as read at review time.

``upload --dry-run --save-plan PLAN.json`` writes one; ``upload --plan PLAN.json``
sends exactly its changes, each conditional on the user's version at review time,
so a user changed on the server since is reported as a conflict, never overwritten.
``upload --dry-run --json`` prints the same document.

The format is a small versioned JSON schema of its own::

    {"format": "user-editor-plan", "version": 1,
     "server": URL, "file": {"name": NAME, "sha256": HEX}, "profile": NAME,
     "created": ISO-8601, "groups": {NAME: ID},
     "users": [{"key", "row", "action", "changes": [{"attribute", "column", "before",
                "after"}], "version", "id", "label", "operations", "resource",
                "join", "leave"}],
     "problems": [{"row", "key", "column", "message"}],
     "columns_not_uploaded": [HEADER], "unchanged": N,
     "matches_existing": [{"row", "existing": {"id", "userName", "email"}, "message"}],
     "checksum": HEX}

``row`` is the row number Excel shows. A user record is the same whether it is
printed for review or sent: ``changes`` are for people, ``operations`` (SCIM PATCH
operations) or ``resource`` (a new user) are what goes to the server. ``checksum``
covers everything else, so a damaged or hand-edited plan is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.i18n import _
from desktop_app.models.errors import UserFacingError
from desktop_app.models.writers import atomic_write

if TYPE_CHECKING:
    from desktop_app.models.document import UserDocument
    from desktop_app.models.upload_plan import UploadPlan, UserUpdate

FORMAT = "user-editor-plan"
VERSION = 1


class PlanFileError(UserFacingError):
    """A plan file that cannot be used: unreadable, damaged, edited, or of another format."""


class Action(StrEnum):
    """What a plan does for one user."""

    UPDATE = "update"
    CREATE = "create"


@dataclass(frozen=True)
class AttributeChange:
    """One attribute going from the server's value to the file's, as text."""

    attribute: str
    column: str
    before: str
    after: str


@dataclass(frozen=True)
class UserRecord:
    """One user the plan updates or adds.

    ``version`` is the user's ETag (``meta.version``) when the plan was made, sent
    as If-Match. An update carries its PATCH ``operations`` (none when only its
    groups change); a new user carries the ``resource`` to create. ``join`` and
    ``leave`` name the groups whose members change.
    """

    key: str
    row: int
    action: Action
    changes: tuple[AttributeChange, ...] = ()
    version: str | None = None
    user_id: str | None = None
    label: str = ""
    operations: tuple[dict[str, Any], ...] = ()
    resource: dict[str, Any] | None = None
    join: tuple[str, ...] = ()
    leave: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowProblem:
    """A row the plan does not upload, and why (``column`` is None for the whole row)."""

    row: int
    key: str
    column: str | None
    message: str


@dataclass(frozen=True)
class Plan:
    """A reviewed upload: the server and file it was made for, and every change."""

    server: str
    file_name: str
    file_sha256: str
    profile: str
    created: str
    users: tuple[UserRecord, ...] = ()
    problems: tuple[RowProblem, ...] = ()
    columns_not_uploaded: tuple[str, ...] = ()
    unchanged: int = 0
    groups: Mapping[str, str] = field(default_factory=dict)
    # New rows held back: the user probably exists already (also listed in problems).
    matches_existing: tuple[Mapping[str, Any], ...] = ()

    def to_update(self) -> list[UserRecord]:
        return [u for u in self.users if u.action == Action.UPDATE]

    def to_create(self) -> list[UserRecord]:
        return [u for u in self.users if u.action == Action.CREATE]

    @property
    def rows_with_problems(self) -> int:
        return len({p.row for p in self.problems})

    def without_versions(self) -> list[UserRecord]:
        """Updates that could not be sent conditionally: the server gave them no version."""
        return [u for u in self.to_update() if not u.version]


# -- Building a plan from the review ---------------------------------------------------------


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def from_upload_plan(
    upload: UploadPlan, document: UserDocument, server: str, data_file: Path
) -> Plan:
    """The plan file of a review of ``document``: the users it sends, the rows it cannot
    (with every problem of the row), and why."""
    from desktop_app.models.upload_plan import group_changes, mapped_columns, operations_for

    records: list[UserRecord] = []
    for user in upload.to_update() + upload.to_create():
        joining, leaving = group_changes(upload, user)
        if user.action == Action.CREATE:
            changes = tuple(
                AttributeChange(path, document.headers[col], "", document.value(user.row, col))
                for col, path in mapped_columns(document)
                if document.value(user.row, col)
            )
            records.append(
                _record(user, Action.CREATE, changes, resource=user.snapshot, join=joining)
            )
            continue
        changes = tuple(
            AttributeChange(c.path, c.header, c.before, c.after)
            for c in user.chosen(upload.include_external)
        )
        operations = tuple(operations_for(upload, user))
        records.append(
            _record(user, Action.UPDATE, changes, operations, join=joining, leave=leaving)
        )
    problems = [
        RowProblem(p.excel_row, _key(document, p.row), p.header, p.message)
        for p in document.problems()
    ]
    problems += [
        RowProblem(u.excel_row, u.key, None, u.message or "") for u in upload.not_sendable()
    ]
    problems.sort(key=lambda p: p.row)
    mapped = {col for col, _path in mapped_columns(document)}
    return Plan(
        server=server,
        file_name=Path(data_file).name,
        file_sha256=file_sha256(data_file),
        profile=document.profile.name,
        created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        users=tuple(records),
        problems=tuple(problems),
        columns_not_uploaded=tuple(
            header
            for col, header in enumerate(document.headers)
            if col not in mapped and col != document.key_column
        ),
        unchanged=sum(1 for u in upload.users if u.action == "unchanged"),
        groups=dict(upload.group_ids),
        matches_existing=tuple(
            {"row": u.excel_row, "existing": dict(u.match or {}), "message": u.message or ""}
            for u in upload.matches_existing()
        ),
    )


def _key(document: UserDocument, row: int) -> str:
    return str(document.value(row, document.key_column)) if document.key_column is not None else ""


def _record(
    user: UserUpdate,
    action: Action,
    changes: tuple[AttributeChange, ...],
    operations: tuple[dict[str, Any], ...] = (),
    *,
    resource: dict[str, Any] | None = None,
    join: set[str] | frozenset[str] = frozenset(),
    leave: set[str] | frozenset[str] = frozenset(),
) -> UserRecord:
    return UserRecord(
        key=user.key,
        row=user.excel_row,
        action=action,
        changes=changes,
        version=user.etag,
        user_id=user.user_id,
        label=user.label,
        operations=operations,
        resource=resource,
        join=tuple(sorted(join)),
        leave=tuple(sorted(leave)),
    )


# -- To and from JSON ----------------------------------------------------------------------


def to_json(plan: Plan) -> dict[str, Any]:
    """The plan as the JSON document written to disk, its checksum included."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "server": plan.server,
        "file": {"name": plan.file_name, "sha256": plan.file_sha256},
        "profile": plan.profile,
        "created": plan.created,
        "groups": dict(plan.groups),
        "users": [_user_json(u) for u in plan.users],
        "problems": [
            {"row": p.row, "key": p.key, "column": p.column, "message": p.message}
            for p in plan.problems
        ],
        "columns_not_uploaded": list(plan.columns_not_uploaded),
        "unchanged": plan.unchanged,
        "matches_existing": [dict(m) for m in plan.matches_existing],
    }
    body["checksum"] = _checksum(body)
    return body


def _user_json(user: UserRecord) -> dict[str, Any]:
    return {
        "key": user.key,
        "row": user.row,
        "action": str(user.action),
        "changes": [
            {"attribute": c.attribute, "column": c.column, "before": c.before, "after": c.after}
            for c in user.changes
        ],
        "version": user.version,
        "id": user.user_id,
        "label": user.label,
        "operations": [dict(op) for op in user.operations],
        "resource": user.resource,
        "join": list(user.join),
        "leave": list(user.leave),
    }


def _checksum(body: Mapping[str, Any]) -> str:
    content = {name: value for name, value in body.items() if name != "checksum"}
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def dumps(plan: Plan) -> str:
    """The plan as indented JSON text."""
    return json.dumps(to_json(plan), ensure_ascii=False, indent=2) + "\n"


class _Damaged(Exception):
    """Inside :func:`from_json`: the document does not have the plan's shape."""


def from_json(body: Any, name: str | None = None) -> Plan:
    """Read a plan document; refuse one that is not a plan, of a newer format, or changed.

    :raises PlanFileError: with one sentence naming the file (``name``).
    """
    name = name or _("The plan file")
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise PlanFileError(_("{name} is not a User Editor plan file.").format(name=name))
    if body.get("version") != VERSION:
        raise PlanFileError(
            _(
                "{name} is a plan of another format (version {version!r}); "
                "make it again with this version of User Editor."
            ).format(name=name, version=body.get("version"))
        )
    damaged = PlanFileError(
        _(
            "{name} is damaged or was edited after it was made; "
            "make a new plan with upload --dry-run --save-plan."
        ).format(name=name)
    )
    if body.get("checksum") != _checksum(body):
        raise damaged
    try:
        return _plan(body)
    except (_Damaged, KeyError, TypeError, ValueError) as error:
        raise damaged from error


def loads(text: str, name: str | None = None) -> Plan:
    """Read a plan from JSON text (see :func:`from_json`)."""
    try:
        body = json.loads(text)
    except ValueError as error:
        raise PlanFileError(
            _(
                "{name} is damaged or was edited after it was made; "
                "make a new plan with upload --dry-run --save-plan."
            ).format(name=name)
        ) from error
    return from_json(body, name)


def write(plan: Plan, path: Path) -> None:
    """Write the plan, replacing the file only once it is complete."""
    text = dumps(plan)

    def write_text(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8")

    atomic_write(Path(path), write_text)


def read(path: Path) -> Plan:
    """Read a plan file.

    :raises PlanFileError: when it cannot be read, or is not a usable plan.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = (
            _("it does not exist")
            if isinstance(error, FileNotFoundError)
            else _("it is unreadable")
        )
        raise PlanFileError(
            _("The plan file {path} cannot be read: {reason}.").format(path=path, reason=reason)
        ) from error
    return loads(text, _("The plan file {path}").format(path=path))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Damaged(value)
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Damaged(value)
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Damaged(value)
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Damaged(value)
    return value


def _plan(body: dict[str, Any]) -> Plan:
    file = _object(body["file"])
    groups = _object(body["groups"])
    return Plan(
        server=_text(body["server"]),
        file_name=_text(file["name"]),
        file_sha256=_text(file["sha256"]),
        profile=_text(body["profile"]),
        created=_text(body["created"]),
        users=tuple(_user(_object(u)) for u in _list(body["users"])),
        problems=tuple(
            RowProblem(
                _count(p["row"]), _text(p["key"]), _optional_text(p["column"]), _text(p["message"])
            )
            for p in map(_object, _list(body["problems"]))
        ),
        columns_not_uploaded=tuple(_text(c) for c in _list(body["columns_not_uploaded"])),
        unchanged=_count(body["unchanged"]),
        groups={_text(name): _text(group_id) for name, group_id in groups.items()},
        matches_existing=tuple(map(_object, _list(body.get("matches_existing") or []))),
    )


def _user(body: dict[str, Any]) -> UserRecord:
    action = Action(body["action"])
    user = UserRecord(
        key=_text(body["key"]),
        row=_count(body["row"]),
        action=action,
        changes=tuple(
            AttributeChange(
                _text(c["attribute"]), _text(c["column"]), _text(c["before"]), _text(c["after"])
            )
            for c in map(_object, _list(body["changes"]))
        ),
        version=_optional_text(body["version"]),
        user_id=_optional_text(body["id"]),
        label=_text(body["label"]),
        operations=tuple(_object(op) for op in _list(body["operations"])),
        resource=None if body["resource"] is None else _object(body["resource"]),
        join=tuple(_text(n) for n in _list(body["join"])),
        leave=tuple(_text(n) for n in _list(body["leave"])),
    )
    if action == Action.UPDATE and user.user_id is None:
        raise _Damaged("an update without a user id")
    if action == Action.CREATE and user.resource is None:
        raise _Damaged("a new user without its record")
    return user
