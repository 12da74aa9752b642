"""A corpus of hostile downloads, generated on the spot (nothing binary is committed).

Each entry is a file an admin might be handed, or that a damaged export or a prank
could produce: a stray cell at XFD1048576, a pipe or /dev/zero named '.csv', a 95 MB
cell, zip and XML bombs, a password, an old .xls. ``build_corpus`` writes them all into
a folder; ``run_check`` runs ``user-editor check`` on one as a real process and
measures its time and peak memory. The tests and benchmarks/hostile_corpus.py share
both.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

HEADER = ["User ID", "Email", "First name", "Last name"]
HUGE_CELL_CHARS = 95_000_000
BIG_FIELD_CHARS = 10 * 1024 * 1024 + 1
BOMB_BYTES = 300 * 1024 * 1024
LYING_BYTES = 50 * 1024 * 1024
POSIX = os.name == "posix"


class Outcome(StrEnum):
    """What must happen to a file: opened (exit 0 or 1) or refused with a sentence (exit 2)."""

    OPENED = "opened"
    REFUSED = "refused"


@dataclass(frozen=True)
class Hostile:
    """One corpus entry: how to make it, and what opening it must do."""

    name: str
    outcome: Outcome
    # A fragment of the sentence when refused; of a problem's message when opened.
    says: str
    make: Callable[[Path], None]
    posix_only: bool = False


# --- a minimal workbook, written by hand so any part can be made hostile ------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Users" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_MAIN_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_row(number: int, values: list[str], escaped: bool = False) -> str:
    """A <row> of inline-string cells; ``escaped`` values are already XML."""
    cells = "".join(
        f'<c r="{_column(i)}{number}" t="inlineStr"><is><t xml:space="preserve">'
        f"{value if escaped else _xml_text(value)}</t></is></c>"
        for i, value in enumerate(values)
        if value != ""
    )
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows: str, dimension: str | None = None, doctype: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f"<worksheet {_MAIN_NS}>{dim}<sheetData>{rows}</sheetData></worksheet>"
    )


def write_package(
    path: Path | io.BytesIO, sheet: str | bytes, shared: str = "", workbook: str = _WORKBOOK
) -> Path | io.BytesIO:
    """A one-sheet workbook with the given worksheet XML (and shared strings)."""
    shared = shared or f'<?xml version="1.0" encoding="UTF-8"?><sst {_MAIN_NS} count="0"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _PACKAGE_RELS)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        zf.writestr("xl/sharedStrings.xml", shared)
    return path


def _users(first: int = 2) -> str:
    return "".join(
        inline_row(first + i, [f"{100 + i}", f"user{i}@example.com", f"Name{i}", "Smith"])
        for i in range(3)
    )


# --- the entries ---------------------------------------------------------------------------


def far_cell(path: Path) -> None:
    """Users in A1:D4, and one stray value at the very last cell of the sheet."""
    rows = inline_row(1, HEADER) + _users() + '<row r="1048576"><c r="XFD1048576" t="inlineStr">'
    rows += "<is><t>stray</t></is></c></row>"
    write_package(path, sheet_xml(rows, "A1:XFD1048576"))


def far_cell_hidden(path: Path) -> None:
    """The same stray cell, with a <dimension> that claims the sheet is small."""
    rows = inline_row(1, HEADER) + _users() + '<row r="1048576"><c r="XFD1048576" t="inlineStr">'
    rows += "<is><t>stray</t></is></c></row>"
    write_package(path, sheet_xml(rows, "A1:D4"))


def huge_cell(path: Path) -> None:
    """A 97 KB workbook whose one cell holds 95 million characters."""
    huge = "A" * HUGE_CELL_CHARS
    rows = inline_row(1, HEADER) + inline_row(2, ["100", "ann@example.com", huge, "Smith"])
    rows += inline_row(3, ["101", "bob@example.com", "Bob", "Jones"])
    write_package(path, sheet_xml(rows, "A1:D3"))


def control_characters(path: Path) -> None:
    """Cells holding control characters, escaped as Excel writes them (_x000B_)."""
    rows = inline_row(1, HEADER)
    rows += inline_row(2, ["100", "ann@example.com", "Ann_x000B_Marie", "Smith_x001B_"], True)
    rows += inline_row(3, ["101", "bob@example.com", "Bob_x0001_", "Jones"], True)
    write_package(path, sheet_xml(rows, "A1:D3"))


def control_characters_csv(path: Path) -> None:
    text = ",".join(HEADER) + "\r\n100,ann@example.com,Ann\x0bMarie,Smith\x1b\r\n"
    path.write_bytes(text.encode("utf-8"))


def zip_bomb(path: Path) -> None:
    """300 MB of zeros packed into a few hundred KB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/worksheets/sheet1.xml", bytes(BOMB_BYTES))


