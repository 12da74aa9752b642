"""The final check before an upload: what will change on the server, user by user.

The plan compares every row with the user's current record on the server, so only
attributes whose value differs are sent, and users with no difference are not sent
at all. A difference in a cell edited here is the admin's change; one in a cell not
edited here means the server changed since the download (or the file was edited
elsewhere): those are listed apart, and go only if the admin says so.

A plan never reads the live document: it is built from an :class:`UploadSnapshot`
that the window copies on its own thread, so the admin can keep editing while the
server is read, and the window can tell whether the review still shows the table.
An undo is a plan too: the same review and the same sending, towards the values
from before an upload.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from desktop_app.i18n import _, ngettext, numeral
from desktop_app.models.document import UserDocument
from desktop_app.models.profiles import Profile
from desktop_app.models.scim_mapping import (
    GROUPS,
    MANAGER,
    People,
    group_names,
    list_items,
    new_resource,
    patch_operations,
    primary_email,
    read_value,
    server_text,
)

Versioned = tuple[dict[str, Any], str | None]

UPDATE, CREATE, UNCHANGED, INVALID, MISSING, AMBIGUOUS, CHANGED_SINCE, EXISTS = (
    "update",
    "create",
    "unchanged",
    "invalid",
    "missing",
    "ambiguous",
    "changed-since",  # an undo: the user changed on the server after the upload
    "exists",  # a new row for someone already on the server (or added by another row)
)


class PlanKind(StrEnum):
    """What a plan sends: the table's values, or the values from before an upload."""

    UPLOAD = "upload"
    UNDO = "undo"


