"""Reading a platform's download into text columns, as a person sees it in Excel.

Every value becomes the text Excel shows: leading zeros stay, long numeric IDs
never turn into 1.23E+17 or 123.0, dates become YYYY-MM-DD and blank stays blank.
Rows above the header (and a profile's guidance rows below it) are kept apart
and never touched. All checks on a file happen here, before any parser sees it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from desktop_app.models.errors import FileProblem
from desktop_app.models.profiles import (
    Profile,
    detect,
    generic_profile,
    normalise_header,
    profile_named,
)

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
HEADER_SEARCH_ROWS = 12
# A zip that inflates more than this many times over, past MAX_INFLATED, is refused.
MAX_RATIO = 100
MAX_INFLATED = 2 * 1024**3
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Progress = Callable[[str], None]


@dataclass
class CsvFormat:
    """How a text file was written, so a save writes it the same way."""

    encoding: str
    bom: bytes
    delimiter: str
    quote_all: bool
    line_terminator: str
    lines: list[str]
    # Per data row: the [start, end) range of physical lines it came from.
    spans: list[tuple[int, int]]


@dataclass
class LoadedFile:
    """A download as read: where the users are in it, and their values as text columns."""

    path: Path
    kind: str  # "xlsx" or "csv"
    profile: Profile
    headers: list[str]
    columns: list[list[str]]
    header_row: int  # 0-based row of the header in the sheet or file
    data_start: int  # 0-based row of the first user
    first_column: int = 0  # 0-based sheet column of headers[0]
    sheet_name: str | None = None
    preamble: list[list[str]] = field(default_factory=list)
    csv_format: CsvFormat | None = None
    dropdowns: dict[int, list[str]] = field(default_factory=dict)
    # The file's bytes as read, so saving patches what was opened even if the file moves.
    source: bytes = b""
    # Each column's distinct values as read (None: too many), for the first validation.
    distinct: list[set[str] | None] | None = None

    @property
    def row_count(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    @property
    def is_new(self) -> bool:
        """Made here (downloaded from a server), not read from a file."""
        return not self.source and self.csv_format is None

    def excel_row(self, row: int) -> int:
        """The row number Excel shows for data row ``row``."""
        return self.data_start + row + 1


# --- values as Excel shows them -------------------------------------------------


def cell_text(value: Any) -> str:
    """The text a person sees in Excel for a value from the parser."""
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _texts(values: Sequence[Any]) -> list[str]:
    return [v if v.__class__ is str else cell_text(v) for v in values]


# --- finding the header ----------------------------------------------------------


def _looks_like_header(row: Sequence[str]) -> bool:
    cells = [c.strip() for c in row if c.strip()]
    if len(cells) < 2:
        return False
    data_like = sum("@" in c or _NUMBER.fullmatch(c) is not None for c in cells)
    return data_like == 0


_NUMBER = re.compile(r"[-+]?\d[\d.,:/ -]*")


def find_header(
    rows: Sequence[Sequence[str]], forced: Profile | None = None
) -> tuple[int, Profile]:
    """The header row among the first rows, and the profile that fits it."""
    search = rows[:HEADER_SEARCH_ROWS]
    if forced is not None and not forced.generic:
        scores = [forced.match_score(r) for r in search]
        best = max(range(len(search)), key=lambda i: scores[i], default=0)
        if search and scores[best] > 0:
            return best, forced
        raise FileProblem(
            f"This file does not have the columns of a {forced.title}: "
            f"its header should include {', '.join(forced.signature)}."
        )
    if forced is None:
        best_row, best_profile, best_score = -1, None, 0.0
        for index, row in enumerate(search):
            profile, score = detect(row)
            if score > best_score:
                best_row, best_profile, best_score = index, profile, score
        if best_profile is not None:
            return best_row, best_profile
    for index, row in enumerate(search):
        if _looks_like_header(row):
            return index, forced or generic_profile()
    raise FileProblem(
        "No header row was found: the first row should hold column titles such as "
        "'Email' or 'First name', but it looks like user data or is empty."
    )


def _header_width(header: Sequence[str]) -> tuple[int, int]:
    """First and one-past-last non-blank header cell."""
    filled = [i for i, h in enumerate(header) if h.strip()]
    return filled[0], filled[-1] + 1


def _build(
    path: Path,
    kind: str,
    rows: list[list[str]] | list[list[Any]],
    forced: Profile | None,
    convert: bool,
) -> LoadedFile:
    head = [_texts(r) for r in rows[:HEADER_SEARCH_ROWS]] if convert else rows
    header_row, profile = find_header(head, forced)
    header = head[header_row]
    first, end = _header_width(header)
    headers = [
        h.strip() or f"Column {_column_letter(first + i)}" for i, h in enumerate(header[first:end])
    ]
    profile = profile.for_headers(headers)
    data_start = header_row + 1 + profile.rows_after_header
    body = rows[data_start:]
    # Trailing rows with nothing in them are formatting, not users.
    last = len(body)
    while last and not any(v != "" for v in body[last - 1][first:end]):
        last -= 1
    body = body[:last]
    width = end - first
    widths = set(map(len, body))
    if len(widths) == 1 and widths.pop() >= end:
        # Rows from calamine are all as wide: one flat list, then every column is a
        # strided slice. Both run in C over memory in order, ten times faster than
        # picking the same cell out of each row.
        step = len(body[0])
        flat = list(chain.from_iterable(body))
        columns = [flat[c::step] for c in range(first, end)]
        del flat
    else:
        columns = [[r[c] if c < len(r) else "" for r in body] for c in range(first, end)]
    distinct = [_distinct(col) for col in columns]
    if convert:
        for index, values in enumerate(distinct):
            types = set(map(type, columns[index] if values is None else values))
            if types <= {str}:
                continue
            if bool in types:  # True == 1 == 1.0: convert cell by cell
                columns[index] = _texts(columns[index])
            else:  # convert each distinct value once (a date column repeats its dates)
                texts = {v: cell_text(v) for v in (values or set(columns[index]))}
                columns[index] = list(map(texts.__getitem__, columns[index]))
            distinct[index] = _distinct(columns[index])
    if not columns:
        columns = [[] for _ in range(width)]
    preamble = [list(rows[i]) for i in range(min(data_start, len(rows))) if i != header_row]
    return LoadedFile(
        path=path,
        kind=kind,
        profile=profile,
        headers=headers,
        columns=columns,
        header_row=header_row,
        data_start=data_start,
        first_column=first,
        preamble=[_texts(r) for r in preamble] if convert else preamble,
        distinct=distinct,
    )


def _distinct(values: list[Any]) -> set[Any] | None:
    """A column's distinct values, where they are few enough to be worth a set.

    The type check and the first validation then run once per distinct value (a
    Department column has ten); a column of IDs or emails is checked cell by cell.
    """
    sample = values[:10000]
    if len(set(sample)) > len(sample) * 4 // 5:
        return None
    return set(values)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --- checks before parsing --------------------------------------------------------


def check_file(path: Path) -> str:
    """Refuse what no parser should see; returns 'xlsx' or 'csv'."""
    if not path.exists():
        raise FileProblem(f"The file '{path.name}' does not exist (it may have been moved).")
    if path.is_dir():
        raise FileProblem(f"'{path.name}' is a folder, not a file.")
    try:
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as error:
        raise FileProblem(f"The file '{path.name}' cannot be read: {error.strerror}.") from None
    if not magic:
        raise FileProblem(f"The file '{path.name}' is empty.")
    suffix = path.suffix.lower()
    if magic.startswith(OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00" in path.read_bytes():
            raise FileProblem(
                f"'{path.name}' is protected with a password. Open it in Excel, remove the "
                "password (File > Info > Protect Workbook), save, and open it here again."
            )
        raise FileProblem(
            f"'{path.name}' is an old Excel 97-2003 file. Open it in Excel and save it as "
            "'Excel Workbook (.xlsx)', then open that file here."
        )
    if magic.startswith(b"PK"):
        _check_zip(path)
        return "xlsx"
    if suffix in EXCEL_SUFFIXES or suffix == ".xls":
        raise FileProblem(
            f"'{path.name}' is not a valid Excel file: it may be damaged or only partly "
            "downloaded. Download it from the platform again."
        )
    return "csv"


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError):
        raise FileProblem(
            f"'{path.name}' is damaged and cannot be opened. Download it from the platform again."
        ) from None
    if "xl/workbook.xml" not in names:
        raise FileProblem(f"'{path.name}' is not an Excel workbook.")
    inflated = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if inflated > MAX_INFLATED or (inflated > 100 * 1024**2 and inflated / packed > MAX_RATIO):
        raise FileProblem(
            f"'{path.name}' expands to {inflated // 1024**2:,} MB when opened, far more than "
            "a user list can hold, so it was not opened."
        )


# --- Excel -------------------------------------------------------------------------


def read_xlsx(path: Path, forced: Profile | None = None) -> LoadedFile:
    import python_calamine as calamine

    source = path.read_bytes()
    workbook = None
    lists: dict[int, list[str]] = {}
    finder: threading.Thread | None = None
    try:
        workbook = calamine.load_workbook(str(path))  # from the path: faster than bytes
        sheets = [
            m.name
            for m in workbook.sheets_metadata
            if str(m.typ).endswith("WorkSheet") and str(m.visible).endswith("Visible")
        ] or list(workbook.sheet_names)
        # Parsing a sheet is most of the cost of opening: each is parsed once at most.
        parsed = {}
        chosen = sheets[0]
        if len(sheets) > 1:
            best = -1.0
            for name in sheets:
                parsed[name] = workbook.get_sheet_by_name(name)
                sample = parsed[name].to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS)
                score = max((detect(_texts(r))[1] for r in sample), default=0.0)
                if score > best:
                    chosen, best = name, score
        # The drop-downs are read while calamine parses: both release the GIL.
        finder = threading.Thread(target=_read_dropdowns, args=(path, chosen, lists), daemon=True)
        finder.start()
        sheet = parsed.get(chosen) or workbook.get_sheet_by_name(chosen)
        rows = sheet.to_python(skip_empty_area=False)
        other_sheets = {
            name: (parsed.get(name) or workbook.get_sheet_by_name(name)).to_python()
            for name in workbook.sheet_names
            if name != chosen
        }
    except Exception as error:  # calamine raises several kinds for a damaged file
        if "password" in str(error).lower():
            raise FileProblem(f"'{path.name}' is protected with a password.") from None
        raise FileProblem(
            f"'{path.name}' could not be read as an Excel workbook: it may be damaged. "
            "Download it from the platform again."
        ) from None
    finally:
        if workbook is not None:
            workbook.close()
        if finder is not None:
            finder.join()
    if not rows:
        raise FileProblem(f"The sheet '{chosen}' in '{path.name}' is empty.")
    loaded = _build(path, "xlsx", rows, forced, convert=True)
    loaded.sheet_name = chosen
    loaded.source = source
    loaded.dropdowns = {
        c - loaded.first_column: v for c, v in lists.items() if c >= loaded.first_column
    }
    _add_sheet_lists(loaded, other_sheets)
    return loaded


def _read_dropdowns(path: Path, sheet: str, into: dict[int, list[str]]) -> None:
    """The sheet's list drop-downs; they help, and are never a reason to refuse a file."""
    from desktop_app.models.xlsx_parts import dropdown_lists

    try:
        into.update(dropdown_lists(path, sheet))
    except Exception:  # noqa: BLE001
        into.clear()


