"""A SCIM 2.0 client (RFC 7643/7644) that reads and uploads users; failures are one sentence.

Design decisions, in short:

* **Payloads stay plain dicts.** Users are read and sent as the JSON dicts the
  server speaks, so attributes of vendor extensions the app does not model
  survive a round trip. scim2-models is used where the shape is fixed by the RFC:
  parsing ``ServiceProviderConfig`` and ``Error`` bodies, the schema URNs of the
  ``PatchOp``/``BulkRequest``/``ListResponse`` messages, and re-applying a PATCH
  or PUT locally to recognise our own write after a lost answer (see below).
  Its typed ``User[EnterpriseUser]`` model refuses unknown extensions
  (``extra_forbidden``), so it never gates what we send.
* **Every read returns ``(resource_dict, etag)``**: the ETag comes from the
  ``ETag`` header, or ``meta.version`` in lists, or ``None`` when the server
  does not version its resources.
* **Retries.** 429, 503, and connection failures before the request left this
  computer mean the server did not process the request, so every method is
  retried after them (honouring ``Retry-After``). 502, 504, dropped connections
  and read timeouts may come *after* the server applied the request, so only
  replayable requests are retried after them: GET, PUT, and PATCH when it is
  conditional (``If-Match``) or made only of ``replace``/``remove``. A POST that
  creates a user, and ``/Bulk``, are never replayed then: a second copy could
  create the user twice. A 500 is never retried. A ``Retry-After`` holds back the
  whole client, not only the request it answered: the other threads of a parallel
  upload start nothing more before that time either.
* **A replayed conditional write that answers 412** may be our own first attempt
  that succeeded while its answer was lost. The client reads the user back and
  re-applies the change locally with scim2-models; when it changes nothing, the
  write is reported as done instead of as someone else's change.
* **Logging.** Each request is logged at DEBUG with method, URL, size, status
  and time; the ``Authorization`` header is redacted and bodies (personal data)
  are never logged.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from scim2_models import (
    BulkRequest,
    EnterpriseUser,
    Error,
    ListResponse,
    PatchOp,
    ServiceProviderConfig,
    User,
)
from urllib3.exceptions import NameResolutionError, NewConnectionError

from desktop_app.i18n import N_, _, ngettext
from desktop_app.models.errors import UserFacingError

logger = logging.getLogger(__name__)

SCIM_MEDIA_TYPE = "application/scim+json"
USER_SCHEMA = str(User.__schema__)
ENTERPRISE_USER_SCHEMA = str(EnterpriseUser.__schema__)
PATCH_OP_SCHEMA = str(PatchOp.__schema__)
BULK_REQUEST_SCHEMA = str(BulkRequest.__schema__)
LIST_RESPONSE_SCHEMA = str(ListResponse.__schema__)
SERVICE_PROVIDER_CONFIG_SCHEMA = str(ServiceProviderConfig.__schema__)

#: A resource as the server sent it, with its ETag (``None`` when unversioned).
Versioned = tuple[dict[str, Any], str | None]

#: Longest ``Retry-After`` we wait for; a server asking for more is reported busy.
RETRY_AFTER_LIMIT = 120.0
#: Longest pause between two attempts when the server gave no ``Retry-After``.
BACKOFF_LIMIT = 30.0

_NOT_PROCESSED = frozenset({429, 503})
_MAYBE_PROCESSED = frozenset({502, 504})
_ATTRIBUTE_NAME = r"[A-Za-z][\w$-]*"
_ATTRIBUTE_PATH = re.compile(rf"^(?:urn:[\w.:-]+:)?{_ATTRIBUTE_NAME}(?:\.{_ATTRIBUTE_NAME})?$")


# -- Errors -------------------------------------------------------------------


class ScimError(UserFacingError):
    """A SCIM request failed; the message is one sentence for the admin.

    ``status`` is the HTTP status (None when no answer came), ``scim_type`` the
    SCIM ``scimType`` keyword, ``attribute`` the attribute a 400 names when the
    server's detail gives it, and ``detail`` the server's own words, for logs.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        scim_type: str | None = None,
        attribute: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.scim_type = scim_type
        self.attribute = attribute
        self.detail = detail


class ConflictError(ScimError):
    """412: the user changed on the server since it was downloaded; nothing was overwritten."""


class UniquenessError(ScimError):
    """409: a value that must be unique (username, email) belongs to another user."""


class AuthError(ScimError):
    """401/403: the server refused the token."""


class NotFoundError(ScimError):
    """404: the user (or endpoint) does not exist on the server."""


class ConnectionProblem(ScimError):
    """No usable answer: unknown host, refused, timed out, certificate, cut connection."""


class AddressError(ScimError):
    """The address is not a usable SCIM address: malformed, unencrypted, or not a SCIM server."""


class _NoGroups(NotFoundError):
    """/Groups answered 404 on a server that otherwise answers as SCIM."""


class NotScim:
    """Why an address is not a SCIM server, completing "X is not a SCIM server: ..."."""

    WEB_PAGE = N_("it answered with a web page, not SCIM data")
    NOT_FOUND = N_("it has no SCIM users or configuration at that address (HTTP 404)")
    NOT_A_LIST = N_("it answered with data that is not a SCIM list of resources")
    NOT_A_RESOURCE = N_("it answered with data that is not a SCIM resource")
    NOT_A_CONFIG = N_("it answered with data that is not a SCIM server configuration")
    SIGN_IN = N_("it sent the request to a sign-in page ({target})")
    OTHER = N_("it answered with something other than SCIM data")


#: Words in the address of a sign-in page that a redirect may lead to.
_SIGN_IN_WORDS = re.compile(
    r"(?<![a-z])(?:log[-_]?in|sign[-_]?in|sso|saml2?|oauth2?|openid|"
    r"auth(?:orize|enticate)?|session|cas)(?![a-z])",
    re.IGNORECASE,
)


