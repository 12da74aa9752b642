"""Say in one sentence why Qt cannot open the window here, with the command that fixes it.

    python scripts/check_qt.py                      the platform the window will use
    python scripts/check_qt.py --platform offscreen  the platform the tests use

Without --platform the check runs Qt in this environment exactly as the window will run:
xcb on a Linux desktop with DISPLAY, wayland with WAYLAND_DISPLAY, whatever QT_QPA_PLATFORM
names. Exits 0 when Qt starts; otherwise prints one sentence on stderr (with the apt-get
command when system libraries are missing) and exits 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

PROBE = (
    "from PySide6.QtWidgets import QApplication; from PySide6.QtSvg import QSvgRenderer; "
    "app = QApplication([]); print(app.platformName())"
)

# Debian and Ubuntu package for a library, where the package name does not follow from the
# library's name by the usual rule (see debian_package()).
DEBIAN_EXCEPTIONS = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libGLdispatch.so.0": "libglvnd0",
    "libz.so.1": "zlib1g",
    "libstdc++.so.6": "libstdc++6",
}

# Qt's own words when a platform plugin could not be made to work.
_CANNOT_LOAD = re.compile(r"Cannot load library ([^:]+): \(?([^:()]+\.so[\w.]*): ")
_LDD_NOT_FOUND = re.compile(r"^\s*(\S+\.so[\w.]*) => not found", re.MULTILINE)
_LDD_ERROR = re.compile(r"error while loading shared libraries: ([^:]+\.so[\w.]*): ")
_PLUGIN_NAMED = re.compile(r'Could not (?:load|find) the Qt platform plugin "([^"]+)"')
_NO_DISPLAY = re.compile(r"could not connect to display|Failed to create wl_display", re.I)


def window_platform(env: Mapping[str, str], system: str = sys.platform) -> str | None:
    """The Qt platform plugin a window started with ``env`` will use; None: there is no screen.

    QT_QPA_PLATFORM wins. On Linux and the BSDs, Qt takes wayland in a Wayland session and xcb
    where an X display is set; macOS and Windows always have their own.
    """
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen
    if system == "darwin":
        return "cocoa"
    if system == "win32":
        return "windows"
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE", "wayland") != "x11":
        return "wayland"
    if env.get("DISPLAY"):
        return "xcb"
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return None


def debian_package(library: str) -> str:
    """The Debian/Ubuntu package that ships a shared library, by Debian's naming rule.

    libxcb-cursor.so.0 -> libxcb-cursor0, libEGL.so.1 -> libegl1, and a name that ends in a
    digit takes a hyphen: libxkbcommon-x11.so.0 -> libxkbcommon-x11-0.
    """
    library = Path(library).name
    if library in DEBIAN_EXCEPTIONS:
        return DEBIAN_EXCEPTIONS[library]
    match = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\.[\d.]+)?", library)
    if not match:
        return library.lower()
    name, version = match.groups()
    return f"{name}{'-' if name[-1].isdigit() else ''}{version}".lower()


def plugin_files(platforms: str) -> list[Path]:
    """The plugin libraries for a platform list such as 'wayland;xcb' (names without options)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms"
    names = [part.split(":")[0].strip() for part in platforms.split(";")]
    return [path for name in names if name for path in sorted(folder.glob(f"libq{name}.so"))]


def unloadable_libraries(
    qt_output: str, plugins: Iterable[Path], env: Mapping[str, str]
) -> list[str]:
    """The shared libraries the platform plugins cannot load, from ldd and from Qt's own log."""
    plugins = list(plugins)
    names = {plugin.name for plugin in plugins}
    found = {
        Path(library).name
        for plugin, library in _CANNOT_LOAD.findall(qt_output)
        if Path(plugin).name in names
    }
    ldd = shutil.which("ldd")
    for plugin in plugins:
        if ldd is None:
            break
        result = subprocess.run(
            [ldd, str(plugin)], capture_output=True, text=True, env=dict(env), timeout=60
        )
        output = result.stdout + result.stderr
        found.update(_LDD_NOT_FOUND.findall(output))
        found.update(Path(name).name for name in _LDD_ERROR.findall(output))
    # Qt's own libraries sit beside the plugin; only the system's can be installed.
    return sorted(name for name in found if not name.startswith("libQt6"))


def run_probe(env: Mapping[str, str], debug: bool = False) -> subprocess.CompletedProcess[str]:
    """Start a QApplication in a child process (a failing platform aborts the process)."""
    probe_env = dict(env, **({"QT_DEBUG_PLUGINS": "1"} if debug else {}))

    def no_core_dump() -> None:  # Qt aborts when no platform plugin can start
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=probe_env,
        timeout=120,
        preexec_fn=no_core_dump if os.name == "posix" else None,
    )


def diagnose(env: Mapping[str, str]) -> str | None:
    """None when Qt starts with ``env``; otherwise the sentence that says why and what to do."""
    platform = window_platform(env)
    if platform is None:
        return (
            "There is no screen to open the window on: neither DISPLAY nor WAYLAND_DISPLAY is "
            "set. Run this from a desktop session (or set QT_QPA_PLATFORM=offscreen to run "
            "without a window)."
        )
    result = run_probe(env)
    if result.returncode == 0:
        return None
    named = _PLUGIN_NAMED.search(result.stderr)
    if named:
        platform = named.group(1)
    debug = run_probe(env, debug=True)
    output = result.stderr + debug.stderr
    missing = unloadable_libraries(output, plugin_files(platform), env)
    where = f"Qt cannot open the window on the {platform} platform"
    if missing and sys.platform.startswith("linux"):
        packages = " ".join(sorted({debian_package(name) for name in missing}))
        if shutil.which("apt-get"):
            return (
                f"{where}: this machine lacks {', '.join(missing)}. "
                f"Install them with: sudo apt-get install -y {packages}"
            )
        return (
            f"{where}: this machine lacks {', '.join(missing)}; "
            "install the packages that provide them."
        )
    if _NO_DISPLAY.search(output):
        display = (
            env.get("WAYLAND_DISPLAY") if platform.startswith("wayland") else env.get("DISPLAY")
        )
        return (
            f"{where}: it cannot connect to the display {display!r}. Run this from a desktop "
            "session (or set QT_QPA_PLATFORM=offscreen to run without a window)."
        )
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    return f"{where}: {lines[-1] if lines else f'exit status {result.returncode}'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--platform", help="check this Qt platform (e.g. offscreen) instead of the window's own"
    )
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.platform:
        env["QT_QPA_PLATFORM"] = args.platform
    problem = diagnose(env)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
