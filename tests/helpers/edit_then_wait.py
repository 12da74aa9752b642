"""A real copy of the app that opens a file, types edits, says so, and waits to be killed.

Run as ``python -m tests.helpers.edit_then_wait FILE EDITS SEED``: it prints one line,
``EDITED`` and the JSON list of [row, col, text] it typed, once every edit is in the
table; then it keeps running until the test kills it.
"""

from __future__ import annotations

import json
import random
import sys

from PySide6.QtCore import QEventLoop, QTimer

from desktop_app.views.application import _setup_logging, create_application
from desktop_app.views.main_window import MainWindow
from tests.helpers.gui import type_into


def main() -> None:
    path, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    _setup_logging()
    app = create_application([])
    window = MainWindow()
    window.show()
    loop = QEventLoop()
    window.documentLoaded.connect(loop.quit)
    window.open_file(path)
    loop.exec()
    document = window.document
    assert document is not None
    rng = random.Random(seed)
    typed = []
    for n in range(count):
        row, col = rng.randrange(document.row_count), rng.randrange(1, document.column_count)
        text = f"{rng.choice(['Zoë', 'Łukasz', 'O’Brien', 'x'])}{n}"
        type_into(window, row, col, text)
        typed.append([row, col, text])
    print("EDITED", json.dumps(typed, ensure_ascii=False), flush=True)
    QTimer.singleShot(600_000, app.quit)  # never reached in the test: it is killed first
    app.exec()


if __name__ == "__main__":
    main()
