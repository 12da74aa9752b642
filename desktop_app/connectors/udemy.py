"""Udemy Business's user API: invite (add) one user; failures are one sentence.

New users of a Udemy Business file are added through
``POST {base}/organizations/{org_uuid}/users/`` with the personal access token as
the basic-auth user name and an empty password. Udemy answers 201 with the new
user's id, status (invited or active) and groups; 409 when the email address
already belongs to someone in the organisation; 400 naming a missing or
misspelled field. Edits of existing users go over Udemy's SCIM API
(:mod:`desktop_app.connectors.scim`), not through this module.

The conventions are those of the SCIM client:

* https:// only, except to this computer; TLS is verified, every request has a
  timeout, redirects are not followed.
* **An invite is a POST that creates a user, so it is only sent again when the
  server certainly did not act on it**: after a 429 or 503 (refused before any
  work, ``Retry-After`` honoured), or when the connection failed before the
  request left this computer. After a dropped connection, a read timeout, a 500,
  502 or 504 the user may have been added, and the failure says so
  (:attr:`UdemyError.may_have_been_added`) instead of sending a second copy.
* The token is never logged; headers are logged redacted and bodies (personal
  data) not at all.

Udemy documents the status codes and the fields of a 201 answer, not the exact
JSON of its errors: the readers below accept the usual shapes (see
:func:`refused_field` and :func:`existing_account`).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from desktop_app.connectors.scim import (
    BACKOFF_LIMIT,
    RETRY_AFTER_LIMIT,
    _is_loopback,
    _redacted,
    encode_json,
    parse_retry_after,
)
from desktop_app.i18n import N_, _
from desktop_app.models.errors import UserFacingError

logger = logging.getLogger(__name__)

#: Udemy Business's user-management API.
DEFAULT_BASE_URL = "https://usermanagement.udemy.com/api-2.0"

#: The fields an invite may carry, as Udemy spells them.
INVITE_FIELDS = ("email", "firstname", "lastname", "externalid", "groups", "role")
#: The roles the invite API accepts.
ROLES = ("learner", "admin")

#: Refused before the server did any work: safe to send the same invite again.
_NOT_PROCESSED = frozenset({429, 503})

#: How each field is named in a sentence.
_FIELD_WORDS = {
    "email": N_("the email address"),
    "firstname": N_("the first name"),
    "lastname": N_("the last name"),
    "externalid": N_("the external ID"),
    "groups": N_("the group"),
    "role": N_("the role"),
}

#: Ends every sentence about an invite that may have reached Udemy and been acted on.
MAY_HAVE_BEEN_ADDED = N_(
    "so the user may have been added: check Pending invitations in Udemy before sending again"
)

EXISTS_SENTENCE = N_("This email address already belongs to a user in your Udemy organisation")


# -- Errors -------------------------------------------------------------------


class UdemyError(UserFacingError):
    """An invite failed; the message is one sentence for the admin.

    ``status`` is the HTTP status (None when no answer came), ``field`` the invite
    field Udemy named (``firstname``…), ``detail`` Udemy's own words, for logs.
    ``may_have_been_added`` is True when the request may have reached Udemy and
    been acted on: it must not be sent again before checking in Udemy.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        field: str | None = None,
        detail: str | None = None,
        may_have_been_added: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.detail = detail
        self.may_have_been_added = may_have_been_added


class AccountExists(UdemyError):
    """409: the email address already belongs to a user of the organisation; nothing was added.

    ``existing_id`` and ``existing_status`` describe that account when Udemy said.
    """

    def __init__(
        self,
        message: str,
        *,
        existing_id: str | None = None,
        existing_status: str | None = None,
        **facts: Any,
    ) -> None:
        super().__init__(message, **facts)
        self.existing_id = existing_id
        self.existing_status = existing_status


class FieldRefused(UdemyError):
    """400: Udemy refused a field of the invite (``field``, or None when it named none)."""


class UdemyAuthError(UdemyError):
    """401/403: Udemy refused the personal access token."""


