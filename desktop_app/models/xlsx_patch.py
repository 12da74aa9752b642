"""Save cell edits into an xlsx by rewriting only the edited rows of one worksheet.

Every other zip member, and every other byte of the worksheet XML, is copied unchanged, so
styles, column widths, drop-downs, other sheets and parts this app does not understand all
survive a save exactly as the platform or Excel wrote them.
"""

from __future__ import annotations

import copy
import mmap
import os
import re
import shutil
import struct
import uuid
import xml.etree.ElementTree as ET
import zipfile
import zlib
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from desktop_app.i18n import _
from desktop_app.models.errors import FileProblem
from desktop_app.models.xlsx_parts import (
    column_index,
    relationships,
    rels_part,
    resolve_target,
    sheet_part,
    skip_local_header,
    workbook_part,
)

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

Edits = dict[int, dict[int, str]]  # 1-based row -> 1-based column -> text
Pieces = list[bytes | memoryview]  # a member's new content, in order, never joined whole
_Buffer = bytes | bytearray | mmap.mmap  # a member's whole content

_SLASH = ord("/")
_AFTER_NAME = frozenset(b" \t\r\n/>")
_SHEET_DATA_RE = re.compile(rb"<([\w.-]+:|)sheetData\b([^>]*?)(/?)>")
_ROW_PREFIX_RE = re.compile(rb"<([\w.-]+:|)row[\s/>]")
_ROW_R_RE = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")
_CELL_R_RE = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_STYLE_RE = re.compile(rb"""\ss\s*=\s*["'](\d+)["']""")
_CUSTOM_FORMAT_RE = re.compile(rb"""\scustomFormat\s*=\s*["'](?:1|true)["']""")
_SPANS_RE = re.compile(rb"""(\sspans\s*=\s*["'])(\d+):(\d+)(["'])""")
_ANY_SPANS_RE = re.compile(rb"""\sspans\s*=\s*(?:"[^"]*"|'[^']*')""")
_DIMENSION_RE = re.compile(rb"""(<(?:[\w.-]+:)?dimension\b[^>]*?\sref\s*=\s*["'])([^"']*)""")
_COL_RE = re.compile(rb"<(?:[\w.-]+:)?col\b([^>]*)>")
_FORMULA_RE = re.compile(rb"<(?:[\w.-]+:)?f[\s/>]")
_F_ELEMENT_RE = re.compile(rb"<([\w.-]+:|)f\b([^>]*?)(?:/>|>(.*?)</\1f\s*>)", re.DOTALL)
_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ESCAPE_RE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
# Control characters: XML cannot hold them, Excel writes them as _x0001_ and reads them back.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Characters no workbook can hold at all, escaped or not (noncharacters, lone surrogates).
_UNSTORABLE_RE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_DEFLATE_LEVELS = {0: 6, 1: 9, 2: 1, 3: 1}  # zip flag bits 1-2 -> zlib level
_DEFLATE_WINDOW = 32 * 1024
# A member this large (the sheet of a big download) is deflated at zlib's fastest level: at
# 1,048,574 rows the default level takes four times as long and makes the file only a
# fifth smaller.
_FAST_DEFLATE_FROM = 8 * 1024 * 1024
_FAST_LEVEL = 1
_FAST_FLAGS = 0x06  # zip flag bits 1-2 saying "super fast" deflate
_CHUNK = 1024 * 1024
_SKIP_BYTES = 64 * 1024  # below this distance a linear scan beats bisecting
_MAX_WORKERS = 8
_ZIP64_LIMIT = 0xFFFFFFFF
_UTF8_FLAG = 0x800
_CONTENT_TYPES = "[Content_Types].xml"
_ENCRYPTED_FLAG = 0x01
_KEPT_FLAGS = 0x06  # the deflate option bits; no data descriptor, no encryption
_EXTRACT_VERSIONS = {zipfile.ZIP_STORED: 10, zipfile.ZIP_DEFLATED: 20}
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


class _Malformed(Exception):
    """The worksheet XML lacks structure every worksheet has."""


def patch_xlsx(
    src: Path | BinaryIO, dst: Path, sheet_name: str, cells: Mapping[tuple[int, int], str]
) -> None:
    """Write dst as a copy of src with the given cells of one sheet set to text.

    src is a path or a seekable binary file (e.g. the download's bytes in a BytesIO).
    cells maps (0-based row, 0-based column) to the new text; "" empties a cell but keeps
    its style. Values are always written as text, never as formulas. dst may be src.
    """
    source = Path(src) if isinstance(src, str | os.PathLike) else src
    dst = Path(dst)
    edits = _edits_by_row(cells)
    temporary = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with _open_package(source) as zin, _deflate_pool() as pool:
            part = _find_sheet(zin, sheet_name)
            ahead = _ahead_for(zin.getinfo(part), pool)
            with _inflated(zin, part, ahead) as xml:
                replaced, removed, changes = _patched_parts(zin, part, xml, edits)
                if ahead is not None:
                    ahead.patched(xml, changes)
                try:
                    _write_package(zin, source, temporary, replaced, removed, pool, ahead)
                except OSError as exc:
                    raise _cannot_save(dst, exc) from exc
                del replaced, ahead  # their views of xml go before xml is unmapped
        _move_into_place(temporary, dst)  # only once src is closed: Windows refuses otherwise
    except (
        zipfile.BadZipFile,
        ET.ParseError,
        zlib.error,
        EOFError,
        NotImplementedError,
        _Malformed,
    ) as exc:
        raise FileProblem(
            _(
                "{label} is not a valid Excel workbook (.xlsx), so the changes could not be saved."
            ).format(label=_label(source))
        ) from exc
    finally:
        temporary.unlink(missing_ok=True)