@dataclass(frozen=True)
class UploadSnapshot:
    """What an upload reads of the table, copied at one moment on the GUI thread.

    A worker reads only this, never the live document; ``is_current`` tells the
    window whether the admin changed the table since (values, edits or problems).
    """

    path: Path
    profile: Profile
    headers: tuple[str, ...]
    labels: tuple[str, ...]  # the headers as messages name them ('Department', not 'Department*')
    separators: tuple[str, ...]
    key_column: int | None
    columns: tuple[tuple[str, ...], ...]
    changed: frozenset[tuple[int, int]]
    red_rows: frozenset[int]
    data_start: int
    # Rows taken out of the table (never sent), and how many of them were users of the
    # file: they are left alone on the platform, never deleted.
    hidden: frozenset[int] = frozenset()
    removed: int = 0

    @classmethod
    def of(cls, document: UserDocument) -> UploadSnapshot:
        checkers = document.validator.checkers
        return cls(
            path=document.loaded.path,
            profile=document.profile,
            headers=tuple(document.headers),
            labels=tuple(c.header for c in checkers),
            separators=tuple(c.rule.separator for c in checkers),
            key_column=document.key_column,
            columns=tuple(tuple(column) for column in document.columns),
            changed=frozenset(document.originals),
            red_rows=frozenset(document.validator.problems),
            data_start=document.loaded.data_start,
            hidden=frozenset(document.hidden),
            removed=document.removed_users,
        )

    @classmethod
    def without_table(cls, path: Path, profile: Profile) -> UploadSnapshot:
        """The source of an undo: the file and profile only, no rows."""
        return cls(path, profile, (), (), (), None, (), frozenset(), frozenset(), 0)

    def is_current(self, document: UserDocument) -> bool:
        """Whether the document still holds exactly what this snapshot copied."""
        return (
            self.red_rows == frozenset(document.validator.problems)
            and self.changed == frozenset(document.originals)
            and self.hidden == frozenset(document.hidden)
            and len(self.columns) == len(document.columns)
            and all(
                tuple(now) == then for now, then in zip(document.columns, self.columns, strict=True)
            )
        )

    @property
    def row_count(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    @property
    def column_count(self) -> int:
        return len(self.headers)

    def value(self, row: int, col: int) -> str:
        return self.columns[col][row]

    def excel_row(self, row: int) -> int:
        return self.data_start + row + 1

    def row_has_issues(self, row: int) -> bool:
        return row in self.red_rows

    def is_changed(self, row: int, col: int) -> bool:
        return (row, col) in self.changed


@dataclass(frozen=True)
class Change:
    """One attribute of one user going from the server's value to the table's."""

    column: int
    header: str
    path: str
    before: str
    after: str
    edited_here: bool
    # How the cell separates the names of a list (groups); the server's text uses ", ".
    separator: str = ","
    # The attribute is a list whose order does not count (a licence list, say).
    listed: bool = False

    def reversed(self) -> Change:
        """The change that undoes this one."""
        return replace(self, before=self.after, after=self.before)

    def describe(self) -> str:
        before = f"'{self.before}'" if self.before else "(empty)"
        after = f"'{self.after}'" if self.after else "(empty)"
        return f"{self.header}: {before} → {after}"


@dataclass
class UserUpdate:
    """What the upload will do for one row."""

    row: int
    excel_row: int
    key: str
    label: str
    action: str
    user_id: str | None = None
    etag: str | None = None
    changes: list[Change] = field(default_factory=list)
    snapshot: dict[str, Any] | None = None
    message: str | None = None
    # A new row held back: the user on the server (or the row of this file) it matches.
    match: dict[str, Any] | None = None

    def chosen(self, include_external: bool) -> list[Change]:
        return [c for c in self.changes if c.edited_here or include_external]


@dataclass(frozen=True)
class ServerDirectory:
    """Every user on the server (with its version) and the groups' ids by name, read once."""

    users: list[Versioned]
    group_ids: dict[str, str]


@dataclass
class UploadPlan:
    source: UploadSnapshot
    users: list[UserUpdate]
    # Send differences in cells not edited here too (the admin's one click for all).
    include_external: bool = False
    # The server's groups, name -> id, for changes of membership.
    group_ids: dict[str, str] = field(default_factory=dict)
    # Everyone on the server, to send a manager's id for the email shown.
    people: People = field(default_factory=lambda: People([]))
    kind: PlanKind = PlanKind.UPLOAD
    # An undo: the journal of the upload it undoes, and when that upload started.
    undoes: str | None = None
    undoes_started: str | None = None
    # What the plan was made from, to make it again from a newer snapshot without a read.
    server: ServerDirectory | None = None

    @property
    def document(self) -> UploadSnapshot:
        """The table as it was when the plan was made (kept for callers of the old name)."""
        return self.source

    def _with(self, action: str) -> list[UserUpdate]:
        return [u for u in self.users if u.action == action]

    def to_update(self) -> list[UserUpdate]:
        return [u for u in self._with(UPDATE) if u.chosen(self.include_external)]

    def to_create(self) -> list[UserUpdate]:
        return self._with(CREATE)

    def external_changes(self) -> list[tuple[UserUpdate, Change]]:
        return [(u, c) for u in self._with(UPDATE) for c in u.changes if not c.edited_here]

    def not_sendable(self) -> list[UserUpdate]:
        return [u for u in self.users if u.action in (MISSING, AMBIGUOUS, CHANGED_SINCE, EXISTS)]

    def matches_existing(self) -> list[UserUpdate]:
        """New rows held back: the user probably exists already, so none is created."""
        return self._with(EXISTS)

    def columns_not_uploaded(self) -> list[tuple[str, str]]:
        """(header, why) of each column of the file that is not uploaded, the key left out."""
        source = self.source
        mapped = {col for col, _path in mapped_columns(source)}
        found = []
        for col, header in enumerate(source.headers):
            if col in mapped or col == source.key_column or not str(header).strip():
                continue
            rule = source.profile.rule_for(header)
            reason = rule.not_uploaded_reason if rule else None
            why = _(reason) if reason else _("the server has no field for it")
            label = source.labels[col] if col < len(source.labels) else header
            found.append((label, why))
        return found

    def edits_not_sent(self) -> list[str]:
        """The columns not uploaded that hold cells edited here, as messages name them."""
        source = self.source
        mapped = {col for col, _path in mapped_columns(source)} | {source.key_column}
        edited = sorted({col for _row, col in source.changed if col not in mapped})
        return [
            source.labels[col] if col < len(source.labels) else source.headers[col]
            for col in edited
        ]

    def unlocked(self) -> bool:
        """Whether users are updated without a version: the server cannot lock them."""
        return any(u.etag is None for u in self.to_update())

    def summary(self) -> str:
        """'17 users will be updated · 2 will be added · 5 rows have problems…'."""
        if self.kind == PlanKind.UNDO:
            return self._undo_summary()
        updated, added = len(self.to_update()), len(self.to_create())
        invalid = len(self._with(INVALID))
        parts = [
            ngettext(
                "{count} user will be updated", "{count} users will be updated", updated
            ).format(count=numeral(updated))
        ]
        parts.append(
            ngettext("{count} will be added", "{count} will be added", added).format(
                count=numeral(added)
            )
        )
        if invalid:
            parts.append(
                ngettext(
                    "{count} row has problems and will not be uploaded",
                    "{count} rows have problems and will not be uploaded",
                    invalid,
                ).format(count=numeral(invalid))
            )
        exists = len(self.matches_existing())
        missing = len(self.not_sendable()) - exists
        if missing:
            parts.append(
                ngettext(
                    "{count} cannot be matched to a user on the server",
                    "{count} cannot be matched to a user on the server",
                    missing,
                ).format(count=numeral(missing))
            )
        if exists:
            parts.append(
                ngettext(
                    "{count} new row probably already exists and will not be added",
                    "{count} new rows probably already exist and will not be added",
                    exists,
                ).format(count=numeral(exists))
            )
        removed = self.source.removed
        if removed:
            parts.append(
                ngettext(
                    "{count} user removed from the table is left alone on the platform: "
                    "nothing is deleted",
                    "{count} users removed from the table are left alone on the platform: "
                    "nothing is deleted",
                    removed,
                ).format(count=numeral(removed))
            )
        unsent = self.edits_not_sent()
        if unsent:
            names = ", ".join(unsent)
            if not updated and not added:
                parts.append(
                    _(
                        "your edits are only in columns that are not uploaded ({names}): "
                        "nothing will reach the server"
                    ).format(names=names)
                )
            else:
                parts.append(_("your edits in {names} are not uploaded").format(names=names))
        return " · ".join(parts)

    def _undo_summary(self) -> str:
        """'5 users will be put back as they were · 1 changed on the server since…'."""
        back = len(self.to_update())
        parts = [
            ngettext(
                "{count} user will be put back as it was before the upload",
                "{count} users will be put back as they were before the upload",
                back,
            ).format(count=numeral(back))
        ]
        changed = len(self._with(CHANGED_SINCE))
        if changed:
            parts.append(
                ngettext(
                    "{count} changed on the server since the upload and will be left as it is",
                    "{count} changed on the server since the upload and will be left as they are",
                    changed,
                ).format(count=numeral(changed))
            )
        gone = len(self._with(MISSING))
        if gone:
            parts.append(_("{count} no longer on the server").format(count=numeral(gone)))
        already = len(self._with(UNCHANGED))
        if already:
            parts.append(_("{count} already as before").format(count=numeral(already)))
        return " · ".join(parts)

    def warnings(self) -> list[str]:
        """The destructive parts of the upload, in words (of an undo: who is left as is)."""
        found: list[str] = []
        if self.kind == PlanKind.UNDO:
            return [
                _("Row {row}: {label}: {message}").format(
                    row=u.excel_row, label=u.label, message=u.message
                )
                for u in self.not_sendable()
            ]
        if self.unlocked():
            found.append(
                _(
                    "This server cannot lock users (it gives them no version): each user is read "
                    "again just before it is changed and left as it is if someone changed it "
                    "since this check, but a change made in the second between that read and "
                    "the write cannot be detected."
                )
            )
        for user in self.to_update():
            for change in user.chosen(self.include_external):
                if change.path == "emails" and change.before and change.after:
                    found.append(
                        _(
                            "Row {row}: the email changes from {before} to "
                            "{after}. The platform keeps the same account, because users "
                            "are matched on their ID, not their email."
                        ).format(row=user.excel_row, before=change.before, after=change.after)
                    )
                elif (
                    change.path == "active"
                    and change.after != change.before
                    and change.after == self.source.profile.scim_false
                ):
                    found.append(
                        _("Row {row}: {label} will be deactivated.").format(
                            row=user.excel_row, label=user.label
                        )
                    )
                elif change.path == GROUPS:
                    left = sorted(group_names(change.before) - group_names(change.after))
                    if left:
                        found.append(
                            _("Row {row}: {label} will leave {items}.").format(
                                row=user.excel_row, label=user.label, items=", ".join(left)
                            )
                        )
                elif change.before and not change.after:
                    found.append(
                        _(
                            "Row {row}: the blank {header} cell will clear "
                            "'{before}' on the server."
                        ).format(row=user.excel_row, header=change.header, before=change.before)
                    )
        return found


def index_by(users: Iterable[Versioned], path: str) -> dict[str, list[Versioned]]:
    """The directory's users by the text of the attribute the key column holds."""
    index: dict[str, list[Versioned]] = {}
    for resource, etag in users:
        value = resource.get("id") if path == "id" else read_value(resource, path)
        if value not in (None, ""):
            index.setdefault(str(value), []).append((resource, etag))
    return index


def mapped_columns(document: UserDocument | UploadSnapshot) -> list[tuple[int, str]]:
    """(column, SCIM path) of every column that uploads, the key column left out."""
    columns = []
    for col, header in enumerate(document.headers):
        rule = document.profile.rule_for(header)
        if rule is not None and rule.scim and col != document.key_column:
            columns.append((col, rule.scim))
    return columns


def same_value(
    path: str, server: str, table: str, separator: str = ",", *, listed: bool = False
) -> bool:
    """Whether the server's text already says what the table says, as the upload compares them.

    ``listed``: the attribute is a list, compared as its set of items (any order).
    """
    if path == GROUPS:
        return group_names(server) == group_names(table, separator)
    if listed:
        return set(list_items(server, separator)) == set(list_items(table, separator))
    if path == MANAGER:
        return server.casefold() == table.casefold()
    return server == table


def group_changes(plan: UploadPlan, user: UserUpdate) -> tuple[set[str], set[str]]:
    """The groups the user joins and leaves with this upload."""
    for change in user.chosen(plan.include_external):
        if change.path == GROUPS:
            before = group_names(change.before)
            after = group_names(change.after, change.separator)
            return after - before, before - after
    if user.action == CREATE:
        source = plan.source
        for col, path in mapped_columns(source):
            if path == GROUPS:
                return group_names(source.value(user.row, col), source.separators[col]), set()
    return set(), set()


def _label(values: Mapping[str, str], key: str) -> str:
    return values.get("userName") or values.get("emails") or key or _("this user")


class Lookalikes:
    """Who a new row may already be: users on the server, and the new rows before it,
    by user name and by email address, both case-insensitively (RFC 7643 makes
    userName case-insensitive; not every server does)."""

    def __init__(self, users: Iterable[Versioned]) -> None:
        self._by: dict[tuple[str, str], dict[str, Any]] = {}
        for resource, _etag in users:
            found = {
                "id": str(resource.get("id") or ""),
                "userName": str(resource.get("userName") or ""),
                "email": primary_email(resource) or "",
            }
            self._add(found, found["userName"], found["email"])

    def _add(self, found: dict[str, Any], user_name: str, email: str) -> None:
        if user_name:
            self._by.setdefault(("userName", user_name.casefold()), found)
        if email:
            self._by.setdefault(("emails", email.casefold()), found)

    def match(self, resource: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """(the attribute that matched, who) for a new user's resource, or None."""
        for path, value in (
            ("userName", resource.get("userName")),
            ("emails", primary_email(resource)),
        ):
            if value and (path, str(value).casefold()) in self._by:
                return path, self._by[(path, str(value).casefold())]
        return None

    def add_row(self, update: UserUpdate, resource: Mapping[str, Any]) -> None:
        """A new row this upload adds: a later row for the same person matches it."""
        user_name, email = str(resource.get("userName") or ""), primary_email(resource) or ""
        self._add(
            {"row": update.excel_row, "userName": user_name, "email": email}, user_name, email
        )


def _matched_message(path: str, resource: Mapping[str, Any], found: Mapping[str, Any]) -> str:
    """'The username 'Erin.Fox' is already in use on the server: … use that account?'."""
    if path == "userName":
        what = _("The username '{value}'").format(value=resource.get("userName"))
    else:
        what = _("The email address '{value}'").format(value=primary_email(resource))
    who = found.get("userName") or found.get("email") or _("another user")
    if found.get("email") and found.get("email") != who:
        who = f"{who} ({found['email']})"
    if "row" in found:
        return _(
            "{what} is already used by row {row} of this file, which adds that "
            "user: this is probably the same person as {who}; only one account is added."
        ).format(what=what, row=found["row"], who=who)
    return _(
        "{what} is already in use on the server: this user probably already exists as "
        "{who}: use that account? Put its ID in this row, or change the row, and upload "
        "again."
    ).format(what=what, who=who)


def build_plan(
    source: UserDocument | UploadSnapshot,
    directory: Mapping[str, list[Versioned]],
    rows: Iterable[int] | None = None,
    people: People | None = None,
    everyone: Iterable[Versioned] | None = None,
) -> UploadPlan:
    """Compare the table (or some rows of it) with the directory indexed by ``index_by``.

    ``people`` (everyone on the server) lets a manager be shown and set by email address.
    ``everyone`` (the users read from the server) keeps a new row from creating a user
    that already exists under the same user name or email, whatever its case.
    A document is copied first; the plan only ever holds the copy.
    """
    document = source if isinstance(source, UploadSnapshot) else UploadSnapshot.of(source)
    people = people or People([])
    profile = document.profile
    columns = mapped_columns(document)
    key_col = document.key_column
    _learn_new_emails(document, directory, people, columns)
    lookalikes = Lookalikes(everyone or [])
    users: list[UserUpdate] = []
    hidden = document.hidden
    for row in range(document.row_count) if rows is None else rows:
        if row in hidden:
            continue  # taken out of the table: left alone on the server, never deleted
        values = {path: document.value(row, col) for col, path in columns}
        key = document.value(row, key_col) if key_col is not None else ""
        if not key and not any(values.values()):
            continue  # a blank row is not a user
        update = UserUpdate(row, document.excel_row(row), key, _label(values, key), INVALID)
        users.append(update)
        if document.row_has_issues(row):
            update.message = _("This row has problems; fix them to upload it.")
            continue
        matches = directory.get(key, []) if key else []
        if len(matches) > 1:
            update.action = AMBIGUOUS
            update.message = _("{count} users on the server have the key '{key}'.").format(
                count=len(matches), key=key
            )
            continue
        if not matches:
            if profile.scim_key == "id" and key:
                update.action = MISSING
                update.message = _("This user no longer exists on the server.")
                continue
            if key and profile.scim_key:
                values[profile.scim_key] = key
            update.snapshot = new_resource(values, profile)
            matched = lookalikes.match(update.snapshot)
            if matched is not None:
                update.action = EXISTS
                update.match = dict(matched[1])
                update.message = _matched_message(matched[0], update.snapshot, matched[1])
                continue
            update.action = CREATE
            lookalikes.add_row(update, update.snapshot)
            continue
        resource, etag = matches[0]
        update.user_id, update.etag, update.snapshot = resource.get("id"), etag, resource
        update.label = resource.get("userName") or primary_email(resource) or update.label
        for col, path in columns:
            before = server_text(resource, path, profile, people)
            after = document.value(row, col)
            rule = profile.scim_rule(path)
            if rule is not None and rule.blank_ignored and not after.strip():
                continue  # the platform ignores a blank value: nothing is sent, nothing clears
            if (
                rule is not None
                and rule.scim_list
                and same_value(path, before, after, document.separators[col], listed=True)
            ):
                continue  # the same items, perhaps in another order
            if path == MANAGER and (
                before.casefold() == after.casefold()
                or (after and people.id_for(after) == people.manager_id_of(resource))
            ):
                continue
            if path == GROUPS and same_value(path, before, after, document.separators[col]):
                continue  # the same groups, perhaps in another order
            if before != after:
                update.changes.append(
                    Change(
                        col,
                        document.labels[col],
                        path,
                        before,
                        after,
                        document.is_changed(row, col),
                        document.separators[col],
                        bool(rule and rule.scim_list),
                    )
                )
        unknown = [
            c.after
            for c in update.changes
            if c.path == MANAGER and c.after and people.id_for(c.after) is None
        ]
        if unknown:
            update.action = MISSING
            update.message = _("The manager {unknown} is not a user on the server.").format(
                unknown=unknown[0]
            )
            continue
        update.action = UPDATE if update.changes else UNCHANGED
    return UploadPlan(document, users, people=people)


def _learn_new_emails(
    document: UploadSnapshot,
    directory: Mapping[str, list[Versioned]],
    people: People,
    columns: list[tuple[int, str]],
) -> None:
    """A manager may be named by the new address this upload gives them."""
    email_col = next((col for col, path in columns if path == "emails"), None)
    if email_col is None or document.key_column is None:
        return
    for row in range(document.row_count):
        matches = directory.get(document.value(row, document.key_column), [])
        email = document.value(row, email_col)
        if len(matches) == 1 and email and matches[0][0].get("id"):
            people.id_of.setdefault(email.casefold(), matches[0][0]["id"])


def operations_for(plan: UploadPlan, user: UserUpdate) -> list[dict[str, Any]]:
    """The PATCH operations that make the server's record match the chosen changes."""
    return _operations(plan, user, {c.path: c.after for c in user.chosen(plan.include_external)})


def undo_operations(plan: UploadPlan, user: UserUpdate) -> list[dict[str, Any]]:
    """The PATCH operations that put back what the server held before the upload."""
    return _operations(plan, user, {c.path: c.before for c in user.chosen(plan.include_external)})


def _operations(
    plan: UploadPlan, user: UserUpdate, changes: dict[str, str]
) -> list[dict[str, Any]]:
    assert user.snapshot is not None
    if MANAGER in changes:  # shown as an email, sent as the manager's id
        email = changes[MANAGER]
        changes[MANAGER] = (plan.people.id_for(email) or "") if email else ""
    return patch_operations(user.snapshot, changes, plan.source.profile)
