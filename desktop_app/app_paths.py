"""Where the app keeps its own files: one place decides, for the window and the CLI alike.

``USER_EDITOR_DATA`` moves everything (tests and portable installs use it); otherwise
the operating system's folders for application data and logs are used.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "User Editor"


def data_folder(*parts: str) -> Path:
    """A folder under the app's data folder, made if missing."""
    from platformdirs import user_data_dir

    base = os.environ.get("USER_EDITOR_DATA") or user_data_dir(APP_NAME, appauthor=False)
    folder = Path(base, *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_folder() -> Path:
    """The app's log folder, made if missing (inside the data folder when it is moved)."""
    from platformdirs import user_log_dir

    moved = os.environ.get("USER_EDITOR_DATA")
    folder = Path(moved, "logs") if moved else Path(user_log_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