def _label(source: Path | BinaryIO) -> str:
    """How messages name the source: its file name when known."""
    name = source.name if isinstance(source, Path) else getattr(source, "name", None)
    return f"'{Path(name).name}'" if isinstance(name, str) else _("The workbook")


def _open_package(source: Path | BinaryIO) -> zipfile.ZipFile:
    """source opened as a zip; FileProblem if it cannot be read at all."""
    try:
        return zipfile.ZipFile(source)
    except OSError as exc:
        raise FileProblem(
            _("{label} could not be opened ({reason}).").format(
                label=_label(source), reason=exc.strerror or exc
            )
        ) from exc


def _cannot_save(dst: Path, exc: OSError) -> FileProblem:
    """The problem to show when dst cannot be written."""
    return FileProblem(
        _(
            "{name} could not be saved ({reason}); "
            "close it in other programs and check the folder can be written to."
        ).format(name=dst.name, reason=exc.strerror or exc)
    )


def _move_into_place(temporary: Path, dst: Path) -> None:
    """Replace dst by the finished temporary file, keeping dst's permissions."""
    try:
        if dst.exists():
            shutil.copymode(dst, temporary)
        os.replace(temporary, dst)
    except OSError as exc:
        raise _cannot_save(dst, exc) from exc


def _edits_by_row(cells: Mapping[tuple[int, int], str]) -> Edits:
    """The edits regrouped as 1-based row -> 1-based column -> text, checking the bounds."""
    edits: Edits = {}
    for (row, column), text in cells.items():
        if not (0 <= row < MAX_ROWS and 0 <= column < MAX_COLUMNS):
            raise ValueError(f"cell ({row}, {column}) is outside an Excel sheet")
        edits.setdefault(row + 1, {})[column + 1] = text
    return edits


def _patched_parts(
    zin: zipfile.ZipFile, part: str, xml: _Buffer, edits: Edits
) -> tuple[dict[str, Pieces], set[str], list[_Change]]:
    """New contents of the members that change, the members to leave out, and the changes
    made to the sheet's XML.

    xml is the content of the sheet's member part; the sheet's new content is views of it.
    """
    patcher = _SheetPatcher(xml, edits)
    try:
        replaced = {part: patcher.run()}
    except (ValueError, IndexError) as exc:  # a tag cut short, a number that is not one
        raise _Malformed(str(exc)) from exc
    removed: set[str] = set()
    if patcher.dropped_formula:
        _drop_calc_chain(zin, replaced, removed)
    return replaced, removed, patcher.changes


@contextmanager
def _inflated(zin: zipfile.ZipFile, part: str, ahead: _Ahead | None) -> Iterator[_Buffer]:
    """The member's content, inflated a chunk at a time into anonymous mapped memory.

    zin.read would inflate and join a sheet of hundreds of megabytes in single calls that
    hold the interpreter lock throughout, so the window would freeze while a worker saves;
    between chunks other threads run. The memory is mapped rather than a bytearray because
    a bytearray of that size holds the lock for a tenth of a second each time it grows or
    is freed, while unmapping lets other threads run. The mapping's pages are zero-filled
    by the system only as they are written. The content is the same as zin.read's.
    Each chunk is also handed to ahead, if given, to be deflated while the rest is read.
    """
    size = zin.getinfo(part).file_size
    content: _Buffer
    try:
        content = mmap.mmap(-1, size) if size else bytearray()
    except (OSError, ValueError, OverflowError):  # no address space or memory for it
        content = bytearray()
    try:
        with zin.open(part) as member:
            read = 0
            while chunk := member.read(_CHUNK):  # zipfile never yields more than file_size
                if isinstance(content, bytearray):
                    content += chunk
                else:
                    content.write(chunk)
                if ahead is not None:
                    ahead.add(read, chunk, size)
                read += len(chunk)
            if read != size:
                raise zipfile.BadZipFile(f"{part} is shorter than its recorded size")
        yield content
    finally:
        if not isinstance(content, bytearray):
            with suppress(BufferError):  # views still held (an error on the way): freed with them
                content.close()


def _find_sheet(zin: zipfile.ZipFile, sheet_name: str) -> str:
    """The worksheet's member path; FileProblem if the workbook has no such sheet."""
    if any(info.flag_bits & _ENCRYPTED_FLAG for info in zin.infolist()):
        raise _Malformed("encrypted zip members")
    if not _has_member(zin, workbook_part(zin)):
        raise _Malformed("no workbook part")
    try:
        return sheet_part(zin, sheet_name)
    except KeyError:
        raise FileProblem(
            _(
                'The workbook has no sheet called "{sheet}", so the changes could not be saved.'
            ).format(sheet=sheet_name)
        ) from None


def _has_member(zin: zipfile.ZipFile, name: str) -> bool:
    try:
        zin.getinfo(name)
    except KeyError:
        return False
    return True


def _drop_calc_chain(zin: zipfile.ZipFile, replaced: dict[str, Pieces], removed: set[str]) -> None:
    """Leave out the calculation chain, which Excel rebuilds, so it never names a lost formula."""
    book = workbook_part(zin)
    for rel in relationships(zin, book):
        if not rel.get("Type", "").endswith("/calcChain") or "Target" not in rel:
            continue
        part = resolve_target(book, rel["Target"])
        removed.add(part)
        book_rels = rels_part(book)
        rels = _without_element(zin.read(book_rels), "Relationship", "Id", rel["Id"])
        replaced[book_rels] = [rels]
        if _has_member(zin, _CONTENT_TYPES):
            types = zin.read(_CONTENT_TYPES)
            replaced[_CONTENT_TYPES] = [_without_element(types, "Override", "PartName", "/" + part)]


