"""Saving a document in the layout its platform needs: only edited cells differ.

An Excel file is patched (every other part of the package is copied as it was:
rows above the header, other sheets, styles, widths, drop-downs); a CSV keeps its
encoding, separator, quoting and line endings, and every unedited line byte for
byte. Every write goes to a temporary file first and replaces the target in one step.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from desktop_app.i18n import _
from desktop_app.models.document import DocumentSnapshot, UserDocument
from desktop_app.models.errors import FileProblem
from desktop_app.models.readers import CsvFormat, codec_name, csv_field_limit

# What saving reads: the live document, or a snapshot of it taken for a save in the background.
Saved = UserDocument | DocumentSnapshot


def edited_path(original: Path) -> Path:
    """Where Save puts the copy by default: NAME-edited.EXT beside the download."""
    return original.with_name(f"{original.stem}-edited{original.suffix}")


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary file beside ``target``, then move it into place.

    The temporary file is flushed to disk before it replaces the target in one step,
    and the folder after, so a crash or power cut leaves the old file or the new one,
    never half of one. Whatever stops the write (an error, Ctrl+C, a full disk), the
    temporary file is removed and the target is as it was.
    """
    target = Path(target)
    try:
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as error:
        raise _save_problem(target, error) from None
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        _flush_to_disk(temp)
        if target.exists():
            os.chmod(temp, target.stat().st_mode & 0o777)
        os.replace(temp, target)
        _flush_folder(target.parent)
    except OSError as error:
        raise _save_problem(target, error) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def _save_problem(target: Path, error: OSError) -> FileProblem:
    if isinstance(error, PermissionError):
        return FileProblem(
            _(
                "'{name}' could not be saved: it may be open in another program, such as "
                "Excel. Close it there and save again."
            ).format(name=target.name)
        )
    return FileProblem(
        _("'{name}' could not be saved: {reason}.").format(
            name=target.name, reason=error.strerror or error
        )
    )


def _flush_to_disk(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _flush_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); the file is saved whether or not this works."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def saved_order(document: Saved) -> list[int] | None:
    """The rows in the order to write them, when rows were added or deleted (or the
    table is new); None when the file's rows are all there in their order."""
    if isinstance(document, DocumentSnapshot):
        return document.order
    if document.rows_changed_shape or document.loaded.is_new:
        return document.saved_order()
    return None


def xlsx_cells(document: Saved) -> dict[tuple[int, int], str]:
    """The sheet's cells to set, (0-based row, 0-based column) -> text.

    Without added or deleted rows: the edited cells. With them, rows are written anew
    from the first place whose row changed to the end: each place gets the values of
    the row now there, and places past the new end are emptied (a reader takes trailing
    empty rows for formatting). Formatting stays with the place, not the row.
    """
    loaded = document.loaded
    top, left = loaded.data_start, loaded.first_column
    order = saved_order(document)
    if order is None:
        return {
            (top + row, left + col): document.value(row, col) for row, col in document.originals
        }
    first = next((place for place, row in enumerate(order) if row != place), len(order))
    cells = {
        (top + row, left + col): document.value(row, col)
        for row, col in document.originals
        if row < first
    }
    columns = range(document.column_count)
    for place in range(first, len(order)):
        row = order[place]
        for col in columns:
            cells[(top + place, left + col)] = document.value(row, col)
    for place in range(max(first, len(order)), document.file_rows):
        for col in columns:
            cells[(top + place, left + col)] = ""
    return cells


def save(document: Saved, target: str | Path) -> Path:
    """Write the document to ``target``, in the format of the file it was read from."""
    target = Path(target)
    loaded = document.loaded
    if not target.parent.is_dir():
        raise FileProblem(_("The folder '{parent}' does not exist.").format(parent=target.parent))
    if loaded.is_new:
        atomic_write(target, lambda temp: _new_workbook(document, temp))
    elif loaded.kind == "xlsx":
        from desktop_app.models.xlsx_patch import patch_xlsx

        cells = xlsx_cells(document)
        sheet = loaded.sheet_name
        assert sheet is not None
        source = io.BytesIO(loaded.source)
        atomic_write(target, lambda temp: patch_xlsx(source, temp, sheet, cells))
    else:
        data = csv_bytes(document)

        def write(temp: Path) -> None:
            temp.write_bytes(data)

        atomic_write(target, write)
    return target


