"""scripts/check_qt.py checks the platform the window will use and names the fix.

The failing case is real: Qt is started on the xcb platform while the dynamic loader finds
an unusable libxcb-cursor.so.0 first (an empty file on LD_LIBRARY_PATH), so the xcb plugin
cannot load, exactly as on a desktop without the libxcb-cursor0 package.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_qt.py"
ENV_VARS = ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_qt", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_check(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=tmp_path,
        timeout=240,
    )


@pytest.fixture
def without_xcb_cursor(tmp_path: Path) -> str:
    """LD_LIBRARY_PATH under which libxcb-cursor.so.0 cannot be loaded."""
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "libxcb-cursor.so.0").write_bytes(b"")
    return os.pathsep.join(filter(None, [str(folder), os.environ.get("LD_LIBRARY_PATH")]))


linux_with_apt = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("apt-get") is None,
    reason="the install command is for Debian and Ubuntu",
)


@linux_with_apt
def test_a_desktop_without_libxcb_cursor_is_told_the_command(
    tmp_path: Path, without_xcb_cursor: str
) -> None:
    # A display that does not exist: the plugin fails to load before it would connect.
    result = run_check(tmp_path, DISPLAY=":987", LD_LIBRARY_PATH=without_xcb_cursor)

    assert result.returncode == 1
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.startswith(
        "Qt cannot open the window on the xcb platform: this machine lacks libxcb-cursor.so.0."
    )
    assert "Install them with: sudo apt-get install -y " in message
    command = message.split("Install them with: ", 1)[1]
    assert command.startswith("sudo apt-get install -y ")
    assert "libxcb-cursor0" in command.split()
    assert "\n" not in message  # one sentence, not Qt's abort text
    assert "could not load the Qt platform plugin" not in message.lower()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux loader paths")
def test_offscreen_still_passes_where_xcb_cannot_load(
    tmp_path: Path, without_xcb_cursor: str
) -> None:
    result = run_check(
        tmp_path, DISPLAY=":987", LD_LIBRARY_PATH=without_xcb_cursor, QT_QPA_PLATFORM="offscreen"
    )
    assert (result.returncode, result.stderr) == (0, "")

    result = run_check(
        tmp_path, "--platform", "offscreen", DISPLAY=":987", LD_LIBRARY_PATH=without_xcb_cursor
    )
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland")
def test_no_screen_at_all_is_said_plainly(tmp_path: Path) -> None:
    result = run_check(tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("There is no screen to open the window on")


def test_the_window_platform_follows_the_environment() -> None:
    window_platform = load_script().window_platform
    linux = "linux"
    assert window_platform({"DISPLAY": ":0"}, linux) == "xcb"
    assert window_platform({"WAYLAND_DISPLAY": "wayland-0"}, linux) == "wayland"
    assert window_platform({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, linux) == "wayland"
    both_on_x11 = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}
    assert window_platform(both_on_x11, linux) == "xcb"
    assert window_platform({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, linux) == "offscreen"
    assert window_platform({}, linux) is None
    assert window_platform({}, "darwin") == "cocoa"
    assert window_platform({}, "win32") == "windows"


def test_libraries_are_named_by_their_debian_package() -> None:
    debian_package = load_script().debian_package
    assert debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert debian_package("/tmp/lib/libxcb-icccm.so.4") == "libxcb-icccm4"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libEGL.so.1") == "libegl1"
    assert debian_package("libwayland-cursor.so.0") == "libwayland-cursor0"
    assert debian_package("libfontconfig.so.1.12.0") == "libfontconfig1"
    assert debian_package("libglib-2.0.so.0") == "libglib2.0-0"
