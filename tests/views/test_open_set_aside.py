"""Opening a file pauses the cycle collector and sets the new cells aside before it runs."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from desktop_app.views.workers import set_aside


def test_the_collector_runs_again_after_an_open_with_the_cells_set_aside() -> None:
    assert gc.isenabled()
    seen: list[bool] = []
    made: list[Any] = []

    def make() -> Any:
        seen.append(gc.isenabled())
        made.append([[str(i)] for i in range(1000)])
        return made[-1]

    before = gc.get_freeze_count()
    try:
        assert set_aside(make) is made[0]
        assert seen == [False]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + 1000
    finally:
        gc.unfreeze()


def test_a_failed_open_leaves_the_collector_on_and_nothing_set_aside() -> None:
    def fail() -> Any:
        raise ValueError("damaged")

    before = gc.get_freeze_count()
    with pytest.raises(ValueError):
        set_aside(fail)
    assert gc.isenabled()
    assert gc.get_freeze_count() == before


def test_a_collector_switched_off_stays_off() -> None:
    gc.disable()
    try:
        set_aside(lambda: None)  # type: ignore[arg-type,return-value]
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
