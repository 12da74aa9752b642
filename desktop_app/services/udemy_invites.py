"""Add a Udemy Business file's new rows through Udemy's invite API, one outcome per row.

The upload flow hands over plain row dicts (no document, no Qt) and gets one
:class:`InviteOutcome` per row: created (with the id Udemy gave, to keep in the
row), exists (the email address belongs to an account already; its id when
Udemy said), refused (with the field, and the row key of the cell to mark), or
failed (with the sentence, and whether the user may have been added anyway).

The promises, as for SCIM uploads (:mod:`desktop_app.services.sending`):

* **No invite is sent twice by this module**, and two new rows with one email
  address send only the first. Retries belong to the client, which only repeats
  an invite Udemy certainly did not act on.
* **A stop is clean**: ``report.cancelled()`` is asked before each invite; rows
  never started get no outcome.
* **A dead end stops the run**: when Udemy refused the token (401/403), has no
  such organisation (404), was not reached at all, or is still busy after the
  client's retries, every other row would fail the same way, so each remaining
  row gets that sentence without a request.
* What Udemy would refuse anyway (a group admin role, a group not in the
  organisation) is refused here, without a request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from desktop_app.connectors.udemy import (
    ROLES,
    AccountExists,
    FieldRefused,
    Invited,
    OrganisationNotFound,
    UdemyAddressError,
    UdemyAuthError,
    UdemyError,
)
from desktop_app.i18n import _

logger = logging.getLogger(__name__)

#: The row key holding each invite field, so the app can mark the cell Udemy named.
ROW_KEY_OF_FIELD = {
    "email": "email",
    "firstname": "first_name",
    "lastname": "last_name",
    "externalid": "external_id",
    "groups": "groups",
    "role": "role",
}

_GROUP_SEPARATORS = re.compile(r"[,;\n]")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


class Inviter(Protocol):
    """What this service needs of :class:`~desktop_app.connectors.udemy.UdemyInviteClient`."""

    def invite(
        self,
        email: str,
        firstname: str,
        lastname: str,
        externalid: str | None = None,
        groups: Iterable[str] = (),
        role: str | None = None,
    ) -> Invited: ...


class InviteResult(StrEnum):
    """What became of one new row."""

    CREATED = "created"
    EXISTS = "exists"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class InviteOutcome:
    """The outcome of one row.

    ``ref`` is the row's own ``ref`` (its position in ``rows`` when it has none).
    ``user_id`` is the new user's id when created, the existing account's id
    (when Udemy said) when it exists. ``field`` is the invite field refused and
    ``column`` the row key holding it. ``message`` is one sentence for every
    result but created. ``may_have_been_added`` marks a failure after which the
    row must not be sent again before checking in Udemy; every other failure is
    safe to send again.
    """

    ref: Any
    result: InviteResult
    email: str
    message: str | None = None
    user_id: str | None = None
    status: str | None = None
    field: str | None = None
    column: str | None = None
    may_have_been_added: bool = False


class InviteReport(Protocol):
    """How :func:`invite_new_rows` reports to its caller and learns that it should stop."""

    def progress(self, done: int, total: int) -> None:
        """``done`` of ``total`` rows have an outcome."""

    def cancelled(self) -> bool:
        """True once the admin asked to stop; asked before each invite."""

    def record(self, outcome: InviteOutcome) -> None:
        """Called once per row as soon as its outcome is known (a journal writes it first)."""


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _groups(row: Mapping[str, Any]) -> list[str]:
    """The row's groups: a list, or a cell with the names separated by commas."""
    value = row.get("groups")
    items = (
        _GROUP_SEPARATORS.split(value)
        if isinstance(value, str)
        else list(value)
        if isinstance(value, Iterable)
        else []
    )
    return [str(item).strip() for item in items if item is not None and str(item).strip()]


def _role(text: str) -> str | None:
    """The invite's role from the file's ("Learner", "admin"); None when blank."""
    return text.lower() if text else None


