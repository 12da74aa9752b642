"""Long work on a column, a slice of rows at a time.

One C call over a million cells (``set(values)``, ``dict(zip(...))``, a ``compress``
that finds nothing) holds the interpreter, and so the window, for up to a second. The
same work done :data:`SLICE_ROWS` rows at a time, with other threads let in between two
slices (:func:`let_window_in`), costs nothing measurable and leaves the window answering.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress
from typing import Any, TypeVar

T = TypeVar("T")

SLICE_ROWS = 32_768
#: How long a working thread keeps the interpreter before it hands it to the window's.
HOLD_SECONDS = 0.008
#: A pause long enough for a waiting thread to wake and take the interpreter.
PAUSE_SECONDS = 0.0001
_held_since = 0.0


def let_window_in(before_a_long_hold: bool = False) -> None:
    """Hand the interpreter to the window's thread if this one has held it a while, or
    at once ``before_a_long_hold``: a step that cannot pause (tens of milliseconds in one
    call) then starts just after the window's thread has run, not after the 8 ms before.

    ``time.sleep(0)`` does not: a thread waiting for the interpreter asks for it only after
    5 ms without a switch, and each zero sleep counts as one although the sleeper takes it
    straight back, so a thread that sleeps(0) every few milliseconds kept the window out
    for a tenth of a second. A real pause lets the waiting thread in; taken at most every
    :data:`HOLD_SECONDS`, it costs about 2% of the work. Work on the main thread (the
    command line, or the window's own) has no window to let in, and never pauses.
    """
    global _held_since
    now = time.perf_counter()
    if before_a_long_hold or now - _held_since >= HOLD_SECONDS:
        if threading.get_ident() != threading.main_thread().ident:
            time.sleep(PAUSE_SECONDS)
        _held_since = time.perf_counter()


def slices(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` a slice at a time, letting other threads run between two slices."""
    size = SLICE_ROWS
    if len(values) <= size:
        yield values
        return
    for start in range(0, len(values), size):
        yield values[start : start + size]
        let_window_in()


def numbered_slices(values: Sequence[T]) -> Iterator[tuple[range, Sequence[T]]]:
    """Each slice of ``values`` with the row numbers it covers."""
    start = 0
    for part in slices(values):
        yield range(start, start + len(part)), part
        start += len(part)


def rows_where(values: Sequence[T], test: Callable[[Sequence[T]], Iterable[Any]]) -> Iterator[int]:
    """The rows of ``values`` where ``test`` (mapped over a slice, in C) is true."""
    for rows, part in numbered_slices(values):
        yield from compress(rows, test(part))


def set_of(values: Sequence[T]) -> set[T]:
    found: set[T] = set()
    for part in slices(values):
        found.update(part)
    return found


def in_slices(convert: Callable[[Sequence[Any]], list[T]], values: Sequence[Any]) -> list[T]:
    """``convert(values)``, made a slice at a time."""
    out: list[T] = []
    for part in slices(values):
        out += convert(part)
    return out


def release(rows: list[Any]) -> None:
    """Let go of a list's items a slice at a time: freeing a million rows in one go holds
    the interpreter (and so the window) for a third of a second."""
    while len(rows) > SLICE_ROWS:
        del rows[-SLICE_ROWS:]
        let_window_in()
    rows.clear()