def _without_element(xml: bytes, name: str, attribute: str, value: str) -> bytes:
    """The XML with the element <name attribute="value" .../> cut out, all else untouched."""
    pattern = (
        rb"<(?:[\w.-]+:)?"
        + name.encode()
        + rb"\b[^>]*?\s"
        + attribute.encode()
        + rb"""\s*=\s*["']"""
        + re.escape(value.encode())
        + rb"""["'][^>]*?"""
        + rb"(?:/>|>\s*</(?:[\w.-]+:)?"
        + name.encode()
        + rb"\s*>)"
    )
    return re.sub(pattern, b"", xml, count=1, flags=re.IGNORECASE)


def _write_package(
    zin: zipfile.ZipFile,
    source: Path | BinaryIO,
    dst: Path,
    replaced: dict[str, Pieces],
    removed: set[str],
    pool: ThreadPoolExecutor,
    ahead: _Ahead | None,
) -> None:
    """Write every member of zin, in order, to the new file dst.

    Unchanged members are copied as their raw compressed bytes; changed ones are deflated
    in parallel chunks (the sheet's, where ahead has them, deflated while it was read).
    Either way each member's content is exactly what it should be.
    """
    with _raw_reader(source) as raw, open(dst, "xb") as handle:
        writer = _ZipWriter(handle)
        for info in zin.infolist():
            if info.filename in removed:
                continue
            pieces = replaced.get(info.filename)
            if pieces is None:
                writer.add(info, info.CRC, info.file_size, [_raw_member(raw, info)])
                continue
            size = sum(len(piece) for piece in pieces)
            if info.compress_type == zipfile.ZIP_STORED:
                writer.add(info, _crc(pieces), size, [bytes(p) for p in pieces])
            elif ahead is not None and ahead.part == info.filename and ahead.fits(size):
                crc, payload = ahead.finish()
                writer.add(_deflated(info, ahead.level), crc, size, payload)
            else:
                level = _FAST_LEVEL if size >= _FAST_DEFLATE_FROM else _level(info)
                crc, payload = _compress(pieces, level, pool)
                writer.add(_deflated(info, level), crc, size, payload)
        writer.finish(zin.comment)


@contextmanager
def _raw_reader(source: Path | BinaryIO) -> Iterator[BinaryIO]:
    """A binary file to read stored member bytes from: the source itself, or a path opened."""
    if isinstance(source, Path):
        with open(source, "rb") as handle:
            yield handle
    else:
        yield source


