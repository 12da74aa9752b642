"""Send many user writes to a SCIM server: one by one, in parallel, or in /Bulk batches.

The caller (an upload, an undo, the command line) turns table rows into
:class:`Write` objects; :func:`send_all` sends them and reports one
:class:`Outcome` per write, through ``state.record`` as soon as it is known (so a
journal can put it on disk before the next one) and in the returned list.

The promises, whatever the mode:

* **Exactly one outcome per write, and no write sent twice by this module.**
  Retries belong to :class:`~desktop_app.connectors.scim.ScimClient`, which only
  replays a request when that is safe. A /Bulk request that failed as a whole,
  perhaps after the server applied it, is never sent again: its writes are
  reported failed with the client's sentence ("not known whether the change was
  saved; check on the server").
* **A stop is clean.** Cancelling stops *starting* requests; requests already
  under way finish and are recorded; writes never started get no outcome.
* **A dead end stops the run.** When a request never reached the server (refused
  connection, unknown host, certificate, connect timeout, after the client's own
  retries) or the server refused the token (401), every other write would end
  the same way, so none is started any more: each write not yet sent gets a
  failed outcome with that sentence and ``sent=False`` (safe to send again), instead
  of thousands of requests each retried and refused.
* **Nothing is dropped silently.** After every write the server's answer (or the
  user read back) is compared with what was sent; an attribute the server did not
  keep is named in the outcome (``not_kept``). A PATCH the server refuses as not
  implemented (501, or a 400 for several operations) is sent again operation by
  operation, a ``remove`` it refuses as ``replace`` with an empty value, and what a
  PATCH may not change goes as a PUT of the whole user; what even that cannot store
  is named (``unsupported``). What a server refuses is remembered on the client
  (:class:`~desktop_app.connectors.scim.ServerHabits`), so it is found once a run.
* **Without ETags, a user is read again just before it is changed** (a write
  with ``before``): when an attribute being changed no longer holds the value
  reviewed, the write is a conflict and is not sent.
* **The state is called from one thread**, the one running :func:`send_all`, even
  in parallel mode, so ``record`` and ``progress`` need no locking.

Failures are the client's sentences: single requests raise them, and the status
of each failed /Bulk operation goes through the same
:func:`~desktop_app.connectors.scim.error_for_status`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import unquote

import requests
from urllib3.exceptions import NewConnectionError

from desktop_app.connectors.scim import (
    BULK_REQUEST_SCHEMA,
    CONFLICT_SENTENCE,
    ConflictError,
    ConnectionProblem,
    ScimClient,
    ScimError,
    ServerCapabilities,
    create_operation,
    encode_json,
    error_for_status,
    patch_operation,
    plan_bulk_batches,
)
from desktop_app.i18n import _
from desktop_app.models.scim_mapping import (
    apply_operations,
    holds,
    operation_path,
    read_value,
    written_values,
)

logger = logging.getLogger(__name__)

#: The modes :func:`send_all` accepts.
MODES = ("auto", "serial", "parallel", "bulk")
#: Shortest pause between two progress calls (at most ~50 a second), except the last.
PROGRESS_INTERVAL = 0.02
#: Requests at a time in parallel mode (the client's pool holds as many connections).
#: With 50 ms of latency 8 at a time cannot beat 10,000 / 8 x 50 ms = 62.5 s; a
#: Retry-After from a busy server holds them all back (see ScimClient).
PARALLEL_REQUESTS = 16
#: Most writes in one /Bulk request, even when the server allows more: progress then
#: moves, cancel answers within one request, and a lost answer leaves fewer writes in doubt.
BULK_BATCH_OPERATIONS = 1000


@dataclass(frozen=True)
class Write:
    """One change to send: an update (PATCH) of an existing user, or a new user (POST).

    ``ref`` is the caller's reference (a table row) and comes back in the Outcome.
    An update has ``user_id`` and ``operations`` (and ``etag`` for ``If-Match``); a
    create has ``user_id=None`` and the full ``resource``. ``label`` (the userName)
    names the user in sentences.
    """

    ref: int
    user_id: str | None
    operations: tuple[dict[str, Any], ...]
    resource: dict[str, Any] | None
    etag: str | None
    label: str = ""
    # Without an ETag: the value of each attribute being changed, as reviewed (see above).
    before: dict[str, Any] | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one write.

    ``resource`` is the server's copy after the write when the server sent it (a
    /Bulk answer usually carries only the location and version, so it is None
    there); ``etag`` the user's new version; ``user_id`` the user's id (the new id
    of a created user). When not ``ok``, ``message`` is one sentence for the admin,
    ``status`` the HTTP status when the server answered, and ``conflict`` says the
    user changed on the server meanwhile (412) and was not overwritten. A success
    has a ``status`` only in bulk mode (a single PATCH may be followed by a GET, so
    its status says little). ``sent`` is False only when the write certainly never
    reached the server: safe to send again. ``not_kept`` names the attributes (SCIM
    paths) a successful write sent that the server did not keep, ``unsupported`` those
    it refused to change in any way it offers.
    """

    ref: int
    ok: bool
    resource: dict[str, Any] | None
    etag: str | None
    message: str | None
    conflict: bool = False
    status: int | None = None
    user_id: str | None = None
    sent: bool = True
    not_kept: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()