class _Refusal(Exception):
    """A row refused before any request: the field and the sentence."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _group_ids(names: list[str], group_ids: Mapping[str, str] | None) -> list[str]:
    """Udemy takes group UUIDs: names are translated with ``group_ids`` (any case);
    a UUID goes as it is (Udemy names it if it is not one of the organisation's)."""
    if group_ids is None:
        return names
    by_name = {name.casefold(): group_uuid for name, group_uuid in group_ids.items()}
    known = set(group_ids.values())
    result = []
    for name in names:
        if name in known or (name.casefold() not in by_name and _UUID.match(name)):
            result.append(name)
        elif name.casefold() in by_name:
            result.append(by_name[name.casefold()])
        else:
            raise _Refusal(
                "groups",
                _("The group “{name}” is not in your Udemy organisation.").format(name=name),
            )
    return result


def _refused(ref: Any, email: str, refusal: _Refusal) -> InviteOutcome:
    return InviteOutcome(
        ref=ref,
        result=InviteResult.REFUSED,
        email=email,
        message=str(refusal),
        field=refusal.field,
        column=ROW_KEY_OF_FIELD.get(refusal.field),
    )


def _outcome_of_error(ref: Any, email: str, error: UdemyError) -> InviteOutcome:
    """The outcome of an invite the client reported as failed."""
    if isinstance(error, AccountExists):
        return InviteOutcome(
            ref=ref,
            result=InviteResult.EXISTS,
            email=email,
            message=str(error),
            user_id=error.existing_id,
            status=error.existing_status,
        )
    if isinstance(error, FieldRefused):
        return InviteOutcome(
            ref=ref,
            result=InviteResult.REFUSED,
            email=email,
            message=str(error),
            field=error.field,
            column=ROW_KEY_OF_FIELD.get(error.field or ""),
        )
    return InviteOutcome(
        ref=ref,
        result=InviteResult.FAILED,
        email=email,
        message=str(error),
        may_have_been_added=error.may_have_been_added,
    )


def _stops_the_run(error: UdemyError) -> bool:
    """Whether every other row would fail the same way: the token or organisation refused,
    Udemy unreachable, or still busy after the client's retries."""
    if isinstance(error, UdemyAuthError | OrganisationNotFound | UdemyAddressError):
        return True
    if error.status in (429, 503):
        return True
    return error.status is None and not error.may_have_been_added


def _invite_one(
    client: Inviter, ref: Any, row: Mapping[str, Any], group_ids: Mapping[str, str] | None
) -> tuple[InviteOutcome, UdemyError | None]:
    email = _text(row, "email")
    try:
        role = _role(_text(row, "role"))
        if role is not None and role not in ROLES:
            raise _Refusal(
                "role",
                _(
                    "Udemy's invite API can add a learner or an admin, not a "
                    "“{role}”; add the user as a learner and change the role in "
                    "Udemy."
                ).format(role=_text(row, "role")),
            )
        groups = _group_ids(_groups(row), group_ids)
    except _Refusal as refusal:
        return _refused(ref, email, refusal), None
    try:
        invited = client.invite(
            email,
            _text(row, "first_name"),
            _text(row, "last_name"),
            externalid=_text(row, "external_id") or None,
            groups=groups,
            role=role,
        )
    except UdemyError as error:
        return _outcome_of_error(ref, email, error), error
    except Exception:
        logger.exception("Udemy invite of row %s failed unexpectedly", ref)
        message = _(
            "An unexpected problem occurred while adding this user, so it may have been "
            "added: check Pending invitations in Udemy before sending again; the details "
            "are in the log."
        )
        failed = InviteOutcome(
            ref=ref,
            result=InviteResult.FAILED,
            email=email,
            message=message,
            may_have_been_added=True,
        )
        return failed, None
    created = InviteOutcome(
        ref=ref,
        result=InviteResult.CREATED,
        email=email,
        user_id=invited.id,
        status=str(invited.status),
    )
    return created, None


def invite_new_rows(
    client: Inviter,
    rows: Sequence[Mapping[str, Any]],
    report: InviteReport,
    *,
    group_ids: Mapping[str, str] | None = None,
) -> list[InviteOutcome]:
    """Invite each new row; returns the outcomes in row order (rows never started: none).

    A row is a dict with ``email``, ``first_name``, ``last_name``, and optionally
    ``external_id``, ``groups`` (a list, or names separated by commas), ``role``
    and ``ref`` (the caller's reference, e.g. the table row). ``group_ids`` maps
    group names to Udemy's group UUIDs; without it, groups are sent as given.
    """
    total = len(rows)
    outcomes: list[InviteOutcome] = []
    first_row_of: dict[str, Any] = {}
    fatal: UdemyError | None = None
    report.progress(0, total)

    def finish(outcome: InviteOutcome) -> None:
        outcomes.append(outcome)
        report.record(outcome)
        report.progress(len(outcomes), total)

    for index, row in enumerate(rows):
        ref = row.get("ref", index)
        email = _text(row, "email")
        if fatal is not None:
            finish(
                InviteOutcome(ref=ref, result=InviteResult.FAILED, email=email, message=str(fatal))
            )
            continue
        if report.cancelled():
            break
        folded = email.casefold()
        if folded and folded in first_row_of:
            refusal = _Refusal(
                "email",
                _(
                    "This email address is also on another new row ({row}); "
                    "only that one is added, so that no one gets two accounts."
                ).format(row=first_row_of[folded]),
            )
            finish(_refused(ref, email, refusal))
            continue
        if folded:
            first_row_of[folded] = ref
        outcome, error = _invite_one(client, ref, row, group_ids)
        finish(outcome)
        if error is not None and _stops_the_run(error):
            logger.warning("Udemy invites stopped: %s", type(error).__name__)
            fatal = error
    return outcomes
