"""The slice-at-a-time helpers give what one pass over the whole column gives."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.models import slicing


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.sampled_from(["", "a", " ", "b"]), max_size=40),
    size=st.integers(1, 9),
)
def test_slices_cover_every_row_once(values: list[str], size: int) -> None:
    before = slicing.SLICE_ROWS
    slicing.SLICE_ROWS = size
    try:
        assert [v for part in slicing.slices(values) for v in part] == values
        assert [r for rows, _ in slicing.numbered_slices(values) for r in rows] == list(
            range(len(values))
        )
        assert list(slicing.rows_where(values, lambda part: map(bool, part))) == [
            i for i, v in enumerate(values) if v
        ]
        assert slicing.set_of(values) == set(values)
        assert slicing.in_slices(lambda part: [v.upper() for v in part], values) == [
            v.upper() for v in values
        ]
        copy = list(values)
        slicing.release(copy)
        assert copy == []
    finally:
        slicing.SLICE_ROWS = before


def test_the_working_thread_pauses_for_real_and_only_after_holding_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A zero sleep lets the working thread take the interpreter straight back (the
    window waited up to a tenth of a second); a pause of real length lets the window in,
    once per HOLD_SECONDS of work so the work is hardly slowed."""
    clock = [100.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(slicing.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(slicing.time, "sleep", sleep)
    monkeypatch.setattr(slicing, "_held_since", 0.0)

    def work() -> None:
        slicing.let_window_in()  # held since long ago: pause
        for _ in range(3):  # within HOLD_SECONDS of the pause: go on
            clock[0] += slicing.HOLD_SECONDS / 4
            slicing.let_window_in()
        clock[0] += slicing.HOLD_SECONDS / 2
        slicing.let_window_in()
        # Just after a pause, but a step follows that cannot pause: the window goes first.
        slicing.let_window_in(before_a_long_hold=True)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert pauses == [slicing.PAUSE_SECONDS] * 3 and slicing.PAUSE_SECONDS >= 0.0001
    # The command line works on the main thread: no window to let in, no pause.
    clock[0] += 1
    slicing.let_window_in()
    slicing.let_window_in(before_a_long_hold=True)
    assert len(pauses) == 3