class OrganisationNotFound(UdemyError):
    """404: no organisation with that UUID (or not one the token belongs to)."""


class UdemyConnectionProblem(UdemyError):
    """No usable answer: unknown host, refused, timed out, certificate, cut connection."""


class UdemyAddressError(UdemyError):
    """The address, organisation id or token cannot be used as given; nothing was sent."""


# -- Answers ------------------------------------------------------------------


class InviteStatus(StrEnum):
    """What Udemy made of an invite: an invitation e-mailed, or an account ready at once."""

    INVITED = "invited"
    ACTIVE = "active"
    #: Udemy answered 201 with a status this version does not know.
    OTHER = "other"


@dataclass(frozen=True)
class Invited:
    """A user Udemy added: its id (keep it in the row), status and group assignments."""

    id: str
    status: InviteStatus
    groups: tuple[str, ...] = ()


def _text(value: Any) -> str | None:
    """A scalar of a JSON answer as text (ids may be numbers), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        return str(value) if str(value) else None
    return None


def _words(value: Any) -> str | None:
    """The first message in a JSON error value (a string, or a list of them), tidied."""
    if isinstance(value, list | tuple):
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, Mapping):
        value = value.get("message") or value.get("detail")
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split()).rstrip(".")
    return text if len(text) <= 200 else text[:197] + "..."


_NOT_FIELDS = frozenset(
    {
        "detail",
        "details",
        "message",
        "error",
        "errors",
        "non_field_errors",
        "status",
        "code",
        "id",
        "type",
        "title",
        "instance",
    }
)
_FIELD_IN_WORDS = re.compile(
    r"['\"“`]([A-Za-z_][\w.]*)['\"”`]|\b(" + "|".join(INVITE_FIELDS) + r")\b", re.IGNORECASE
)


def _canonical(field: str | None) -> str | None:
    """An invite field as Udemy spells it ("first_name" is ``firstname``); others unchanged."""
    if field is None:
        return None
    squeezed = re.sub(r"[\s_-]", "", field).lower()
    return squeezed if squeezed in INVITE_FIELDS else field


def refused_field(body: Any) -> tuple[str | None, str | None]:
    """The field a 400 answer names and Udemy's words about it: ``(field, detail)``.

    Udemy says the field is "named in the response" without documenting the shape,
    so these are read: ``{"field": "firstname", "detail": "..."}``, the Django REST
    framework form ``{"firstname": ["This field is required."]}``, a list under
    ``errors`` of such objects, and a bare ``detail`` sentence that quotes a field
    or names one of the invite's fields.
    """
    field, detail = _refused_field(body)
    return _canonical(field), detail


def _refused_field(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, Mapping):
        return None, None
    detail = _words(body.get("detail")) or _words(body.get("message")) or _words(body.get("error"))
    named = _text(body.get("field"))
    if named:
        return named, detail
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, Mapping) and _text(item.get("field")):
                return _text(item.get("field")), _words(item) or detail
    for key, value in body.items():
        if isinstance(key, str) and key not in _NOT_FIELDS:
            return key, _words(value) or detail
    if detail:
        match = _FIELD_IN_WORDS.search(detail)
        if match:
            return (match.group(1) or match.group(2).lower()), detail
    return None, detail


def existing_account(body: Any) -> tuple[str | None, str | None]:
    """The existing account a 409 answer describes, if it does: ``(id, status)``.

    Udemy's help says to "use the id from the response"; its shape is not
    documented, so ``id``/``user_id`` at the top or inside ``user`` are read.
    """
    if not isinstance(body, Mapping):
        return None, None
    for holder in (body, body.get("user"), body.get("existing_user")):
        if isinstance(holder, Mapping):
            found = _text(holder.get("id")) or _text(holder.get("user_id"))
            if found:
                return found, _text(holder.get("status"))
    return None, None


# Udemy saying the field itself is unknown ("Unknown field.", "Unexpected key"), not one of
# its values ("Unknown group." is a group name it does not have).
_UNKNOWN_FIELD = re.compile(
    r"\b(unknown|unexpected|unrecogni[sz]ed|extra) (field|key|attribute|parameter|propert)"
    r"|^(unknown|unexpected|unrecogni[sz]ed|not allowed)\W*$|misspel"
    r"|\b(field|key|attribute|parameter|property) (is )?not (allowed|permitted)"
)


def _field_sentence(field: str | None, detail: str | None) -> str:
    """Explain a 400 in words: "Udemy refused the user: the first name is missing."."""
    said = _(" (Udemy said: {detail})").format(detail=detail) if detail else ""
    lowered = (detail or "").lower()
    if field is None:
        return _("Udemy refused the user{said}.").format(said=said)
    words = _FIELD_WORDS.get(field.lower())
    words = _(words) if words is not None else None
    if words is None:
        return _("Udemy refused the user: it does not accept the field “{field}”{said}.").format(
            field=field, said=said
        )
    if re.search(r"required|missing|blank|may not be null|empty", lowered):
        return _("Udemy refused the user: {words} is missing.").format(words=words)
    if _UNKNOWN_FIELD.search(lowered):
        return _("Udemy refused the user: it does not accept the field “{field}”{said}.").format(
            field=field, said=said
        )
    return _("Udemy refused the user: {words} is not accepted{said}.").format(
        words=words, said=said
    )


def error_for_status(status: int, body: Any, *, org_uuid: str) -> UdemyError:
    """Turn an error answer to an invite into the exception to raise.

    Whether the user may have been added is decided here for every status, and
    only here.
    """
    detail = _words(body.get("detail")) if isinstance(body, Mapping) else None
    facts: dict[str, Any] = {"status": status, "detail": detail}
    if status == 400:
        field, field_detail = refused_field(body)
        return FieldRefused(
            _field_sentence(field, field_detail), status=status, field=field, detail=field_detail
        )
    if status == 401:
        return UdemyAuthError(
            _(
                "Udemy did not accept the access token: it is wrong or has expired; create a new "
                "personal access token in Udemy Business (Settings › API) and paste it in the "
                "connection settings."
            ),
            **facts,
        )
    if status == 403:
        return UdemyAuthError(
            _(
                "Udemy refused the access token: it is not allowed to add users to this "
                "organisation; ask a Udemy Business administrator for a token with that right."
            ),
            **facts,
        )
    if status == 404:
        return OrganisationNotFound(
            _(
                "Udemy has no organisation with the id {org_uuid} (or the token does not belong "
                "to it); check the organisation id in the connection settings."
            ).format(org_uuid=org_uuid),
            **facts,
        )
    if status == 409:
        existing_id, existing_status = existing_account(body)
        about = (
            _(" (Udemy user id {existing_id})").format(existing_id=existing_id)
            if existing_id
            else ""
        )
        return AccountExists(
            _(
                "This email address already belongs to a user in your Udemy organisation"
                "{about}; nothing was added."
            ).format(about=about),
            existing_id=existing_id,
            existing_status=existing_status,
            **facts,
        )
    if status == 429:
        return UdemyError(
            _(
                "Udemy is busy and asked to slow down, so the user was not added; "
                "try again in a few minutes."
            ),
            **facts,
        )
    if status == 503:
        return UdemyError(
            _(
                "Udemy is temporarily unavailable (HTTP 503), so the user was not added; "
                "try again in a few minutes."
            ),
            **facts,
        )
    if status == 500:
        return UdemyError(
            _("Udemy reported an internal error, {consequence}.").format(
                consequence=_(MAY_HAVE_BEEN_ADDED)
            ),
            may_have_been_added=True,
            **facts,
        )
    if status in (502, 504):
        return UdemyError(
            _("Udemy is temporarily unavailable (HTTP {status}), {consequence}.").format(
                status=status, consequence=_(MAY_HAVE_BEEN_ADDED)
            ),
            may_have_been_added=True,
            **facts,
        )
    reason = f" ({detail})" if detail else ""
    if status >= 500:
        return UdemyError(
            _(
                "Udemy answered with an unexpected error (HTTP {status}){reason}, {consequence}."
            ).format(status=status, reason=reason, consequence=_(MAY_HAVE_BEEN_ADDED)),
            may_have_been_added=True,
            **facts,
        )
    return UdemyError(
        _("Udemy refused the user with an unexpected error (HTTP {status}){reason}.").format(
            status=status, reason=reason
        ),
        **facts,
    )


# -- Client -------------------------------------------------------------------


class _TokenAsUserName(requests.auth.AuthBase):
    """Basic auth with the token as user name and an empty password; its repr hides the token."""

    def __init__(self, token: str) -> None:
        self._header = "Basic " + base64.b64encode(f"{token}:".encode("ascii")).decode("ascii")

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request

    def __repr__(self) -> str:
        return "<personal access token>"


def _left_this_computer(exc: BaseException) -> bool:
    """False only when the request certainly never left: DNS, refused, connect timeout.

    The same rule as the SCIM client's: anything later (a cut connection, a read
    timeout) may come after Udemy acted on the request.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)
    return not isinstance(reason, NewConnectionError)


