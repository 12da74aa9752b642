"""Say in one sentence which system libraries Qt is missing, with the command to install them.

Run after the virtual environment is made; exits 1 (with the command) when Qt cannot load.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys

# Shared library -> Debian/Ubuntu package, for what PySide6's widgets need on Linux.
DEBIAN_PACKAGES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}

PROBE = (
    "from PySide6.QtWidgets import QApplication; from PySide6.QtSvg import QSvgRenderer; "
    "app = QApplication([]); print('ok')"
)


def main() -> int:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    if result.returncode == 0:
        return 0
    missing = sorted(set(re.findall(r"(lib[\w.+-]+\.so(?:\.\d+)*)", result.stderr)))
    if platform.system() == "Linux" and missing:
        packages = sorted({DEBIAN_PACKAGES.get(lib, lib) for lib in missing})
        print(
            f"Qt cannot start: this machine lacks {', '.join(missing)}. Install them with: "
            f"sudo apt-get install -y {' '.join(packages)}",
            file=sys.stderr,
        )
    else:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"Qt cannot start on this machine: {last}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
