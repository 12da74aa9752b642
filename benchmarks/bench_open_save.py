"""Open, edit and save benchmark of User Editor on a large Atlas download.

Run from the repository root with the project's virtual environment:

    .venv/bin/python benchmarks/bench_open_save.py            # 100,000 users (a few minutes)
    .venv/bin/python benchmarks/bench_open_save.py --quick    # 10,000 users, smoke run
    .venv/bin/python benchmarks/bench_open_save.py --rows 250000
    .venv/bin/python benchmarks/bench_open_save.py --profile  # cProfile of our open only

The workbook is generated once per size (fixed seed) and cached in benchmarks/out/, which
git ignores. Each figure is compared with a baseline measured in the same run on the same
machine, so the ratios mean something on any computer; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import traceback
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from machine import machine  # benchmarks/machine.py, beside this script

from desktop_app.models.profiles import profile_named

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
# Generated workbooks are cached outside the repository, keyed by what made them: writing a
# 1,048,574-row workbook takes minutes. BENCH_CACHE moves the cache.
CACHE = Path(os.environ.get("BENCH_CACHE", "/tmp/bench-cache"))

SEED = 20240115
# Bump when the generated workbook changes, so cached files are made again.
GENERATOR_VERSION = 3
DEFAULT_ROWS = 100_000
QUICK_ROWS = 10_000
# Share of users with one deliberate problem (bad email, duplicate, blank required cell, ...).
INVALID_SHARE = 0.01

EDIT_COUNT = 200  # single-cell edits timed one by one
SAVE_EDITS = 50  # cells edited before the timed save
SLOW = 1.0  # a measurement taking longer than this many seconds is run SLOW_RUNS times
SLOW_RUNS = 3
FAST_RUNS = 7
OPENPYXL_ONE_RUN = 20.0  # openpyxl load+save is run once when it takes longer than this

# Targets (see README): open within 1.5x of a bare calamine parse, one edit re-validated in
# under 10 ms, save at least 5x faster than openpyxl load+save, peak memory under 400 MB.
OPEN_RATIO_TARGET = 1.5
EDIT_MS_TARGET = 10.0
SAVE_SPEEDUP_TARGET = 5.0
MEMORY_MB_TARGET = 400.0

ZIP_TIME = (2024, 1, 15, 9, 0, 0)
MB = 1024 * 1024

# --- the generated download ---------------------------------------------------------------

# The Atlas profile's own columns, so the benchmark file is what the app expects.
ATLAS_HEADERS = [rule.header for rule in profile_named("atlas").columns]
EXTRA_HEADERS = ["Location", "Cost center", "Phone", "Employee type"]
HEADERS = ATLAS_HEADERS + EXTRA_HEADERS
GUIDANCE = [
    "Do not edit",
    "Required, unique",
    "Required",
    "Required",
    "Required, unique",
    "Optional",
    "Optional",
    "Email address of the manager",
    "nl, en, de or fr",
    "Active or Inactive",
    "YYYY-MM-DD",
    "Optional",
    "Optional",
    "Optional",
    "Employee, Contractor, Intern or Temp",
]
WIDTHS = [12, 18, 14, 18, 36, 18, 28, 36, 10, 10, 12, 14, 12, 16, 14]
COL = {header: index for index, header in enumerate(HEADERS)}

FIRST_NAMES = [
    "Anna",
    "Jan",
    "Sophie",
    "Daan",
    "Emma",
    "Lars",
    "Fleur",
    "Thomas",
    "Noor",
    "Bram",
    "Julia",
    "Sem",
    "Lotte",
    "Ruben",
    "Sanne",
    "Mark",
    "Maaike",
    "Iris",
    "Tim",
    "Eva",
    "Lucas",
    "Mila",
    "Finn",
    "Tess",
    "Jesse",
    "Sara",
    "Milan",
    "Zoë",
    "Levi",
    "Lieke",
    "Pierre",
    "Camille",
    "Louis",
    "Chloé",
    "Hugo",
    "Léa",
    "Jonas",
    "Lena",
    "Felix",
    "Hannah",
    "Lukas",
    "Marie",
    "Paul",
    "Charlotte",
    "Oliver",
    "Amelia",
    "Jack",
    "Olivia",
    "Harry",
    "Isla",
    "Mehmet",
    "Fatima",
    "Priya",
    "Łukasz",
    "Ewa",
    "Nina",
    "Matteo",
    "Giulia",
    "Ana",
    "Sven",
    "Ingrid",
    "Mohammed",
    "Yasmin",
    "Wei",
    "Mei",
    "Arjun",
    "Aisha",
    "Kofi",
    "Ama",
    "Björn",
    "Søren",
    "José",
    "Inês",
    "Dimitri",
    "Elif",
    "Noah",
    "Liam",
    "Femke",
    "Joris",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "van der Linden",
    "Kok",
    "Jacobs",
    "de Haan",
    "Vermeulen",
    "van Dijk",
    "Schouten",
    "de Jong",
    "Janssen",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Dubois",
    "Laurent",
    "Martin",
    "Bernard",
    "Lefèvre",
    "Moreau",
    "Fontaine",
    "Rousseau",
    "Smith",
    "Brown",
    "Wilson",
    "Taylor",
    "Davies",
    "Evans",
    "Thomas",
    "Johnson",
    "Roberts",
    "Yılmaz",
    "Kaya",
    "El Amrani",
    "Bouali",
    "Sharma",
    "Patel",
    "Nowak",
    "Kowalczyk",
    "Petrović",
    "Rossi",
    "Bianchi",
    "García",
    "Fernández",
    "Andersson",
    "Hansen",
    "Nielsen",
    "Claes",
    "Wouters",
    "Peeters",
    "Maes",
    "Willems",
    "Goossens",
    "Chen",
    "Wang",
    "Nguyen",
]
DEPARTMENTS = {
    "Sales": ["Account Manager", "Sales Representative", "Inside Sales", "Sales Manager"],
    "Marketing": ["Content Marketeer", "Marketing Specialist", "Brand Manager", "SEO Specialist"],
    "Finance": ["Controller", "Accountant", "Financial Analyst", "Payroll Administrator"],
    "HR": ["HR Advisor", "Recruiter", "Learning & Development Specialist", "HR Manager"],
    "IT": ["Software Developer", "System Administrator", "Service Desk Agent", "IT Architect"],
    "Customer Service": [
        "Customer Service Agent",
        "Team Lead Customer Service",
        "Support Engineer",
    ],
    "Operations": ["Operations Manager", "Planner", "Process Engineer", "Quality Officer"],
    "Logistics": ["Warehouse Employee", "Logistics Coordinator", "Driver", "Forklift Operator"],
    "Legal": ["Legal Counsel", "Compliance Officer", "Paralegal"],
    "R&D": ["Research Scientist", "Product Engineer", "Lab Technician", "Product Owner"],
}
LOCATIONS = [
    "Amsterdam",
    "Rotterdam",
    "Utrecht",
    "Eindhoven",
    "Den Haag",
    "Antwerpen",
    "Brussel",
    "Düsseldorf",
    "Köln",
    "Lille",
    "Paris",
    "London",
    "Remote",
]
LANGUAGES = ["nl"] * 45 + ["en"] * 30 + ["de"] * 15 + ["fr"] * 10
EMPLOYEE_TYPES = ["Employee"] * 80 + ["Contractor"] * 12 + ["Intern"] * 5 + ["Temp"] * 3
DOMAINS = ["atlas-demo.com"] * 8 + ["atlas-demo.nl", "atlas-demo.de"]


def _ascii(text: str) -> str:
    """'Łukasz Yılmaz' -> 'lukaszyilmaz': the letters an address or username would use."""
    text = text.replace("ł", "l").replace("Ł", "L").replace("ı", "i").replace("ø", "o")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def generate_users(rows: int, seed: int = SEED) -> tuple[list[list[Any]], list[dict[str, Any]]]:
    """The users as cell values (None = blank), and the list of deliberate problems."""
    rng = random.Random(seed)
    users: list[list[Any]] = []
    usernames: set[str] = set()
    emails: set[str] = set()
    user_id = 100
    start = dt.date(1995, 1, 1).toordinal()
    end = dt.date(2025, 6, 30).toordinal()
    for _ in range(rows):
        user_id += rng.choice((1, 1, 1, 1, 2, 3))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = _ascii(first[0]) + _ascii(last)
        username, n = base, 1
        while username in usernames:
            n += 1
            username = f"{base}{n}"
        usernames.add(username)
        domain = rng.choice(DOMAINS)
        local = f"{_ascii(first)}.{_ascii(last)}"
        email, n = f"{local}@{domain}", 1
        while email in emails:
            n += 1
            email = f"{local}{n}@{domain}"
        emails.add(email)
        department = rng.choice(list(DEPARTMENTS))
        users.append(
            [
                f"{user_id:07d}",
                username,
                first,
                last,
                email,
                department,
                rng.choice(DEPARTMENTS[department]),
                None,
                rng.choice(LANGUAGES),
                "Active" if rng.random() < 0.9 else "Inactive",
                dt.date.fromordinal(rng.randint(start, end)),
                rng.choice(LOCATIONS),
                f"CC-{rng.randint(1000, 9999)}",
                f"+31 6 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                rng.choice(EMPLOYEE_TYPES),
            ]
        )
    # One user in 25 is a manager; 2% have no manager (the top of the organisation).
    managers = [u[COL["Email"]] for u in users[::25]] or [users[0][COL["Email"]]]
    for user in users:
        if rng.random() >= 0.02:
            manager = rng.choice(managers)
            user[COL["Manager email"]] = manager if manager != user[COL["Email"]] else None
    return users, _spoil(users, rng)


PROBLEM_KINDS = [  # (kind, weight)
    ("bad email", 20),
    ("duplicate email", 15),
    ("duplicate username", 8),
    ("blank required", 15),
    ("status typo", 12),
    ("bad language", 6),
    ("bad manager email", 8),
    ("stray whitespace", 8),
    ("date as text", 6),
    ("duplicate user id", 2),
]


def _spoil(users: list[list[Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Give about INVALID_SHARE of the users one deliberate problem each."""
    count = max(1, round(len(users) * INVALID_SHARE)) if len(users) > 1 else 0
    chosen = rng.sample(range(len(users)), count)
    spoiled = set(chosen)
    kinds = [k for k, _ in PROBLEM_KINDS]
    weights = [w for _, w in PROBLEM_KINDS]
    problems = []
    for row in chosen:
        kind = rng.choices(kinds, weights)[0]
        user = users[row]
        other = rng.randrange(len(users))
        while other == row or other in spoiled:
            other = rng.randrange(len(users))
        if kind == "bad email":
            col, email = COL["Email"], user[COL["Email"]]
            local, domain = email.split("@")
            value = rng.choice(
                [
                    f"{local}.{domain}",
                    f"{local} @{domain}",
                    f"{local}..x@{domain}",
                    f"{local}@@{domain}",
                    f"{local}@{domain.split('.')[0]}",
                    f"{local}@{domain}.",
                ]
            )
        elif kind == "duplicate email":
            col, value = COL["Email"], users[other][COL["Email"]]
            if rng.random() < 0.3:
                value = value.capitalize()  # same address, other case: still a duplicate
        elif kind == "duplicate username":
            col, value = COL["Username"], users[other][COL["Username"]]
        elif kind == "blank required":
            col = rng.choice([COL["Username"], COL["First name"], COL["Last name"], COL["Email"]])
            value = None
        elif kind == "status typo":
            col = COL["Status"]
            value = rng.choice(["Actve", "active", "Inactief", "Disabled", "Active ", "Inactve"])
        elif kind == "bad language":
            col, value = COL["Language"], rng.choice(["English", "Dutch", "Deutsch", "n l"])
        elif kind == "bad manager email":
            col = COL["Manager email"]
            value = rng.choice(
                ["manager@atlas-demo", "j.devries.atlas-demo.com", "hr @atlas-demo.com"]
            )
        elif kind == "stray whitespace":
            col = rng.choice([COL["First name"], COL["Last name"]])
            value = user[col] + rng.choice([" ", "\u00a0"])
        elif kind == "date as text":
            col = COL["Hire date"]
            value = rng.choice(["15/03/2019", "2019-02-30", "March 2018", "01-07-2021"])
        else:  # duplicate user id
            col, value = COL["User ID"], users[other][COL["User ID"]]
        user[col] = value
        problems.append(
            {"excel_row": row + 3, "column": HEADERS[col], "kind": kind, "value": value}
        )
    return problems


