"""After a crash: offer the unsaved edits back, exactly as they were, on the file they belong to."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from desktop_app.i18n import _, ngettext, numeral
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
    return ngettext("{count} unsaved change", "{count} unsaved changes", count).format(
        count=numeral(count)
    )


def ask(window: MainWindow, recovery: Recovery) -> int:
    """RECOVER, DISCARD or LATER, in the admin's words; a moved file may be located first."""
    name = recovery.file.name
    day, _sep, clock = recovery.started.partition(" ")
    when = (
        _(" You started these edits on {day} at {clock}.").format(day=day, clock=clock)
        if clock
        else ""
    )
    if not recovery.file.exists():
        answer = messages.choose(
            window,
            _("Recover unsaved changes?"),
            _(
                "User Editor closed unexpectedly with {changes} to {name}, "
                "and the file is no longer in {parent}."
            ).format(changes=_changes(recovery.unsaved), name=name, parent=recovery.file.parent),
            _("Find the file to put the changes back, or keep them for later.{when}").format(
                when=when
            ),
            [_("Find the File…"), _("Discard Changes"), _("Later")],
        )
        if answer != RECOVER:
            return answer
        found, _filter = QFileDialog.getOpenFileName(
            window,
            _("Where is {name}?").format(name=name),
            str(Path.home()),
            f"{name} ({name});;All files (*)",
        )
        if not found:
            return LATER
        recovery.file = Path(found)
        return RECOVER
    if recovery.file_changed:
        return messages.choose(
            window,
            _("Recover unsaved changes?"),
            _(
                "User Editor closed unexpectedly with {changes} to {name}, "
                "and the file has changed since."
            ).format(changes=_changes(recovery.unsaved), name=name),
            _(
                "Recovering puts each change back on its user's row where the cell still holds "
                "the value it had before; changes whose cells changed in the file are listed and "
                "left out.{when}"
            ).format(when=when),
            [_("Recover Into the Changed File"), _("Discard Changes"), _("Later")],
        )
    return messages.choose(
        window,
        _("Recover unsaved changes?"),
        _("Recover {changes} to {name}?").format(changes=_changes(recovery.unsaved), name=name),
        _("User Editor closed unexpectedly before they were saved.{when}").format(when=when),
        [_("Recover"), _("Discard Changes"), _("Later")],
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
            model.push_step(adding, cells, taking, _("Recover"))
        elif cells:
            model.set_cells(cells, _("Recover"))
        if recovery.saved_to is not None:
            window.save_target = recovery.saved_to
        recovery.discard()  # the edits are in this run's journal now
        rows = sum(len(edit.rows) for edit in (*adding, *taking))
        count = len(cells) + rows
        text = ngettext("Recovered {count} change.", "Recovered {count} changes.", count).format(
            count=numeral(count)
        )
        if lost_rows:
            text += " " + ngettext(
                "{count} deleted row was not found in the changed file, so nothing was "
                "deleted for it.",
                "{count} deleted rows were not found in the changed file, so nothing was "
                "deleted for them.",
                lost_rows,
            ).format(count=numeral(lost_rows))
        if left_out:
            lines = [
                _("Row {row}, {column}: {value!r}").format(
                    row=document.excel_row(c.row) if c.row < document.row_count else c.row + 1,
                    column=recovery.headers[c.col] if c.col < len(recovery.headers) else c.col,
                    value=c.final,
                )
                for c in left_out[:20]
            ]
            more = (
                "\n" + _("… and {count} more.").format(count=numeral(len(left_out) - 20))
                if len(left_out) > 20
                else ""
            )
            messages.show_problem(
                window,
                _("Some changes were left out"),
                _(
                    "{text} {count} could not be put back because the file has a "
                    "different value there now:"
                ).format(text=text, count=numeral(len(left_out)))
                + "\n"
                + "\n".join(lines)
                + more,
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