def _checked_org(org_uuid: str) -> str:
    """The organisation id, as a lower-case UUID."""
    text = (org_uuid or "").strip()
    if not text:
        raise UdemyAddressError(
            _(
                "Enter your Udemy organisation id (a UUID, shown on the Udemy Business admin "
                "page); it is empty."
            )
        )
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise UdemyAddressError(
            _(
                "The organisation id “{text}” is not one Udemy uses; copy the organisation "
                "UUID from the Udemy Business admin page (it looks like 3f2b8c1e-…)."
            ).format(text=text)
        ) from None


def _checked_token(token: str) -> str:
    text = (token or "").strip()
    if not text:
        raise UdemyAuthError(
            _(
                "Enter the personal access token from Udemy Business (Settings › API); "
                "the token is empty."
            )
        )
    if not text.isascii() or ":" in text or any(c.isspace() or not c.isprintable() for c in text):
        raise UdemyAuthError(
            _(
                "The access token contains spaces, line breaks, colons or accented letters; "
                "copy it again from Udemy Business and paste it without them."
            )
        )
    return text


def _checked_base_url(base_url: str) -> str:
    """https://, or http:// to this computer only; no trailing slash."""
    text = (base_url or "").strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts, host = urlsplit(""), None
    if not text:
        raise UdemyAddressError(
            _("Enter Udemy's API address ({address}); it is empty.").format(
                address=DEFAULT_BASE_URL
            )
        )
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise UdemyAddressError(
            _(
                "The address “{text}” is not a web address; enter Udemy's API address, {address}."
            ).format(text=text, address=DEFAULT_BASE_URL)
        )
    if parts.scheme.lower() == "http" and not _is_loopback(host):
        raise UdemyAddressError(
            _(
                "The address {text} is not encrypted (http://), so the access token and the "
                "users could be read on the network; use the https:// address instead."
            ).format(text=text)
        )
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), "", ""))


