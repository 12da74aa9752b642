"""Build the desktop app with PyInstaller (build.spec), then smoke-test what was built.

    python scripts/build_app.py               build into dist/, then test it
    python scripts/build_app.py --skip-build  only test the existing dist/ folder

Needs PyInstaller in the same environment as the app (`pip install pyinstaller`).

The tests run the frozen program, never the source tree, in a throw-away home folder
(settings, logs and the upload journal go there, not into yours):

  1. the bundle holds every file of resources/ at desktop_app/resources/, and none of the
     Qt modules build.spec leaves out;
  2. the folder is at most 150 MB on disk (what `du -sm "dist/User Editor"` says);
  3. `user-editor-cli check resources/samples/atlas-users.xlsx --json` exits 1 and prints
     JSON for the profile "atlas" (this needs the bundled profiles), and with
     LANG=nl_NL.UTF-8 it says in Dutch that a missing file does not exist (the bundled
     translations; Qt's qtbase_<lang>.qm is bundled, compressed, for each language and no
     other);
  4. the frozen `check --json` prints exactly what the source's `user-editor check --json`
     prints, with the same exit status, on that sample and on a generated 2,000-user download
     with deliberate problems (benchmarks/bench_open_save.py writes it);
  5. the window, offscreen, opens that sample; and
  6. the window, offscreen, runs `--demo` (bundled sample, local SCIM server, pydantic).

The app has no "quit when loaded" switch, so 3 and 4 start the window, wait for the load,
then terminate it. "Loaded" is seen from outside: after a file opens the window saves its
folder as lastFolder in the Qt settings file. That file is only readable on Linux (macOS and
Windows keep Qt settings in plist/registry), so there the test settles for "still running
after 5 seconds, nothing on stderr that looks like a Python error".

Exits 0 when the build and every test pass, 1 otherwise.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build.spec"
DIST = ROOT / "dist"
APP_NAME = "User Editor"
CLI_NAME = "user-editor-cli"
SAMPLE = ROOT / "resources" / "samples" / "atlas-users.xlsx"
SIZE_TARGET_MB = 150
# Qt parts build.spec keeps out; finding one of them in the bundle is a failure.
UNWANTED = re.compile(
    r"Qt6?(Qml|Quick|Pdf|Network|WebEngine|Multimedia|3D|Designer|VirtualKeyboard)"
    r"|(^|/)(tkinter|_tkinter|matplotlib|IPython|pytest|hypothesis|mypy)(/|\.|$)"
)
PYTHON_ERROR = re.compile(
    r"Traceback \(most recent call last\)|Failed to execute script|"
    r"could not (load|find) the Qt platform plugin",
    re.IGNORECASE,
)


def exe(folder: Path, name: str) -> Path:
    return folder / (f"{name}.exe" if sys.platform == "win32" else name)


def folder_size(folder: Path) -> tuple[int, int]:
    total = files = 0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            total += os.lstat(os.path.join(dirpath, name)).st_size
            files += 1
    return total, files


def disk_usage_mb(folder: Path) -> int:
    """The folder's size on disk in MiB, rounded up, as `du -sm` reports it."""
    du = shutil.which("du")
    if du and os.name == "posix":
        result = subprocess.run([du, "-sm", str(folder)], capture_output=True, text=True)
        if result.returncode == 0:
            return int(result.stdout.split()[0])
    size, _files = folder_size(folder)
    return -(-size // 2**20)


def build() -> float:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.exit(f"PyInstaller is not installed: {sys.executable} -m pip install pyinstaller")
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--distpath",
        str(DIST),
        "--workpath",
        str(ROOT / "build"),
    ]
    print("$", " ".join(command), flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"PyInstaller failed (exit {result.returncode}) after {seconds:.0f} s.")
    print(f"Build finished in {seconds:.0f} s.")
    return seconds