def _new_workbook(document: Saved, target: Path) -> None:
    """A table that came from a server, as a plain workbook: one header row, text cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from desktop_app.models.xlsx_patch import UnstorableText, excel_escape

    book = Workbook(write_only=True)
    sheet = book.create_sheet(document.loaded.sheet_name or "Users")
    bold = Font(bold=True)
    header = []
    for text in document.headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    order = saved_order(document)
    for place, row in enumerate(range(document.row_count) if order is None else order):
        cells = []
        for col in range(document.column_count):
            # Control characters are written as Excel writes them (_x000B_), never dropped.
            try:
                text = excel_escape(document.value(row, col))
            except UnstorableText as error:
                raise FileProblem(
                    _(
                        "Row {row}, {column} holds a character ({error}) that an Excel "
                        "workbook cannot hold, so nothing was saved; remove it and save again."
                    ).format(row=place + 2, column=document.headers[col], error=error)
                ) from None
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        sheet.append(cells)
    book.save(target)


def csv_bytes(document: Saved) -> bytes:
    """The CSV as it was read, with the edited rows written anew in the same dialect.

    Unedited lines are their original bytes, also those in another character set than
    the file's; an edited row is written in the file's own.
    """
    loaded = document.loaded
    fmt = loaded.csv_format
    assert fmt is not None
    order = saved_order(document)
    if order is not None:
        return _csv_rows_anew(document, fmt, order)
    edited_rows = sorted({row for row, _ in document.originals})
    pieces: list[bytes] = [fmt.bom]
    marks = sorted(fmt.foreign)
    position = 0
    for row in edited_rows:
        start, end = fmt.spans[row]
        pieces += _unedited(fmt, marks, position, start)
        original = "".join(fmt.lines[start:end])
        ending = next((e for e in ("\r\n", "\n", "\r") if original.endswith(e)), "")
        with csv_field_limit(len(original)):
            record = next(csv.reader(fmt.lines[start:end], delimiter=fmt.delimiter), [])
        text = _record(document, row, fmt.delimiter, fmt.quote_all, record, ending)
        pieces.append(_encoded(text, fmt))
        position = end
    pieces += _unedited(fmt, marks, position, len(fmt.lines))
    return b"".join(pieces)


def _encoded(text: str, fmt: CsvFormat) -> bytes:
    try:
        return text.encode(fmt.encoding)
    except UnicodeEncodeError as error:
        bad = text[error.start]
        raise FileProblem(
            _(
                "The character '{bad}' cannot be saved in this file's "
                "{encoding} encoding. Replace it, or save the file as Excel "
                "(.xlsx) instead."
            ).format(bad=bad, encoding=codec_name(fmt.encoding))
        ) from None


def _csv_rows_anew(document: Saved, fmt: CsvFormat, order: list[int]) -> bytes:
    """The CSV with rows added or deleted: the file's rows keep their lines byte for
    byte (edited ones are written anew), deleted rows' lines are left out, and added
    rows are written in the file's dialect at their place."""
    spans, lines, file_rows = fmt.spans, fmt.lines, document.file_rows
    edited = {row for row, _ in document.originals}
    marks = sorted(fmt.foreign)
    position = spans[0][0] if file_rows else len(lines)
    pieces: list[bytes] = [fmt.bom, *_unedited(fmt, marks, 0, position)]
    open_line = position > 0 and not lines[position - 1].endswith(("\n", "\r"))
    passed = -1  # the last row of the file written or left out
    for row in order:
        if row >= file_rows:
            if open_line:
                pieces.append(_encoded(fmt.line_terminator, fmt))
            text = _record(document, row, fmt.delimiter, fmt.quote_all, [], fmt.line_terminator)
            pieces.append(_encoded(text, fmt))
            open_line = False
            continue
        for gone in range(passed + 1, row):  # deleted rows: the lines between them stay
            pieces += _unedited(fmt, marks, position, spans[gone][0])
            position = spans[gone][1]
        start, end = spans[row]
        pieces += _unedited(fmt, marks, position, start)
        if row in edited:
            original = "".join(lines[start:end])
            ending = next((e for e in ("\r\n", "\n", "\r") if original.endswith(e)), "")
            with csv_field_limit(len(original)):
                record = next(csv.reader(lines[start:end], delimiter=fmt.delimiter), [])
            text = _record(document, row, fmt.delimiter, fmt.quote_all, record, ending)
            pieces.append(_encoded(text, fmt))
        else:
            pieces += _unedited(fmt, marks, start, end)
        position, passed = end, row
        open_line = end > start and not lines[end - 1].endswith(("\n", "\r"))
    for gone in range(passed + 1, file_rows):
        pieces += _unedited(fmt, marks, position, spans[gone][0])
        position = spans[gone][1]
    pieces += _unedited(fmt, marks, position, len(lines))
    return b"".join(pieces)


def _unedited(fmt: CsvFormat, marks: list[int], start: int, end: int) -> list[bytes]:
    """Lines start to end as they were in the file, byte for byte (``marks``: the sorted
    indexes of the lines in another character set)."""
    lines, foreign, encoding = fmt.lines, fmt.foreign, fmt.encoding
    pieces = []
    at = bisect.bisect_left(marks, start)
    while at < len(marks) and marks[at] < end:
        pieces.append("".join(lines[start : marks[at]]).encode(encoding))
        pieces.append(foreign[marks[at]])
        start = marks[at] + 1
        at += 1
    pieces.append("".join(lines[start:end]).encode(encoding))
    return pieces


def _record(
    document: Saved,
    row: int,
    delimiter: str,
    quote_all: bool,
    record: list[str],
    ending: str,
) -> str:
    """One row written anew; cells outside the header's columns are kept as they were."""
    loaded = document.loaded
    first = loaded.first_column
    width = max(len(record), first + document.column_count)
    record += [""] * (width - len(record))
    for col in range(document.column_count):
        record[first + col] = document.value(row, col)
    buffer = io.StringIO()
    if quote_all:
        writer = csv.writer(
            buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator=ending
        )
    else:
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator=ending)
    writer.writerow(record)
    return buffer.getvalue()