def workbook_name(rows: int, inline: bool) -> str:
    """users-<rows>-g<generator>-s<seed>[-inline].xlsx: every parameter in the name."""
    strings = "-inline" if inline else ""
    return f"users-{rows}-g{GENERATOR_VERSION}-s{SEED}{strings}.xlsx"


def ensure_workbook(rows: int, inline: bool, regenerate: bool) -> Path:
    """The cached workbook for this size, generated when missing or out of date."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / workbook_name(rows, inline)
    meta_path = path.with_suffix(".json")
    meta = {
        "generator": GENERATOR_VERSION,
        "rows": rows,
        "seed": SEED,
        "invalid_share": INVALID_SHARE,
        "strings": "inline" if inline else "shared",
    }
    if not regenerate and path.exists() and meta_path.exists():
        try:
            if json.loads(meta_path.read_text(encoding="utf-8"))["meta"] == meta:
                return path
        except (ValueError, KeyError):
            pass
    log(f"generating {path.name} ({rows:,} users, seed {SEED}) ...")
    started = time.perf_counter()
    users, problems = generate_users(rows)
    raw = io.BytesIO()
    write_openpyxl(users, raw)
    del users
    data = raw.getvalue() if inline else to_shared_strings(raw.getvalue())
    temp = path.with_suffix(".tmp")
    temp.write_bytes(data)
    os.replace(temp, path)
    meta_path.write_text(
        json.dumps({"meta": meta, "problems": problems}, indent=1, ensure_ascii=False),
        encoding="utf-8",
    )
    log(
        f"  written in {time.perf_counter() - started:.1f} s: {len(data) / MB:.1f} MB, "
        f"{len(problems):,} deliberate problems (listed in {meta_path.name})"
    )
    return path


def write_openpyxl(users: list[list[Any]], target: io.BytesIO) -> None:
    """The download as openpyxl's write-only mode writes it: styled titles, guidance, dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook(write_only=True)
    fixed = dt.datetime(2024, 1, 15, 9, 0, 0)
    wb.properties.creator = "Atlas LMS"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    ws = wb.create_sheet("Users")
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"
    status = get_column_letter(COL["Status"] + 1)
    dropdown = DataValidation(type="list", formula1='"Active,Inactive"', allow_blank=True)
    dropdown.add(f"{status}3:{status}{len(users) + 2}")
    ws.data_validations.append(dropdown)
    bold = Font(bold=True)
    fill = PatternFill(fill_type="solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
    grey = Font(italic=True, color="FF808080")
    titles = []
    for header in HEADERS:
        cell = WriteOnlyCell(ws, header)
        cell.font, cell.fill = bold, fill
        titles.append(cell)
    ws.append(titles)
    guidance = []
    for text in GUIDANCE:
        cell = WriteOnlyCell(ws, text)
        cell.font = grey
        guidance.append(cell)
    ws.append(guidance)
    for user in users:
        ws.append(user)  # a datetime.date gets the number format yyyy-mm-dd
    wb.save(target)


_INLINE_CELL = re.compile(rb'<c ([^>]*?) ?t="inlineStr"><is>(<t(?: [^>]*)?>[^<]*</t>)</is></c>')
_SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def to_shared_strings(xlsx: bytes) -> bytes:
    """The package with every inline string moved to a shared string table, as Excel writes.

    openpyxl 3.1 writes each text cell as an inline string (<is>); Excel, and most tools
    that make downloads, put the text in xl/sharedStrings.xml and refer to it by index.
    """
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    table: dict[bytes, int] = {}
    total = 0

    def shared(match: re.Match[bytes]) -> bytes:
        nonlocal total
        total += 1
        index = table.setdefault(match.group(2), len(table))
        return b"<c " + match.group(1) + b' t="s"><v>' + str(index).encode() + b"</v></c>"

    parts: dict[str, bytes] = {}
    for info in src.infolist():
        data = src.read(info)
        if info.filename.startswith("xl/worksheets/sheet"):
            data = _INLINE_CELL.sub(shared, data)
        elif info.filename == "[Content_Types].xml":
            override = (
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + _SST_TYPE + b'"/>'
            )
            data = data.replace(b"</Types>", override + b"</Types>")
        elif info.filename == "xl/_rels/workbook.xml.rels":
            rel = (
                b'<Relationship Id="rIdSharedStrings" Type="'
                + _SST_REL
                + b'" Target="sharedStrings.xml"/>'
            )
            data = data.replace(b"</Relationships>", rel + b"</Relationships>")
        parts[info.filename] = data
    items = b"".join(b"<si>" + text + b"</si>" for text in table)
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="'
        + str(total).encode()
        + b'" uniqueCount="'
        + str(len(table)).encode()
        + b'">'
        + items
        + b"</sst>"
    )
    order = ["[Content_Types].xml"] + [n for n in parts if n != "[Content_Types].xml"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in order:
            dst.writestr(
                zipfile.ZipInfo(name, ZIP_TIME), parts[name], compress_type=zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


# --- timing --------------------------------------------------------------------------------


@dataclass
class Result:
    key: str
    label: str
    value: float | None  # in `unit`
    unit: str  # "s", "ms" or "MB"
    runs: int = 0
    samples: list[float] = field(default_factory=list)
    ratio: float | None = None
    ratio_label: str = ""
    target: str = ""
    passed: bool | None = None
    note: str = ""
    error: str = ""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def best_of(
    label: str,
    fn: Callable[[], Any],
    *,
    before: Callable[[], None] | None = None,
    fast_runs: int = FAST_RUNS,
) -> tuple[float, list[float], Any]:
    """Best (minimum) wall time of fn over N runs: 3 when a run takes over SLOW seconds."""
    times: list[float] = []
    runs: int | None = None
    result = None
    while runs is None or len(times) < runs:
        result = None  # let the previous run's result go before the next run
        if before is not None:
            before()
        gc.collect()
        started = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        if runs is None:
            runs = SLOW_RUNS if elapsed > SLOW else fast_runs
        log(f"  {label}: run {len(times)}/{runs} {elapsed:.3f} s")
    return min(times), times, result


def failure(key: str, label: str, unit: str, error: BaseException) -> Result:
    log(f"  {label} FAILED: {error!r}")
    log("".join(traceback.format_exception(error)))
    return Result(key, label, None, unit, error=f"{type(error).__name__}: {error}")


# --- the measurements ----------------------------------------------------------------------


def calamine_parse(path: Path) -> list[list[Any]]:
    import python_calamine

    return python_calamine.load_workbook(path).get_sheet_by_index(0).to_python()


@dataclass
class Edit:
    what: str
    row: int
    col: int
    value: str
    expect: set[str] | None  # issue kinds the cell must show afterwards (None: don't check)
    partner: tuple[int, bool] | None = None  # (row, must it show a duplicate?)


class EditPlan:
    """200 single-cell edits spread over the file, each with what it must leave behind."""

    def __init__(self, document: Any, count: int) -> None:
        self.doc = document
        self.count = count
        n = document.row_count
        self.spread = [min(n - 1, int((k + 0.5) * n / count)) for k in range(count)]
        self.used: set[int] = set()
        email = COL["Email"]
        problems = document.validator.problems
        self.file_duplicates = sorted(
            r
            for r, cells in problems.items()
            if any(i.kind == "duplicate" for i in cells.get(email, ()))
        )
        self.file_bad_emails = sorted(
            r
            for r, cells in problems.items()
            if any(i.kind == "email" for i in cells.get(email, ()))
        )

    def clean_row(self, at: int) -> int:
        """The first row from ``at`` on with no issues that no other edit touched."""
        n = self.doc.row_count
        row = at
        while self.doc.row_has_issues(row) or row in self.used:
            row = (row + 1) % n
        self.used.add(row)
        return row

    def from_list(self, rows: list[int], at: int) -> int | None:
        candidates = [r for r in rows if r not in self.used]
        if not candidates:
            return None
        row = min(candidates, key=lambda r: abs(r - at))
        self.used.add(row)
        return row

    def edits(self) -> Any:
        doc, email, user = self.doc, COL["Email"], COL["Username"]
        previous: Edit | None = None
        for k in range(self.count):
            kind = k % 20
            at = self.spread[k]
            if kind in (1, 3, 5) and previous is not None:
                # Undo the previous edit: removes the duplicate / fixes the email it made.
                old = doc.original(previous.row, previous.col)
                partner = (previous.partner[0], False) if previous.partner else None
                edit = Edit(
                    f"restore {HEADERS[previous.col]} ({previous.what} undone)",
                    previous.row,
                    previous.col,
                    old,
                    set(),
                    partner,
                )
            elif kind in (0, 10):
                row, other = (
                    self.clean_row(at),
                    self.clean_row((at + doc.row_count // 2) % doc.row_count),
                )
                value = doc.value(other, email)
                if kind == 10:
                    value = value.upper()  # emails are compared ignoring case
                edit = Edit(
                    "email made a duplicate", row, email, value, {"duplicate"}, (other, True)
                )
            elif kind == 2:
                row = self.clean_row(at)
                value = doc.value(row, email).replace("@", " at ")
                edit = Edit("email made invalid", row, email, value, {"email"})
            elif kind == 4:
                row, other = (
                    self.clean_row(at),
                    self.clean_row((at + doc.row_count // 3) % doc.row_count),
                )
                edit = Edit(
                    "username made a duplicate",
                    row,
                    user,
                    doc.value(other, user),
                    {"duplicate"},
                    (other, True),
                )
            elif kind == 11:
                row = self.from_list(self.file_duplicates, at)
                if row is None:
                    row = self.clean_row(at)
                key = doc.value(row, email).strip().casefold()
                group = doc.validator.unique[email].rows_with(key)
                partner = None
                expect: set[str] | None = None
                if len(group) == 2:
                    other = group[0] if group[1] == row else group[1]
                    partner, expect = (other, False), set()
                edit = Edit(
                    "file's duplicate email fixed",
                    row,
                    email,
                    f"fixed.duplicate.{k}@atlas-demo.com",
                    expect,
                    partner,
                )
            elif kind == 12:
                row = self.from_list(self.file_bad_emails, at)
                if row is None:
                    row = self.clean_row(at)
                edit = Edit(
                    "file's invalid email fixed",
                    row,
                    email,
                    f"fixed.address.{k}@atlas-demo.com",
                    set(),
                )
            else:
                row = self.clean_row(at)
                col, value, expect = {
                    6: (COL["Status"], "Actve", {"choice"}),
                    7: (COL["First name"], "", {"required"}),
                    8: (COL["Hire date"], "31/02/2020", {"date"}),
                    9: (COL["Job title"], "Senior " + doc.value(row, COL["Job title"]), set()),
                    13: (
                        COL["Status"],
                        "Inactive" if doc.value(row, COL["Status"]) == "Active" else "Active",
                        set(),
                    ),
                    14: (COL["Language"], "English", {"language"}),
                    15: (COL["Manager email"], "boss@@atlas-demo.com", {"email"}),
                    16: (COL["Last name"], doc.value(row, COL["Last name"]) + " ", {"whitespace"}),
                    17: (COL["Hire date"], "2020-01-01", set()),
                    18: (
                        COL["Department"],
                        "Legal" if doc.value(row, COL["Department"]) != "Legal" else "Sales",
                        set(),
                    ),
                    19: (email, f"new.address.{k}@atlas-demo.com", set()),
                }[kind]
                what = f"{HEADERS[col]} set to {value!r}"
                edit = Edit(what, row, col, value, expect)
            previous = edit
            yield edit


def measure_edits(document: Any, count: int) -> tuple[Result, Result, list[str]]:
    """Time `apply(edits_for(...))` for each single-cell edit; check what each left behind."""
    plan = EditPlan(document, count)
    times: list[tuple[float, str]] = []
    wrong: list[str] = []
    gc.collect()
    for edit in plan.edits():
        started = time.perf_counter()
        edits = document.edits_for([(edit.row, edit.col, edit.value)])
        document.apply(edits)
        elapsed = (time.perf_counter() - started) * 1000
        times.append((elapsed, edit.what))
        if not edits:
            wrong.append(f"edit '{edit.what}' at row {edit.row} changed nothing")
            continue
        kinds = {i.kind for i in document.cell_issues(edit.row, edit.col)}
        if edit.expect is not None and kinds != edit.expect:
            wrong.append(
                f"after '{edit.what}' (data row {edit.row}, {HEADERS[edit.col]}) the "
                f"cell shows {sorted(kinds)}, expected {sorted(edit.expect)}"
            )
        if edit.partner is not None:
            other, duplicate = edit.partner
            other_kinds = {i.kind for i in document.cell_issues(other, edit.col)}
            if ("duplicate" in other_kinds) != duplicate:
                wrong.append(
                    f"after '{edit.what}' (data row {edit.row}) the other row {other} "
                    f"shows {sorted(other_kinds)}"
                )
    values = [t for t, _ in times]
    slowest = max(times)
    median = Result(
        "edit_median",
        f"One edit re-validated, median of {len(values)}",
        statistics.median(values),
        "ms",
        runs=len(values),
    )
    p95 = sorted(values)[int(0.95 * (len(values) - 1))]
    worst = Result(
        "edit_max",
        f"One edit re-validated, max of {len(values)}",
        slowest[0],
        "ms",
        runs=len(values),
        note=f"p95 {p95:.3f} ms; slowest: {slowest[1]}",
    )
    for result in (median, worst):
        result.samples = values
        result.target = f"< {EDIT_MS_TARGET:g} ms"
        result.passed = result.value is not None and result.value < EDIT_MS_TARGET
    return median, worst, wrong


def save_edits(document: Any, count: int) -> list[tuple[int, int, str]]:
    """`count` valid edits spread over the file and over the editable columns."""
    columns = [
        COL[h]
        for h in (
            "Department",
            "Job title",
            "Location",
            "Status",
            "Phone",
            "Last name",
            "Cost center",
            "Employee type",
            "Email",
        )
    ]
    n = document.row_count
    changes = []
    for k in range(count):
        row = min(n - 1, int((k + 0.5) * n / count))
        col = columns[k % len(columns)]
        old = document.value(row, col)
        if col == COL["Status"]:
            new = "Inactive" if old == "Active" else "Active"
        elif col == COL["Email"]:
            new = f"saved.{k}@atlas-demo.com"
        else:
            new = f"{old} (edited {k})" if old else f"edited {k}"
        changes.append((row, col, new))
    return changes


def verify_save(document: Any, target: Path, changes: list[tuple[int, int, str]]) -> list[str]:
    """Read the saved file back: edited cells hold the new text, the rest is unchanged."""
    import python_calamine

    from desktop_app.models.readers import cell_text

    loaded = document.loaded
    rows = (
        python_calamine.load_workbook(target)
        .get_sheet_by_name(loaded.sheet_name)
        .to_python(skip_empty_area=False)
    )
    source = (
        python_calamine.load_workbook(io.BytesIO(loaded.source))
        .get_sheet_by_name(loaded.sheet_name)
        .to_python(skip_empty_area=False)
    )
    wrong = []
    if len(rows) != len(source):
        wrong.append(f"saved sheet has {len(rows):,} rows, the original {len(source):,}")
    edited = {(loaded.data_start + r, loaded.first_column + c): v for r, c, v in changes}
    for (r, c), value in edited.items():
        got = cell_text(rows[r][c]) if r < len(rows) and c < len(rows[r]) else None
        if got != value:
            wrong.append(f"saved cell row {r + 1} col {c + 1} holds {got!r}, expected {value!r}")
    differing = sum(
        1
        for r in range(min(len(rows), len(source)))
        for c in range(len(source[r]))
        if (r, c) not in edited and (c >= len(rows[r]) or rows[r][c] != source[r][c])
    )
    if differing:
        wrong.append(f"{differing:,} cells that were not edited differ after the save")
    return wrong[:10]


def openpyxl_load_save(path: Path, target: Path) -> tuple[float, float]:
    import openpyxl

    started = time.perf_counter()
    wb = openpyxl.load_workbook(path)
    loaded = time.perf_counter()
    wb.save(target)
    saved = time.perf_counter()
    del wb
    return loaded - started, saved - loaded


# --- peak memory in fresh processes --------------------------------------------------------

# A small launcher starts the measured process. On Linux a child's ru_maxrss starts from the
# resident size of the process that forked it (the kernel keeps the old address space's high
# water mark across exec), so a child forked straight from this large process would report
# this process's memory, not its own.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def max_rss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KB elsewhere


def child_main(kind: str, path: Path, target: Path) -> None:
    """Run in a fresh process: do one job, print its peak memory as JSON."""
    report: dict[str, Any] = {"kind": kind}
    try:
        if kind == "calamine":
            rows = calamine_parse(path)
            report["rows"] = len(rows)
        else:
            from desktop_app.models.document import open_document
            from desktop_app.models.writers import save

            document = open_document(path)
            row = document.row_count // 2
            col = document.headers.index("Job title")
            document.apply(document.edits_for([(row, col, "Peak memory tester")]))
            save(document, target)
            report["rows"] = document.row_count
    except Exception as error:  # noqa: BLE001 - reported, with the peak reached so far
        report["error"] = f"{type(error).__name__}: {error}"
    report["max_rss_bytes"] = max_rss_bytes()
    print(json.dumps(report))


def peak_memory(kind: str, label: str, path: Path, target: Path) -> Result:
    command = [
        sys.executable,
        "-c",
        LAUNCHER,
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        str(path),
        str(target),
    ]
    log(f"  {label}: fresh process ...")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Result(
            f"memory_{kind}",
            label,
            None,
            "MB",
            error=f"child failed (exit {done.returncode}): {done.stderr[-500:]}",
        )
    peak = report.get("max_rss_bytes")
    result = Result(
        f"memory_{kind}",
        label,
        None if peak is None else peak / MB,
        "MB",
        runs=1,
        error=report.get("error", ""),
    )
    if result.error:
        result.note = "the job raised an exception: this is the peak reached until then"
    log(
        f"    {result.value if result.value is None else round(result.value, 1)} MB"
        + (f" ({result.error})" if result.error else "")
    )
    return result


# --- the run -------------------------------------------------------------------------------


def run(path: Path, rows: int) -> dict[str, Any]:
    from desktop_app.models.document import UserDocument, open_document
    from desktop_app.models.readers import read_file
    from desktop_app.models.writers import save

    results: dict[str, Result] = {}
    problems: list[str] = []
    save_target = OUT / "saved-by-user-editor.xlsx"
    openpyxl_target = OUT / "saved-by-openpyxl.xlsx"

    log("baseline A: bare python-calamine parse")
    best, times, parsed = best_of("calamine parse", lambda: calamine_parse(path))
    results["calamine"] = Result(
        "calamine",
        "Baseline A: python-calamine parse",
        best,
        "s",
        len(times),
        times,
        note=f"{len(parsed):,} rows x {len(parsed[0]) if parsed else 0} columns",
    )
    del parsed
    base = best

    log("ours: read_file (parse + text), then full validation alone")
    loaded = None
    try:
        best, times, loaded = best_of("read_file", lambda: read_file(path))
        results["read"] = Result(
            "read",
            "Ours: read_file (parse + convert to text)",
            best,
            "s",
            len(times),
            times,
            best / base,
            "x parse",
        )
    except Exception as error:  # noqa: BLE001 - reported in the table
        results["read"] = failure("read", "Ours: read_file", "s", error)

    document = None
    if loaded is not None:
        try:
            document = UserDocument(loaded, validate=False)

            validator = document.validator

            def cold_caches() -> None:  # as on a fresh open: nothing checked yet
                for checker in validator.checkers:
                    checker.check.cache_clear()

            best, times, _ = best_of("validate_all", validator.validate_all, before=cold_caches)
            results["validate"] = Result(
                "validate",
                "Ours: full validation alone (validate_all)",
                best,
                "s",
                len(times),
                times,
                best / base,
                "x parse",
                note=f"{document.validator.rows_with_issues:,} rows with issues",
            )
        except Exception as error:  # noqa: BLE001
            results["validate"] = failure("validate", "Ours: full validation", "s", error)
            document = None
    loaded = None

    log("ours: open = open_document(path)")
    opened = None
    try:
        best, times, opened = best_of("open", lambda: open_document(path))
        results["open"] = Result(
            "open",
            "Ours: open (parse + text + full validation)",
            best,
            "s",
            len(times),
            times,
            best / base,
            "x parse",
            f"<= {OPEN_RATIO_TARGET:g}x parse",
            best / base <= OPEN_RATIO_TARGET,
            note=f"{opened.row_count:,} users, {opened.validator.rows_with_issues:,} with issues",
        )
    except Exception as error:  # noqa: BLE001
        results["open"] = failure("open", "Ours: open", "s", error)

    if document is not None:
        log(f"ours: {EDIT_COUNT} single-cell edits, each re-validated")
        try:
            median, worst, wrong = measure_edits(document, EDIT_COUNT)
            results["edit_median"], results["edit_max"] = median, worst
            problems += [f"edit check: {w}" for w in wrong]
            log(f"  median {median.value:.3f} ms, max {worst.value:.3f} ms")
        except Exception as error:  # noqa: BLE001
            results["edit_median"] = failure("edit_median", "One edit re-validated", "ms", error)
    document = validator = None

    if opened is not None:
        log(f"ours: save with {SAVE_EDITS} edited cells")
        try:
            changes = save_edits(opened, SAVE_EDITS)
            opened.apply(opened.edits_for(changes))
            document_to_save = opened
            best, times, _ = best_of("save", lambda: save(document_to_save, save_target))
            results["save"] = Result(
                "save", f"Ours: save with {SAVE_EDITS} edited cells", best, "s", len(times), times
            )
            wrong = verify_save(opened, save_target, changes)
            problems += [f"save check: {w}" for w in wrong]
            results["save"].note = (
                "saved file read back: edited cells new, all others equal"
                if not wrong
                else "saved file read back: WRONG, see problems"
            )
        except Exception as error:  # noqa: BLE001
            results["save"] = failure(
                "save", f"Ours: save with {SAVE_EDITS} edited cells", "s", error
            )
    opened = document_to_save = None
    gc.collect()

    log("baseline B: openpyxl load_workbook + save")
    times, parts = [], []
    while True:
        gc.collect()
        load_s, save_s = openpyxl_load_save(path, openpyxl_target)
        times.append(load_s + save_s)
        parts.append((load_s, save_s))
        log(f"  openpyxl: run {len(times)} {load_s:.1f} s load + {save_s:.1f} s save")
        if times[0] > OPENPYXL_ONE_RUN or len(times) >= SLOW_RUNS:
            break
    gc.collect()
    best = min(times)
    load_s, save_s = parts[times.index(best)]
    note = f"{load_s:.1f} s load + {save_s:.1f} s save"
    if len(times) == 1:
        note += f"; one run, as it takes over {OPENPYXL_ONE_RUN:g} s"
    results["openpyxl"] = Result(
        "openpyxl", "Baseline B: openpyxl load + save", best, "s", len(times), times, note=note
    )
    save_result = results.get("save")
    if save_result is not None and save_result.value:
        save_result.ratio = best / save_result.value
        save_result.ratio_label = "x faster than B"
        save_result.target = f">= {SAVE_SPEEDUP_TARGET:g}x faster than B"
        save_result.passed = save_result.ratio >= SAVE_SPEEDUP_TARGET and not any(
            p.startswith("save check") for p in problems
        )

    log("peak memory (max RSS), each in a fresh process")
    calamine_memory = peak_memory(
        "calamine", "Peak memory: bare calamine parse", path, OUT / "unused.xlsx"
    )
    ours_memory = peak_memory(
        "ours", "Peak memory: our open + one edit + save", path, OUT / "saved-by-memory-run.xlsx"
    )
    ours_memory.target = f"< {MEMORY_MB_TARGET:g} MB"
    ours_memory.passed = (
        ours_memory.value is not None
        and ours_memory.value < MEMORY_MB_TARGET
        and not ours_memory.error
    )
    if ours_memory.value and calamine_memory.value:
        ours_memory.ratio = ours_memory.value / calamine_memory.value
        ours_memory.ratio_label = "x calamine"
    results[calamine_memory.key] = calamine_memory
    results[ours_memory.key] = ours_memory
    for key, result in results.items():
        if result.error:
            problems.append(f"{result.label}: {result.error}")
            if key in ("open", "save", "edit_median", "memory_ours"):
                result.passed = False
    for temp in (save_target, openpyxl_target, OUT / "saved-by-memory-run.xlsx"):
        temp.unlink(missing_ok=True)

    order = [
        "calamine",
        "read",
        "validate",
        "open",
        "edit_median",
        "edit_max",
        "openpyxl",
        "save",
        "memory_calamine",
        "memory_ours",
    ]
    return {
        "generated": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine("python-calamine", "openpyxl", "pandas", "numpy"),
        "file": {
            "name": path.name,
            "rows": rows,
            "columns": len(HEADERS),
            "size_mb": round(path.stat().st_size / MB, 2),
        },
        "results": [asdict(results[k]) for k in order if k in results],
        "problems": problems,
    }


# --- reporting -----------------------------------------------------------------------------


def shown(result: dict[str, Any]) -> str:
    value, unit = result["value"], result["unit"]
    if value is None:
        return "error"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.3f} ms"
    return f"{value:.0f} MB"


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    for r in report["results"]:
        ratio = f"{r['ratio']:.2f}{r['ratio_label']}" if r["ratio"] is not None else ""
        status = "" if r["passed"] is None else ("PASS" if r["passed"] else "FAIL")
        rows.append(
            [r["label"], shown(r), str(r["runs"] or ""), ratio, f"{r['target']} {status}".strip()]
        )
    return rows


HEAD = ["Measurement", "Result (best)", "Runs", "vs baseline", "Target"]


def plain_table(report: dict[str, Any]) -> str:
    rows = [HEAD] + table_rows(report)
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEAD))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    m, f = report["machine"], report["file"]
    lines = [
        f"Benchmark of {f['name']} ({f['rows']:,} users x {f['columns']} columns, "
        f"{f['size_mb']} MB), {report['generated']}",
        "",
        "| " + " | ".join(HEAD) + " |",
        "|" + "|".join(["---", "---:", "---:", "---:", "---"]) + "|",
    ]
    lines += [
        "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table_rows(report)
    ]
    notes = [f"{r['label']}: {r['note']}" for r in report["results"] if r["note"]]
    lines += ["", *[f"- {n}" for n in notes]]
    lines += [
        "",
        f"Machine: {m['platform']}, {m['cpu']}, {m['cpu_count']} CPUs; Python {m['python']}, "
        f"python-calamine {m['python-calamine']}, openpyxl {m['openpyxl']}, pandas "
        f"{m['pandas']}, numpy {m['numpy']}.",
    ]
    if report["problems"]:
        lines += ["", "Problems found:", *[f"- {p}" for p in report["problems"]]]
    return "\n".join(lines)


def profile_open(path: Path) -> None:
    """cProfile of open_document(path): top 25 by cumulative and by own time."""
    import cProfile
    import pstats

    from desktop_app.models.document import open_document

    open_document(path)  # imports and caches warm, as in the timed runs
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    open_document(path)
    profiler.disable()
    target = OUT / "open.prof"
    profiler.dump_stats(target)
    for order in ("cumulative", "tottime"):
        print(f"\n=== our open, sorted by {order} (top 25) ===")
        pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(25)
    print(f"(full profile in {target}; view with: python -m pstats {target})")


def zip_rewrite(source: Path, target: Path) -> None:
    """The least any saver that rewrites the sheet does: every part inflated and deflated."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info, old.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)


def save_only(path: Path, runs: int, verify: bool) -> None:
    """Only the save of 50 edited cells, as make benchmark's model figure times it.

    The workbook is opened once, untimed; then each round times zipfile rewriting every
    part (the baseline) and our save, in turn. Prints every time, the medians, the saved
    file's size beside the source's and the 1-minute load average before and after.
    """
    import tempfile

    from desktop_app.models.document import open_document
    from desktop_app.models.writers import save

    log(f"opening {path.name} (untimed)")
    document = open_document(path)
    changes = save_edits(document, 50)
    document.apply(document.edits_for(changes))
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    times: dict[str, list[float]] = {"zipfile": [], "save": []}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(dir=CACHE) as temp:
        target = Path(temp) / "saved.xlsx"
        for round_number in range(runs):
            for key, job in (
                ("zipfile", lambda: zip_rewrite(path, target)),
                ("save", lambda: save(document, target)),
            ):
                gc.collect()
                started = time.perf_counter()
                job()
                times[key].append(time.perf_counter() - started)
                sizes[key] = target.stat().st_size
                log(f"  {key}: {times[key][-1]:.2f} s")
                if key == "save" and verify and round_number == runs - 1:
                    wrong = verify_save(document, target, changes)
                    print(
                        "read back:", "; ".join(wrong) or "the 50 cells new, every other cell equal"
                    )
                target.unlink()
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    source = path.stat().st_size
    for key, samples in times.items():
        print(
            f"{key}: median {statistics.median(samples):.2f} s of {runs} "
            f"({', '.join(f'{t:.2f}' for t in samples)}); "
            f"file {sizes[key] / 2**20:.1f} MiB, {sizes[key] / source:.2f}x the source"
        )
    print(f"1-minute load average: {load_before} before, {load_after} after")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_ROWS,
        help=f"users in the generated workbook (default {DEFAULT_ROWS:,})",
    )
    parser.add_argument("--quick", action="store_true", help=f"smoke run on {QUICK_ROWS:,} users")
    parser.add_argument(
        "--profile", action="store_true", help="only profile our open with cProfile (no timings)"
    )
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="write the workbook again even if a cached one exists",
    )
    parser.add_argument(
        "--inline-strings",
        action="store_true",
        help="keep openpyxl's inline strings instead of a shared string table",
    )
    parser.add_argument(
        "--save-only",
        action="store_true",
        help="only time the save of 50 edited cells beside a zipfile rewrite, --runs times",
    )
    parser.add_argument("--runs", type=int, default=3, help="rounds of --save-only (default 3)")
    parser.add_argument(
        "--verify", action="store_true", help="with --save-only: read the last save back"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, path, target = args.child
        child_main(kind, Path(path), Path(target))
        return 0
    rows = QUICK_ROWS if args.quick else args.rows
    if rows < 2:
        parser.error("--rows must be at least 2")
    path = ensure_workbook(rows, args.inline_strings, args.regenerate)
    if args.profile:
        profile_open(path)
        return 0
    if args.save_only:
        save_only(path, args.runs, args.verify)
        return 0
    report = run(path, rows)
    results_path = OUT / "results.json"
    results_path.write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print()
    print(plain_table(report))
    if report["problems"]:
        print("\nProblems found:")
        for problem in report["problems"]:
            print(f"  - {problem}")
    print(f"\nResults written to {results_path.relative_to(HERE.parent)}\n")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
