"""Reading a platform's download into text columns, as a person sees it in Excel.

Every value becomes the text Excel shows: leading zeros stay, long numeric IDs
never turn into 1.23E+17 or 123.0, dates become YYYY-MM-DD and blank stays blank.
Rows above the header (and a profile's guidance rows below it) are kept apart
and never touched. All checks on a file happen here, before any parser sees it.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import os
import re
import stat
import threading
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Any, BinaryIO, Literal

from desktop_app.i18n import N_, _, numeral
from desktop_app.models.column_mapping import (
    ColumnMapping,
    MappingFileProblem,
    MappingStore,
    apply_mapping,
)
from desktop_app.models.errors import FileProblem
from desktop_app.models.profiles import (
    Profile,
    normalise_header,
    profile_named,
)
from desktop_app.models.recognition import SAMPLE_ROWS, Recognition, fold, recognise
from desktop_app.models.slicing import (
    in_slices,
    let_window_in,
    release,
    set_of,
)
from desktop_app.models.validation import REFUSED_NOTE, Issue
from desktop_app.models.xlsx_parts import SheetArea, dropdown_lists, sheet_areas

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
HEADER_SEARCH_ROWS = 12
# Rows streamed from a workbook in one call, which holds the interpreter: about 15 ms.
STREAM_ROWS = 1024
MAX_HEADER = 1000
# A zip that inflates more than this many times over, past MAX_INFLATED, is refused.
MAX_RATIO = 100
MAX_INFLATED = 2 * 1024**3
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Larger files are refused before a byte is read: no user list comes near this.
MAX_FILE_BYTES = 512 * 1024**2
# A sheet whose used area (first to last cell, as the parser lays it out) is larger is
# refused: the parser would need tens of bytes for every cell of the rectangle.
MAX_SHEET_CELLS = 40_000_000

Progress = Callable[[str], None]
# "recognised" from the file, "remembered" from the admin's earlier choice, "given" by the caller.
MappingSource = Literal["recognised", "remembered", "given"]


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
    # Lines written in another character set than ``encoding``, by index, as their bytes:
    # they are saved back as they were unless their row is edited.
    foreign: dict[int, bytes] = field(default_factory=dict)


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
    # Problems the reader found in cells, by (row, column): they hold while the cell
    # keeps the value it was read with.
    notes: dict[tuple[int, int], Issue] = field(default_factory=dict)
    # What the first rows said about the layout (None: the table did not come from a file).
    recognition: Recognition | None = None
    # The mapping the profile was made with, and where it came from.
    mapping: ColumnMapping | None = None
    mapping_source: MappingSource = "recognised"
    # The columns of an import error report or results file (shown, never uploaded).
    report: ReportColumns | None = None

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


def find_header(
    rows: Sequence[Sequence[str]], forced: Profile | None = None, must_fit: bool = True
) -> Recognition:
    """The header row among the first rows, the profile that fits it and what each column is.

    A platform asked for (``forced``) must fit: its key column, or some of its columns,
    must be there, unless ``must_fit`` is False (a mapping says what each column is).
    """
    found = recognise(rows, forced=forced)
    if (
        must_fit
        and forced is not None
        and not forced.generic
        and (
            found is None
            or not any(target for _h, target in found.mapping.columns)
            or (forced.key_required and forced.key is not None and found.mapping.key is None)
        )
    ):
        raise FileProblem(
            _(
                "This file does not have the columns of a {title}: "
                "its header should include {items}."
            ).format(title=_(forced.title), items=", ".join(forced.signature))
        )
    if found is None:
        raise FileProblem(
            _(
                "No header row was found: the first row should hold column titles such as "
                "'Email' or 'First name', but it looks like user data or is empty."
            )
        )
    return found


def _probe(rows: Sequence[Sequence[Any]], convert: bool) -> list[list[str]]:
    """The rows recognition reads, as text; no title is this long, so a huge cell is cut."""
    head = rows[: HEADER_SEARCH_ROWS + SAMPLE_ROWS]
    texts = [_texts(r) for r in head] if convert else head
    return [[c if len(c) <= MAX_HEADER else c[:MAX_HEADER] for c in r] for r in texts]


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
    mapping: ColumnMapping | None = None,
    more: Iterable[list[list[Any]]] = (),
) -> LoadedFile:
    """The download laid out: ``rows`` are its first rows (all of them, for a CSV file),
    enough to find the header; ``more`` gives the rest of the sheet a part at a time."""
    if mapping is not None:
        given = profile_named(mapping.profile)
        if forced is not None and forced.name != given.name:
            raise FileProblem(
                _(
                    "The column mapping is for the {title}, not the {other}; choose one of them."
                ).format(title=_(given.title), other=_(forced.title))
            )
        forced = given
    probe = _probe(rows, convert)
    found = find_header(probe, forced, must_fit=mapping is None)
    header_row = found.header_row
    header = _texts(rows[header_row]) if convert else rows[header_row]
    first, end = _header_width(header)
    headers = [
        h.strip() or f"Column {_column_letter(first + i)}" for i, h in enumerate(header[first:end])
    ]
    data_start = found.data_start
    sample = [r[first:end] for r in probe[data_start : data_start + SAMPLE_ROWS]]
    report = find_report_columns(headers, sample, found.mapping)
    if report is not None:
        headers = report.headers
    source: MappingSource = "given"
    chosen = mapping.for_headers(headers) if mapping is not None else None
    if chosen is None:
        chosen = _remembered(found.profile.name, headers, report)
        source = "remembered" if chosen is not None else "recognised"
    if chosen is None:
        chosen = found.mapping.for_headers(headers)
    if report is not None:
        chosen = report.leave_out(chosen)
    try:
        profile = apply_mapping(found.profile, chosen, headers)
    except MappingFileProblem:
        if source != "remembered":
            raise
        # A remembered mapping that the platform's columns no longer fit: recognise afresh.
        chosen, source = found.mapping.for_headers(headers), "recognised"
        if report is not None:
            chosen = report.leave_out(chosen)
        profile = apply_mapping(found.profile, chosen, headers)
    profile = profile.for_headers(headers)
    laid_out = _Columns(first, end, gather_types=convert)
    for start in range(data_start, len(rows), STREAM_ROWS):
        laid_out.add(rows[start : start + STREAM_ROWS])
    for part in more:
        laid_out.add(part)
    columns, distinct, types = laid_out.finish()
    if convert:
        for index, values in enumerate(distinct):
            if types[index] <= {str}:
                continue
            read = columns[index]
            if bool in types[index]:  # True == 1 == 1.0: convert cell by cell
                columns[index] = in_slices(_texts, read)
            else:  # convert each distinct value once (a date column repeats its dates)
                texts = {v: cell_text(v) for v in (values or set_of(read))}
                columns[index] = in_slices(partial(_mapped, texts), read)
            release(read)  # the cells as read (a million dates): freed a slice at a time
            distinct[index] = _distinct(columns[index])
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
        recognition=found,
        mapping=chosen,
        mapping_source=source,
        report=report,
        notes=refusal_notes(report, headers, columns, profile) if report is not None else {},
    )


def _remembered(
    profile: str, headers: list[str], report: ReportColumns | None
) -> ColumnMapping | None:
    """The mapping the admin confirmed for these headers (a results file: for the download's)."""
    store = MappingStore()
    found = store.recall(profile, headers)
    if found is None and report is not None:
        found = store.recall(profile, report.data_headers())
    return None if found is None else found.for_headers(headers)


def _distinct(values: list[Any]) -> set[Any] | None:
    """A column's distinct values, where they are few enough to be worth a set (see
    ``_Columns``)."""
    sample = values[:DISTINCT_SAMPLE]
    if len(set(sample)) > len(sample) * 4 // 5:
        return None
    return set_of(values)


# Rows whose values show whether a column has few enough distinct values to be worth a set.
DISTINCT_SAMPLE = 10_000
# Distinct values beyond which a column's cells no longer share one string per value, and
# its set is made once the sheet is read: finding each cell's string among more of them
# reaches memory that reading the sheet has pushed out of the cache (a column of 15,000
# distinct managers took three to five times as long as a set made afterwards).
SHARED_VALUES = 2_048


class _Columns:
    """The users' rows laid out as columns, a part of the sheet at a time.

    Each part is laid out while the cells just read are still in the processor's cache,
    and each column's distinct values and the types of its values are gathered in the
    same pass; done once the whole sheet was read, each of those passes reached every
    cell in memory again. The rows of the whole sheet are never held at once.

    A column with few distinct values (a Department column has ten) has them in a set:
    the type check and the first validation run once per distinct value. Up to
    ``SHARED_VALUES`` of them, its cells share one string per value, so that every later
    pass over the column finds them in the cache (and a million rows hold ten strings,
    not a million). One whose first ``DISTINCT_SAMPLE`` values are over four fifths
    distinct (IDs, emails) is checked cell by cell, and has no set.
    """

    def __init__(self, first: int, end: int, gather_types: bool) -> None:
        self.first, self.end = first, end
        self.columns: list[list[Any]] = [[] for _ in range(first, end)]
        # Each distinct value of a column, to itself: the one string its cells share.
        self.distinct: list[dict[Any, Any] | None] = [{} for _ in range(first, end)]
        # The types of each column's values, when they are wanted (an xlsx file's cells
        # can be numbers, dates and TRUE or FALSE; a CSV file's are all text).
        self.types: list[set[type]] = [set() for _ in range(first, end)]
        self.gather_types = gather_types
        # Columns with too many distinct values to share: their set is made once read.
        self.later: set[int] = set()
        self.rows = 0
        # Rows with nothing in the header's columns at the end of the last part: they
        # are users' rows only if a row with something in it comes after them.
        self.blank_tail: list[list[Any]] = []

    def add(self, part: list[list[Any]]) -> None:
        first, end = self.first, self.end
        last = len(part)
        while last and not any(v != "" for v in part[last - 1][first:end]):
            last -= 1
        if not last:
            self.blank_tail += part
            return
        rows = self.blank_tail + part[:last] if self.blank_tail else part[:last]
        self.blank_tail = part[last:]
        # A long run of blank rows between users comes at once: a part at a time still.
        for start in range(0, len(rows), STREAM_ROWS):
            piece = rows[start : start + STREAM_ROWS]
            if self.rows < DISTINCT_SAMPLE < self.rows + len(piece):  # the sample ends in it
                cut = DISTINCT_SAMPLE - self.rows
                self._lay_out(piece[:cut])
                piece = piece[cut:]
            self._lay_out(piece)
            let_window_in()

    def _lay_out(self, rows: list[list[Any]]) -> None:
        widths = set(map(len, rows))
        wide = max(max(widths), self.end)
        if widths != {wide}:  # rows reach as far as their last cell: pad the short ones
            for row in rows:
                if len(row) < wide:
                    row += [""] * (wide - len(row))
        # All rows as wide: one flat list, then every column is a strided slice. Both run
        # in C over memory in order, ten times faster than picking each row's cell.
        flat = list(chain.from_iterable(rows))
        for column, found, types, c in zip(
            self.columns, self.distinct, self.types, range(self.first, self.end), strict=True
        ):
            values = flat[c::wide]
            text = True
            if self.gather_types:
                text = _all_text(values)
                types |= {str} if text else set(map(type, values))
            if found is not None and text:  # each cell to its value's one string
                values = list(map(found.setdefault, values, values))
            elif found is not None:  # TRUE == 1 == 1.0: only text is shared
                found.update(zip(values, values, strict=True))
            column += values
        self.rows += len(rows)
        if self.rows == DISTINCT_SAMPLE:
            self._sampled()

    def _sampled(self) -> None:
        """Give up the sets of the columns whose sample is mostly distinct values, and
        leave those with more than ``SHARED_VALUES`` until the sheet is read."""
        for index, found in enumerate(self.distinct):
            if found is not None and len(found) > self.rows * 4 // 5:
                self.distinct[index] = None
            elif found is not None and len(found) > SHARED_VALUES:
                self.distinct[index] = None
                self.later.add(index)

    def finish(self) -> tuple[list[list[Any]], list[set[Any] | None], list[set[type]]]:
        """The columns, their distinct values and the types of their values."""
        if self.rows < DISTINCT_SAMPLE:
            self._sampled()
        distinct = [
            set_of(column) if index in self.later else None if found is None else set(found)
            for index, (found, column) in enumerate(zip(self.distinct, self.columns, strict=True))
        ]
        return self.columns, distinct, self.types


def _all_text(values: list[Any]) -> bool:
    """Whether every value is text. Joining them stops at the first value that is not,
    and takes a quarter of the time of gathering the types of a thousand values."""
    try:
        "".join(values)
    except TypeError:
        return False
    return True


def _mapped(texts: dict[Any, str], values: Sequence[Any]) -> list[str]:
    return list(map(texts.__getitem__, values))


def sheet_rows(workbook: Any, name: str, last_row: int | None = None) -> list[list[Any]]:
    """A sheet's rows from A1, as ``to_python(skip_empty_area=False)`` lays them out.

    The rows are streamed from the file a few at a time: the parser never holds the whole
    sheet (at a million rows 1,440 MiB against 2,398 for laying it out first, and nothing
    large to free at the end), and the window's thread runs between two reads. A row
    reaches as far as its last cell, or as the widest row before it.
    """
    stream = workbook.stream_sheet_by_name(name, max_row=last_row)
    rows: list[list[Any]] = []
    while chunk := list(islice(stream, STREAM_ROWS)):
        rows += chunk
        let_window_in()
    return rows


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --- checks before parsing --------------------------------------------------------


def check_file(path: Path) -> str:
    """Refuse what no parser should see; returns 'xlsx' or 'csv'.

    Only a regular file is opened (a symbolic link counts by what it points to), so a
    pipe or a device such as /dev/zero named '.csv' can neither block nor flood the app.
    """
    size = _regular_file_size(path)
    if not size:
        raise FileProblem(_("The file '{name}' is empty.").format(name=path.name))
    with _open_regular(path) as handle:
        magic = handle.read(8)
    if not magic:
        raise FileProblem(_("The file '{name}' is empty.").format(name=path.name))
    if size > MAX_FILE_BYTES:
        raise FileProblem(
            _(
                "'{name}' is {size} MB, more than the "
                "{limit} MB User Editor opens, so it was not opened."
            ).format(
                name=path.name,
                size=numeral(round(size / 1024**2)),
                limit=MAX_FILE_BYTES // 1024**2,
            )
        )
    suffix = path.suffix.lower()
    if magic.startswith(OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00" in read_source(path):
            raise FileProblem(
                _(
                    "'{name}' is protected with a password. Open it in Excel, remove the "
                    "password (File > Info > Protect Workbook), save, and open it here again."
                ).format(name=path.name)
            )
        raise FileProblem(
            _(
                "'{name}' is an old Excel 97-2003 file. Open it in Excel and save it as "
                "'Excel Workbook (.xlsx)', then open that file here."
            ).format(name=path.name)
        )
    if magic.startswith(b"PK"):
        _check_zip(path)
        return "xlsx"
    if suffix in EXCEL_SUFFIXES or suffix == ".xls":
        raise FileProblem(
            _(
                "'{name}' is not a valid Excel file: it may be damaged or only partly "
                "downloaded. Download it from the platform again."
            ).format(name=path.name)
        )
    return "csv"


def _regular_file_size(path: Path) -> int:
    """The size of the regular file at path; FileProblem for anything else."""
    try:
        info = os.stat(path)  # follows symbolic links and never blocks, unlike open()
    except FileNotFoundError:
        raise FileProblem(
            _("The file '{name}' does not exist (it may have been moved).").format(name=path.name)
        ) from None
    except OSError as error:
        raise FileProblem(
            _("The file '{name}' cannot be read: {strerror}.").format(
                name=path.name, strerror=error.strerror
            )
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise FileProblem(_("'{name}' is a folder, not a file.").format(name=path.name))
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path)
    return info.st_size


def _not_regular(path: Path) -> FileProblem:
    return FileProblem(
        _(
            "'{name}' is not an ordinary file (it is a pipe, a device or a socket), "
            "so it was not opened."
        ).format(name=path.name)
    )


def _open_regular(path: Path) -> BinaryIO:
    """path opened for reading, once more checked to be a regular file.

    O_NONBLOCK keeps open() from waiting for a writer should a pipe have taken the
    file's place since it was checked.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise FileProblem(
            _("The file '{name}' cannot be read: {strerror}.").format(
                name=path.name, strerror=error.strerror
            )
        ) from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise _not_regular(path)
    return os.fdopen(descriptor, "rb")


def read_source(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, never more than limit of them."""
    with _open_regular(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileProblem(
            _(
                "'{name}' is more than the {value} MB User Editor opens, so it was not opened."
            ).format(name=path.name, value=limit // 1024**2)
        )
    return data


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError):
        raise FileProblem(
            _(
                "'{name}' is damaged and cannot be opened. Download it from the platform again."
            ).format(name=path.name)
        ) from None
    if "xl/workbook.xml" not in names:
        raise FileProblem(_("'{name}' is not an Excel workbook.").format(name=path.name))
    inflated = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if inflated > MAX_INFLATED or (inflated > 100 * 1024**2 and inflated / packed > MAX_RATIO):
        raise FileProblem(
            _(
                "'{name}' expands to {size} MB when opened, far more than "
                "a user list can hold, so it was not opened."
            ).format(name=path.name, size=numeral(inflated // 1024**2))
        )


# --- import error reports and results files --------------------------------------------
#
# A platform's import error report, or the results file an upload here writes, is the
# download with a status and a message per row. Opened, each refused row shows its
# message as a problem, so the admin fixes it and sends it again without retyping.
# The words are compared folded (no case, accents or punctuation), as recognition does.

_STATUS_HEADERS = {
    "status", "result", "results", "outcome", "import status", "import result",
    "upload status", "upload result", "resultaat", "uitkomst", "ergebnis", "resultat",
    "statut", "resultat de l import",
}  # fmt: skip
_MESSAGE_HEADERS = {
    "message", "messages", "result message", "status message", "details", "melding",
    "meldingen", "meldung", "nachricht",
}  # fmt: skip
# Headers that name an error whether or not a status column is there.
_ERROR_HEADERS = {
    "error", "errors", "error message", "error messages", "error details", "reason",
    "failure reason", "reason for failure", "rejection reason", "import error",
    "import errors", "fout", "fouten", "foutmelding", "foutmeldingen", "reden", "fehler",
    "fehlermeldung", "grund", "erreur", "erreurs", "message d erreur", "motif", "raison",
}  # fmt: skip
# A row's status, folded, and how its message is introduced when the row needs the admin.
_FAILED = N_("The platform refused this row")
_REFUSED_STATUSES = {
    "failed": _FAILED, "failure": _FAILED, "error": _FAILED, "errors": _FAILED,
    "refused": _FAILED, "rejected": _FAILED, "not imported": _FAILED, "invalid": _FAILED,
    "mislukt": _FAILED, "fout": _FAILED, "geweigerd": _FAILED, "afgewezen": _FAILED,
    "niet geimporteerd": _FAILED, "fehlgeschlagen": _FAILED, "fehler": _FAILED,
    "abgelehnt": _FAILED, "nicht importiert": _FAILED, "echec": _FAILED,
    "erreur": _FAILED, "rejete": _FAILED, "refuse": _FAILED, "non importe": _FAILED,
    "not uploaded": N_("This row was not uploaded"),
    "edited in part": N_("Only part of this row was saved"),
    "added in part": N_("Only part of this row was saved"),
    "not put back": N_("This row was not put back"),
}  # fmt: skip
_OTHER_STATUSES = {
    "edited", "added", "updated", "created", "imported", "success", "succeeded",
    "successful", "ok", "done", "unchanged", "skipped", "not sent", "already as before",
    "put back", "no change", "no changes", "geslaagd", "gelukt", "bijgewerkt",
    "toegevoegd", "geimporteerd", "erfolgreich", "aktualisiert", "importiert",
    "hinzugefugt", "succes", "reussi", "importe", "mis a jour", "ajoute",
}  # fmt: skip


@dataclass(frozen=True)
class ReportColumns:
    """Where a report keeps each row's status and message (indexes into ``headers``)."""

    headers: list[str]  # the file's headers; a report column named like a data column is renamed
    status: int | None
    message: int | None

    @property
    def indexes(self) -> set[int]:
        return {i for i in (self.status, self.message) if i is not None}

    def data_headers(self) -> list[str]:
        """The headers of the download the report was made from."""
        return [h for i, h in enumerate(self.headers) if i not in self.indexes]

    def leave_out(self, mapping: ColumnMapping) -> ColumnMapping:
        """The mapping with the report's columns not uploaded (and never the key)."""
        names = {normalise_header(self.headers[i]) for i in self.indexes}
        columns = tuple(
            (h, None if normalise_header(h) in names else t) for h, t in mapping.columns
        )
        key = (
            None
            if mapping.key is not None and normalise_header(mapping.key) in names
            else mapping.key
        )
        return ColumnMapping(mapping.profile, columns, key)


def _status_words(values: Sequence[str]) -> bool:
    """Whether most filled values are import outcomes ('Failed', 'Edited'), not user data."""
    filled = [fold(v) for v in values if v.strip()]
    if not filled:
        return False
    outcomes = sum(v in _REFUSED_STATUSES or v in _OTHER_STATUSES for v in filled)
    return outcomes >= 0.8 * len(filled)


def find_report_columns(
    headers: Sequence[str], sample: Sequence[Sequence[str]], mapping: ColumnMapping
) -> ReportColumns | None:
    """The status and message columns of an error report or results file; None for a download.

    A status column is named like one and holds outcomes; a message column is named like
    one beside a status column, or named like an error and mapped to no platform column.
    The last such columns count: a results file of a results file adds a pair.
    """
    folded = [fold(h) for h in headers]
    mapped = dict(mapping.columns)
    status = None
    for index in reversed(range(len(headers))):
        if folded[index] in _STATUS_HEADERS:
            values = [r[index] if index < len(r) else "" for r in sample]
            if _status_words(values):
                status = index
                break
    message = None
    for index in reversed(range(len(headers))):
        if index == status:
            continue
        if folded[index] in _ERROR_HEADERS and mapped.get(headers[index]) is None:
            message = index
            break
        if status is not None and folded[index] in _MESSAGE_HEADERS:
            message = index
            break
    if status is None and message is None:
        return None
    renamed = list(headers)
    taken = {normalise_header(h) for i, h in enumerate(headers) if i not in (status, message)}
    for column in (status, message):
        if column is not None and normalise_header(headers[column]) in taken:
            # Two columns of one name would share one rule: the report's gets its own name.
            renamed[column] = f"{headers[column]} (import result)"
    return ReportColumns(renamed, status, message)


def refusal_notes(
    report: ReportColumns, headers: Sequence[str], columns: Sequence[list[str]], profile: Profile
) -> dict[tuple[int, int], Issue]:
    """The report's message on each refused row: on the column it names, else the key.

    Such a note holds while its row is as read: editing the row is fixing it.
    """
    statuses = columns[report.status] if report.status is not None else None
    messages = columns[report.message] if report.message is not None else None
    data = [i for i in range(len(headers)) if i not in report.indexes]
    key = next(
        (i for i in data if profile.key is not None and headers[i] == profile.key),
        data[0] if data else 0,
    )
    named = _header_finder([headers[i] for i in data])
    notes: dict[tuple[int, int], Issue] = {}
    cache: dict[tuple[str, str], tuple[int, Issue] | None] = {}
    for row in range(len(columns[0]) if columns else 0):
        status = statuses[row] if statuses is not None else ""
        message = messages[row].strip() if messages is not None else ""
        if (status, message) not in cache:  # a report repeats a few messages many times
            cache[(status, message)] = _refusal(status, message, statuses is not None, named)
        found = cache[(status, message)]
        if found is not None:
            at, issue = found
            notes[(row, data[at] if at >= 0 else key)] = issue
    return notes


def _refusal(
    status: str, message: str, has_status: bool, named: Callable[[str], int]
) -> tuple[int, Issue] | None:
    """Where a row's note goes (an index into the data headers, -1: the key) and what it says."""
    if has_status:
        lead = _REFUSED_STATUSES.get(fold(status))
        if lead is None:
            return None
    elif not message or fold(message) in _OTHER_STATUSES:
        return None
    else:
        lead = _FAILED
    lead = _(lead)
    text = f"{lead}: {message}" if message else f"{lead}."
    return named(message), Issue(text, REFUSED_NOTE)


def _header_finder(headers: Sequence[str]) -> Callable[[str], int]:
    """A function giving the header a message names first (-1 if it names none)."""
    words = [(i, fold(h)) for i, h in enumerate(headers) if fold(h)]
    patterns = [(i, re.compile(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])")) for i, w in words]

    def first_named(message: str) -> int:
        text = fold(message)
        best, rank = -1, (len(text) + 1, 0)
        for index, pattern in patterns:
            hit = pattern.search(text)
            # The first named; of two starting there, the longer ('Email' < 'Email address').
            if hit is not None and (hit.start(), -len(hit.group())) < rank:
                best, rank = index, (hit.start(), -len(hit.group()))
        return best

    return first_named


# --- Excel -------------------------------------------------------------------------


def read_xlsx(
    path: Path, forced: Profile | None = None, mapping: ColumnMapping | None = None
) -> LoadedFile:
    import python_calamine_plus as calamine

    source = read_source(path)
    workbook = None
    # Before calamine reads any sheet, one more thread measures how far each sheet reaches
    # and reads the first sheet's drop-downs, while calamine reads the workbook's shared
    # parts (both let the GIL go). Nothing runs beside the reading of the sheet itself: a
    # third thread taking turns at the GIL would keep the window's from it.
    areas: dict[str, SheetArea] = {}
    lists: dict[str, dict[int, list[str]]] = {}
    survey = threading.Thread(target=_survey_sheets, args=(path, areas, lists), daemon=True)
    survey.start()
    try:
        try:
            try:
                workbook = calamine.load_workbook(str(path))  # from the path: faster than bytes
            finally:
                survey.join()
            if "" in areas:
                raise ValueError("the sheets could not be measured")
            sheets = [
                m.name
                for m in workbook.sheets_metadata
                if str(m.typ).endswith("WorkSheet") and str(m.visible).endswith("Visible")
            ] or list(workbook.sheet_names)
            # A sheet too large to lay out is never read: the first is the users' sheet and
            # is refused; any other is left out (it may only have held drop-down lists).
            too_large = _too_large(areas)
            if sheets[0] in too_large:
                raise _sheet_too_large(path, sheets[0], areas[sheets[0]])
            sheets = [name for name in sheets if name not in too_large]
            chosen = sheets[0]
            if len(sheets) > 1:  # the sheet that looks most like users, from its first rows
                best = -1.0
                for name in sheets:
                    sample = sheet_rows(workbook, name, HEADER_SEARCH_ROWS + SAMPLE_ROWS - 1)
                    found = recognise(_probe(sample, convert=True)) if sample else None
                    score = -1.0 if found is None else found.confidence
                    if score > best:
                        chosen, best = name, score
            other_sheets = {
                name: workbook.get_sheet_by_name(name).to_python()
                for name in workbook.sheet_names
                if name != chosen and name not in too_large
            }
            stream = workbook.stream_sheet_by_name(chosen)
            head = list(islice(stream, max(STREAM_ROWS, HEADER_SEARCH_ROWS + SAMPLE_ROWS)))
            if not head:
                raise FileProblem(
                    _("The sheet '{chosen}' in '{name}' is empty.").format(
                        chosen=chosen, name=path.name
                    )
                )
        except FileProblem:
            raise
        except Exception as error:  # calamine raises several kinds for a damaged file
            raise _unreadable(path, error) from None
        loaded = _build(
            path, "xlsx", head, forced, convert=True, mapping=mapping, more=_rest(stream, path)
        )
    finally:
        if workbook is not None:
            # Closing frees the shared strings without letting the interpreter go (65 ms
            # at a million rows).
            let_window_in(before_a_long_hold=True)
            workbook.close()
    loaded.sheet_name = chosen
    loaded.source = source
    if chosen not in lists:  # the users are not on the first sheet
        _read_dropdowns(path, chosen, lists.setdefault(chosen, {}), too_large)
    loaded.dropdowns = {
        c - loaded.first_column: v for c, v in lists[chosen].items() if c >= loaded.first_column
    }
    _add_sheet_lists(loaded, other_sheets)
    return loaded


def _rest(stream: Any, path: Path) -> Iterator[list[list[Any]]]:
    """The rest of a sheet being streamed, a few rows at a time; the window's thread runs
    between two reads."""
    try:
        while part := list(islice(stream, STREAM_ROWS)):
            yield part
            let_window_in()
    except Exception as error:  # noqa: BLE001 - a sheet damaged past its first rows
        raise _unreadable(path, error) from None


def _unreadable(path: Path, error: Exception) -> FileProblem:
    if "password" in str(error).lower():
        return FileProblem(_("'{name}' is protected with a password.").format(name=path.name))
    return FileProblem(
        _(
            "'{name}' could not be read as an Excel workbook: it may be damaged. "
            "Download it from the platform again."
        ).format(name=path.name)
    )


def _survey_sheets(
    path: Path, areas: dict[str, SheetArea], lists: dict[str, dict[int, list[str]]]
) -> None:
    """Fill ``areas`` with each sheet's reach (the key '' says the package could not be
    read) and ``lists`` with the first sheet's drop-downs."""
    ends: dict[str, bytes] = {}  # what follows the cells of each sheet searched whole
    try:
        areas.update(sheet_areas(path, MAX_SHEET_CELLS, ends))
    except Exception:  # noqa: BLE001 - a damaged package: calamine will say so too
        areas[""] = SheetArea(0, 0)
        return
    too_large = _too_large(areas)
    first = next((name for name in areas if name not in too_large), None)
    if first is not None:
        _read_dropdowns(path, first, lists.setdefault(first, {}), too_large, ends.get(first))


def _too_large(areas: dict[str, SheetArea]) -> set[str]:
    """The sheets too large to lay out."""
    return {name for name, area in areas.items() if area.cells > MAX_SHEET_CELLS}


def _sheet_too_large(path: Path, sheet: str, area: SheetArea) -> FileProblem:
    return FileProblem(
        _(
            "The sheet '{sheet}' in '{name}' reaches out to cell {corner}, far beyond "
            "any list of users, so opening it would take {cells} cells; in Excel, delete "
            "what lies in the rows and columns after your users, save, and open the file here "
            "again."
        ).format(sheet=sheet, name=path.name, corner=area.corner, cells=numeral(area.cells))
    )


def _read_dropdowns(
    path: Path,
    sheet: str,
    into: dict[int, list[str]],
    skip: Collection[str] = (),
    end: bytes | None = None,
) -> None:
    """The sheet's list drop-downs; they help, and are never a reason to refuse a file."""
    try:
        into.update(dropdown_lists(path, sheet, skip, end))
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


_RAW_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")


@dataclass
class DecodedText:
    """A text file's physical lines, and the character set each was written in."""

    lines: list[str]
    encoding: str
    bom: bytes = b""
    # Lines in another character set than ``encoding`` (by index, as their bytes).
    foreign: dict[int, bytes] = field(default_factory=dict)
    foreign_encoding: str | None = None


def decode_text(raw: bytes, name: str | None = None) -> DecodedText:
    """The lines of a CSV as Excel and platforms write them, decoded strictly.

    Nothing is ever replaced: a file that is UTF-8 (with or without BOM), UTF-16 or one
    single-byte character set reads as such; a file that mixes UTF-8 lines with lines
    in another character set (one program appended to another's export) reads each line
    in its own, and says which lines are foreign so their rows can be flagged.
    """
    name = name or _("This file")
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            return DecodedText(_LINE.findall(_strict(raw[len(bom) :], codec, name)), codec, bom)
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    body = raw[len(bom) :]
    sample = body[:4000]
    if not bom and sample and sample.count(b"\x00") > len(sample) // 4:
        codec = "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
        return DecodedText(_LINE.findall(_strict(body, codec, name)), codec)
    if b"\x00" in sample:
        raise FileProblem(_("This is not a text file that User Editor can read."))
    try:
        return DecodedText(_LINE.findall(body.decode("utf-8")), "utf-8", bom)
    except UnicodeDecodeError:
        pass
    raw_lines = _RAW_LINE.findall(body)
    in_utf8, other = [], []
    for index, line in enumerate(raw_lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            in_utf8.append(index)
        except UnicodeDecodeError:
            other.append(index)
    other_codec = _single_byte_codec(b"".join(raw_lines[i] for i in other), name)
    if not in_utf8:
        return DecodedText(_LINE.findall(body.decode(other_codec)), other_codec, bom)
    # Mixed: the file's character set is the one most of its lines are in (UTF-8 with a BOM).
    if bom or len(in_utf8) >= len(other):
        main, foreign, foreign_codec = "utf-8", other, other_codec
    else:
        main, foreign, foreign_codec = other_codec, in_utf8, "utf-8"
    codecs_used = [main] * len(raw_lines)
    for index in foreign:
        codecs_used[index] = foreign_codec
    lines = list(map(bytes.decode, raw_lines, codecs_used))
    return DecodedText(lines, main, bom, {i: raw_lines[i] for i in foreign}, foreign_codec)


def _strict(data: bytes, codec: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise FileProblem(
            _(
                "{name} says it is {codec} text but byte {start} is not, so "
                "it may be damaged; save it again from Excel as 'CSV UTF-8' and open that here."
            ).format(name=name, codec=codec_name(codec), start=numeral(error.start))
        ) from None


def _single_byte_codec(data: bytes, name: str) -> str:
    """The character set of text that is not UTF-8: Windows-1252 (Excel's own on Western
    Windows) when it fits, else the best guess of charset-normalizer that decodes it."""
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    guess = from_bytes(data).best()
    if guess is not None:
        try:
            data.decode(guess.encoding)
            return str(guess.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    raise FileProblem(
        _(
            "{name} is not written in a character set User Editor can read without changing "
            "letters; save it again from Excel as 'CSV UTF-8' and open that here."
        ).format(name=name)
    )


def codec_name(codec: str) -> str:
    """A character set as people name it: 'Windows-1252', 'UTF-16'."""
    known = {"cp1252": "Windows-1252", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}
    return known.get(codec, codec.upper().replace("_", "-"))


@contextmanager
def csv_field_limit(size: int) -> Iterator[None]:
    """Let the csv module read fields up to ``size`` characters while in this block.

    Its limit (131,072 by default) is process-wide: it is raised under a lock and put
    back after, so a long cell is read and no other code sees a changed limit for good.
    """
    with _FIELD_LIMIT_LOCK:
        before = csv.field_size_limit()
        csv.field_size_limit(max(before, min(size + 1, _C_LONG_MAX)))
        try:
            yield
        finally:
            csv.field_size_limit(before)


_FIELD_LIMIT_LOCK = threading.Lock()
_C_LONG_MAX = 2**31 - 1  # the csv limit is a C long, 32 bits on Windows


def sniff_delimiter(first_line: str) -> str:
    """The separator Excel or the platform used: the one most frequent outside quotes."""
    outside = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(
    path: Path, forced: Profile | None = None, mapping: ColumnMapping | None = None
) -> LoadedFile:
    name = f"'{path.name}'"
    decoded = decode_text(read_source(path), name)
    lines = decoded.lines
    if not any(line.strip() for line in lines):
        raise FileProblem(_("The file '{name}' is empty.").format(name=path.name))
    first = next(line for line in lines if line.strip())
    delimiter = sniff_delimiter(first)
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[list[str]] = []
    spans: list[tuple[int, int]] = []
    start = 0
    try:
        with csv_field_limit(sum(map(len, lines))):
            for record in reader:
                records.append(record)
                spans.append((start, reader.line_num))
                start = reader.line_num
    except csv.Error:
        raise FileProblem(
            _("'{name}' is not a valid CSV file near line {line}.").format(
                name=path.name, line=reader.line_num
            )
        ) from None
    width = max((len(r) for r in records), default=0)
    rows = [r + [""] * (width - len(r)) for r in records]
    loaded = _build(path, "csv", rows, forced, convert=False, mapping=mapping)
    release(rows)
    release(records)
    spans = spans[loaded.data_start : loaded.data_start + loaded.row_count]
    loaded.csv_format = CsvFormat(
        encoding=decoded.encoding,
        bom=decoded.bom,
        delimiter=delimiter,
        quote_all=_all_quoted(first, delimiter),
        line_terminator=_terminator(first),
        lines=lines,
        spans=spans,
        foreign=decoded.foreign,
    )
    if decoded.foreign:
        foreign = _foreign_rows(loaded, spans, sorted(decoded.foreign), decoded)
        loaded.notes = {**foreign, **loaded.notes}
    return loaded


def _foreign_rows(
    loaded: LoadedFile, spans: list[tuple[int, int]], foreign: list[int], decoded: DecodedText
) -> dict[tuple[int, int], Issue]:
    """A problem on the cells with accents of each row written in the other character set."""
    issue = Issue(
        _(
            "This row was written in a different character set than the rest of the file "
            "({codec_name}); check its accents."
        ).format(codec_name=codec_name(decoded.foreign_encoding or "")),
        "encoding",
    )
    notes = {}
    for row, (start, end) in enumerate(spans):
        at = bisect.bisect_left(foreign, start)
        if at == len(foreign) or foreign[at] >= end:
            continue
        columns = [c for c, values in enumerate(loaded.columns) if not values[row].isascii()]
        for col in columns or [0]:
            notes[(row, col)] = issue
    return notes


def _terminator(line: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return "\r\n"


def _all_quoted(line: str, delimiter: str) -> bool:
    fields = line.rstrip("\r\n").split(delimiter)
    return all(len(f) >= 2 and f.startswith('"') and f.endswith('"') for f in fields)


# --- the one door ------------------------------------------------------------------


def read_file(
    path: str | Path, profile: str | None = None, mapping: ColumnMapping | None = None
) -> LoadedFile:
    """Read a download; a file that can't be read raises FileProblem with one sentence.

    ``profile`` names the platform (otherwise it is recognised); ``mapping`` says what
    each column is (otherwise the one the admin confirmed for these headers, or the
    recognised one).
    """
    path = Path(path)
    forced = profile_named(profile) if profile else None
    kind = check_file(path)
    try:
        if kind == "xlsx":
            return read_xlsx(path, forced, mapping)
        return read_csv(path, forced, mapping)
    except FileProblem:
        raise
    except MemoryError:
        raise FileProblem(
            _("'{name}' is too large to open on this computer.").format(name=path.name)
        ) from None
    except OSError as error:
        raise FileProblem(
            _("The file '{name}' cannot be read: {strerror}.").format(
                name=path.name, strerror=error.strerror
            )
        ) from None


def header_index(headers: Sequence[str], name: str) -> int | None:
    wanted = normalise_header(name)
    for i, h in enumerate(headers):
        if normalise_header(h) == wanted:
            return i
    return None
