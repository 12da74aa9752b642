"""After a crash: offer the unsaved edits back, exactly as they were, on the file they belong to."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from desktop_app.services.autosave import (
    Recovery,
    changes_to_restore,
    find_recoveries,
    rows_to_restore,
)
from desktop_app.views import messages

if TYPE_CHECKING:
    from desktop_app.views.main_window import MainWindow

log = logging.getLogger(__name__)

RECOVER, DISCARD, LATER = range(3)


def _changes(count: int) -> str:
    return f"{count:,} unsaved {'change' if count == 1 else 'changes'}"


def ask(window: MainWindow, recovery: Recovery) -> int:
    """RECOVER, DISCARD or LATER, in the admin's words; a moved file may be located first."""
    name = recovery.file.name
    day, _, clock = recovery.started.partition(" ")
    when = f" You started these edits on {day} at {clock}." if clock else ""
    if not recovery.file.exists():
        answer = messages.choose(
            window,
            "Recover unsaved changes?",
            f"User Editor closed unexpectedly with {_changes(recovery.unsaved)} to {name}, "
            f"and the file is no longer in {recovery.file.parent}.",
            f"Find the file to put the changes back, or keep them for later.{when}",
            ["Find the File…", "Discard Changes", "Later"],
        )
        if answer != RECOVER:
            return answer
        found, _ = QFileDialog.getOpenFileName(
            window, f"Where is {name}?", str(Path.home()), f"{name} ({name});;All files (*)"
        )
        if not found:
            return LATER
        recovery.file = Path(found)
        return RECOVER
    if recovery.file_changed:
        return messages.choose(
            window,
            "Recover unsaved changes?",
            f"User Editor closed unexpectedly with {_changes(recovery.unsaved)} to {name}, "
            "and the file has changed since.",
            "Recovering puts each change back on its user's row where the cell still holds "
            "the value it had before; changes whose cells changed in the file are listed and "
            f"left out.{when}",
            ["Recover Into the Changed File", "Discard Changes", "Later"],
        )
    return messages.choose(
        window,
        "Recover unsaved changes?",
        f"Recover {_changes(recovery.unsaved)} to {name}?",
        f"User Editor closed unexpectedly before they were saved.{when}",
        ["Recover", "Discard Changes", "Later"],
    )


def offer_recovery(window: MainWindow) -> bool:
    """Offer the newest crashed run's edits; True when a recovery was started.

    Other journals wait for the next start. Until recovered edits are in the new
    journal, the old one stays on disk: a second crash still loses nothing.
    """
    found = find_recoveries()
    if not found:
        return False
    recovery, others = found[0], found[1:]
    for other in others:
        other.release()
    answer = ask(window, recovery)
    if answer == DISCARD:
        recovery.discard()
        return False
    if answer == LATER:
        recovery.release()
        return False

    def restore() -> None:
        window.documentLoaded.disconnect(restore)
        window.loadFailed.disconnect(failed)
        document, model = window.document, window.model
        assert document is not None and model is not None
        adding, taking, made, lost_rows = rows_to_restore(document, recovery)
        cells, left_out = changes_to_restore(document, recovery, made)
        if adding or taking:
            model.push_step(adding, cells, taking, "Recover")
        elif cells:
            model.set_cells(cells, "Recover")
        if recovery.saved_to is not None:
            window.save_target = recovery.saved_to
        recovery.discard()  # the edits are in this run's journal now
        rows = sum(len(edit.rows) for edit in (*adding, *taking))
        count = len(cells) + rows
        text = f"Recovered {count:,} {'change' if count == 1 else 'changes'}."
        if lost_rows:
            text += (
                f" {lost_rows:,} deleted {'row was' if lost_rows == 1 else 'rows were'} not "
                "found in the changed file, so nothing was deleted for them."
            )
        if left_out:
            lines = [
                f"Row {document.excel_row(c.row) if c.row < document.row_count else c.row + 1}, "
                f"{recovery.headers[c.col] if c.col < len(recovery.headers) else c.col}: "
                f"{c.final!r}"
                for c in left_out[:20]
            ]
            more = f"\n… and {len(left_out) - 20:,} more." if len(left_out) > 20 else ""
            messages.show_problem(
                window,
                "Some changes were left out",
                f"{text} {len(left_out):,} could not be put back because the file has a "
                "different value there now:\n" + "\n".join(lines) + more,
            )
        window.statusBar().showMessage(text, 10000)

    def failed(_message: str) -> None:
        window.documentLoaded.disconnect(restore)
        window.loadFailed.disconnect(failed)
        recovery.release()  # kept: the admin can try again at the next start

    window.documentLoaded.connect(restore)
    window.loadFailed.connect(failed)
    window.open_file(recovery.file, recovery.profile)
    return True
