"""Saving a document in the layout its platform needs: only edited cells differ.

An Excel file is patched (every other part of the package is copied as it was:
rows above the header, other sheets, styles, widths, drop-downs); a CSV keeps its
encoding, separator, quoting and line endings, and every unedited line byte for
byte. Every write goes to a temporary file first and replaces the target in one step.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from desktop_app.models.document import UserDocument
from desktop_app.models.errors import FileProblem


def edited_path(original: Path) -> Path:
    """Where Save puts the copy by default: NAME-edited.EXT beside the download."""
    return original.with_name(f"{original.stem}-edited{original.suffix}")


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary file beside ``target``, then move it into place."""
    target = Path(target)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        if target.exists():
            os.chmod(temp, target.stat().st_mode & 0o777)
        os.replace(temp, target)
    except PermissionError:
        raise FileProblem(
            f"'{target.name}' could not be saved: it may be open in another program, such as "
            "Excel. Close it there and save again."
        ) from None
    except OSError as error:
        raise FileProblem(f"'{target.name}' could not be saved: {error.strerror}.") from None
    finally:
        temp.unlink(missing_ok=True)


def save(document: UserDocument, target: str | Path) -> Path:
    """Write the document to ``target``, in the format of the file it was read from."""
    target = Path(target)
    loaded = document.loaded
    if not target.parent.is_dir():
        raise FileProblem(f"The folder '{target.parent}' does not exist.")
    if loaded.is_new:
        atomic_write(target, lambda temp: _new_workbook(document, temp))
    elif loaded.kind == "xlsx":
        from desktop_app.models.xlsx_patch import patch_xlsx

        cells = {
            (loaded.data_start + row, loaded.first_column + col): document.value(row, col)
            for row, col in document.originals
        }
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


def _new_workbook(document: UserDocument, target: Path) -> None:
    """A table that came from a server, as a plain workbook: one header row, text cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(document.loaded.sheet_name or "Users")
    bold = Font(bold=True)
    header = []
    for text in document.headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in range(document.row_count):
        cells = []
        for col in range(document.column_count):
            cell = WriteOnlyCell(sheet, value=document.value(row, col))
            cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        sheet.append(cells)
    book.save(target)


def csv_bytes(document: UserDocument) -> bytes:
    """The CSV as it was read, with the edited rows written anew in the same dialect."""
    loaded = document.loaded
    fmt = loaded.csv_format
    assert fmt is not None
    edited_rows = sorted({row for row, _ in document.originals})
    pieces: list[str] = []
    position = 0
    for row in edited_rows:
        start, end = fmt.spans[row]
        pieces.extend(fmt.lines[position:start])
        original = "".join(fmt.lines[start:end])
        ending = next((e for e in ("\r\n", "\n", "\r") if original.endswith(e)), "")
        record = next(csv.reader(fmt.lines[start:end], delimiter=fmt.delimiter), [])
        pieces.append(_record(document, row, fmt.delimiter, fmt.quote_all, record, ending))
        position = end
    pieces.extend(fmt.lines[position:])
    text = "".join(pieces)
    try:
        return fmt.bom + text.encode(fmt.encoding)
    except UnicodeEncodeError as error:
        bad = text[error.start]
        raise FileProblem(
            f"The character '{bad}' cannot be saved in this file's {_codec_name(fmt.encoding)} "
            "encoding. Replace it, or save the file as Excel (.xlsx) instead."
        ) from None


def _record(
    document: UserDocument,
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


def _codec_name(codec: str) -> str:
    return {"cp1252": "Windows-1252", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}.get(
        codec, codec.upper()
    )