class SendState(Protocol):
    """How :func:`send_all` reports to its caller and learns that it should stop."""

    def progress(self, done: int, total: int) -> None:
        """``done`` of ``total`` writes have an outcome (throttled, ~50 calls a second at most)."""

    def cancelled(self) -> bool:
        """True once the admin asked to stop; asked before each request starts."""

    def record(self, outcome: Outcome) -> None:
        """Called once per write, as soon as its outcome is known (a journal writes it to disk)."""


# -- Sentences and failures --------------------------------------------------------------


def _name(write: Write) -> str:
    """Name the user of a write for a sentence, as the client does: ``the user “ada”``."""
    name = write.label
    if not name and write.resource is not None:
        user_name = write.resource.get("userName")
        name = user_name if isinstance(user_name, str) else ""
    name = name or write.user_id or ""
    return _("the user “{name}”").format(name=name) if name else _("the user")


def _action(write: Write) -> str:
    """What a failure sentence could not do: ``update the user “ada”``."""
    if write.user_id is None:
        return _("create {user}").format(user=_name(write))
    return _("update {user}").format(user=_name(write))


def never_reached_server(error: BaseException) -> bool:
    """Whether a failed request certainly never reached the server.

    True for the client's connection problems that happen before a byte of the
    request leaves this computer: unknown host, refused connection, connect
    timeout, TLS handshake (certificate) failure. A cut connection or a read
    timeout may come after the server applied the request, so they are False,
    as is every failure the server answered.
    """
    if not isinstance(error, ConnectionProblem):
        return False
    cause = error.__cause__
    if isinstance(cause, requests.exceptions.SSLError | requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(cause, requests.exceptions.ConnectionError):
        return False
    inner = cause.args[0] if cause.args else None
    return isinstance(inner, NewConnectionError) or isinstance(
        getattr(inner, "reason", None), NewConnectionError
    )


def _stops_the_run(error: ScimError) -> bool:
    """Whether every other write would fail the same way: token refused, server unreachable."""
    return error.status == 401 or never_reached_server(error)


def _failure(write: Write, message: str, **details: Any) -> Outcome:
    """A failed write's outcome: the sentence, and whatever else is known (status, sent…)."""
    return Outcome(
        ref=write.ref,
        ok=False,
        resource=None,
        etag=None,
        message=message,
        user_id=write.user_id,
        **details,
    )


def _failed(write: Write, error: ScimError) -> Outcome:
    """The outcome of a write the client reported as failed."""
    return _failure(
        write,
        str(error),
        conflict=isinstance(error, ConflictError),
        status=error.status,
        sent=not never_reached_server(error),
    )


def _unexpected(write: Write) -> Outcome:
    """The outcome of a write that met a bug: logged, and reported without stopping the others."""
    logger.exception("sending write %s failed unexpectedly", write.ref)
    return _failure(
        write,
        _("Could not {action}: an unexpected problem occurred; the details are in the log.").format(
            action=_action(write)
        ),
    )


# -- Bookkeeping -------------------------------------------------------------------------


class _Progress:
    """Calls ``state.progress`` when the count changed and PROGRESS_INTERVAL has passed."""

    def __init__(self, state: SendState, total: int, clock: Callable[[], float]) -> None:
        self._state = state
        self._total = total
        self._clock = clock
        self._reported = -1
        self._last = float("-inf")

    def update(self, done: int, *, force: bool = False) -> None:
        if done == self._reported:
            return
        now = self._clock()
        if force or done == self._total or now - self._last >= PROGRESS_INTERVAL:
            self._state.progress(done, self._total)
            self._reported, self._last = done, now


class _Run:
    """One :func:`send_all`: the outcomes by position, and why it stopped, if it did."""

    def __init__(self, writes: Sequence[Write], state: SendState) -> None:
        self.writes = writes
        self.state = state
        self.outcomes: dict[int, Outcome] = {}
        self.fatal: ScimError | None = None
        self.cancelled = False
        self._progress = _Progress(state, len(writes), time.monotonic)
        self._progress.update(0, force=True)

    def may_start(self) -> bool:
        """Asked before each request: False once cancelled or after a dead end (latched)."""
        if self.fatal is None and not self.cancelled and self.state.cancelled():
            self.cancelled = True
        return self.fatal is None and not self.cancelled

    def finish(self, index: int, outcome: Outcome, error: ScimError | None = None) -> None:
        """Record the outcome of ``writes[index]``; a dead-end error stops the run."""
        if index in self.outcomes:  # pragma: no cover - would be a bug in this module
            raise RuntimeError(f"write {index} already has an outcome")
        self.outcomes[index] = outcome
        self.state.record(outcome)
        self._progress.update(len(self.outcomes))
        if error is not None and self.fatal is None and _stops_the_run(error):
            logger.warning("SCIM send stopped: %s", error)
            self.fatal = error

    def close(self) -> list[Outcome]:
        """After a dead end, report the writes never sent; return the outcomes in write order."""
        if self.fatal is not None and not self.cancelled:
            for index, write in enumerate(self.writes):
                if index not in self.outcomes:
                    self.finish(
                        index,
                        _failure(write, str(self.fatal), sent=False),
                    )
        self._progress.update(len(self.outcomes), force=True)
        return [self.outcomes[index] for index in sorted(self.outcomes)]


# -- One request per write -----------------------------------------------------------------


def _send_one(client: ScimClient, write: Write) -> tuple[Outcome, ScimError | None]:
    """PATCH or POST one write; returns its outcome, and the client's error when it failed."""
    unsupported: list[str] = []
    resource: dict[str, Any] | None
    try:
        if write.user_id is None:
            assert write.resource is not None
            resource, etag = client.create_user(write.resource)
            sent = written_values(write.resource)
        else:
            changed = _changed_since(client, write)
            if changed is not None:
                return changed, None
            resource, etag = _update(client, write, unsupported)
            sent = {operation_path(op): _sent_value(op) for op in write.operations}
    except ScimError as error:
        return _failed(write, error), error
    except Exception:  # a bug must not lose this write's outcome, nor stop the others
        return _unexpected(write), None
    if resource is None:  # not read back: every attribute it sets was seen kept before
        return Outcome(
            ref=write.ref,
            ok=True,
            resource=None,
            etag=etag,
            message=None,
            user_id=write.user_id,
            unsupported=tuple(unsupported),
        ), None
    user_id = resource.get("id")
    return Outcome(
        ref=write.ref,
        ok=True,
        resource=resource,
        etag=etag,
        message=None,
        user_id=str(user_id) if user_id is not None else write.user_id,
        not_kept=_not_kept(client, resource, sent, skip=unsupported),
        unsupported=tuple(unsupported),
    ), None


def _sent_value(operation: Mapping[str, Any]) -> Any:
    """The value an operation leaves at its path (None for a remove)."""
    return None if str(operation.get("op", "")).lower() == "remove" else operation.get("value")


def _not_kept(
    client: ScimClient,
    resource: Mapping[str, Any],
    sent: Mapping[str, Any],
    skip: Sequence[str] = (),
) -> tuple[str, ...]:
    """The attributes sent that the server's copy does not hold; the others are remembered."""
    missing = tuple(
        path
        for path, value in sent.items()
        if path not in skip and not holds(resource, path, value)
    )
    kept = set(sent) - set(missing) - set(skip)
    if kept - client.habits.kept:
        with client.habits.lock:
            client.habits.kept |= kept
    return missing


def _changed_since(client: ScimClient, write: Write) -> Outcome | None:
    """Without an ETag: a conflict when the user changed since the review, else None.

    A change made between this read and the write cannot be seen; the review says so.
    """
    if write.before is None or write.etag or write.user_id is None:
        return None
    current, _etag = client.get_user(write.user_id)
    if all(read_value(current, path) == value for path, value in write.before.items()):
        return None
    return _failure(write, _(CONFLICT_SENTENCE), conflict=True, status=None)


def _refused(error: ScimError, operations: int) -> bool:
    """Whether the server refused a PATCH for what it touches rather than its values:
    501, or a 400 for several operations (one of them may be the one it cannot do)."""
    return error.status == 501 or (error.status == 400 and operations > 1)


def _as_replace(operation: dict[str, Any]) -> dict[str, Any]:
    """A blank value as ``replace`` with an empty value, for servers that refuse ``remove``."""
    if str(operation.get("op", "")).lower() != "remove":
        return operation
    return {"op": "replace", "path": operation_path(operation), "value": ""}


def _update(
    client: ScimClient, write: Write, unsupported: list[str]
) -> tuple[dict[str, Any] | None, str | None]:
    """Change a user with what the server accepts; name in ``unsupported`` what it refuses.

    The operations go as one PATCH; when the server refuses it, one by one, and what
    a PATCH may not change goes as a PUT of the whole user. Returns the user after,
    or None with the new ETag when the PATCH was answered 204 with an ETag and every
    attribute it sets was already seen kept on this server (no GET needed to check it).
    """
    assert write.user_id is not None
    habits = client.habits
    operations = [dict(op) for op in write.operations]
    if habits.remove_refused:
        operations = [_as_replace(op) for op in operations]
    later = [op for op in operations if operation_path(op) in habits.patch_refused]
    now = [op for op in operations if operation_path(op) not in habits.patch_refused]
    etag = write.etag
    result: tuple[dict[str, Any] | None, str | None] | None = None
    if now:
        known = {operation_path(op) for op in now} <= habits.kept
        try:
            result = client.patch_user(
                write.user_id, now, etag, user_name=write.label or None, read_back=not known
            )
        except ScimError as error:
            if not _refused(error, len(now)):
                raise
            logger.info(
                "%s refused a PATCH (%s); sending it piece by piece", client.host, error.status
            )
            result, refused = _patch_piecewise(client, write, now, etag)
            later += refused
    if result is not None:
        etag = result[1]
    if later:
        put = _put(client, write, later, etag)
        if put is None:
            unsupported.extend(operation_path(op) for op in later)
        else:
            result = put
    return result if result is not None else client.get_user(write.user_id)


def _patch_piecewise(
    client: ScimClient, write: Write, operations: list[dict[str, Any]], etag: str | None
) -> tuple[tuple[dict[str, Any] | None, str | None] | None, list[dict[str, Any]]]:
    """Each operation as a PATCH of its own; returns the user after, and those refused.

    A refused ``remove`` is tried as ``replace`` with an empty value. What the server
    refuses is remembered, so later users skip straight to what works.
    """
    assert write.user_id is not None
    habits = client.habits
    result: tuple[dict[str, Any] | None, str | None] | None = None
    refused: list[dict[str, Any]] = []
    for operation in operations:
        removing = str(operation.get("op", "")).lower() == "remove"
        tries = [operation, _as_replace(operation)] if removing else [operation]
        for attempt in tries:
            try:
                result = client.patch_user(
                    write.user_id, [attempt], etag, user_name=write.label or None
                )
            except ScimError as error:
                # A 400 for one value is about the value, except for a remove.
                if error.status != 501 and not (removing and error.status == 400):
                    raise
                continue
            etag = result[1]
            if attempt is not operation:
                with habits.lock:
                    habits.remove_refused = True
            break
        else:
            refused.append(_as_replace(operation) if habits.remove_refused else operation)
            with habits.lock:
                habits.patch_refused.add(operation_path(operation))
    return result, refused


def _put(
    client: ScimClient, write: Write, operations: list[dict[str, Any]], etag: str | None
) -> tuple[dict[str, Any], str | None] | None:
    """The user changed by a PUT of the whole user; None when the server refuses PUT."""
    assert write.user_id is not None
    habits = client.habits
    if habits.put_refused:
        return None
    current, current_etag = client.get_user(write.user_id)
    replacement = apply_operations(current, operations)
    for name in ("meta", "groups"):
        replacement.pop(name, None)
    try:
        return client.replace_user(write.user_id, replacement, etag or current_etag)
    except ScimError as error:
        if error.status not in (405, 501):
            raise
        with habits.lock:
            habits.put_refused = True
        logger.info("%s refused a PUT (%s)", client.host, error.status)
        return None


def _send_serial(client: ScimClient, run: _Run) -> None:
    """One request at a time, in order."""
    for index, write in enumerate(run.writes):
        if not run.may_start():
            return
        outcome, error = _send_one(client, write)
        run.finish(index, outcome, error)


def _send_parallel(client: ScimClient, run: _Run, workers: int) -> None:
    """Up to ``workers`` requests at a time; a new one starts only when one has finished.

    Outcomes are recorded by this thread, as the requests complete.
    """
    pending: dict[Future[tuple[Outcome, ScimError | None]], int] = {}
    next_index = 0
    total = len(run.writes)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scim-send") as pool:
        while True:
            while len(pending) < workers and next_index < total and run.may_start():
                future = pool.submit(_send_one, client, run.writes[next_index])
                pending[future] = next_index
                next_index += 1
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=pending.__getitem__):
                index = pending.pop(future)
                outcome, error = future.result()
                run.finish(index, outcome, error)