def isolated_env(home: Path) -> dict[str, str]:
    """The environment for the frozen app: its own home, temp and config folders."""
    env = dict(os.environ)
    for var in (
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "QT_PLUGIN_PATH",
        "QT_QPA_PLATFORM_PLUGIN_PATH",
    ):
        env.pop(var, None)
    folders = {
        "HOME": home,
        "USERPROFILE": home,
        "TMPDIR": home / "tmp",
        "TEMP": home / "tmp",
        "TMP": home / "tmp",
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
        "XDG_CACHE_HOME": home / ".cache",
        "APPDATA": home / "AppData" / "Roaming",
        "LOCALAPPDATA": home / "AppData" / "Local",
    }
    for var, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        env[var] = str(folder)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


class Checks:
    def __init__(self) -> None:
        self.results: list[tuple[str, bool, str]] = []

    def record(self, name: str, ok: bool, detail: str = "") -> bool:
        self.results.append((name, ok, detail))
        print(
            f"[{'PASS' if ok else 'FAIL'}] {name}" + (f": {detail}" if detail else ""), flush=True
        )
        return ok

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.results)


def check_layout(folder: Path, checks: Checks) -> None:
    internal = folder / "_internal"
    base = internal if internal.is_dir() else folder
    bundled = base / "desktop_app" / "resources"
    missing = [] if (bundled / "__init__.py").is_file() else ["__init__.py"]
    # Every folder of resources/, so that a new one build.spec does not list is caught here.
    kinds = sorted(
        p.name for p in (ROOT / "resources").iterdir() if p.is_dir() and p.name[0] != "_"
    )
    for kind in kinds:
        for source in sorted((ROOT / "resources" / kind).iterdir()):
            wanted = (
                source.is_file()
                and not source.name.startswith(".")
                and source.suffix not in (".py", ".pot")  # the .pot is for translators
            )
            if wanted and not (bundled / kind / source.name).is_file():
                missing.append(f"{kind}/{source.name}")
    checks.record(
        "resources bundled at desktop_app/resources/",
        not missing,
        f"missing {', '.join(missing)}"
        if missing
        else f"{sum(1 for p in bundled.rglob('*') if p.is_file())} files",
    )
    # Qt's own words (Save, Cancel, file dialogs) for each language the app ships, packed
    # beside its catalogues, and none of Qt's own catalogues.
    languages = sorted(p.stem for p in (ROOT / "resources" / "translations").glob("*.po"))
    packed = sorted(p.name for p in (bundled / "translations").glob("qtbase_*.qm.z"))
    qt_own = sorted(p.name for p in base.rglob("*.qm"))
    checks.record(
        "Qt's translations for the shipped languages only",
        packed == [f"qtbase_{code}.qm.z" for code in languages] and not qt_own,
        ", ".join(packed + qt_own) or "none",
    )
    unwanted = sorted(
        {
            str(p.relative_to(folder))
            for p in folder.rglob("*")
            if UNWANTED.search(str(p.relative_to(folder)).replace("\\", "/"))
        }
    )
    checks.record(
        "no excluded Qt modules or dev tools in the bundle",
        not unwanted,
        ", ".join(unwanted[:8]) + (" …" if len(unwanted) > 8 else ""),
    )


def check_cli(folder: Path, home: Path, checks: Checks) -> None:
    command = [str(exe(folder, CLI_NAME)), "check", str(SAMPLE), "--json"]
    print("$", " ".join(command), flush=True)
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=isolated_env(home),
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        checks.record("CLI check --json", False, str(error))
        return
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        report = None
    ok = (
        result.returncode == 1
        and isinstance(report, dict)
        and report.get("profile") == "atlas"
        and bool(report.get("problems"))
    )
    detail = (
        f"exit {result.returncode}, profile {report.get('profile')!r}, "
        f"{report.get('rows')} rows, {len(report.get('problems', []))} problems"
        if isinstance(report, dict)
        else f"exit {result.returncode}; stdout {result.stdout[:300]!r}; "
        f"stderr {result.stderr[-600:]!r}"
    )
    checks.record("CLI check --json (exit 1, profile atlas)", ok, detail)


