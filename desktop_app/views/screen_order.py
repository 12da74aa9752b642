"""Cells in the order the table shows them, for Next Problem (F8) and Find Next.

The source model keeps the file's order; on screen, a sort ranks the rows and added
rows stand where they were added. Walks that step from cell to cell follow the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QAbstractProxyModel
from PySide6.QtWidgets import QTableView

from desktop_app.views.table_model import RowFilterProxy

Cell = tuple[int, int]
#: (0, row on screen, column on screen) for a shown cell; (1, source row, column on
#: screen) for a row the filter or the search hides: after every shown row.
Place = tuple[int, int, int]


def file_place(row: int, col: int) -> Place:
    """The place of a cell in the file's order (no table to follow)."""
    return (0, row, col)


def screen_place(view: QTableView) -> Callable[[int, int], Place]:
    """The place on ``view``'s screen of a cell given in source coordinates."""
    proxy = view.model()
    rows, columns = view.verticalHeader(), view.horizontalHeader()
    column_place = [columns.visualIndex(col) for col in range(columns.count())]
    if not isinstance(proxy, QAbstractProxyModel) or proxy.sourceModel() is None:
        return lambda row, col: (0, row, column_place[col])
    if isinstance(proxy, RowFilterProxy) and not proxy.is_filtering and not rows.sectionsMoved():
        # Unsorted, no rows added, nothing filtered: the screen is the file's order.
        return lambda row, col: (0, row, column_place[col])
    source = proxy.sourceModel()
    row_place: dict[int, tuple[int, int]] = {}

    def place(row: int, col: int) -> Place:
        found = row_place.get(row)
        if found is None:
            shown = proxy.mapFromSource(source.index(row, 0))
            found = (0, rows.visualIndex(shown.row())) if shown.isValid() else (1, row)
            row_place[row] = found
        return (*found, column_place[col])

    return place


def step_from(
    cells: Iterable[Cell], here: Cell | None, step: int, place: Callable[[int, int], Place]
) -> Cell | None:
    """The cell after (``step`` > 0) or before ``here`` in the order ``place`` gives,
    going round to the first (or last) one at the end; None when there are no cells."""
    mark = None if here is None else place(*here)
    forward = step > 0
    best: tuple[Place, Cell] | None = None
    end: tuple[Place, Cell] | None = None
    for cell in cells:
        key = place(*cell)
        if end is None or (key < end[0] if forward else key > end[0]):
            end = (key, cell)
        beyond = mark is None or (key > mark if forward else key < mark)
        if beyond and (best is None or (key < best[0] if forward else key > best[0])):
            best = (key, cell)
    chosen = best or end
    return None if chosen is None else chosen[1]