# -- /Bulk -------------------------------------------------------------------------------


def _bulk_operation(index: int, write: Write) -> dict[str, Any]:
    """The /Bulk operation of a write; a PATCH carries the ETag as ``version`` (If-Match)."""
    if write.user_id is None:
        assert write.resource is not None
        return create_operation(write.resource, f"w{index}")
    return patch_operation(write.user_id, [dict(op) for op in write.operations], write.etag)


def _match_results(
    batch: Sequence[tuple[int, Mapping[str, Any]]], results: Sequence[Mapping[str, Any]]
) -> dict[int, Mapping[str, Any]]:
    """Pair each /Bulk result with the write it is about.

    A POST is found by its bulkId; another operation by its location (the first
    unanswered one for that user), else by order among the unanswered ones.
    """
    by_bulk_id = {op["bulkId"]: index for index, op in batch if op.get("method") == "POST"}
    others = [
        (index, str(op.get("path") or "")) for index, op in batch if op.get("method") != "POST"
    ]
    matched: dict[int, Mapping[str, Any]] = {}
    for result in results:
        if str(result.get("method") or "").upper() == "POST":
            index = by_bulk_id.get(result.get("bulkId"))
            if index is not None and index not in matched:
                matched[index] = result
            continue
        location = str(result.get("location") or "")
        open_ = [(index, path) for index, path in others if index not in matched]
        found = next(
            (index for index, path in open_ if path and location.endswith(path)),
            open_[0][0] if open_ else None,
        )
        if found is not None:
            matched[found] = result
    return matched


