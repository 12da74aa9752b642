"""Find and replace over the editable columns; the key column is never searched for replacing."""

from __future__ import annotations

import re
from collections.abc import Iterable

from desktop_app.models.document import UserDocument


def _pattern(text: str, match_case: bool, whole_cell: bool) -> re.Pattern[str]:
    body = re.escape(text)
    if whole_cell:
        body = f"^{body}$"
    return re.compile(body, 0 if match_case else re.IGNORECASE)


def find_cells(
    document: UserDocument,
    text: str,
    columns: Iterable[int],
    match_case: bool = False,
    whole_cell: bool = False,
) -> list[tuple[int, int]]:
    """Every (row, col) in ``columns`` whose value contains ``text``, in row order."""
    if not text:
        return []
    pattern = _pattern(text, match_case, whole_cell)
    found = [
        (row, col)
        for col in columns
        for row, value in enumerate(document.columns[col])
        if value and pattern.search(value)
    ]
    return sorted(found)


def replacements(
    document: UserDocument,
    text: str,
    replacement: str,
    columns: Iterable[int],
    match_case: bool = False,
    whole_cell: bool = False,
) -> list[tuple[int, int, str]]:
    """The new values Replace all would write; locked columns are left out."""
    editable = [c for c in columns if document.is_editable(c)]
    pattern = _pattern(text, match_case, whole_cell)
    return [
        (row, col, pattern.sub(replacement.replace("\\", "\\\\"), document.columns[col][row]))
        for row, col in find_cells(document, text, editable, match_case, whole_cell)
    ]