def check_cli_dutch(folder: Path, home: Path, checks: Checks) -> None:
    """With LANG=nl_NL.UTF-8 the frozen CLI says in Dutch that a file does not exist."""
    env = isolated_env(home)
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(var, None)
    env["LANG"] = "nl_NL.UTF-8"
    command = [str(exe(folder, CLI_NAME)), "check", str(home / "missing.xlsx")]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, encoding="utf-8", env=env, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        checks.record("CLI speaks Dutch with LANG=nl_NL.UTF-8", False, str(error))
        return
    checks.record(
        "CLI speaks Dutch with LANG=nl_NL.UTF-8",
        result.returncode == 2 and "bestaat niet" in result.stderr,
        f"exit {result.returncode}; stderr {result.stderr.strip()[:200]!r}",
    )


def source_command() -> list[str]:
    """The app run from the source it was built from: this checkout's desktop_app (run with
    ROOT as the working folder), which is what `.venv/bin/user-editor` runs after
    `pip install -e .`."""
    return [sys.executable, "-m", "desktop_app"]


def write_generated_download(target: Path, rows: int = 2000) -> None:
    """An Atlas download of ``rows`` users, about 4% of them with a deliberate problem."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_open_save import generate_users, write_openpyxl
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    users, _problems = generate_users(rows)
    raw = io.BytesIO()
    write_openpyxl(users, raw)
    target.write_bytes(raw.getvalue())


def run_check(command: list[str], home: Path) -> tuple[int, object, str]:
    """Exit status, parsed JSON (None if it is not JSON) and stderr of a `check --json`."""
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=isolated_env(home),
            cwd=ROOT,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return -1, None, str(error)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        report = None
    return result.returncode, report, result.stderr


def check_same_as_source(folder: Path, file: Path, home: Path, checks: Checks) -> None:
    """The frozen `check --json` says exactly what the source says about ``file``."""
    frozen = [str(exe(folder, CLI_NAME)), "check", str(file), "--json"]
    source = [*source_command(), "check", str(file), "--json"]
    print("$", " ".join(frozen), flush=True)
    print("$", " ".join(source), flush=True)
    got, want = run_check(frozen, home), run_check(source, home)
    problems = len(want[1].get("problems", [])) if isinstance(want[1], dict) else None
    ok = want[1] is not None and got[:2] == want[:2]
    detail = (
        f"exit {got[0]}, {problems} problems, identical JSON"
        if ok
        else f"frozen: exit {got[0]}, stderr {got[2][-600:]!r}; "
        f"source: exit {want[0]}, stderr {want[2][-600:]!r}"
        + (f"; first difference: {first_difference(got[1], want[1])}" if got[1] and want[1] else "")
    )
    checks.record(f"frozen check --json equals the source's on {file.name}", ok, detail)


def first_difference(got: object, want: object) -> str:
    if isinstance(got, dict) and isinstance(want, dict):
        for key in sorted(set(got) | set(want)):
            if got.get(key) != want.get(key):
                return f"{key}: {first_difference(got.get(key), want.get(key))}"
    if isinstance(got, list) and isinstance(want, list):
        for index, (a, b) in enumerate(zip(got, want, strict=False)):
            if a != b:
                return f"[{index}] {first_difference(a, b)}"
        return f"{len(got)} items, not {len(want)}"
    return f"{got!r} instead of {want!r}"


def qt_settings_file(home: Path) -> Path | None:
    """Where QSettings() keeps the app's settings, when it is a file we can read."""
    if sys.platform.startswith("linux"):
        return home / ".config" / APP_NAME / f"{APP_NAME}.conf"
    return None