def _bulk_outcome(write: Write, result: Mapping[str, Any] | None) -> Outcome:
    """The outcome of one write from its /Bulk result (None: the server did not report it)."""
    if result is None:
        return _failure(
            write,
            _(
                "Could not {action}: the server did not report whether it was "
                "saved; check on the server before trying again."
            ).format(action=_action(write)),
        )
    status = int(result.get("status") or 0)
    if not 200 <= status < 300:
        error = error_for_status(status, result.get("response"), action=_action(write), write=True)
        return _failed(write, error)
    response = result.get("response")
    resource = dict(response) if isinstance(response, Mapping) and response.get("id") else None
    user_id = write.user_id
    location = result.get("location")
    if user_id is None and isinstance(location, str) and location.rstrip("/"):
        user_id = unquote(location.rstrip("/").rsplit("/", 1)[-1])
    if user_id is None and resource is not None:
        user_id = str(resource["id"])
    version = result.get("version")
    if not version and resource is not None:
        meta = resource.get("meta")
        version = meta.get("version") if isinstance(meta, Mapping) else None
    return Outcome(
        ref=write.ref,
        ok=True,
        resource=resource,
        etag=str(version) if version else None,
        message=None,
        status=status,
        user_id=user_id,
    )


def _refused_in_bulk(write: Write, result: Mapping[str, Any]) -> bool:
    """Whether /Bulk refused an update for what it touches (not applied; see ``_refused``)."""
    status = int(result.get("status") or 0)
    return status == 501 or (status == 400 and len(write.operations) > 1)