def _raw_member(source: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes exactly as stored (still compressed), read past its local header."""
    skip_local_header(source, info)
    data = source.read(info.compress_size)
    if len(data) != info.compress_size:
        raise zipfile.BadZipFile(f"{info.filename} is truncated")
    return data


def _level(info: zipfile.ZipInfo) -> int:
    """The deflate level the member was written with, as far as the zip records it."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return 6
    return _DEFLATE_LEVELS[(info.flag_bits >> 1) & 3]


def _deflated(info: zipfile.ZipInfo, level: int) -> zipfile.ZipInfo:
    """info for a rewritten compressed member: deflated, the only method xlsx readers know,
    its flags saying how hard (super fast for the fast level, else as they were)."""
    if info.compress_type == zipfile.ZIP_DEFLATED and level != _FAST_LEVEL:
        return info
    fresh = copy.copy(info)
    fresh.compress_type = zipfile.ZIP_DEFLATED
    fresh.flag_bits = _FAST_FLAGS if level == _FAST_LEVEL else 0
    return fresh


def _crc(pieces: Pieces) -> int:
    crc = 0
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
    return crc


def _chunks(pieces: Pieces) -> Iterator[bytes]:
    """The pieces regrouped into chunks of about _CHUNK bytes, one chunk in memory at a time."""
    buffer: list[bytes | memoryview] = []
    size = 0
    for piece in pieces:
        view = memoryview(piece)
        while len(view):
            take = min(len(view), _CHUNK - size)
            buffer.append(view[:take])
            size += take
            view = view[take:]
            if size == _CHUNK:
                yield b"".join(buffer)
                buffer, size = [], 0
    if buffer or not size:
        yield b"".join(buffer)


def _workers() -> int:
    return min(os.cpu_count() or 1, _MAX_WORKERS)


@contextmanager
def _deflate_pool() -> Iterator[ThreadPoolExecutor]:
    """Worker threads for deflating; work not yet started is dropped when a save fails."""
    pool = ThreadPoolExecutor(max_workers=_workers())
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _compress(
    pieces: Pieces,
    level: int,
    pool: ThreadPoolExecutor | None = None,
    primer: bytes = b"",
    final: bool = True,
    crc: int = 0,
) -> tuple[int, list[bytes]]:
    """CRC-32 (continuing crc) and raw deflate stream of the pieces, in parallel chunks.

    Each chunk but the last ends with a sync flush (byte aligned, not final) and is primed
    with the 32 KiB before it, so the chunks concatenate into one ordinary deflate stream.
    primer is the content before the pieces, when they continue a stream; the last chunk
    ends the stream only if final. Only a few chunks are held at once, never a joined copy
    of the whole sheet.
    """
    if pool is None:
        with _deflate_pool() as own:
            return _compress(pieces, level, own, primer, final, crc)
    workers = _workers()
    payload = []
    pending: deque[Future[bytes]] = deque()
    chunks = _chunks(pieces)
    chunk = next(chunks)
    while True:
        following = next(chunks, None)
        crc = zlib.crc32(chunk, crc)
        last = final and following is None
        pending.append(pool.submit(_deflate_chunk, chunk, primer, last, level))
        if len(pending) > 2 * workers:
            payload.append(pending.popleft().result())
        if following is None:
            break
        primer = (primer + chunk)[-_DEFLATE_WINDOW:]
        chunk = following
    payload.extend(future.result() for future in pending)
    return crc, payload


_Change = tuple[int, int, bytes]  # xml[start:stop] replaced by the bytes


def _ahead_for(info: zipfile.ZipInfo, pool: ThreadPoolExecutor) -> _Ahead | None:
    """An _Ahead for the sheet's member when it is big and deflated, else None."""
    if info.compress_type == zipfile.ZIP_STORED or info.file_size < _FAST_DEFLATE_FROM:
        return None
    return _Ahead(info.filename, pool)


class _Ahead:
    """Deflates a big sheet a chunk at a time while it is still being inflated.

    Most of a sheet is unchanged by a save, and a chunk deflated on its own (primed with
    the 32 KiB before it, ended by a sync flush) is valid anywhere in a stream, so a chunk
    whose bytes and the 32 KiB before them are left as they were is written as deflated
    ahead; only the chunks near a change are deflated again. Workers deflate while the
    reading thread inflates, so the two overlap.
    """

    level = _FAST_LEVEL

    def __init__(self, part: str, pool: ThreadPoolExecutor) -> None:
        self.part = part
        self.pool = pool
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.deflated: list[Future[tuple[bytes, int]]] = []  # (deflated, CRC-32 of chunk)
        self.pending: deque[Future[tuple[bytes, int]]] = deque()
        self.primer = b""
        self.size = 0
        self.xml: _Buffer = b""
        self.changes: list[_Change] = []

    def add(self, start: int, chunk: bytes, size: int) -> None:
        """Deflate xml[start:start + len(chunk)] (== chunk) of a content of size bytes."""
        end = start + len(chunk)
        last = end == size
        self.size = size
        future = self.pool.submit(_deflate_with_crc, chunk, self.primer, last, self.level)
        self.starts.append(start)
        self.ends.append(end)
        self.deflated.append(future)
        self.pending.append(future)
        if len(self.pending) > 2 * _workers():
            self.pending.popleft().result()  # reading waits: a few chunks queued at most
        self.primer = (self.primer + chunk)[-_DEFLATE_WINDOW:]

    def patched(self, xml: _Buffer, changes: list[_Change]) -> None:
        """The content read, and the changes made to it (in order, not overlapping)."""
        self.xml, self.changes = xml, changes

    def fits(self, size: int) -> bool:
        """Whether the chunks cover the content read and the changes lie in order within it,
        growing it to size bytes; else the sheet is deflated the plain way."""
        at, grown = 0, 0
        for start, stop, data in self.changes:
            if not at <= start <= stop <= self.size:
                return False
            at, grown = stop, grown + len(data) - (stop - start)
        return (
            self.ends[-1:] == [self.size]
            and len(self.xml) == self.size
            and self.size + grown == size
        )

    def finish(self) -> tuple[int, list[bytes]]:
        """CRC-32 and deflate stream of the patched content."""
        dirty = [False] * len(self.starts)
        for start, stop, _data in self.changes:
            # a chunk changes if the change touches it or the 32 KiB before it
            first = bisect_right(self.ends, start)
            after = bisect_left(self.starts, stop + _DEFLATE_WINDOW)
            dirty[first:after] = [True] * max(0, after - first)
        view = memoryview(self.xml)
        payload: list[bytes] = []
        crc, index, change = 0, 0, 0
        while index < len(dirty):
            if not dirty[index]:
                deflated, chunk_crc = self.deflated[index].result()
                length = self.ends[index] - self.starts[index]
                crc = _crc32_combine(crc, chunk_crc, length)
                payload.append(deflated)
                index += 1
                continue
            first = index
            while index < len(dirty) and dirty[index]:
                index += 1
            run_start, run_end = self.starts[first], self.ends[index - 1]
            pieces: Pieces = []
            at = run_start
            while change < len(self.changes) and (
                self.changes[change][0] < run_end or self.changes[change][0] == self.size
            ):
                start, stop, data = self.changes[change]
                pieces += (view[at:start], data)
                at = stop
                change += 1
            pieces.append(view[at:run_end])
            primer = bytes(view[max(0, run_start - _DEFLATE_WINDOW) : run_start])
            crc, again = _compress(pieces, self.level, self.pool, primer, run_end == self.size, crc)
            payload += again
        view.release()
        return crc, payload


def _deflate_chunk(chunk: bytes, primer: bytes, last: bool, level: int) -> bytes:
    """Raw deflate of one chunk, primed with the bytes before it; final only if last."""
    if primer:
        deflater = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, primer)
    else:
        deflater = zlib.compressobj(level, zlib.DEFLATED, -15)
    return deflater.compress(chunk) + deflater.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _deflate_with_crc(chunk: bytes, primer: bytes, last: bool, level: int) -> tuple[bytes, int]:
    """_deflate_chunk, and the chunk's own CRC-32, both worked out on a worker thread."""
    return _deflate_chunk(chunk, primer, last, level), zlib.crc32(chunk)


def _crc32_combine(crc: int, following: int, length: int) -> int:
    """CRC-32 of a + b from crc (of a), following (of b) and length (of b), as zlib's
    crc32_combine: crc carried through length zero bytes, then following added in."""
    return _gf2_times(_zero_bytes_operator(length), crc) ^ following