def run_window(
    folder: Path,
    home: Path,
    args: list[str],
    loaded: Callable[[str], bool],
    name: str,
    checks: Checks,
    timeout: float = 60.0,
) -> None:
    """Start the frozen window offscreen; pass when it loads (or, without a way to tell,
    when it is still running after 5 s); then terminate it."""
    command = [str(exe(folder, APP_NAME)), *args]
    print(
        "$ QT_QPA_PLATFORM=offscreen",
        " ".join(f'"{c}"' if " " in c else c for c in command),
        flush=True,
    )
    settings = qt_settings_file(home)
    err_path = home / f"{name}.stderr.txt"
    out_path = home / f"{name}.stdout.txt"
    with err_path.open("w") as err, out_path.open("w") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=err, env=isolated_env(home), cwd=home
        )
        started = time.monotonic()
        outcome = "timeout"
        while time.monotonic() - started < (timeout if settings else 5.0):
            time.sleep(0.25)
            if process.poll() is not None:
                outcome = f"exited with {process.returncode}"
                break
            if settings and settings.is_file():
                text = settings.read_text(encoding="utf-8", errors="replace")
                match = re.search(r"^lastFolder=(.*)$", text, re.MULTILINE)
                if match and loaded(match.group(1)):
                    outcome = "loaded"
                    break
        else:
            if not settings:
                outcome = "alive"
        seconds = time.monotonic() - started
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    log = home / ".local" / "state" / APP_NAME / "log" / "user-editor.log"
    log_text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    error = PYTHON_ERROR.search(stderr) or re.search(r" ERROR |Traceback", log_text)
    ok = outcome in ("loaded", "alive") and not error
    how = (
        "document loaded (lastFolder saved) in"
        if outcome == "loaded"
        else "still running after"
        if outcome == "alive"
        else f"{outcome} after"
    )
    detail = f"{how} {seconds:.1f} s, then terminated"
    if not ok:
        detail += f"; stderr: {stderr[-1500:]!r}" + (
            f"; log: {log_text[-800:]!r}" if log_text else ""
        )
    checks.record(name, ok, detail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="only test dist/ as it is")
    args = parser.parse_args()

    seconds = None if args.skip_build else build()
    folder = DIST / APP_NAME
    if not exe(folder, CLI_NAME).is_file() or not exe(folder, APP_NAME).is_file():
        print(f"{folder} does not hold both executables; build first.", file=sys.stderr)
        return 1
    size, files = folder_size(folder)
    mb = disk_usage_mb(folder)
    print(
        f"{folder.relative_to(ROOT)}: {mb} MB on disk, {size / 1_000_000:.1f} MB in {files:,} files"
    )
    if (DIST / f"{APP_NAME}.app").is_dir():
        app_size, _ = folder_size(DIST / f"{APP_NAME}.app")
        print(f"dist/{APP_NAME}.app: {app_size / 1_000_000:.1f} MB")

    checks = Checks()
    checks.record(
        f"folder at most {SIZE_TARGET_MB} MB (du -sm)",
        mb <= SIZE_TARGET_MB,
        f"{mb} MB",
    )
    check_layout(folder, checks)
    with tempfile.TemporaryDirectory(prefix="user-editor-smoke-") as temp:
        temp_path = Path(temp)
        home = temp_path / "home-cli"
        home.mkdir()
        check_cli(folder, home, checks)
        check_cli_dutch(folder, home, checks)
        check_same_as_source(folder, SAMPLE, home, checks)
        generated = temp_path / "generated-atlas-2000.xlsx"
        write_generated_download(generated)
        check_same_as_source(folder, generated, home, checks)

        home = temp_path / "home-open"
        docs = home / "Downloads"
        docs.mkdir(parents=True)
        sample = docs / SAMPLE.name
        shutil.copy2(SAMPLE, sample)
        run_window(
            folder,
            home,
            [str(sample)],
            lambda last: Path(last) == docs,
            "window opens atlas-users.xlsx (offscreen)",
            checks,
        )

        home = temp_path / "home-demo"
        home.mkdir()
        run_window(
            folder,
            home,
            ["--demo"],
            lambda last: "user-editor-demo-" in last,
            "window --demo (offscreen, local SCIM server)",
            checks,
        )

    print()
    if seconds is not None:
        print(f"Build time: {seconds:.0f} s")
    print(f"Size: {mb} MB (du -sm)")
    print("All smoke tests passed." if checks.passed else "SMOKE TESTS FAILED.")
    return 0 if checks.passed else 1


if __name__ == "__main__":
    sys.exit(main())
