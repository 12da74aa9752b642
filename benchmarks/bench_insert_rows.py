"""How long inserting and deleting one row takes in the real window at 100,000 rows.

Run from the repository root with the project's virtual environment:

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_insert_rows.py [--rows N]

A generated CSV of N users (Atlas columns) is opened in a real MainWindow (offscreen);
the current row is put in the middle, then Insert Row Above, Delete Row and one undo of
each are timed, each the median of three, with the window repainted before the clock
stops. The same again while the table is sorted by a column.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("USER_EDITOR_DATA", tempfile.mkdtemp(prefix="bench-rows-"))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_app.views.main_window import MainWindow  # noqa: E402

HEADERS = "User ID;Username;First name;Last name;Email;Department;Job title;Status"


def write_csv(path: Path, rows: int) -> Path:
    lines = [HEADERS]
    lines += [
        f"{n:06d};user{n};First{n};Last{n};user{n}@example.org;Sales;Clerk;Active"
        for n in range(rows)
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def timed(app: QApplication, window: MainWindow, action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    window.table.viewport().repaint()
    app.processEvents()
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    app = QApplication(sys.argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-rows-"))
    path = write_csv(folder / "users.csv", args.rows)
    window = MainWindow()
    window.resize(1280, 780)
    window.show()
    window.open_file(path)
    while window.document is None:
        app.processEvents()
    app.processEvents()
    table, proxy = window.table, window.proxy

    def middle() -> None:
        table.setCurrentIndex(proxy.index(table.verticalHeader().logicalIndex(args.rows // 2), 1))

    for label in ("file order", "sorted by Username"):
        results: dict[str, list[float]] = {"insert": [], "delete": [], "undo": []}
        for _ in range(3):
            middle()
            results["insert"].append(timed(app, window, table.insert_rows_above))
            results["undo"].append(timed(app, window, window.undo_stack.undo))
            middle()
            results["delete"].append(timed(app, window, table.delete_rows))
            window.undo_stack.undo()
        figures = ", ".join(
            f"{name} {statistics.median(values):.0f} ms" for name, values in results.items()
        )
        print(f"{args.rows:,} rows, {label}: {figures} (median of 3)")
        table.sort_by(1, Qt.SortOrder.AscendingOrder)
    window.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