def _is_sign_in_page(location: str) -> bool:
    """Whether a redirect's target looks like a sign-in page rather than a moved API."""
    parts = urlsplit(location)
    return bool(_SIGN_IN_WORDS.search(f"{parts.path}?{parts.query}"))


def _is_web_page(content_type: str, content: bytes) -> bool:
    """Whether an answer is an HTML page (by its type, or by its first bytes when untyped)."""
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    start = content[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _is_list_response(body: Any) -> bool:
    """Whether a body is a SCIM ListResponse (RFC 7644 §3.4.2): an object with its schema
    or its counts, whose Resources, when present, are a list."""
    if not isinstance(body, dict):
        return False
    schemas = body.get("schemas")
    looks_like_list = (
        (isinstance(schemas, list) and LIST_RESPONSE_SCHEMA in schemas)
        or "totalResults" in body
        or "Resources" in body
    )
    return looks_like_list and isinstance(body.get("Resources", []), list)


CONFLICT_SENTENCE = N_(
    "Someone changed this user on the server after you downloaded it; it was not overwritten."
)


def _clean_detail(detail: str | None) -> str | None:
    """Return a server detail short and without a final period, to quote inside a sentence."""
    if not detail:
        return None
    text = " ".join(str(detail).split()).rstrip(".")
    return text if len(text) <= 200 else text[:197] + "..."


def attribute_in_detail(detail: str | None) -> str | None:
    """Find the attribute a SCIM error detail names, or None.

    Knows the shapes servers use: ``Field 'userName' is required``, ``attribute
    "emails"``, and the ``message: path`` form of scim2-server/scim2-models.
    """
    if not detail:
        return None
    for pattern in (
        r"\b[Ff]ield\s+['\"`]([^'\"`]+)['\"`]",
        r"\b[Aa]ttribute\s+['\"`]([^'\"`]+)['\"`]",
    ):
        match = re.search(pattern, detail)
        if match:
            return match.group(1)
    match = re.search(r":\s*((?:urn:[\w.:-]+:)?[A-Za-z][\w$.\[\]-]*)\s*$", detail.strip())
    return match.group(1) if match else None


def _read_error_body(body: Any) -> tuple[str | None, str | None]:
    """Return (scimType, detail) of an error body, with scim2-models when it is a SCIM Error."""
    if not isinstance(body, Mapping):
        return None, None
    try:
        error = Error.model_validate(body)
        return error.scim_type, error.detail
    except ValidationError:
        scim_type = body.get("scimType")
        detail = body.get("detail")
        return (
            scim_type if isinstance(scim_type, str) else None,
            detail if isinstance(detail, str) else None,
        )


def error_for_status(status: int, body: Any, *, action: str, write: bool) -> ScimError:
    """Turn an HTTP error status and its SCIM Error body into the exception to raise.

    ``action`` completes "Could not ...", e.g. ``create the user “ada”``; ``write``
    says whether the request could have changed data (it decides the 500 advice).
    """
    scim_type, raw_detail = _read_error_body(body)
    detail = _clean_detail(raw_detail)
    attribute = attribute_in_detail(raw_detail)
    facts: dict[str, Any] = {
        "status": status,
        "scim_type": scim_type,
        "attribute": attribute,
        "detail": raw_detail,
    }
    if status == 401:
        return AuthError(
            _(
                "The server refused the token: it is wrong or has expired; "
                "paste a new token in the connection settings."
            ),
            **facts,
        )
    if status == 403:
        return AuthError(
            _(
                "The server refused the token: it is not allowed to {action}; "
                "ask the platform administrator for a token with more rights."
            ).format(action=action),
            **facts,
        )
    if status == 404:
        return NotFoundError(
            _(
                "Could not {action}: it does not exist on the server (it may have been deleted)."
            ).format(action=action),
            **facts,
        )
    if status == 409 and scim_type in (None, "uniqueness"):
        what = _unique_value_name(attribute)
        return UniquenessError(
            _("Could not {action}: {what} is already in use by another user on the server.").format(
                action=action, what=what
            ),
            **facts,
        )
    if status == 412:
        return ConflictError(_(CONFLICT_SENTENCE), **facts)
    if status == 413:
        return ScimError(
            _("Could not {action}: the request was larger than the server accepts.").format(
                action=action
            ),
            **facts,
        )
    if status == 429:
        return ScimError(
            _(
                "Could not {action}: the server is busy and asked to slow down; "
                "try again in a few minutes."
            ).format(action=action),
            **facts,
        )
    if status == 400:
        return ScimError(_bad_request_sentence(action, scim_type, attribute, detail), **facts)
    if status == 500:
        advice = (
            _("check on the server whether the change was saved before trying again")
            if write
            else _("try again later")
        )
        return ScimError(
            _("Could not {action}: the server reported an internal error; {advice}.").format(
                action=action, advice=advice
            ),
            **facts,
        )
    if status == 501:
        return ScimError(
            _("Could not {action}: the server does not support this.").format(action=action),
            **facts,
        )
    if status in (502, 504) and write:
        return ScimError(
            _(
                "Could not {action}: the server is temporarily unavailable (HTTP {status}), "
                "so it is not known whether the change was saved; check on the server before "
                "trying again."
            ).format(action=action, status=status),
            **facts,
        )
    if status in (502, 503, 504):
        return ScimError(
            _(
                "Could not {action}: the server is temporarily unavailable "
                "(HTTP {status}); try again in a few minutes."
            ).format(action=action, status=status),
            **facts,
        )
    reason = f" ({detail})" if detail else ""
    return ScimError(
        _(
            "Could not {action}: the server answered with an unexpected error "
            "(HTTP {status}){reason}."
        ).format(action=action, status=status, reason=reason),
        **facts,
    )


_UNIQUE_NAMES = {
    "username": N_("this username"),
    "user_name": N_("this username"),
    "login": N_("this username"),
    "emails": N_("this email address"),
    "email": N_("this email address"),
    "externalid": N_("this external ID"),
    "external_id": N_("this external ID"),
    "employeenumber": N_("this employee number"),
    "employee_number": N_("this employee number"),
}


def _unique_value_name(attribute: str | None) -> str:
    """Name the clashing value in words: "this username", "this email address"...

    Servers backed by a database may name the column instead of the SCIM attribute
    ("UNIQUE constraint failed: app_user.username"): every part of the name is
    tried, so the admin reads "this username", never the database's table.
    """
    if not attribute:
        return _("the username or email")
    words = re.split(r"[.:\[\]\s]+", attribute.lower())
    for word in reversed(words):
        if word in _UNIQUE_NAMES:
            return _(_UNIQUE_NAMES[word])
    if re.search(r"[a-z]_[a-z]", attribute) and "." in attribute:  # table.column: not ours
        return _("the username or email")
    return _("the value of “{attribute}”").format(attribute=attribute)


def _bad_request_sentence(
    action: str, scim_type: str | None, attribute: str | None, detail: str | None
) -> str:
    """Explain a 400 from its scimType, naming the attribute when the server did."""
    said = _(" (the server said: {detail})").format(detail=detail) if detail else ""
    if scim_type == "mutability" and attribute:
        return _(
            "Could not {action}: the server does not allow changing “{attribute}”{said}."
        ).format(action=action, attribute=attribute, said=said)
    if scim_type == "mutability":
        return _(
            "Could not {action}: it changes a value the server does not allow to change{said}."
        ).format(action=action, said=said)
    if scim_type == "tooMany":
        return _(
            "Could not {action}: the search matched more users than the server will return."
        ).format(action=action)
    if scim_type == "invalidFilter":
        return _("Could not {action}: the server could not understand the search{said}.").format(
            action=action, said=said
        )
    if attribute:
        return _("Could not {action}: the server refused the value of “{attribute}”{said}.").format(
            action=action, attribute=attribute, said=said
        )
    return _("Could not {action}: the server refused it{said}.").format(action=action, said=said)


# -- Capabilities ---------------------------------------------------------------


@dataclass(frozen=True)
class ServerCapabilities:
    """What a server announces at /ServiceProviderConfig, flattened for the app."""

    patch: bool
    bulk_supported: bool
    bulk_max_operations: int | None
    bulk_max_payload: int | None
    etag_supported: bool
    filter_supported: bool
    filter_max_results: int | None = None
    sort_supported: bool = False

    @classmethod
    def from_config(cls, config: ServiceProviderConfig) -> ServerCapabilities:
        """Read a scim2-models ServiceProviderConfig."""
        bulk = config.bulk
        return cls(
            patch=bool(config.patch and config.patch.supported),
            bulk_supported=bool(bulk and bulk.supported),
            bulk_max_operations=bulk.max_operations if bulk else None,
            bulk_max_payload=bulk.max_payload_size if bulk else None,
            etag_supported=bool(config.etag and config.etag.supported),
            filter_supported=bool(config.filter and config.filter.supported),
            filter_max_results=config.filter.max_results if config.filter else None,
            sort_supported=bool(config.sort and config.sort.supported),
        )

    @classmethod
    def from_loose_json(cls, body: Mapping[str, Any]) -> ServerCapabilities:
        """Read a configuration scim2-models refuses (wrong types), keeping what is readable."""

        def section(name: str) -> Mapping[str, Any]:
            value = body.get(name)
            return value if isinstance(value, Mapping) else {}

        def number(value: Any) -> int | None:
            try:
                return int(value) if value is not None else None
            except (TypeError, ValueError):
                return None

        def flag(name: str) -> bool:
            return section(name).get("supported") in (True, "true", "True")

        return cls(
            patch=flag("patch"),
            bulk_supported=flag("bulk"),
            bulk_max_operations=number(section("bulk").get("maxOperations")),
            bulk_max_payload=number(section("bulk").get("maxPayloadSize")),
            etag_supported=flag("etag"),
            filter_supported=flag("filter"),
            filter_max_results=number(section("filter").get("maxResults")),
            sort_supported=flag("sort"),
        )


# -- Pure helpers ---------------------------------------------------------------


def encode_json(value: Any) -> bytes:
    """Serialise a body exactly as it is sent, so payload sizes can be computed in advance."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def filter_expression(attribute: str, value: str | int | float | bool | None) -> str:
    """Build ``attribute eq value`` with the value quoted and escaped as a JSON literal.

    The attribute is checked against the SCIM attribute-path grammar so a value
    can never smuggle in a second clause (RFC 7644 §3.4.2.2).
    """
    if not _ATTRIBUTE_PATH.match(attribute):
        raise ValueError(f"not a SCIM attribute path: {attribute!r}")
    return f"{attribute} eq {json.dumps(value, ensure_ascii=False)}"


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks to wait (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def plan_bulk_batches(
    operations: Sequence[Mapping[str, Any]],
    *,
    max_operations: int | None,
    max_payload_size: int | None,
) -> list[list[Mapping[str, Any]]]:
    """Split bulk operations, in order, into requests within maxOperations and maxPayloadSize.

    Sizes are the exact bytes :func:`encode_json` sends, envelope included. A
    ``bulkId`` reference only resolves inside its own request, so callers that
    use them must keep the referenced POST in the same batch (not done here).
    """
    envelope = len(encode_json({"schemas": [BULK_REQUEST_SCHEMA], "Operations": []}))
    batches: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    size = envelope
    for operation in operations:
        op_size = len(encode_json(operation))
        if max_payload_size is not None and envelope + op_size > max_payload_size:
            label = operation.get("bulkId") or operation.get("path") or "one change"
            raise ScimError(
                _(
                    "The change “{label}” is larger than the server accepts in one request "
                    "({size} bytes); shorten its values and try again."
                ).format(label=label, size=max_payload_size)
            )
        extra = op_size + (1 if current else 0)  # one comma between operations
        full = max_operations is not None and len(current) >= max_operations
        too_big = max_payload_size is not None and size + extra > max_payload_size
        if current and (full or too_big):
            batches.append(current)
            current, size, extra = [], envelope, op_size
        current.append(operation)
        size += extra
    if current:
        batches.append(current)
    return batches


def create_operation(resource: Mapping[str, Any], bulk_id: str) -> dict[str, Any]:
    """Build a bulk POST that creates a user."""
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": with_schemas(resource)}


def patch_operation(
    user_id: str, operations: list[dict[str, Any]], etag: str | None = None
) -> dict[str, Any]:
    """Build a bulk PATCH of a user, conditional on ``etag`` when given."""
    operation: dict[str, Any] = {
        "method": "PATCH",
        "path": f"/Users/{quote(user_id, safe='')}",
        "data": {"schemas": [PATCH_OP_SCHEMA], "Operations": operations},
    }
    if etag:
        operation["version"] = etag
    return operation


def with_schemas(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a user dict listing the core schema, and the enterprise one when used."""
    copy = dict(resource)
    schemas = list(copy.get("schemas") or [USER_SCHEMA])
    if USER_SCHEMA not in schemas:
        schemas.insert(0, USER_SCHEMA)
    if ENTERPRISE_USER_SCHEMA in copy and ENTERPRISE_USER_SCHEMA not in schemas:
        schemas.append(ENTERPRISE_USER_SCHEMA)
    copy["schemas"] = schemas
    return copy


def scim_base_url(text: str) -> str:
    """The address as the client uses it (checked, lower-case scheme, no trailing slash),
    to compare two spellings of one server.

    :raises AddressError: when it is not a usable SCIM address.
    """
    return ScimClient._checked_base_url(text)


def _is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts plain http:// may reach."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _etag_of(response: requests.Response | None, body: Any) -> str | None:
    """The ETag of a resource: its header, else its ``meta.version``."""
    if response is not None and response.headers.get("ETag"):
        return str(response.headers["ETag"])
    if isinstance(body, Mapping):
        meta = body.get("meta")
        if isinstance(meta, Mapping) and isinstance(meta.get("version"), str):
            return str(meta["version"])
    return None


def _user_label(resource: Mapping[str, Any] | None, user_id: str | None = None) -> str:
    """Name a user for a sentence: ``the user “ada”``."""
    name = resource.get("userName") if resource else None
    if isinstance(name, str) and name:
        return _("the user “{name}”").format(name=name)
    return _("the user “{name}”").format(name=user_id) if user_id else _("the user")


class _BearerAuth(requests.auth.AuthBase):
    """Adds the bearer token; its repr never shows the token, and it keeps ~/.netrc out."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "<bearer token>"


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of headers safe to log."""
    return {
        name: ("<redacted>" if name.lower() in ("authorization", "cookie") else value)
        for name, value in headers.items()
    }


@dataclass
class _Reply:
    """An HTTP answer, and whether an earlier attempt may already have been applied."""

    response: requests.Response
    replayed: bool


# -- Client ---------------------------------------------------------------------


@dataclass
class ServerHabits:
    """What one server was found to refuse or to drop during a run, so each is found once.

    Learned while sending (see ``desktop_app.services.sending``) and shared by the
    threads of a parallel send, hence the lock. Paths are SCIM attribute paths.
    """

    #: Attributes a PATCH may not change (answered 501 when it tried).
    patch_refused: set[str] = field(default_factory=set)
    #: PATCH ``remove`` is refused; a blank value goes as ``replace`` with "" instead.
    remove_refused: bool = False
    #: PUT of a whole user is refused too.
    put_refused: bool = False
    #: Group members leave only as ``remove`` of ``members`` with a value list.
    member_filter_refused: bool = False
    #: Attributes seen stored after a write (a write's answer need not be read back for them).
    kept: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class ScimClient:
    """Talks to one SCIM 2.0 server with one bearer token.

    One ``requests.Session`` with a pool of ``pool_size`` connections is shared by
    all calls, so a client may be used from several worker threads. Every request
    has ``timeout`` seconds, TLS is always verified, and failures are retried
    ``max_retries`` times with exponential ``backoff`` (see the module docstring
    for which requests are replayed). ``sleep`` is injectable so tests record the
    waits. ``request_count`` counts every HTTP attempt, retries included.

    :raises AddressError: when the address is malformed, or plain http:// to a
        host other than this computer.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        pool_size: int = 16,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = self._checked_base_url(base_url)
        self.host = urlsplit(self.base_url).netloc
        token = (token or "").strip()
        if not token:
            raise AuthError(_("Enter the SCIM token the platform gave you; the token is empty."))
        if not token.isascii() or any(ch.isspace() or not ch.isprintable() for ch in token):
            raise AuthError(
                _(
                    "The token contains spaces, line breaks or accented letters; "
                    "copy it again from the platform and paste it without them."
                )
            )
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self._sleep = sleep
        self._lock = threading.Lock()
        self.request_count = 0
        #: monotonic time before which no request starts: the server's last Retry-After.
        self._not_before = 0.0
        #: per thread, the latest such time this thread has already waited for.
        self._waited = threading.local()
        self._capabilities: ServerCapabilities | None = None
        #: What this server refuses or drops, learned during this client's run.
        self.habits = ServerHabits()

        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.auth = _BearerAuth(token)
        session.verify = True
        # The proxies and CA bundle of the environment, read once for this client: with
        # trust_env, requests reads them (all of os.environ) again for every request.
        session.trust_env = False
        session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        self._verify: bool | str = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        session.headers.update({"Accept": SCIM_MEDIA_TYPE, "User-Agent": "User Editor"})
        self._session = session

    def __repr__(self) -> str:
        return f"ScimClient({self.base_url!r})"

    def __enter__(self) -> ScimClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    @staticmethod
    def _checked_base_url(base_url: str) -> str:
        """Validate the address: https://, or http:// to this computer only."""
        text = (base_url or "").strip()
        try:
            parts = urlsplit(text)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            parts, host = urlsplit(""), None
        if parts.scheme.lower() not in ("http", "https") or not host:
            raise AddressError(
                _(
                    "“{text}” is not a web address; enter the SCIM address of the platform, "
                    "starting with https://."
                ).format(text=text)
            )
        if parts.scheme.lower() == "http" and not _is_loopback(host):
            raise AddressError(
                _(
                    "The address {text} is not encrypted (http://), so the token and the users "
                    "could be read on the network; use the https:// address instead."
                ).format(text=text)
            )
        return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), "", ""))

    # -- Transport --------------------------------------------------------------

    def _count(self) -> None:
        with self._lock:
            self.request_count += 1

    def _send(
        self,
        method: str,
        path: str,
        *,
        action: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        if_match: str | None = None,
        replayable: bool,
        retries: int | None = None,
    ) -> _Reply:
        """Send one request with retries; returns the final answer whatever its status.

        ``replayable`` says whether the request may be sent again when an earlier
        attempt may have reached the server (see the module docstring);
        ``retries`` overrides ``max_retries`` for this request.
        """
        max_retries = self.max_retries if retries is None else retries
        url = self.base_url + path
        data = encode_json(body) if body is not None else None
        headers: dict[str, str] = {}
        if data is not None:
            headers["Content-Type"] = SCIM_MEDIA_TYPE
        if if_match:
            headers["If-Match"] = if_match
        replayed = False
        maybe_applied = False
        attempt = 0
        while True:
            attempt += 1
            self._wait_for_retry_after()
            self._count()
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "SCIM %s %s params=%s headers=%s body=%s bytes (attempt %d)",
                    method,
                    url,
                    dict(params or {}),
                    _redacted({**self._session.headers, **headers, "Authorization": ""}),
                    len(data) if data is not None else 0,
                    attempt,
                )
            started = time.monotonic()
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    verify=self._verify,
                    allow_redirects=False,
                )
            except requests.exceptions.SSLError as exc:
                logger.debug("SCIM %s %s: TLS failure %s", method, url, exc)
                raise ConnectionProblem(
                    _(
                        "The security certificate of {host} could not be verified, so the "
                        "connection was stopped; check the address, or ask your IT team whether "
                        "a proxy replaces certificates."
                    ).format(host=self.host)
                ) from exc
            except (
                requests.exceptions.ConnectTimeout,
                requests.exceptions.ConnectionError,
                requests.exceptions.ReadTimeout,
            ) as exc:
                sent = self._may_have_been_sent(exc)
                maybe_applied = maybe_applied or sent
                problem = self._connection_problem(exc, sent=sent, replayable=replayable)
                logger.debug(
                    "SCIM %s %s failed (%s): %s",
                    method,
                    url,
                    "after sending" if sent else "before sending",
                    exc,
                )
                if (sent and not replayable) or attempt > max_retries:
                    raise problem from exc
                self._pause(attempt, None)
                replayed = replayed or maybe_applied
                continue
            except requests.exceptions.RequestException as exc:
                logger.exception("SCIM %s %s failed unexpectedly", method, url)
                raise ScimError(
                    _(
                        "Could not {action}: an unexpected problem occurred while talking to "
                        "{host}; the details are in the log."
                    ).format(action=action, host=self.host)
                ) from exc
            elapsed = (time.monotonic() - started) * 1000
            status = response.status_code
            logger.debug(
                "SCIM %s %s -> %d (%d bytes, %.0f ms)",
                method,
                url,
                status,
                len(response.content),
                elapsed,
            )
            retry = status in _NOT_PROCESSED or (status in _MAYBE_PROCESSED and replayable)
            if not retry or attempt > max_retries:
                return _Reply(response, replayed)
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > RETRY_AFTER_LIMIT:
                return _Reply(response, replayed)
            if status in _MAYBE_PROCESSED:
                maybe_applied = True
            if wait is not None:
                self._hold_back(wait)
            self._pause(attempt, wait)
            replayed = replayed or maybe_applied

    def _hold_back(self, seconds: float) -> None:
        """A Retry-After: no request of this client starts before ``seconds`` from now.

        The request it answered waits it out in ``_pause``; the others in
        ``_wait_for_retry_after``.
        """
        until = time.monotonic() + seconds
        with self._lock:
            self._not_before = max(self._not_before, until)
        self._waited.until = max(until, getattr(self._waited, "until", 0.0))

    def _wait_for_retry_after(self) -> None:
        """Before a request: wait out a Retry-After another request was given, once."""
        until = self._not_before
        if until <= getattr(self._waited, "until", 0.0):
            return
        self._waited.until = until
        remaining = until - time.monotonic()
        if remaining > 0:
            logger.debug("SCIM server asked to wait; next request in %.2f s", remaining)
            self._sleep(remaining)

    def _pause(self, attempt: int, retry_after: float | None) -> None:
        """Wait before the next attempt: as the server asked, else exponential backoff."""
        wait = (
            retry_after
            if retry_after is not None
            else min(BACKOFF_LIMIT, self.backoff * 2 ** (attempt - 1))
        )
        logger.debug("SCIM retry in %.2f s", wait)
        self._sleep(wait)

    @staticmethod
    def _reason(exc: BaseException) -> BaseException | None:
        """The urllib3 cause under a requests exception."""
        inner = exc.args[0] if exc.args else None
        reason = getattr(inner, "reason", None)
        if isinstance(reason, BaseException):
            return reason
        return inner if isinstance(inner, BaseException) else None

    def _may_have_been_sent(self, exc: BaseException) -> bool:
        """False only when the request certainly never left: DNS, refused, connect timeout."""
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return False
        return not isinstance(self._reason(exc), NewConnectionError)

    def _connection_problem(
        self, exc: BaseException, *, sent: bool, replayable: bool
    ) -> ConnectionProblem:
        """One sentence per way a connection fails."""
        host = self.host
        reason = self._reason(exc)
        seconds = f"{self.timeout:g}"
        if isinstance(reason, NameResolutionError):
            return ConnectionProblem(
                _(
                    "Could not find the server {hostname}; "
                    "check the server address and your internet connection."
                ).format(hostname=urlsplit(self.base_url).hostname)
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout) or (
            isinstance(exc, requests.exceptions.ReadTimeout) and replayable
        ):
            return ConnectionProblem(
                _(
                    "The server {host} did not answer within {seconds} seconds; "
                    "try again later or check the server address."
                ).format(host=host, seconds=seconds)
            )
        if isinstance(reason, NewConnectionError):
            refused = "refused" in str(reason).lower() or isinstance(
                reason.__context__, ConnectionRefusedError
            )
            if refused:
                return ConnectionProblem(
                    _(
                        "Could not reach {host}: the connection was refused. "
                        "Check the server address."
                    ).format(host=host)
                )
            return ConnectionProblem(
                _(
                    "Could not reach {host}; check the server address and your network connection."
                ).format(host=host)
            )
        if sent and not replayable:
            how = (
                _("did not answer within {seconds} seconds").format(seconds=seconds)
                if isinstance(exc, requests.exceptions.ReadTimeout)
                else _("cut the connection before answering")
            )
            return ConnectionProblem(
                _(
                    "The server {host} {how}, so it is not known whether the change was saved; "
                    "check on the server before trying again."
                ).format(host=host, how=how)
            )
        return ConnectionProblem(
            _(
                "The connection to {host} was cut before the server answered; "
                "check your network connection and try again."
            ).format(host=host)
        )

    def _json(self, reply: _Reply) -> Any:
        """The JSON body of a successful answer; a web page or garbage means "not SCIM"."""
        response = reply.response
        if not response.content:
            return None
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if _is_web_page(content_type, response.content):
            raise self._not_scim(response.status_code, NotScim.WEB_PAGE)
        if (
            content_type
            and content_type != "application/json"
            and not (content_type.startswith("application/") and content_type.endswith("+json"))
        ):
            raise self._not_scim(response.status_code)
        try:
            return response.json()
        except ValueError as exc:
            raise self._not_scim(response.status_code) from exc

    def _not_scim(self, status: int | None = None, why: str | None = None) -> AddressError:
        """The one sentence for an address that answers, but not as a SCIM server."""
        if why is None:
            why = NotScim.NOT_FOUND if status in (404, 405) else NotScim.OTHER
        why = _(why)
        return AddressError(
            _(
                "{base_url} is not a SCIM server: {why}. Check the SCIM address in your "
                "platform's settings (it usually ends in /scim/v2)."
            ).format(base_url=self.base_url, why=why),
            status=status,
        )

    def _check(self, reply: _Reply, *, action: str, write: bool) -> Any:
        """Return the JSON body of a 2xx answer, or raise the error sentence for the rest."""
        response = reply.response
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("Location", "another address")
            if _is_sign_in_page(target):
                page = urljoin(response.url, target)
                raise self._not_scim(status, _(NotScim.SIGN_IN).format(target=page))
            raise AddressError(
                _(
                    "The server sent the request to {target}; enter that address instead "
                    "if it is the SCIM address of the platform."
                ).format(target=target),
                status=status,
            )
        if status >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            error = error_for_status(status, body, action=action, write=write)
            # The path only at INFO: queries and details can hold personal data.
            path = urlsplit(response.url).path
            logger.info(
                "SCIM %s %s -> %d %s", response.request.method, path, status, error.scim_type or ""
            )
            logger.debug(
                "SCIM %s %s server detail: %s", response.request.method, path, error.detail
            )
            raise error
        return self._json(reply)

    def _resource(self, reply: _Reply, *, action: str, write: bool) -> Versioned:
        """Read a single resource answer into (dict, etag)."""
        body = self._check(reply, action=action, write=write)
        if not isinstance(body, dict) or not body.get("id"):
            raise self._not_scim(reply.response.status_code, NotScim.NOT_A_RESOURCE)
        return body, _etag_of(reply.response, body)

    # -- Discovery -------------------------------------------------------------

    def service_provider_config(self, *, retries: int | None = None) -> ServerCapabilities:
        """GET /ServiceProviderConfig, parsed with scim2-models (cached for the client)."""
        action = _("read the server's capabilities")
        reply = self._send(
            "GET", "/ServiceProviderConfig", action=action, replayable=True, retries=retries
        )
        if reply.response.status_code in (404, 405):
            raise self._not_scim(reply.response.status_code)
        body = self._check(reply, action=action, write=False)
        looks_scim = isinstance(body, dict) and (
            SERVICE_PROVIDER_CONFIG_SCHEMA in (body.get("schemas") or [])
            or {"patch", "bulk", "filter"} & body.keys()
        )
        if not looks_scim:
            raise self._not_scim(reply.response.status_code, NotScim.NOT_A_CONFIG)
        try:
            capabilities = ServerCapabilities.from_config(
                ServiceProviderConfig.model_validate(body)
            )
        except ValidationError:
            logger.warning(
                "ServiceProviderConfig of %s is not valid SCIM; read leniently",
                self.base_url,
                exc_info=True,
            )
            capabilities = ServerCapabilities.from_loose_json(body)
        self._capabilities = capabilities
        return capabilities

    def capabilities(self) -> ServerCapabilities:
        """The server's capabilities, fetched once."""
        return self._capabilities or self.service_provider_config()

    def test_connection(self) -> str:
        """Check address, protocol and token; return one sentence saying it works.

        /ServiceProviderConfig needs no token (RFC 7644 §4), so a one-user search
        of /Users is what proves the token. No retries: the admin is waiting for the
        answer to a button click, and a refused connection does not heal in seconds.
        """
        self.service_provider_config(retries=0)
        action = _("read the users")
        reply = self._send(
            "GET",
            "/Users",
            action=action,
            replayable=True,
            retries=0,
            params={"startIndex": 1, "count": 1, "attributes": "userName"},
        )
        if reply.response.status_code in (404, 405):
            raise self._not_scim(reply.response.status_code)
        body = self._check(reply, action=action, write=False)
        if not _is_list_response(body) or "totalResults" not in body:
            raise self._not_scim(reply.response.status_code, NotScim.NOT_A_LIST)
        total = body.get("totalResults")
        if isinstance(total, int):
            return ngettext(
                "Connected to {host}: the token works and the server has {count} user.",
                "Connected to {host}: the token works and the server has {count} users.",
                total,
            ).format(host=self.host, count=total)
        return _("Connected to {host}: the token works.").format(host=self.host)

    # -- Reading ---------------------------------------------------------------

    def _pages(
        self, endpoint: str, *, action: str, page_size: int, filter_: str | None = None
    ) -> Iterator[Versioned]:
        """Yield every resource of a search, following startIndex/count pages."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        start = 1
        previous_first: Any = None
        while True:
            params: dict[str, Any] = {"startIndex": start, "count": page_size}
            if filter_ is not None:
                params["filter"] = filter_
            reply = self._send("GET", endpoint, action=action, params=params, replayable=True)
            if reply.response.status_code in (404, 405):
                raise self._missing_collection(endpoint, reply.response.status_code)
            body = self._check(reply, action=action, write=False)
            if not _is_list_response(body):
                raise self._not_scim(reply.response.status_code, NotScim.NOT_A_LIST)
            resources = [r for r in body.get("Resources") or [] if isinstance(r, dict)]
            if not resources:
                return
            first = resources[0].get("id")
            if first is not None and first == previous_first:
                logger.warning("%s ignores startIndex; stopped paging %s", self.host, endpoint)
                return
            previous_first = first
            for resource in resources:
                yield resource, _etag_of(None, resource)
            start += len(resources)
            total = body.get("totalResults")
            if isinstance(total, int) and start > total:
                return

    def iter_users(self, page_size: int = 200) -> Iterator[Versioned]:
        """Yield every user as (dict, etag), one page of ``page_size`` per request."""
        return self._pages("/Users", action=_("read the users"), page_size=page_size)

    def get_user(self, user_id: str) -> Versioned:
        """GET one user by id."""
        action = _("read {user}").format(user=_user_label(None, user_id))
        reply = self._send(
            "GET", f"/Users/{quote(user_id, safe='')}", action=action, replayable=True
        )
        return self._resource(reply, action=action, write=False)

    def find_users(
        self, attribute: str, value: str | int | float | bool, *, page_size: int = 200
    ) -> list[Versioned]:
        """Users whose ``attribute`` equals ``value`` (``filter=attribute eq "value"``)."""
        expression = filter_expression(attribute, value)
        action = _("search the users by {attribute}").format(attribute=attribute)
        return list(self._pages("/Users", action=action, page_size=page_size, filter_=expression))

    def list_groups(self, page_size: int = 200) -> list[Versioned]:
        """Every group as (dict, etag); none when a SCIM server does not offer groups.

        Groups are optional in SCIM (RFC 7644 §3.2): a server whose
        /ServiceProviderConfig reads as SCIM but that has no /Groups simply has none.
        """
        try:
            return list(self._pages("/Groups", action=_("read the groups"), page_size=page_size))
        except _NoGroups:
            logger.info("%s offers no /Groups; read as no groups", self.host)
            return []

    def _missing_collection(self, endpoint: str, status: int) -> ScimError:
        """A 404 or 405 on a list of resources: the address is not SCIM, unless only the
        optional /Groups is missing on a server that otherwise answers as SCIM."""
        if endpoint == "/Groups":
            self.capabilities()  # raises the "not a SCIM server" sentence when it is not
            return _NoGroups(
                _("The server {host} does not offer groups.").format(host=self.host), status=status
            )
        return self._not_scim(status)

    # -- Writing ---------------------------------------------------------------

    def create_user(self, resource: Mapping[str, Any]) -> Versioned:
        """POST a new user; never replayed once it may have reached the server."""
        payload = with_schemas(resource)
        action = _("create {user}").format(user=_user_label(payload))
        reply = self._send("POST", "/Users", action=action, body=payload, replayable=False)
        return self._resource(reply, action=action, write=True)

    def patch_user(
        self,
        user_id: str,
        operations: list[dict[str, Any]],
        etag: str | None,
        *,
        user_name: str | None = None,
        read_back: bool = True,
    ) -> tuple[dict[str, Any] | None, str | None]:
        """PATCH a user, with ``If-Match: etag`` when given; a 204 is followed by a GET.

        Replayed after a lost answer when conditional or made of replace/remove
        only; a replay answering 412 is checked against the server's copy.
        ``user_name`` only names the user in error sentences. With ``read_back``
        False, a 204 that carries the user's new ``ETag`` is not followed by a GET:
        the user comes back as None with that ETag (one request instead of two, for
        a caller that needs only the new version). The user is always returned
        otherwise.
        """
        action = _("update {user}").format(user=_user_label({"userName": user_name}, user_id))
        body = {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}
        idempotent = all(
            str(op.get("op", "")).lower() in ("replace", "remove") for op in operations
        )
        reply = self._send(
            "PATCH",
            f"/Users/{quote(user_id, safe='')}",
            action=action,
            body=body,
            if_match=etag,
            replayable=bool(etag) or idempotent,
        )
        if not read_back and reply.response.status_code == 204:
            etag_after = reply.response.headers.get("ETag")
            if etag_after and not reply.replayed:
                self._check(reply, action=action, write=True)
                return None, str(etag_after)
        return self._after_write(
            user_id, reply, action, lambda user: _patch_changes(operations, user)
        )

    def patch_group(self, group_id: str, name: str, operations: list[dict[str, Any]]) -> None:
        """Change a group's members: adding or removing the same member twice changes
        nothing, so a lost answer may be replayed."""
        reply = self._send(
            "PATCH",
            f"/Groups/{quote(group_id, safe='')}",
            action=_("change the members of the group “{name}”").format(name=name),
            body={"schemas": [PATCH_OP_SCHEMA], "Operations": operations},
            if_match=None,
            replayable=True,
        )
        self._check(
            reply,
            action=_("change the members of the group “{name}”").format(name=name),
            write=True,
        )

    def replace_user(
        self, user_id: str, resource: Mapping[str, Any], etag: str | None
    ) -> Versioned:
        """PUT a whole user, with ``If-Match: etag`` when given."""
        payload = with_schemas(resource)
        action = _("update {user}").format(user=_user_label(payload, user_id))
        reply = self._send(
            "PUT",
            f"/Users/{quote(user_id, safe='')}",
            action=action,
            body=payload,
            if_match=etag,
            replayable=True,
        )
        return self._after_write(
            user_id, reply, action, lambda user: _replace_changes(payload, user)
        )

    def _after_write(
        self,
        user_id: str,
        reply: _Reply,
        action: str,
        changes: Callable[[dict[str, Any]], bool],
    ) -> Versioned:
        """The user after a PATCH or PUT: read back on 204, recognised if a replay hit 412."""
        if reply.response.status_code == 412 and reply.replayed:
            done = self._already_applied(user_id, changes)
            if done is not None:
                return done
        if reply.response.status_code == 204:
            self._check(reply, action=action, write=True)
            return self.get_user(user_id)
        return self._resource(reply, action=action, write=True)

    def _already_applied(
        self, user_id: str, changes: Callable[[dict[str, Any]], bool]
    ) -> Versioned | None:
        """After a replay answered 412, return the user if it already holds our change."""
        current, etag = self.get_user(user_id)
        try:
            if not changes(current):
                logger.info(
                    "SCIM write to %s was applied by an attempt whose answer was lost", user_id
                )
                return current, etag
        except (ValidationError, ValueError, TypeError, KeyError):
            logger.debug("could not re-apply the change locally", exc_info=True)
        return None

    # -- Bulk ------------------------------------------------------------------

    def bulk(self, operations: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Send one /Bulk request; return one result per operation that ran.

        Each result has ``method``, ``bulkId``, ``status`` (int), ``location``,
        ``version``, ``response`` (the server's body, an Error for failures) and
        ``message`` (a sentence for failures, else None). Never replayed once it
        may have reached the server.
        """
        action = _("upload the changes")
        body = {"schemas": [BULK_REQUEST_SCHEMA], "Operations": list(operations)}
        reply = self._send("POST", "/Bulk", action=action, body=body, replayable=False)
        payload = self._check(reply, action=action, write=True)
        if not isinstance(payload, dict) or not isinstance(payload.get("Operations"), list):
            raise self._not_scim(reply.response.status_code)
        return [_bulk_result(item) for item in payload["Operations"] if isinstance(item, dict)]

    def bulk_all(self, operations: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Send operations in as many /Bulk requests as the server's limits need."""
        capabilities = self.capabilities()
        if not capabilities.bulk_supported:
            raise ScimError(
                _(
                    "The server {host} does not accept bulk uploads; upload the users "
                    "one by one instead."
                ).format(host=self.host)
            )
        results: list[dict[str, Any]] = []
        for batch in plan_bulk_batches(
            operations,
            max_operations=capabilities.bulk_max_operations or None,
            max_payload_size=capabilities.bulk_max_payload or None,
        ):
            results.extend(self.bulk(batch))
        return results


def _bulk_result(item: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise one BulkResponse operation: int status, and a sentence when it failed."""
    try:
        status = int(item.get("status") or 0)
    except (TypeError, ValueError):
        status = 0
    response = item.get("response")
    message = None
    if status >= 400:
        location = item.get("location") or ""
        user_id = str(location).rstrip("/").rsplit("/", 1)[-1] if location else None
        method = str(item.get("method") or "").upper()
        action = (
            _("create the user")
            if method == "POST"
            else _("update {user}").format(user=_user_label(None, user_id))
        )
        if item.get("bulkId") and method == "POST":
            action = _("create the user of change “{change}”").format(change=item["bulkId"])
        message = str(error_for_status(status, response, action=action, write=True))
    return {
        "method": item.get("method"),
        "bulkId": item.get("bulkId"),
        "status": status,
        "location": item.get("location"),
        "version": item.get("version"),
        "response": response,
        "message": message,
    }


def _typed_user(resource: Mapping[str, Any]) -> Any:
    """Validate a user dict with scim2-models (core + enterprise schemas only)."""
    return User[EnterpriseUser].model_validate(dict(resource))  # type: ignore[misc]


def _patch_changes(operations: list[dict[str, Any]], current: Mapping[str, Any]) -> bool:
    """Whether applying the PATCH to the server's copy would still change it."""
    patch = PatchOp[User[EnterpriseUser]].model_validate(  # type: ignore[misc]
        {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}
    )
    return bool(patch.patch(_typed_user(current)))


def _replace_changes(replacement: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether PUTting the replacement over the server's copy would still change it."""
    return bool(_typed_user(replacement).replace(_typed_user(current)))