def lying_zip_bomb(path: Path) -> None:
    """A workbook whose shared strings inflate to 50 MB while the zip says 40 bytes."""
    buffer = io.BytesIO()
    write_package(
        buffer,
        sheet_xml(inline_row(1, HEADER) + _users()),
        shared=" " * LYING_BYTES,
    )
    data = bytearray(buffer.getvalue())
    _forge_size(data, b"xl/sharedStrings.xml", 40)
    path.write_bytes(bytes(data))


def _forge_size(data: bytearray, name: bytes, size: int) -> None:
    """Write ``size`` as the inflated size of member ``name`` in both zip headers."""
    _forge(data, name, 22, 24, size)


def _forge(data: bytearray, name: bytes, local: int, central: int, value: int) -> None:
    """Write ``value`` into a 4-byte field of member ``name``'s local and central zip
    headers, at those offsets from each header's start."""
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:
        name_len = struct.unpack_from("<H", data, at + 26)[0]
        if data[at + 30 : at + 30 + name_len] == name:
            struct.pack_into("<L", data, at + local, value)
        at += 4
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == name:
            struct.pack_into("<L", data, at + central, value)
        at += 4


def damaged_sheet(path: Path) -> None:
    """A sheet that no longer holds what its checksum says: damaged on its way, yet
    still a sheet that reads (the parser does not check the sum)."""
    buffer = io.BytesIO()
    sheet = sheet_xml(inline_row(1, HEADER) + _users())
    write_package(buffer, sheet)
    data = bytearray(buffer.getvalue())
    _forge(data, b"xl/worksheets/sheet1.xml", 14, 16, zlib.crc32(sheet.encode()) ^ 1)
    path.write_bytes(bytes(data))


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def billion_laughs(path: Path) -> None:
    """Nested entities that would expand to 3 GB, in the shared strings and the sheet."""
    shared = (
        f'<?xml version="1.0" encoding="UTF-8"?>{_LAUGHS}'
        f'<sst {_MAIN_NS} count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    rows = inline_row(1, HEADER) + '<row r="2"><c r="A2" t="s"><v>0</v></c>'
    rows += '<c r="B2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    write_package(path, sheet_xml(rows, "A1:D2", doctype=_LAUGHS), shared=shared)


def external_entity(path: Path) -> None:
    """A cell whose text is an external entity pointing at /etc/passwd."""
    doctype = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = inline_row(1, HEADER)
    rows += '<row r="2"><c r="A2" t="inlineStr"><is><t>100</t></is></c>'
    rows += '<c r="B2" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    workbook = _WORKBOOK.replace("<workbook ", f"{doctype}<workbook ", 1)
    workbook = workbook.replace('name="Users"', 'name="Users&xxe;"')
    write_package(path, sheet_xml(rows, "A1:D2", doctype=doctype), workbook=workbook)


def password_protected(path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO()
    write_package(plain, sheet_xml(inline_row(1, HEADER) + _users()))
    plain.seek(0)
    with path.open("wb") as target:
        OOXMLFile(plain).encrypt("secret", target)


def legacy_xls(path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Users")
    for col, header in enumerate(HEADER):
        sheet.write(0, col, header)
    book.save(str(path))


def fifo(path: Path) -> None:
    os.mkfifo(path)


def dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def big_field_csv(path: Path) -> None:
    """A valid CSV with one quoted cell of more than 10 MB."""
    big = "x" * BIG_FIELD_CHARS
    text = ",".join(HEADER) + f'\r\n100,ann@example.com,"{big}",Smith\r\n'
    text += "101,bob@example.com,Bob,Jones\r\n"
    path.write_bytes(text.encode("utf-8"))


def mixed_encoding_csv(path: Path) -> None:
    """UTF-8 lines, and one line saved by another program in Windows-1252."""
    lines = [
        (",".join(HEADER), "utf-8"),
        ("100,jose@example.com,José,Müller", "utf-8"),
        ("101,zoe@example.com,Zoë,Brontë", "utf-8"),
        ("102,jos@example.com,Jösé,Ångström", "cp1252"),
    ]
    path.write_bytes(b"".join(text.encode(codec) + b"\r\n" for text, codec in lines))


CORPUS: list[Hostile] = [
    Hostile("far-cell.xlsx", Outcome.REFUSED, "XFD1048576", far_cell),
    Hostile("far-cell-small-dimension.xlsx", Outcome.REFUSED, "XFD1048576", far_cell_hidden),
    Hostile("fifo.csv", Outcome.REFUSED, "not an ordinary file", fifo, posix_only=True),
    Hostile("dev-zero.csv", Outcome.REFUSED, "not an ordinary file", dev_zero, posix_only=True),
    Hostile("huge-cell.xlsx", Outcome.OPENED, "95,000,000 characters", huge_cell),
    Hostile("big-field.csv", Outcome.OPENED, "10,485,761 characters", big_field_csv),
    Hostile("mixed-encoding.csv", Outcome.OPENED, "different character set", mixed_encoding_csv),
    Hostile("control-characters.xlsx", Outcome.OPENED, "control character", control_characters),
    Hostile("control-characters.csv", Outcome.OPENED, "control character", control_characters_csv),
    Hostile("zip-bomb.xlsx", Outcome.REFUSED, "far more than a user list", zip_bomb),
    Hostile("lying-zip-bomb.xlsx", Outcome.REFUSED, "damaged", lying_zip_bomb),
    Hostile("damaged-sheet.xlsx", Outcome.REFUSED, "damaged", damaged_sheet),
    Hostile("billion-laughs.xlsx", Outcome.REFUSED, "damaged", billion_laughs),
    Hostile("external-entity.xlsx", Outcome.REFUSED, "damaged", external_entity),
    Hostile("password.xlsx", Outcome.REFUSED, "protected with a password", password_protected),
    Hostile("legacy.xls", Outcome.REFUSED, "old Excel 97-2003", legacy_xls),
]


def corpus() -> list[Hostile]:
    """The entries that can be made on this system (pipes and /dev/zero need POSIX)."""
    return [entry for entry in CORPUS if POSIX or not entry.posix_only]


def build_corpus(folder: Path) -> dict[str, Path]:
    """Write every entry into folder; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for entry in corpus():
        path = folder / entry.name
        entry.make(path)
        made[entry.name] = path
    return made


def fingerprint(path: Path) -> tuple[bytes, int]:
    """What opening must not change: the file's bytes (a link's target) and its mtime."""
    status = path.lstat()
    if path.is_symlink():
        return os.readlink(path).encode(), status.st_mtime_ns
    if not path.is_file():
        return b"", status.st_mtime_ns  # a pipe: reading it would block
    return path.read_bytes(), status.st_mtime_ns


# --- running the command line -------------------------------------------------------------


@dataclass(frozen=True)
class CheckRun:
    """One ``user-editor check`` as a separate process."""

    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def cli_command() -> list[str]:
    """The installed command, or the module when the script is not beside Python."""
    script = Path(sys.executable).with_name("user-editor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "desktop_app"]


# Runs the command and writes "exit seconds peak_kb" to the file named first. A process
# keeps the high-water memory mark of the one it was started from, so the command is
# started from this small one, not from the test run (which holds the corpus in memory).
_MEASURE = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
child.returncode = code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as report:
    report.write(f"{code} {time.perf_counter() - started} {usage.ru_maxrss}")
"""


def run_check(path: Path, timeout: float = 60.0) -> CheckRun:
    """Run ``user-editor check path``: its exit code, output, wall time and peak memory.

    Output goes to files, so a chatty child never blocks on a full pipe.
    """
    command = [*cli_command(), "check", str(path)]
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as folder,
    ):
        if POSIX:
            report = Path(folder) / "report"
            subprocess.run(
                [sys.executable, "-c", _MEASURE, str(report), *command],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
            code_text, seconds_text, peak_kb = report.read_text().split()
            code, seconds = int(code_text), float(seconds_text)
            peak = int(peak_kb) / (1024 * 1024 if sys.platform == "darwin" else 1024)
        else:
            started = time.perf_counter()
            code = subprocess.run(
                command,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            ).returncode
            seconds, peak = time.perf_counter() - started, float("nan")
        out.seek(0)
        err.seek(0)
        return CheckRun(
            code,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            peak,
        )