class UdemyInviteClient:
    """Adds users to one Udemy Business organisation with one personal access token.

    Every request has ``timeout`` seconds; a refused-before-acting answer (429,
    503) or a connection that never left is retried ``max_retries`` times with
    exponential ``backoff`` or the server's ``Retry-After``. ``sleep`` is
    injectable so tests record the waits; ``request_count`` counts every attempt.

    :raises UdemyAddressError: for a malformed address or organisation id, or
        plain http:// to a host other than this computer.
    :raises UdemyAuthError: for an empty or malformed token.
    """

    def __init__(
        self,
        base_url: str,
        org_uuid: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = _checked_base_url(base_url)
        self.host = urlsplit(self.base_url).netloc
        self.org_uuid = _checked_org(org_uuid)
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self._sleep = sleep
        self._lock = threading.Lock()
        self.request_count = 0
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=4, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.auth = _TokenAsUserName(_checked_token(token))
        session.verify = True
        session.headers.update({"Accept": "application/json", "User-Agent": "User Editor"})
        self._session = session

    def __repr__(self) -> str:
        return f"UdemyInviteClient({self.base_url!r}, {self.org_uuid!r})"

    def __enter__(self) -> UdemyInviteClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    @property
    def users_url(self) -> str:
        """The organisation's users endpoint (with Udemy's trailing slash)."""
        return f"{self.base_url}/organizations/{quote(self.org_uuid, safe='')}/users/"

    def invite(
        self,
        email: str,
        firstname: str,
        lastname: str,
        externalid: str | None = None,
        groups: Iterable[str] = (),
        role: str | None = None,
    ) -> Invited:
        """Invite (or provision) one user; returns Udemy's id, status and groups.

        Blank optional values are left out. ``groups`` are group UUIDs; ``role``
        is ``learner`` or ``admin``.

        :raises AccountExists: the email address is already in the organisation.
        :raises FieldRefused: Udemy refused a field (``error.field`` names it).
        :raises UdemyError: any other failure, as one sentence.
        """
        body: dict[str, Any] = {"email": email, "firstname": firstname, "lastname": lastname}
        if externalid:
            body["externalid"] = externalid
        group_list = [g for g in groups if g]
        if group_list:
            body["groups"] = group_list
        if role:
            body["role"] = role
        response = self._post(body)
        if response.status_code in (200, 201):
            return self._invited(response)
        raise self._error(response)

    def check(self) -> None:
        """Check the token and the organisation id without adding anyone (Connect dialog).

        Sends an invite with no fields: Udemy checks the token (401/403) and the
        organisation (404) before the fields, so a 400 means both are right, and
        no user can be added without an email address. (The order of the checks
        is assumed; Udemy does not document it.)

        :raises UdemyError: the one sentence when the token, organisation or
            address is wrong, or Udemy cannot be reached.
        """
        response = self._post({})
        status = response.status_code
        if status == 400:
            return
        if 200 <= status < 300:
            logger.warning("Udemy accepted an invite without fields (HTTP %d)", status)
            raise UdemyError(
                _(
                    "{host} accepted an invite without an email address, so it does not "
                    "answer as Udemy does; check the API address ({address})."
                ).format(host=self.host, address=DEFAULT_BASE_URL),
                status=status,
            )
        raise self._error(response)

    def _error(self, response: requests.Response) -> UdemyError:
        """The exception for an answer that is not a success."""
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("Location", "another address")
            return UdemyAddressError(
                _(
                    "Udemy sent the request to {target} instead of answering; check the API "
                    "address in the connection settings ({address})."
                ).format(target=target, address=DEFAULT_BASE_URL),
                status=status,
            )
        try:
            error_body = response.json()
        except ValueError:
            error_body = None
        error = error_for_status(status, error_body, org_uuid=self.org_uuid)
        logger.info("Udemy invite -> %d %s", status, type(error).__name__)
        logger.debug("Udemy invite server detail: field=%s %s", error.field, error.detail)
        return error

    def _invited(self, response: requests.Response) -> Invited:
        """Read a 201: the user was added, so a body without an id still means "added"."""
        try:
            body = response.json()
        except ValueError:
            body = None
        new_id = _text(body.get("id")) if isinstance(body, Mapping) else None
        if not isinstance(body, Mapping) or new_id is None:
            raise UdemyError(
                _(
                    "Udemy added the user but did not send back its id, so it cannot be kept "
                    "in the row; find the user in Udemy (Pending invitations) before sending "
                    "again."
                ),
                status=response.status_code,
                may_have_been_added=True,
            )
        try:
            status = InviteStatus(str(body.get("status", "")).lower())
        except ValueError:
            logger.info("Udemy invite: unknown status in a 201 answer")
            status = InviteStatus.OTHER
        groups = body.get("groups")
        kept = tuple(
            text
            for text in (
                _text(g.get("id") or g.get("uuid")) if isinstance(g, Mapping) else _text(g)
                for g in (groups if isinstance(groups, list) else [])
            )
            if text
        )
        return Invited(new_id, status, kept)

    # -- Transport --------------------------------------------------------------

    def _post(self, body: Mapping[str, Any]) -> requests.Response:
        """Send the invite, again only when Udemy certainly did not act on it."""
        url = self.users_url
        data = encode_json(body)
        headers = {"Content-Type": "application/json"}
        attempt = 0
        while True:
            attempt += 1
            with self._lock:
                self.request_count += 1
            logger.debug(
                "Udemy POST %s headers=%s body=%d bytes (attempt %d)",
                url,
                _redacted({**self._session.headers, **headers, "Authorization": ""}),
                len(data),
                attempt,
            )
            started = time.monotonic()
            try:
                response = self._session.post(
                    url,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    verify=True,
                    allow_redirects=False,
                )
            except requests.exceptions.SSLError as exc:
                logger.debug("Udemy POST %s: TLS failure %s", url, exc)
                raise UdemyConnectionProblem(
                    _(
                        "The security certificate of {host} could not be verified, so the "
                        "connection was stopped; check the address, or ask your IT team whether "
                        "a proxy replaces certificates."
                    ).format(host=self.host)
                ) from exc
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                left = _left_this_computer(exc)
                logger.debug(
                    "Udemy POST %s failed (%s): %s",
                    url,
                    "after sending" if left else "before sending",
                    exc,
                )
                if left:
                    raise self._lost_answer(exc) from exc
                if attempt > self.max_retries:
                    raise self._unreachable(exc) from exc
                self._pause(attempt, None)
                continue
            except requests.exceptions.RequestException as exc:
                logger.exception("Udemy POST %s failed unexpectedly", url)
                raise UdemyError(
                    _(
                        "An unexpected problem occurred while talking to {host}, so the "
                        "user may not have been added; the details are in the log."
                    ).format(host=self.host)
                ) from exc
            status = response.status_code
            logger.debug(
                "Udemy POST %s -> %d (%d bytes, %.0f ms)",
                url,
                status,
                len(response.content),
                (time.monotonic() - started) * 1000,
            )
            if status not in _NOT_PROCESSED or attempt > self.max_retries:
                return response
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > RETRY_AFTER_LIMIT:
                return response
            self._pause(attempt, wait)

    def _pause(self, attempt: int, retry_after: float | None) -> None:
        """Wait before the next attempt: as the server asked, else exponential backoff."""
        wait = (
            retry_after
            if retry_after is not None
            else min(BACKOFF_LIMIT, self.backoff * 2 ** (attempt - 1))
        )
        logger.debug("Udemy retry in %.2f s", wait)
        self._sleep(wait)

    def _lost_answer(self, exc: BaseException) -> UdemyConnectionProblem:
        """The invite left this computer and no answer came: it may have been acted on."""
        if isinstance(exc, requests.exceptions.ReadTimeout):
            how = _("did not answer within {timeout:g} seconds").format(timeout=self.timeout)
        else:
            how = _("cut the connection before answering")
        return UdemyConnectionProblem(
            _("The server {host} {how}, {consequence}.").format(
                host=self.host, how=how, consequence=_(MAY_HAVE_BEEN_ADDED)
            ),
            may_have_been_added=True,
        )

    def _unreachable(self, exc: BaseException) -> UdemyConnectionProblem:
        """The invite never left this computer: nothing was added."""
        inner = exc.args[0] if exc.args else None
        reason = getattr(inner, "reason", inner)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            why = _("it did not answer within {timeout:g} seconds").format(timeout=self.timeout)
        elif "refused" in str(reason).lower():
            why = _("the connection was refused")
        elif isinstance(reason, NameResolutionError):
            why = _("the server's name could not be found")
        else:
            why = _("the connection could not be made")
        return UdemyConnectionProblem(
            _(
                "Could not reach {host} ({why}), so the user was not added; check the "
                "address and your internet connection."
            ).format(host=self.host, why=why)
        )
