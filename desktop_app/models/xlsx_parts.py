"""Small read-only helpers over the parts of an xlsx package.

They find a worksheet's XML part and read the drop-down lists (list data validations) of a
sheet, without loading whole worksheets into memory as a DOM: sheets can be tens of MB.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import python_calamine_plus

_DEFAULT_WORKBOOK = "xl/workbook.xml"
_MAX_NAME_DEPTH = 8

# A whole start, end or empty tag; quoted attribute values may contain '>'.
_TAG_RE = re.compile(rb"""<(/?)([\w.-]+:)?([\w.-]+)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_PREFIXED_OR_XMLNS_ATTR_RE = re.compile(
    rb"""\s(?:xmlns(?::[\w.-]+)?|[\w.-]+:[\w.-]+)\s*=\s*(?:"[^"]*"|'[^']*')"""
)
_VALIDATIONS_RE = re.compile(
    rb"<(?P<p>[\w.-]+:|)dataValidations\b.*?</(?P=p)dataValidations\s*>", re.DOTALL
)
_CELL_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_COLUMN_RE = re.compile(r"\$?([A-Za-z]{1,3})")
_RANGE_RE = re.compile(
    r"""^(?:(?P<sheet>'(?:[^']|'')+'|[^'!:\s]+)!)?
        (?P<a>\$?[A-Za-z]{1,3}(?:\$?\d+)?)(?::(?P<b>\$?[A-Za-z]{1,3}(?:\$?\d+)?))?$""",
    re.VERBOSE,
)


# Cell and row references: r="B7", r='XFD1048576', r = "12".
_ANY_REF = rb"""\sr\s*=\s*["']"""
# A reference past column Z or row 999,999: only then can a sheet's area be huge.
_FAR_REF_RE = re.compile(_ANY_REF + rb"(?:[A-Za-z]{2,3}\d|[A-Za-z]{0,3}\d{7})")
# A cell element; one without an r attribute goes right of the one before it.
_CELL_TAG_RE = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s/>])")
_LETTERS_RE = re.compile(_ANY_REF + rb"([A-Za-z]{1,3})\d")
_ROW_DIGITS_RE = re.compile(_ANY_REF + rb"[A-Za-z]{0,3}(\d{1,9})[\"']")
_ROW_END_RE = re.compile(rb"</(?:[\w.-]+:)?row\s*>")
_SCAN_CHUNK = 4 << 20
_DEFLATED_READ = 256 << 10  # stored bytes read at a time: about 2 MB of sheet XML
_LOCAL_HEADER_BYTES = 30
_SCAN_OVERLAP = 256  # longer than any reference, so none is missed between two chunks
# Sheet parts up to this size are searched whole; that costs a few hundredths of a second.
_SEARCH_WHOLE_BYTES = 16 << 20
_HEAD_BYTES = 64 << 10
_DIMENSION_RE = re.compile(rb"""<(?:[\w.-]+:)?dimension\b[^>]*?\sref\s*=\s*["']([^"']*)""")


@dataclass(frozen=True)
class SheetArea:
    """How far a worksheet reaches: the rectangle a parser lays its cells out in."""

    columns: int  # the farthest column, 1-based (an upper bound)
    rows: int  # the farthest row, 1-based (an upper bound)

    @property
    def cells(self) -> int:
        return self.columns * self.rows

    @property
    def corner(self) -> str:
        """The farthest cell, as Excel names it ('XFD1048576')."""
        return f"{column_letters(self.columns - 1)}{self.rows}"


def sheet_areas(
    path: Path | str, max_cells: int, ends: dict[str, bytes] | None = None
) -> dict[str, SheetArea]:
    """How far each worksheet reaches, read from its XML before any parser lays it out.

    A parser allocates every cell of the rectangle from A1 to the farthest cell, so one
    stray value at XFD1048576 asks for 17 billion cells. A sheet part up to 16 MB is
    searched whole, a few MB at a time, for references past column Z or row 999,999 and
    for cells without a reference; only a sheet that has them is measured exactly. A
    larger part is taken at its <dimension> when that is within max_cells; without one,
    its last rows are measured, where Excel writes a stray cell. (Searching a large part
    whole would cost a good part of parsing it.)

    ``ends`` gets, for each sheet inflated to its end on the way, the XML after its cells
    (see ``_after_sheet_data``): ``dropdown_lists`` then need not inflate it again.
    """
    areas: dict[str, SheetArea] = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in worksheet_parts(zf).items():
            end = _CellsEnd()
            if zf.getinfo(part).file_size <= _SEARCH_WHOLE_BYTES:
                areas[name] = _searched_area(zf, part, end)
            elif (stated := _stated_area(zf, part)) is None:
                areas[name] = _tail_area(zf, part, end)
            elif stated.cells <= max_cells:
                areas[name] = stated
            else:
                areas[name] = _searched_area(zf, part, end)
            if ends is not None and end.text is not None:
                ends[name] = end.text
    return areas


def worksheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip member of every worksheet the workbook lists."""
    book = workbook_part(zf)
    parts = {
        rel.get("Id"): resolve_target(book, rel["Target"])
        for rel in relationships(zf, book)
        if rel.get("Type", "").endswith("/worksheet") and "Target" in rel
    }
    found = {}
    for el in ET.fromstring(zf.read(book)).iter():
        if local_name(el.tag) != "sheet":
            continue
        ids = [v for k, v in el.attrib.items() if k.startswith("{") and local_name(k) == "id"]
        if ids and ids[0] in parts and _has_member(zf, parts[ids[0]]):
            found[el.get("name", "")] = parts[ids[0]]
    return found


def _has_member(zf: zipfile.ZipFile, name: str) -> bool:
    try:
        zf.getinfo(name)
    except KeyError:
        return False
    return True


def _stated_area(zf: zipfile.ZipFile, part: str) -> SheetArea | None:
    """The area the sheet's <dimension> states, when it has one before its cells."""
    with zf.open(part) as stream:
        head = stream.read(_HEAD_BYTES)
    cells = head.find(b"sheetData")
    match = _DIMENSION_RE.search(head, 0, cells if cells >= 0 else len(head))
    if match is None:
        return None
    text = match.group(1).decode("ascii", "replace")
    corners = [_CELL_RE.fullmatch(corner) for corner in text.split(":")]
    if not all(corners):
        return None
    far = corners[-1]
    assert far is not None
    return SheetArea(column_index(far.group(1)) + 1, int(far.group(2)))


def _chunks(
    zf: zipfile.ZipFile, part: str, end: _CellsEnd | None = None
) -> Iterator[tuple[int, bytes]]:
    """The member inflated a few MB at a time: (n, chunk), where the chunk starts with the
    last n bytes of the one before; ``end`` keeps what follows the cells, once the last
    chunk has been taken."""
    tail = b""
    if end is not None:
        end.reset()
    for chunk in inflated(zf, part):
        if end is not None:
            end.add(chunk)
        yield len(tail), tail + chunk
        tail = chunk[-_SCAN_OVERLAP:]
    if end is not None:
        end.finish()