def _checked_bulk_outcome(client: ScimClient, write: Write, outcome: Outcome) -> Outcome:
    """A /Bulk success with what the server did not keep; read back only when the answer
    has no body and the write sets an attribute not yet seen kept on this server."""
    if not outcome.ok:
        return outcome
    if write.user_id is None:
        assert write.resource is not None
        sent = written_values(write.resource)
    else:
        sent = {operation_path(op): _sent_value(op) for op in write.operations}
    resource = outcome.resource
    if resource is None:
        if set(sent) <= client.habits.kept or outcome.user_id is None:
            return outcome
        try:
            resource, _etag = client.get_user(outcome.user_id)
        except ScimError as error:
            logger.info("could not read back a user after /Bulk: %s", error)
            return outcome
    return replace(outcome, not_kept=_not_kept(client, resource, sent))


def _send_bulk(client: ScimClient, run: _Run, capabilities: ServerCapabilities) -> None:
    """Batches within maxOperations and maxPayloadSize, one request at a time.

    Cancel is asked between batches. A write whose operation alone exceeds
    maxPayloadSize is sent by itself to /Users after the batches.
    """
    max_payload = capabilities.bulk_max_payload or None
    max_operations = min(
        capabilities.bulk_max_operations or BULK_BATCH_OPERATIONS, BULK_BATCH_OPERATIONS
    )
    envelope = len(encode_json({"schemas": [BULK_REQUEST_SCHEMA], "Operations": []}))
    operations: list[tuple[int, dict[str, Any]]] = []
    alone: list[int] = []
    for index, write in enumerate(run.writes):
        if write.before is not None and not write.etag:
            alone.append(index)  # read again right before it is sent, on its own
            continue
        operation = _bulk_operation(index, write)
        if max_payload is not None and envelope + len(encode_json(operation)) > max_payload:
            alone.append(index)
        else:
            operations.append((index, operation))
    position = {id(operation): index for index, operation in operations}
    batches = plan_bulk_batches(
        [operation for _, operation in operations],
        max_operations=max_operations,
        max_payload_size=max_payload,
    )
    for batch in batches:
        if not run.may_start():
            return
        indexed = [(position[id(operation)], operation) for operation in batch]
        try:
            results = client.bulk(batch)
        except ScimError as error:
            # Failed as a whole, perhaps after the server applied it: never sent again.
            for index, _ in indexed:
                run.finish(index, _failed(run.writes[index], error), error)
            continue
        except Exception:  # a bug must not lose these writes' outcomes
            for index, _ in indexed:
                run.finish(index, _unexpected(run.writes[index]))
            continue
        matched = _match_results(indexed, results)
        for index, _ in indexed:
            write = run.writes[index]
            result = matched.get(index)
            if write.user_id is not None and result is not None and _refused_in_bulk(write, result):
                alone.append(index)  # certainly not applied: sent alone, piece by piece
                continue
            outcome = _bulk_outcome(write, result)
            run.finish(index, _checked_bulk_outcome(client, write, outcome))
    for index in sorted(alone):
        if not run.may_start():
            return
        outcome, problem = _send_one(client, run.writes[index])
        run.finish(index, outcome, problem)