def _list_name(header: str) -> str:
    """'Function(s)', 'Functions' and 'function' name the same list."""
    name = normalise_header(header).replace("(s)", "")
    return name[:-1] if name.endswith("s") else name


def _add_sheet_lists(loaded: LoadedFile, sheets: dict[str, list[list[Any]]]) -> None:
    """Organisation lists kept on another sheet, one column per list headed like the data column.

    A column with its own drop-down keeps it; this only fills in the others.
    """
    wanted = {}
    for index, header in enumerate(loaded.headers):
        rule = loaded.profile.rule_for(header)
        if rule is not None and rule.org_list and index not in loaded.dropdowns:
            wanted[_list_name(header)] = index
    for rows in sheets.values():
        if not rows:
            continue
        for col, title in enumerate(_texts(rows[0])):
            found = wanted.get(_list_name(title)) if title.strip() else None
            if found is None:
                continue
            index = found
            values = [cell_text(r[col]).strip() for r in rows[1:] if col < len(r)]
            loaded.dropdowns[index] = [v for v in dict.fromkeys(values) if v]
            del wanted[_list_name(title)]


# --- text files --------------------------------------------------------------------

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")


def decode_text(raw: bytes) -> tuple[str, str, bytes]:
    """Text, codec and byte-order mark of a CSV as Excel and platforms write them."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec), codec, bom
            except UnicodeDecodeError:
                break
    sample = raw[:4000]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        codec = "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
        try:
            return raw.decode(codec), codec, b""
        except UnicodeDecodeError:
            pass
    if b"\x00" in sample:
        raise FileProblem("This is not a text file that User Editor can read.")
    try:
        return raw.decode("utf-8"), "utf-8", b""
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "cp1252", b""


def sniff_delimiter(first_line: str) -> str:
    """The separator Excel or the platform used: the one most frequent outside quotes."""
    outside = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: Path, forced: Profile | None = None) -> LoadedFile:
    text, codec, bom = decode_text(path.read_bytes())
    lines = _LINE.findall(text)
    if not any(line.strip() for line in lines):
        raise FileProblem(f"The file '{path.name}' is empty.")
    first = next(line for line in lines if line.strip())
    delimiter = sniff_delimiter(first)
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[list[str]] = []
    spans: list[tuple[int, int]] = []
    start = 0
    try:
        for record in reader:
            records.append(record)
            spans.append((start, reader.line_num))
            start = reader.line_num
    except csv.Error:
        raise FileProblem(
            f"'{path.name}' is not a valid CSV file near line {reader.line_num}."
        ) from None
    width = max((len(r) for r in records), default=0)
    rows = [r + [""] * (width - len(r)) for r in records]
    loaded = _build(path, "csv", rows, forced, convert=False)
    loaded.csv_format = CsvFormat(
        encoding=codec,
        bom=bom,
        delimiter=delimiter,
        quote_all=_all_quoted(first, delimiter),
        line_terminator=_terminator(first),
        lines=lines,
        spans=spans[loaded.data_start : loaded.data_start + loaded.row_count],
    )
    return loaded


def _terminator(line: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return "\r\n"


def _all_quoted(line: str, delimiter: str) -> bool:
    fields = line.rstrip("\r\n").split(delimiter)
    return all(len(f) >= 2 and f.startswith('"') and f.endswith('"') for f in fields)


# --- the one door ------------------------------------------------------------------


def read_file(path: str | Path, profile: str | None = None) -> LoadedFile:
    """Read a download; a file that can't be read raises FileProblem with one sentence."""
    path = Path(path)
    forced = profile_named(profile) if profile else None
    kind = check_file(path)
    try:
        return read_xlsx(path, forced) if kind == "xlsx" else read_csv(path, forced)
    except FileProblem:
        raise
    except MemoryError:
        raise FileProblem(f"'{path.name}' is too large to open on this computer.") from None
    except OSError as error:
        raise FileProblem(f"The file '{path.name}' cannot be read: {error.strerror}.") from None


def header_index(headers: Sequence[str], name: str) -> int | None:
    wanted = normalise_header(name)
    for i, h in enumerate(headers):
        if normalise_header(h) == wanted:
            return i
    return None