def inflated(zf: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """The member's bytes, a few MB at a time.

    A deflated member of a zip file on disk is inflated straight from the file: zipfile's
    reader copies what it has read but not yet inflated on every read. The checksum is
    still checked (BadZipFile if it differs): the parser does not check it, so this is
    where a damaged sheet is found.
    """
    info = zf.getinfo(part)
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 1 or not zf.filename:
        with zf.open(part) as stream:
            while chunk := stream.read(_SCAN_CHUNK):
                yield chunk
        return
    with open(zf.filename, "rb") as source:
        skip_local_header(source, info)
        left = info.compress_size
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        crc = 0
        while left > 0:
            data = source.read(min(left, _DEFLATED_READ))
            if not data:
                raise zipfile.BadZipFile(f"{info.filename} is truncated")
            left -= len(data)
            # At most _SCAN_CHUNK at a time, however well the data packs.
            while chunk := inflater.decompress(data, _SCAN_CHUNK):
                crc = zlib.crc32(chunk, crc)
                yield chunk
                data = inflater.unconsumed_tail
        if chunk := inflater.flush():
            crc = zlib.crc32(chunk, crc)
            yield chunk
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 for {info.filename}")


def skip_local_header(source: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Seek ``source`` to the member's stored bytes, just past its local header."""
    source.seek(info.header_offset)
    header = source.read(_LOCAL_HEADER_BYTES)
    if len(header) != _LOCAL_HEADER_BYTES or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_length, extra_length = struct.unpack("<2H", header[26:30])
    source.seek(info.header_offset + _LOCAL_HEADER_BYTES + name_length + extra_length)


def _searched_area(zf: zipfile.ZipFile, part: str, end: _CellsEnd) -> SheetArea:
    """The sheet's reach: a cheap bound, or measured when a reference or a cell asks for it."""
    far = unplaced = False
    for seen, chunk in _chunks(zf, part, end):
        far = far or _FAR_REF_RE.search(chunk) is not None
        # Counting is far cheaper than matching every cell; Excel writes r first.
        new = memoryview(chunk)[seen:].tobytes() if seen else chunk
        placed = new.count(b'<c r="') + new.count(b"<c r='")
        if new.count(b"<c>") or new.count(b"<c/>") or new.count(b"<c ") > placed:
            unplaced = True
        if far and unplaced:
            break
    if not far and not unplaced:
        return SheetArea(26, 999_999)  # the most a sheet without either can reach
    return _measured_area(zf, part, unplaced, end)


def _tail_area(zf: zipfile.ZipFile, part: str, end: _CellsEnd) -> SheetArea:
    """The reach of the sheet's last rows, at least Z999999 (a cheap bound for the rest)."""
    tail = b""
    end.reset()
    for chunk in inflated(zf, part):  # only the end is searched: no overlap to copy
        end.add(chunk)
        tail = (tail + chunk)[-_HEAD_BYTES:] if len(chunk) < _HEAD_BYTES else chunk[-_HEAD_BYTES:]
    end.finish()
    letters = _LETTERS_RE.findall(tail)
    rows = _ROW_DIGITS_RE.findall(tail)
    columns = max((column_index(x.decode("ascii")) + 1 for x in letters), default=1)
    return SheetArea(max(columns, 26), max(max(map(int, rows), default=1), 999_999))


def _measured_area(zf: zipfile.ZipFile, part: str, unplaced: bool, end: _CellsEnd) -> SheetArea:
    """The exact farthest column and row of the references (a second pass, rarely needed).

    Cells without a reference may each push a row one column further, so with them the
    width is bounded by the most cells any one row holds.
    """
    letters: set[bytes] = set()
    rows: set[bytes] = set()
    widest = in_row = 0
    for seen, chunk in _chunks(zf, part, end):
        letters.update(_LETTERS_RE.findall(chunk))
        rows.update(_ROW_DIGITS_RE.findall(chunk))
        if not unplaced:
            continue
        at = seen
        for row_end in _ROW_END_RE.finditer(chunk, seen):
            in_row += len(_CELL_TAG_RE.findall(chunk, at, row_end.start()))
            widest, in_row, at = max(widest, in_row), 0, row_end.end()
        in_row += len(_CELL_TAG_RE.findall(chunk, at))
    widest = max(widest, in_row)
    columns = max((column_index(x.decode("ascii")) + 1 for x in letters), default=1)
    return SheetArea(columns + widest, max(map(int, rows), default=1))


def column_letters(index: int) -> str:
    """Letters of a 0-based column index (0 -> 'A', 26 -> 'AA')."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def local_name(tag: str) -> str:
    """An element or attribute name without its '{namespace}' part."""
    return tag.rsplit("}", 1)[-1]


def column_index(letters: str) -> int:
    """0-based index of a column from its letters ('A' -> 0, 'AA' -> 26)."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


def resolve_target(source_part: str, target: str) -> str:
    """The zip member a relationship target points to, seen from the part owning the rels."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def rels_part(part: str) -> str:
    """The relationships part belonging to a part ('xl/workbook.xml' -> 'xl/_rels/...')."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def relationships(zf: zipfile.ZipFile, part: str) -> list[dict[str, str]]:
    """The relationships of a part as attribute dicts (Id, Type, Target, ...); [] if none."""
    try:
        root = ET.fromstring(zf.read(rels_part(part)))
    except KeyError:
        return []
    return [dict(el.attrib) for el in root if local_name(el.tag) == "Relationship"]


def workbook_part(zf: zipfile.ZipFile) -> str:
    """The workbook part, found through the package relationships as Excel does."""
    for rel in relationships(zf, ""):
        if rel.get("Type", "").endswith("/officeDocument") and "Target" in rel:
            return resolve_target("", rel["Target"])
    return _DEFAULT_WORKBOOK


def sheet_part(zf: zipfile.ZipFile, sheet_name: str) -> str:
    """The zip member path of the worksheet called sheet_name; KeyError if there is none."""
    book = workbook_part(zf)
    root = ET.fromstring(zf.read(book))
    rel_id = _sheet_rel_id(root, sheet_name)
    for rel in relationships(zf, book):
        if rel.get("Id") == rel_id and "Target" in rel:
            part = resolve_target(book, rel["Target"])
            zf.getinfo(part)  # KeyError when the package lacks the part
            return part
    raise KeyError(sheet_name)


def _sheet_rel_id(workbook: ET.Element, sheet_name: str) -> str:
    """The r:id of the <sheet> with that name (any namespace); KeyError if absent."""
    for el in workbook.iter():
        if local_name(el.tag) == "sheet" and el.get("name") == sheet_name:
            for key, value in el.attrib.items():
                if key.startswith("{") and local_name(key) == "id":
                    return value
    raise KeyError(sheet_name)


def _defined_names(workbook: ET.Element, sheet_name: str) -> dict[str, str]:
    """Defined names visible from the sheet (case-folded), sheet-scoped ones winning."""
    sheets = [el.get("name") for el in workbook.iter() if local_name(el.tag) == "sheet"]
    local_id = str(sheets.index(sheet_name)) if sheet_name in sheets else None
    found: dict[str, str] = {}
    scoped: dict[str, str] = {}
    for el in workbook.iter():
        if local_name(el.tag) != "definedName" or not el.get("name"):
            continue
        key, text = el.get("name", "").casefold(), (el.text or "").strip()
        scope = el.get("localSheetId")
        if scope is None:
            found.setdefault(key, text)
        elif scope == local_id:
            scoped.setdefault(key, text)
    return found | scoped


def dropdown_lists(
    path: Path, sheet_name: str, skip: Collection[str] = (), end: bytes | None = None
) -> dict[int, list[str]]:
    """0-based column index -> allowed values of the list drop-downs on that worksheet.

    Values keep their order, lose duplicates and blanks. Validations that cannot be
    resolved (formulas, missing sheets, unknown names, sheets in ``skip``) are skipped
    silently. ``end`` is the sheet's XML after its cells, when ``sheet_areas`` has it.
    """
    with zipfile.ZipFile(path) as zf:
        part = sheet_part(zf, sheet_name)
        if end is None:
            end = _after_sheet_data(zf, part)
        validations = list(_list_validations(end))
        if not validations:
            return {}
        names = _defined_names(ET.fromstring(zf.read(workbook_part(zf))), sheet_name)
    reader = _CellReader(path, skip)
    try:
        result: dict[int, list[str]] = {}
        for formula, sqref in validations:
            values = _resolve_list(formula, sheet_name, names, reader.sheet)
            if not values:
                continue
            for column in _sqref_columns(sqref):
                result[column] = _unique(result.get(column, []) + values)
        return result
    finally:
        reader.close()


_SHEET_DATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>|<(?:[\w.-]+:)?sheetData\s*/>")


def _after_sheet_data(zf: zipfile.ZipFile, part: str) -> bytes:
    """The worksheet XML from the end of its cells on, where drop-downs are declared.

    The sheet is inflated a few MB at a time and only the tail is kept, so a sheet of
    a million rows never sits in memory whole.
    """
    end = _CellsEnd()
    for chunk in inflated(zf, part):
        end.add(chunk)
    end.finish()
    assert end.text is not None
    return end.text


class _CellsEnd:
    """What follows a worksheet's cells, kept from its chunks as they are inflated in
    order; ``text`` once the last chunk has been added."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._tail = b""
        self._ended = False  # the tail starts at the end of the cells
        self.text: bytes | None = None

    def add(self, chunk: bytes) -> None:
        if not (self._ended or b"sheetData" in chunk or b"sheetData" in self._tail + chunk[:16]):
            # Most chunks: among the cells. A fast scan, and nothing copied but their end.
            self._tail = (self._tail + chunk)[-64:] if len(chunk) < 64 else chunk[-64:]
            return
        tail = self._tail + chunk
        # The pattern is looked for where the word last is (a whole chunk of cells is
        # slow to match), and everywhere only if the word there is a cell's text.
        at = tail.rfind(b"sheetData")
        # A tag holding that last word ends at the first '>' after it: the pattern need not
        # look further (in the chunk that opens the cells, megabytes of them).
        close = tail.find(b">", at) + 1 or len(tail)
        ends = list(_SHEET_DATA_END.finditer(tail, max(0, at - 64), close)) if at >= 0 else []
        if at >= 0 and not ends and not tail.startswith(b"<", max(0, at - 1)):
            ends = list(_SHEET_DATA_END.finditer(tail))
        # Without an end yet, 64 bytes are enough to hold a closing tag cut in two.
        self._tail = tail[ends[-1].start() :] if ends else tail[-64:]
        self._ended = self._ended or bool(ends)

    def finish(self) -> None:
        self.text = self._tail


def _list_validations(sheet_xml: bytes) -> Iterator[tuple[str, str]]:
    """(formula1, sqref) of every list validation, classic and Excel 2010 extension form."""
    start = max(sheet_xml.rfind(b"sheetData"), 0)  # validations follow sheetData
    for match in _VALIDATIONS_RE.finditer(sheet_xml, start):
        try:
            root = ET.fromstring(_strip_prefixes(match.group(0)))
        except ET.ParseError:
            continue
        for rule in root:
            if rule.tag != "dataValidation" or rule.get("type") != "list":
                continue
            formula = rule.find("formula1")
            sqref = rule.get("sqref") or "".join(
                "".join(el.itertext()) for el in rule if el.tag == "sqref"
            )
            if formula is not None and sqref:
                yield "".join(formula.itertext()).strip(), sqref


def _strip_prefixes(fragment: bytes) -> bytes:
    """The fragment with namespace prefixes and namespaced attributes removed, parseable alone."""

    def fix(tag: re.Match[bytes]) -> bytes:
        attrs = _PREFIXED_OR_XMLNS_ATTR_RE.sub(b"", tag.group(4))
        return b"<" + tag.group(1) + tag.group(3) + attrs + b">"

    return _TAG_RE.sub(fix, fragment)


def _sqref_columns(sqref: str) -> Iterator[int]:
    """0-based columns touched by a space separated list of cells/ranges ('F3:F9 H2')."""
    for part in sqref.split():
        ends = [_COLUMN_RE.match(end) for end in part.split(":")]
        columns = [column_index(end.group(1)) for end in ends if end is not None]
        if columns and len(columns) == len(ends):
            yield from range(min(columns), max(columns) + 1)


SheetReader = Callable[[str], list[list[Any]] | None]


def _resolve_list(
    formula: str, sheet_name: str, names: dict[str, str], read: SheetReader, depth: int = 0
) -> list[str]:
    """The values a list validation formula allows; [] when it cannot be resolved."""
    formula = formula.strip().removeprefix("=").strip()
    if len(formula) >= 2 and formula[0] == formula[-1] == '"':
        inner = formula[1:-1].replace('""', '"')
        return _unique(item.strip() for item in inner.split(","))
    target = names.get(formula.casefold())
    if target is not None:
        if depth >= _MAX_NAME_DEPTH:
            return []
        return _resolve_list(target, sheet_name, names, read, depth + 1)
    return _range_values(formula, sheet_name, read)


def _range_values(reference: str, sheet_name: str, read: SheetReader) -> list[str]:
    """Cell values of a one-sheet range reference such as 'My Lists'!$B$2:$B$50."""
    match = _RANGE_RE.match(reference)
    if match is None:
        return []
    sheet = match.group("sheet") or sheet_name
    if sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    rows = read(sheet)
    if rows is None:
        return []
    first = _bounds(match.group("a"))
    last = _bounds(match.group("b") or match.group("a"))
    row_lo, row_hi = min(first[0], last[0]), max(first[1], last[1])
    col_lo, col_hi = sorted((first[2], last[2]))
    values = (
        row[col]
        for row in rows[row_lo : row_hi + 1]
        for col in range(col_lo, min(col_hi + 1, len(row)))
    )
    return _unique(_render(value) for value in values)


def _bounds(ref: str) -> tuple[int, int, int]:
    """(first row, last row, column), 0-based, of a cell ('$B$2') or whole column ('$B')."""
    cell = _CELL_RE.fullmatch(ref)
    if cell is not None:
        row = int(cell.group(2)) - 1
        return row, row, column_index(cell.group(1))
    column = _COLUMN_RE.fullmatch(ref)
    assert column is not None  # guaranteed by _RANGE_RE
    return 0, 1 << 31, column_index(column.group(1))


def _render(value: Any) -> str:
    """A cell value as the text a drop-down shows (integral numbers without '.0')."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _unique(values: Iterable[str]) -> list[str]:
    """Values in first-seen order without duplicates or blanks."""
    return list(dict.fromkeys(value for value in values if value))


class _CellReader:
    """Reads whole sheets through python-calamine-plus on demand, each at most once."""

    def __init__(self, path: Path, skip: Collection[str] = ()) -> None:
        self._path = path
        self._book: Any = None
        # Sheets never to lay out (too large): they read as missing.
        self._sheets: dict[str, list[list[Any]] | None] = dict.fromkeys(skip)

    def sheet(self, name: str) -> list[list[Any]] | None:
        """Rows from A1 of the named sheet, or None if it cannot be read."""
        if name not in self._sheets:
            self._sheets[name] = self._load(name)
        return self._sheets[name]

    def _load(self, name: str) -> list[list[Any]] | None:
        try:
            if self._book is None:
                self._book = python_calamine_plus.load_workbook(self._path)
            rows = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:  # any unreadable sheet just means "no list"
            return None
        return [list(row) for row in rows]

    def close(self) -> None:
        """Release the workbook file."""
        if self._book is not None and hasattr(self._book, "close"):
            self._book.close()