def _gf2_times(matrix: tuple[int, ...], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _gf2_product(first: tuple[int, ...], then: tuple[int, ...]) -> tuple[int, ...]:
    """The operator that applies first, then then."""
    return tuple(_gf2_times(then, column) for column in first)


@lru_cache(maxsize=8)
def _zero_bytes_operator(length: int) -> tuple[int, ...]:
    """The operator that carries a CRC-32 through length zero bytes (as a 32x32 bit matrix
    over GF(2), one column per bit), made by squaring as zlib's crc32_combine does."""
    result = tuple(1 << bit for bit in range(32))  # identity
    power = (0xEDB88320, *(1 << bit for bit in range(31)))  # one zero bit
    for _doubling in range(3):
        power = _gf2_product(power, power)  # 2, 4, then 8 zero bits: one zero byte
    while length:
        if length & 1:
            result = _gf2_product(result, power)
        length >>= 1
        if length:
            power = _gf2_product(power, power)
    return result


class _ZipWriter:
    """Writes a plain (non-zip64) zip from members whose stored bytes are already known."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._offset = 0
        self._central: list[bytes] = []

    def add(self, info: zipfile.ZipInfo, crc: int, size: int, payload: list[bytes]) -> None:
        """Append one member: payload is its stored (compressed) bytes."""
        compressed = sum(len(piece) for piece in payload)
        if max(size, compressed, self._offset) >= _ZIP64_LIMIT:
            raise FileProblem(_("The workbook is too large to be saved by this app."))
        try:
            name, flags = info.filename.encode("ascii"), 0
        except UnicodeEncodeError:
            name, flags = info.filename.encode("utf-8"), _UTF8_FLAG
        flags |= info.flag_bits & _KEPT_FLAGS if info.compress_type == zipfile.ZIP_DEFLATED else 0
        version = _EXTRACT_VERSIONS.get(info.compress_type, info.extract_version)
        time, date = _dos_time(info.date_time)
        common = (version, 0, flags, info.compress_type, time, date, crc, compressed, size)
        self._handle.write(_LOCAL.pack(b"PK\x03\x04", *common, len(name), 0) + name)
        for piece in payload:
            self._handle.write(piece)
        comment = info.comment
        self._central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                info.create_version,
                info.create_system,
                *common,
                len(name),
                0,
                len(comment),
                0,
                info.internal_attr,
                info.external_attr,
                self._offset,
            )
            + name
            + comment
        )
        self._offset += _LOCAL.size + len(name) + compressed

    def finish(self, comment: bytes) -> None:
        """Write the central directory and its end record."""
        directory = b"".join(self._central)
        count = len(self._central)
        if count >= 0xFFFF or self._offset + len(directory) >= _ZIP64_LIMIT:
            raise FileProblem(_("The workbook is too large to be saved by this app."))
        end = _END.pack(
            b"PK\x05\x06", 0, 0, count, count, len(directory), self._offset, len(comment)
        )
        self._handle.write(directory + end + comment)


def _dos_time(stamp: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    """(time, date) fields of a zip header for a (y, m, d, H, M, S) timestamp."""
    year, month, day, hour, minute, second = stamp
    date = (max(year, 1980) - 1980) << 9 | month << 5 | day
    return hour << 11 | minute << 5 | second // 2, date


@lru_cache(maxsize=MAX_COLUMNS)
def _letters(column: int) -> bytes:
    """Column letters of a 1-based column (1 -> b'A', 27 -> b'AA')."""
    letters = b""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = bytes([65 + rest]) + letters
    return letters


def _ref(column: int, row: int) -> bytes:
    """A1-style reference of a 1-based cell."""
    return _letters(column) + str(row).encode()


def _escape_xml(text: str) -> bytes:
    """Text as XML character data: legal characters only, markup escaped, CR kept."""
    text = _ILLEGAL_XML_RE.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;").encode("utf-8")


class UnstorableText(ValueError):
    """Text holding a character no workbook can hold (U+FFFE, U+FFFF, a lone surrogate)."""

    def __init__(self, char: str) -> None:
        super().__init__(f"U+{ord(char):04X}")
        self.char = char


def excel_escape(text: str) -> str:
    """Cell text as Excel stores it: control characters become _xHHHH_ (a vertical tab is
    _x000B_), and a literal '_x0041_' is protected from being read as one. Raises
    UnstorableText rather than drop a character."""
    if "_x" in text:
        text = _EXCEL_ESCAPE_RE.sub("_x005F_", text)
    if _ILLEGAL_XML_RE.search(text):
        bad = _UNSTORABLE_RE.search(text)
        if bad:
            raise UnstorableText(bad.group())
        text = _CONTROL_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


def _escape_cell_text(text: str) -> bytes:
    """Cell text as XML, every character kept (see excel_escape)."""
    return _escape_xml(excel_escape(text))


def _find_element(data: _Buffer, opener: bytes, start: int, stop: int) -> int:
    """Offset of the next tag opener (b'<row', b'</c', ...) followed by a name end, or -1."""
    at = data.find(opener, start, stop)
    while at >= 0 and data[at + len(opener)] not in _AFTER_NAME:
        at = data.find(opener, at + 1, stop)
    return at


def _index(data: _Buffer, sub: bytes, start: int) -> int:
    """data.index(sub, start), also for a mapping (which has only find)."""
    at = data.find(sub, start)
    if at < 0:
        raise ValueError(f"{sub!r} not found")
    return at


def _attribute(attrs: bytes, name: bytes) -> bytes | None:
    """The value of an unprefixed attribute in a tag's attribute bytes."""
    match = re.search(rb"\s" + name + rb"""\s*=\s*["']([^"']*)["']""", attrs)
    return match.group(1) if match else None


def _column_styles(head: bytes) -> list[tuple[int, int, bytes]]:
    """(first, last, style) of the <col> ranges that carry a non-default style."""
    styles = []
    for match in _COL_RE.finditer(head):
        attrs = match.group(1)
        first, last, style = (_attribute(attrs, name) for name in (b"min", b"max", b"style"))
        if first and last and style and style != b"0":
            styles.append((int(first), int(last), style))
    return styles


def _widen_dimension(head: bytes, edits: Edits) -> bytes:
    """The XML before <sheetData> with <dimension ref> grown to cover every written cell."""
    match = _DIMENSION_RE.search(head)
    written = [(row, col) for row, cols in edits.items() for col, text in cols.items() if text]
    if match is None or not written:
        return head
    ends = [_REF_RE.fullmatch(end) for end in match.group(2).decode("ascii", "replace").split(":")]
    if not all(ends) or len(ends) > 2:
        return head
    known = [(int(end.group(2)), column_index(end.group(1)) + 1) for end in ends if end]
    rows = [row for row, _ in known + written]
    cols = [col for _, col in known + written]
    low, high = _ref(min(cols), min(rows)), _ref(max(cols), max(rows))
    ref = low if low == high else low + b":" + high
    if ref == match.group(2):
        return head
    return head[: match.start(2)] + ref + head[match.end(2) :]


@dataclass(frozen=True, slots=True)
class _Cell:
    """Where one <c> element sits in a row, with its attribute bytes and content."""

    start: int
    end: int
    attrs: bytes
    content: bytes


@dataclass(frozen=True, slots=True)
class _Orphan:
    """A shared formula whose master cell was overwritten: its other cells need own formulas."""

    formula: str
    origin: str
    last_row: int


class _SheetPatcher:
    """One pass over a worksheet's XML that rewrites only the rows holding edits."""

    def __init__(self, xml: _Buffer, edits: Edits) -> None:
        self.xml = xml
        self.view = memoryview(xml)  # slices of it are not copies
        self.edits = edits
        self.out: list[bytes | memoryview] = []
        self.changes: list[_Change] = []  # the same as (start, stop, new bytes) of xml
        self.copied = 0  # xml[:copied] is already represented in out
        self.column_styles: list[tuple[int, int, bytes]] = []
        self.orphans: dict[bytes, _Orphan] = {}
        self.dropped_formula = False
        self.can_skip = True  # until a row without r shows up
        self._use_prefix(b"")

    def _use_prefix(self, prefix: bytes) -> None:
        """Prepare element names with the namespace prefix ('' or b'x:') the sheet uses."""
        self.prefix = prefix
        self.row_opener = b"<" + prefix + b"row"
        self.cell_opener = b"<" + prefix + b'c r="'
        self.cell_closer = b"</" + prefix + b"c>"
        self.formula_opener = b"<" + prefix + b"f"
        self.empty_cell = b"<" + prefix + b'c r="%s"%s/>'
        self.text_cell = (
            b"<"
            + prefix
            + b'c r="%s"%s t="inlineStr"><'
            + prefix
            + b"is><"
            + prefix
            + b't xml:space="preserve">%s</'
            + prefix
            + b"t></"
            + prefix
            + b"is></"
            + prefix
            + b"c>"
        )
        self.row_closer = b"</" + prefix + b"row>"
        name = re.escape(prefix) + b"c"
        # groups: r's column letters when r comes first, all attributes, content
        self.cell_re = re.compile(
            b"<"
            + name
            + rb"""(?=[\s/>])((?:\s+r\s*=\s*["']([A-Za-z]{1,3})\d*["'])?[^>]*?)"""
            + rb"(?:/>|>(.*?)</"
            + name
            + rb"\s*>)",
            re.DOTALL,
        )

    def run(self) -> list[bytes | memoryview]:
        """The patched worksheet XML, as pieces (mostly views of the original) in order."""
        sheet_data = _SHEET_DATA_RE.search(self.xml)
        if sheet_data is None:
            raise _Malformed("no <sheetData>")
        self._use_prefix(sheet_data.group(1))
        head = bytes(self.xml[: sheet_data.start()])
        self.column_styles = _column_styles(head)
        widened = _widen_dimension(head, self.edits)
        self.out.append(widened)
        if widened != head:
            self.changes.append((0, len(head), widened))
        self.copied = sheet_data.start()
        if sheet_data.group(3):
            self._fill_empty(sheet_data)
        else:
            close = self.xml.rfind(b"</" + self.prefix + b"sheetData", sheet_data.end())
            if close < 0:
                raise _Malformed("unclosed <sheetData>")
            self._scan(sheet_data.end(), close)
        self.out.append(self.view[self.copied :])
        return self.out

    def _fill_empty(self, sheet_data: re.Match[bytes]) -> None:
        """Replace a self-closing <sheetData/> by one holding the new rows."""
        rows = b"".join(self._new_row(number) for number in sorted(self.edits))
        if rows:
            name = self.prefix + b"sheetData"
            opened = b"<" + name + sheet_data.group(2).rstrip() + b">"
            self._replace(sheet_data.start(), sheet_data.end(), opened + rows + b"</" + name + b">")

    def _scan(self, pos: int, end: int) -> None:
        """Walk the rows between pos and end, patching edited rows and inserting missing ones."""
        xml = self.xml
        found = _ROW_PREFIX_RE.search(xml, pos, end)
        if found is not None:
            self._use_prefix(found.group(1))
        opener, width = self.row_opener, len(self.row_opener)
        pending, index, number, first = sorted(self.edits), 0, 0, pos
        while index < len(pending) or self._orphans_reach(number + 1):
            if self.can_skip and index < len(pending) and not self.orphans:
                pos = self._skip(pending[index], number, first, pos, end)
            start = xml.find(opener, pos, end)
            if start < 0:
                break
            if xml[start + width] not in _AFTER_NAME:
                pos = start + 1
                continue
            tag_end = _index(xml, b">", start) + 1
            number = self._row_number(start + width, tag_end) or number + 1
            while index < len(pending) and pending[index] < number:
                self._insert(start, self._new_row(pending[index]))
                index += 1
            edited = index < len(pending) and pending[index] == number
            index += edited
            pos = tag_end
            if edited or (self.orphans and self._orphans_reach(number)):
                pos = self._row_end(tag_end)
                row_edits = self.edits[number] if edited else {}
                new = self._rewrite_row(bytes(xml[start:pos]), number, row_edits)
                if new is not None:
                    self._replace(start, pos, new)
        self._insert(end, b"".join(self._new_row(row) for row in pending[index:]))

    def _skip(self, target: int, number: int, first: int, pos: int, end: int) -> int:
        """Where scanning for row target may resume: pos, or a later row numbered below target.

        Gallops then bisects over byte offsets, reading the r attribute of the row found
        after each probe. At a row without r it gives up for good (row numbers must then be
        counted). Only tried when the target looks far away, so dense edits pay nothing.
        """
        if number and (target - number) * (pos - first) < _SKIP_BYTES * number:
            return pos
        low, high, step = pos, end, _SKIP_BYTES
        while low + step < high:
            start, found = self._probe(low + step, high)
            if start < 0 or (found is not None and found >= target):
                high = start if start >= 0 else low + step
                break
            if found is None:
                return low
            low, step = start, step * 2
        while high - low > _SKIP_BYTES:
            middle = (low + high) // 2
            start, found = self._probe(middle, high)
            if start < 0 or (found is not None and found >= target):
                high = start if start >= 0 else middle
            elif found is None:
                return low
            else:
                low = start
        return low

    def _probe(self, at: int, stop: int) -> tuple[int, int | None]:
        """(start, r) of the first row starting in xml[at:stop]; (-1, None) if none does."""
        start = _find_element(self.xml, self.row_opener, at, stop)
        if start < 0:
            return -1, None
        tag_end = _index(self.xml, b">", start)
        number = self._row_number(start + len(self.row_opener), tag_end)
        self.can_skip = number is not None
        return start, number

    def _row_number(self, start: int, stop: int) -> int | None:
        """The r attribute of the row tag whose attributes lie in xml[start:stop]."""
        xml = self.xml
        if xml[start : start + 4] == b' r="':
            quote = xml.find(b'"', start + 4, stop)
            digits = xml[start + 4 : quote]
            if quote > 0 and digits.isdigit():
                return int(digits)
        match = _ROW_R_RE.search(xml, start, stop)
        return int(match.group(1)) if match else None

    def _row_end(self, tag_end: int) -> int:
        """Offset just past the row whose start tag ends at tag_end."""
        if self.xml[tag_end - 2] == _SLASH:
            return tag_end
        close = self.xml.find(self.row_closer, tag_end)
        if close >= 0:
            return close + len(self.row_closer)
        close = _find_element(self.xml, b"</" + self.prefix + b"row", tag_end, len(self.xml))
        if close < 0:
            raise _Malformed("unclosed <row>")
        return _index(self.xml, b">", close) + 1

    def _insert(self, at: int, data: bytes) -> None:
        if data:
            self._replace(at, at, data)

    def _replace(self, start: int, stop: int, data: bytes) -> None:
        self.out.append(self.view[self.copied : start])
        self.out.append(data)
        self.changes.append((start, stop, data))
        self.copied = stop

    def _orphans_reach(self, number: int) -> bool:
        """Whether some orphaned shared formula may still have cells in row number or later."""
        if self.orphans:
            self.orphans = {si: o for si, o in self.orphans.items() if o.last_row >= number}
        return bool(self.orphans)

    def _new_row(self, number: int) -> bytes:
        """A whole new <row> holding the non-empty edits of that row, or b''."""
        cells = b"".join(
            self._new_cell(number, column, text, None)
            for column, text in sorted(self.edits[number].items())
        )
        if not cells:
            return b""
        name = self.prefix + b"row"
        return b"<" + name + b' r="%d">' % number + cells + b"</" + name + b">"

    def _new_cell(self, number: int, column: int, text: str, row_style: bytes | None) -> bytes:
        """A cell that did not exist, styled like Excel would (row style, else column style)."""
        if not text:
            return b""
        return self._cell_xml(_ref(column, number), row_style or self._column_style(column), text)

    def _column_style(self, column: int) -> bytes | None:
        for first, last, style in self.column_styles:
            if first <= column <= last:
                return style
        return None

    def _cell_xml(self, ref: bytes, style: bytes | None, text: str) -> bytes:
        """A <c> holding text as an inline string, or an empty styled cell for ''."""
        style_attribute = b' s="%s"' % style if style else b""
        if not text:
            return self.empty_cell % (ref, style_attribute)
        try:
            escaped = _escape_cell_text(text)
        except UnstorableText as error:
            raise FileProblem(
                _(
                    "Cell {cell} holds a character ({error}) that an Excel workbook "
                    "cannot hold, so nothing was saved; remove it and save again."
                ).format(cell=ref.decode(), error=error)
            ) from None
        return self.text_cell % (ref, style_attribute, escaped)

    def _rewrite_row(self, row: bytes, number: int, edits: dict[int, str]) -> bytes | None:
        """The row with its edits applied and orphaned formulas fixed; None if unchanged."""
        if edits and not self.orphans:
            fast = self._rewrite_found_cells(row, number, edits)
            if fast is not None:
                return fast
        return self._rewrite_all_cells(row, number, edits)

    def _rewrite_found_cells(self, row: bytes, number: int, edits: dict[int, str]) -> bytes | None:
        """Fast path when every edited cell exists with r first; None when that is not so."""
        pieces: list[bytes] = []
        last, formulas = 0, False
        for column, text in sorted(edits.items()) if len(edits) > 1 else edits.items():
            ref = _ref(column, number)
            start = row.find(self.cell_opener + ref + b'"', last)
            if start < 0:
                return None
            tag_end = row.index(b">", start) + 1
            end = tag_end
            if row[tag_end - 2] != _SLASH:
                close = row.find(self.cell_closer, tag_end)
                if close < 0:
                    return None
                end = close + len(self.cell_closer)
                if row.find(self.formula_opener, tag_end, close) >= 0:
                    if row.find(b"shared", tag_end, close) >= 0:
                        return None  # may orphan a shared formula: the full path handles it
                    formulas = True
            style = _STYLE_RE.search(row, start, tag_end)
            pieces += (row[last:start], self._cell_xml(ref, style and style.group(1), text))
            last = end
        pieces.append(row[last:])
        self.dropped_formula = self.dropped_formula or formulas
        return b"".join(pieces)

    def _rewrite_all_cells(self, row: bytes, number: int, edits: dict[int, str]) -> bytes | None:
        """General path: walk every cell, handling missing r attributes and insertions."""
        tag_end = row.index(b">") + 1
        closed = row[tag_end - 2] == _SLASH
        body_end = tag_end if closed else row.rindex(b"</")
        row_style = _row_style(row[:tag_end])
        pending = sorted(edits.items())
        pieces: list[bytes] = []
        inserted: list[int] = []
        last, column, index = tag_end, 0, 0
        for match in self.cell_re.finditer(row, tag_end, body_end):
            letters = match.group(2)
            column = _column_number(letters) if letters else _cell_column(match[1]) or column + 1
            if not self.orphans and (index == len(pending) or pending[index][0] > column):
                if index == len(pending):
                    break  # nothing more to do in this row
                continue
            cell = _Cell(match.start(), match.end(), match.group(1), match.group(3) or b"")
            before = []
            while index < len(pending) and pending[index][0] < column:
                new = self._new_cell(number, *pending[index], row_style)
                if new:
                    before.append(new)
                    inserted.append(pending[index][0])
                index += 1
            replacement = None
            if index < len(pending) and pending[index][0] == column:
                replacement = self._overwrite(cell, number, column, pending[index][1])
                index += 1
            elif self.orphans:
                replacement = self._fix_dependent(cell, number, column)
            if before or replacement is not None:
                pieces += (row[last : cell.start], *before)
                if replacement is not None:
                    pieces.append(replacement)
                last = cell.end if replacement is not None else cell.start
        after = []
        for column, text in pending[index:]:
            new = self._new_cell(number, column, text, row_style)
            if new:
                after.append(new)
                inserted.append(column)
        if not pieces and not after:
            return None
        start_tag = row[:tag_end]
        if closed:
            start_tag = start_tag[:-2].rstrip() + b">"
        close_tag = b"</" + self.prefix + b"row>" if closed else row[body_end:]
        start_tag = _widen_spans(start_tag, inserted)
        return start_tag + b"".join(pieces) + row[last:body_end] + b"".join(after) + close_tag

    def _overwrite(self, cell: _Cell, number: int, column: int, text: str) -> bytes:
        """The new XML of an existing cell; remembers dropped formulas."""
        if _FORMULA_RE.search(cell.content):
            self.dropped_formula = True
            self._adopt_orphan(cell.content)
        return self._cell_xml(_ref(column, number), _style(cell.attrs), text)

    def _adopt_orphan(self, content: bytes) -> None:
        """If content is the master of a shared formula, remember it for its other cells."""
        match = _F_ELEMENT_RE.search(content)
        if match is None:
            return
        attrs = match.group(2)
        si, span = _attribute(attrs, b"si"), _attribute(attrs, b"ref")
        if _attribute(attrs, b"t") != b"shared" or si is None or not span:
            return
        corners = span.decode("ascii", "replace").split(":")
        origin, last = _REF_RE.fullmatch(corners[0]), _REF_RE.fullmatch(corners[-1])
        if origin and last:
            formula = _xml_text(match.group(3) or b"")
            self.orphans[si] = _Orphan(formula, origin.group(0), int(last.group(2)))

    def _fix_dependent(self, cell: _Cell, number: int, column: int) -> bytes | None:
        """A cell sharing an orphaned formula, now with its own translated formula."""
        if b"shared" not in cell.content:
            return None
        match = _F_ELEMENT_RE.search(cell.content)
        if match is None:
            return None
        si = _attribute(match.group(2), b"si")
        orphan = self.orphans.get(si) if si is not None else None
        if orphan is None or _attribute(match.group(2), b"ref"):
            return None
        formula = _translate(orphan.formula, orphan.origin, _ref(column, number).decode())
        name = match.group(1) + b"f"
        element = b"<" + name + b">" + _escape_xml(formula) + b"</" + name + b">"
        content = cell.content[: match.start()] + element + cell.content[match.end() :]
        p = self.prefix
        return b"<" + p + b"c" + cell.attrs + b">" + content + b"</" + p + b"c>"


def _style(attrs: bytes) -> bytes | None:
    match = _STYLE_RE.search(attrs)
    return match.group(1) if match else None


def _row_style(start_tag: bytes) -> bytes | None:
    """The style a row gives its new cells: only when the row is custom formatted."""
    if not _CUSTOM_FORMAT_RE.search(start_tag):
        return None
    style = _style(start_tag)
    return style if style != b"0" else None


def _cell_column(attrs: bytes) -> int | None:
    """1-based column from a cell's r attribute, or None when it has none."""
    match = _CELL_R_RE.search(attrs)
    return _column_number(match.group(1)) if match else None


@lru_cache(maxsize=4096)
def _column_number(letters: bytes) -> int:
    """1-based column of column letters (b'A' -> 1)."""
    return column_index(letters.decode("ascii")) + 1


def _widen_spans(start_tag: bytes, inserted: list[int]) -> bytes:
    """The row tag with its spans hint still covering the inserted columns."""
    if not inserted:
        return start_tag
    match = _SPANS_RE.search(start_tag)
    if match is None:
        return _ANY_SPANS_RE.sub(b"", start_tag)  # unusual form: drop the optional hint
    low = min(int(match.group(2)), *inserted)
    high = max(int(match.group(3)), *inserted)
    spans = match.group(1) + b"%d:%d" % (low, high) + match.group(4)
    return start_tag[: match.start()] + spans + start_tag[match.end() :]


def _xml_text(escaped: bytes) -> str:
    """Character data as text, with entities and character references resolved."""
    return ET.fromstring(b"<t>" + escaped + b"</t>").text or ""


def _translate(formula: str, origin: str, destination: str) -> str:
    """The formula written at origin, moved to destination as Excel shifts relative refs."""
    from openpyxl.formula.translate import Translator  # only needed in this rare case

    return Translator("=" + formula, origin=origin).translate_formula(destination)[1:]