# -- Entry point ---------------------------------------------------------------------------


def _check(writes: Sequence[Write], mode: str, workers: int) -> None:
    """Refuse arguments that are a programming error, before anything is sent."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    for write in writes:
        if write.user_id is None and write.resource is None:
            raise ValueError(f"write {write.ref} has neither a user id nor a resource to create")
        if write.user_id is not None and not write.operations:
            raise ValueError(f"write {write.ref} updates user {write.user_id} but changes nothing")


def _bulk_capabilities(client: ScimClient) -> ServerCapabilities | None:
    """The server's capabilities when it accepts /Bulk, else None (also when unreadable)."""
    try:
        capabilities = client.capabilities()
    except ScimError as error:
        logger.info("SCIM capabilities unreadable (%s); sending user by user", error)
        return None
    return capabilities if capabilities.bulk_supported else None


def send_all(
    client: ScimClient,
    writes: Sequence[Write],
    state: SendState,
    *,
    mode: str = "auto",
    workers: int = PARALLEL_REQUESTS,
) -> list[Outcome]:
    """Send every write and return their outcomes, in the order of ``writes``.

    ``mode``: ``serial`` (one request per write, in order), ``parallel`` (up to
    ``workers`` requests at a time; give the client a ``pool_size`` of at least
    ``workers``), ``bulk`` (/Bulk requests within the server's maxOperations and
    maxPayloadSize; user by user in parallel when the server does not announce
    bulk support) or ``auto`` (bulk when announced, else parallel).

    Each write gets exactly one outcome, passed to ``state.record`` as soon as it
    is known, except writes not started before a cancel. Exceptions raised by
    ``state`` itself propagate (after requests under way have finished).

    :raises ValueError: for an unknown mode, ``workers < 1``, or a write that is
        neither a create nor an update with operations (nothing is sent then).
    """
    _check(writes, mode, workers)
    run = _Run(writes, state)
    started = time.monotonic()
    chosen = mode
    if writes:
        capabilities = _bulk_capabilities(client) if mode in ("auto", "bulk") else None
        if mode in ("auto", "bulk"):
            chosen = "bulk" if capabilities is not None else "parallel"
            if mode == "bulk" and capabilities is None:
                logger.warning("%s does not accept /Bulk; sending user by user", client.host)
        if chosen == "bulk" and capabilities is not None:
            _send_bulk(client, run, capabilities)
        elif chosen == "serial":
            _send_serial(client, run)
        else:
            _send_parallel(client, run, workers)
    outcomes = run.close()
    logger.info(
        "SCIM send (%s) of %d writes: %d outcomes, %d ok, %d failed (%d conflicts)%s in %.1f s",
        chosen,
        len(writes),
        len(outcomes),
        sum(o.ok for o in outcomes),
        sum(not o.ok for o in outcomes),
        sum(o.conflict for o in outcomes),
        ", cancelled" if run.cancelled else "",
        time.monotonic() - started,
    )
    return outcomes
