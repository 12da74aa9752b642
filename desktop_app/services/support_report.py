"""A report an admin can send to support: versions, settings and the log, without user data.

Everything that leaves the computer goes through :func:`redact` first: email addresses,
tokens, ``Authorization`` headers and the user names in file paths are replaced. The open
file is described only when the admin asks, and then only by its column names and how
many problems each column has, never by a cell's value.
"""

from __future__ import annotations

import getpass
import importlib.metadata as metadata
import importlib.util
import os
import platform
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desktop_app import __version__

APP_DISTRIBUTION = "user-editor"
LOG_NAME = "user-editor.log"
CRASH_NAME = "crash-report.txt"
LOG_LINES = 400
# How much of the end of a log is read at most: enough for LOG_LINES long lines.
_TAIL_BYTES = 1_000_000
HIDDEN = "<hidden>"

# --- redaction --------------------------------------------------------------------------------

_AUTHORIZATION = re.compile(
    r"(?i)(\bauthorization\b[\"']?\s*[:=]\s*[\"']?)"
    r"(?:(?:bearer|basic|token|negotiate)\s+)?[^\s\"',}]+"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*")
_SECRET_VALUE = re.compile(
    r"(?i)\b((?:access[_-]?|api[_-]?|auth[_-]?|refresh[_-]?)?token|api[_-]?key|password"
    r"|passwd|secret|client[_-]?secret)([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;}]+)"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_WINDOWS_HOME = re.compile(
    r"(?i)\b([A-Z]:[\\/]+(?:Users|Documents and Settings)[\\/]+)[^\\/\s\"']+"
)
_UNIX_HOME = re.compile(r"((?<![\w.])/(?:Users|home)/)[^/\s\"']+")
# A run of 24 or more letters, digits, '-' and '_' with at least one digit and one letter:
# API keys, session ids, UUIDs. Code names and words have no digits; paths break at '/' '.'.
_TOKEN_LIKE = re.compile(
    r"(?<![A-Za-z0-9_\-])(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Za-z])"
    r"[A-Za-z0-9_\-]{24,}(?![A-Za-z0-9_\-])"
)
_BASE64_PADDED = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{30,}={1,2}")


def redact(text: str, home: str | None = None, user: str | None = None) -> str:
    """``text`` without email addresses, tokens, authorization headers or home user names.

    ``home`` (the admin's home folder) and ``user`` (their login name) are found on this
    computer unless given; a home folder outside the usual places becomes ``~``.
    """
    text = _AUTHORIZATION.sub(lambda m: m.group(1) + HIDDEN, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {HIDDEN}", text)
    text = _SECRET_VALUE.sub(lambda m: m.group(1) + m.group(2) + HIDDEN, text)
    text = _JWT.sub(HIDDEN, text)
    text = _EMAIL.sub("<email>", text)
    if home is None:
        home = str(Path.home())
    if user is None:
        try:
            user = getpass.getuser()
        except (OSError, KeyError, ImportError):
            user = ""
    for form in {home, home.replace("\\", "/"), home.replace("\\", "\\\\")}:
        if len(form) > 1:
            text = text.replace(form, "~")
    text = _WINDOWS_HOME.sub(lambda m: m.group(1) + "<user>", text)
    text = _UNIX_HOME.sub(lambda m: m.group(1) + "<user>", text)
    if user and len(user) >= 3:
        # The login name inside any other path (a second drive, a network share).
        text = re.sub(rf"(?<=[\\/]){re.escape(user)}(?=[\\/])", "<user>", text)
    text = _TOKEN_LIKE.sub(HIDDEN, text)
    return _BASE64_PADDED.sub(HIDDEN, text)


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of a text file (read from its end: logs can grow large)."""
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - _TAIL_BYTES))
        data = file.read()
    lines = data.decode("utf-8", errors="replace").splitlines()
    if size > _TAIL_BYTES and lines:
        lines = lines[1:]  # the first line read is probably cut
    return lines[-count:] if count > 0 else []


# --- libraries and their licences -----------------------------------------------------------


@dataclass(frozen=True)
class Library:
    name: str
    version: str
    licence: str


def _first(meta: metadata.PackageMetadata, field: str) -> str:
    values = meta.get_all(field) or []
    return str(values[0]).strip() if values else ""


def licence_of(meta: metadata.PackageMetadata) -> str:
    """A short licence name from a package's metadata (SPDX expression when it has one)."""
    expression = _first(meta, "License-Expression")
    if expression:
        return expression
    declared = _first(meta, "License")
    if declared and "\n" not in declared and len(declared) <= 60:
        return declared
    for classifier in meta.get_all("Classifier") or []:
        if classifier.startswith("License ::"):
            return classifier.split("::")[-1].strip()
    if declared:
        return declared.splitlines()[0].strip()[:60] or "Not stated"
    return "Not stated"


def _requirement_name(requirement: str) -> str | None:
    """The distribution a requirement names, or None for an optional one (an extra)."""
    name, _, marker = requirement.partition(";")
    if "extra" in marker:
        return None
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._\-]*)", name)
    return match.group(1) if match else None


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def app_requirements(checkout: Path | None = None) -> list[str]:
    """The app's runtime dependencies: pyproject.toml in a checkout, else the installed metadata."""
    root = checkout or Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            project = {}
        if project.get("name") == APP_DISTRIBUTION:
            return [str(r) for r in project.get("dependencies", [])]
    try:
        return metadata.requires(APP_DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return []


def _is_present(distribution: metadata.Distribution) -> bool:
    """Whether the distribution's code is here (a frozen app may keep metadata it left out)."""
    try:
        top_level = (distribution.read_text("top_level.txt") or "").split()
    except OSError:
        top_level = []
    if not top_level:
        names = set()
        for file in distribution.files or []:
            first = file.parts[0] if file.parts else ""
            if first not in ("", "..") and not first.endswith((".dist-info", ".egg-info", ".data")):
                names.add(first.removesuffix(".py").split(".")[0])
        top_level = sorted(names)
    if not top_level:
        return True
    for name in top_level:
        try:
            if importlib.util.find_spec(name) is not None:
                return True
        except (ImportError, ValueError):
            continue
    return False


def runtime_libraries(requirements: Iterable[str] | None = None) -> list[Library]:
    """Every installed library the app runs with: its dependencies and theirs, by name.

    Test and build tools (extras) are not included; nor is anything not installed here.
    """
    if requirements is None:
        requirements = app_requirements()
    queue = [name for name in map(_requirement_name, requirements) if name]
    seen: set[str] = set()
    found: dict[str, Library] = {}
    while queue:
        name = queue.pop(0)
        key = _normal(name)
        if key in seen:
            continue
        seen.add(key)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if not _is_present(distribution):
            continue
        meta = distribution.metadata
        found[key] = Library(
            _first(meta, "Name") or name, _first(meta, "Version"), licence_of(meta)
        )
        for requirement in distribution.requires or []:
            child = _requirement_name(requirement)
            if child:
                queue.append(child)
    return sorted(found.values(), key=lambda library: library.name.lower())


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSummary:
    name: str
    problems: int


@dataclass(frozen=True)
class FileSummary:
    """What the report may say about the open file, when the admin allows it: no values."""

    platform: str
    rows: int
    columns: tuple[ColumnSummary, ...]


# Settings whose value helps support and holds nothing private once redacted.
_SHOWN_SETTINGS = {"serverUrl", "lastFolder"}


def describe_setting(key: str, value: object) -> str:
    """A setting as the report shows it: its value only where that is safe, else its kind."""
    if re.search(r"(?i)token|secret|password", key):
        return HIDDEN
    if isinstance(value, bytes | bytearray):
        return f"(window layout, {len(value)} bytes)"
    if isinstance(value, list | tuple):
        return f"({len(value)} entries)"
    if isinstance(value, dict):
        return f"({len(value)} values)"
    if key in _SHOWN_SETTINGS:
        return redact(str(value))
    return "(set)"


def _problems(count: int) -> str:
    return f"{count:,} problem" if count == 1 else f"{count:,} problems"


def _section(title: str, lines: Iterable[str]) -> list[str]:
    return ["", f"== {title} " + "=" * max(0, 60 - len(title)), *lines]


def build_report(
    *,
    versions: Mapping[str, str],
    settings: Mapping[str, object],
    log_folder: Path,
    libraries: Sequence[Library] = (),
    file_summary: FileSummary | None = None,
    log_lines: int = LOG_LINES,
    now: datetime | None = None,
) -> str:
    """The text of a support report (see the module's docstring for what it leaves out)."""
    stamp = (now or datetime.now()).astimezone().isoformat(timespec="seconds")
    lines = [
        "User Editor: report for support",
        f"Made {stamp}. It holds no user data: email addresses, tokens and user names in "
        "file paths are replaced by <email>, <hidden> and <user>.",
    ]
    system = {
        "User Editor": __version__,
        "Python": platform.python_version(),
        **versions,
        "Operating system": platform.platform(),
        "Machine": platform.machine() or "unknown",
        "Bundled app": "yes" if getattr(sys, "frozen", False) else "no",
    }
    lines += _section("Versions", (f"{k}: {v}" for k, v in system.items()))
    lines += _section(
        "Libraries", (f"{lib.name} {lib.version} ({lib.licence})" for lib in libraries)
    )
    lines += _section(
        "Settings",
        [f"{redact(key)}: {describe_setting(key, settings[key])}" for key in sorted(settings)]
        or ["(none)"],
    )
    if file_summary is not None:
        total = sum(column.problems for column in file_summary.columns)
        lines += _section(
            "Open file (column names and problem counts only)",
            [
                f"Platform: {file_summary.platform}",
                f"Rows: {file_summary.rows:,}; problems: {total:,}",
                *(f"  {c.name}: {_problems(c.problems)}" for c in file_summary.columns),
            ],
        )
    log = log_folder / LOG_NAME
    if log.is_file():
        tail = [redact(line) for line in tail_lines(log, log_lines)]
        lines += _section(f"Log: the last {len(tail)} lines of {LOG_NAME}", tail)
    else:
        lines += _section("Log", ["(no log file)"])
    crash = log_folder / CRASH_NAME
    if crash.is_file() and crash.stat().st_size:
        lines += _section(
            f"Crash report ({CRASH_NAME})",
            (redact(line) for line in tail_lines(crash, log_lines)),
        )
    return "\n".join(lines) + "\n"


def report_name(now: datetime | None = None) -> str:
    """The suggested file name: user-editor-report-2026-12-03-1405.txt."""
    return f"user-editor-report-{(now or datetime.now()):%Y-%m-%d-%H%M}.txt"


def write_report(target: Path, text: str) -> None:
    """Write the report through a temporary file renamed into place (never half a report)."""
    temporary = target.with_name(f".{target.name}.part")
    try:
        with temporary.open("w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
