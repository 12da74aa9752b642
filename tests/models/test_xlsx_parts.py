"""xlsx_parts: finding worksheet parts and reading a sheet's drop-down lists."""

from __future__ import annotations

import random
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from desktop_app.models import xlsx_parts
from desktop_app.models.xlsx_parts import dropdown_lists, sheet_part

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM_NS = "http://schemas.microsoft.com/office/excel/2006/main"


def write_package(
    path: Path,
    sheets: Mapping[str, tuple[str, str]],
    workbook: str = "xl/workbook.xml",
    defined_names: str = "",
) -> Path:
    """A hand-made xlsx; sheets maps name -> (relationship target, worksheet XML).

    Members are stored under the target resolved against the workbook's folder, so targets
    may be relative ('worksheets/a.xml', '../x.xml') or absolute ('/xl/b.xml').
    """
    folder = workbook.rsplit("/", 1)[0]
    entries, rels, parts = [], [], {}
    for i, (name, (target, xml)) in enumerate(sheets.items(), start=1):
        entries.append(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="{target}"/>')
        if target.startswith("/"):
            member = target[1:]
        else:
            member = f"{folder}/{target}"
            while "/../" in member:
                head, tail = member.split("/../", 1)
                member = head.rsplit("/", 1)[0] + "/" + tail
        parts[member] = xml
    names = f"<definedNames>{defined_names}</definedNames>" if defined_names else ""
    rels_name = f"{folder}/_rels/{workbook.rsplit('/', 1)[1]}.rels"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{workbook}" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{REL_NS}/officeDocument" Target="/{workbook}"/></Relationships>',
        )
        zf.writestr(
            workbook,
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{"".join(entries)}</sheets>'
            f"{names}</workbook>",
        )
        zf.writestr(
            rels_name, f'<Relationships xmlns="{PKG_REL_NS}">{"".join(rels)}</Relationships>'
        )
        for member, xml in parts.items():
            zf.writestr(member, xml)
    return path


def column_sheet(values: list[str | float], column: str = "A", tail: str = "") -> str:
    """A worksheet with the values down one column from row 1, and XML after sheetData."""
    rows = []
    for row, value in enumerate(values, start=1):
        if isinstance(value, str):
            cell = f'<c r="{column}{row}" t="inlineStr"><is><t>{value}</t></is></c>'
        else:
            cell = f'<c r="{column}{row}"><v>{value}</v></c>'
        rows.append(f'<row r="{row}">{cell}</row>')
    return f'<worksheet xmlns="{MAIN_NS}"><sheetData>{"".join(rows)}</sheetData>{tail}</worksheet>'


def x14_validations(*rules: tuple[str, str], x14: str = "x14", xm: str = "xm") -> str:
    """An extLst holding Excel 2010 style list validations (formula, sqref) with any prefixes."""
    body = "".join(
        f'<{x14}:dataValidation type="list" allowBlank="1" xr:uid="{{0}}" '
        f'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision">'
        f"<{x14}:formula1><{xm}:f>{formula}</{xm}:f></{x14}:formula1>"
        f"<{xm}:sqref>{sqref}</{xm}:sqref></{x14}:dataValidation>"
        for formula, sqref in rules
    )
    return (
        f'<extLst><ext uri="{{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}}" xmlns:{x14}="{X14_NS}">'
        f'<{x14}:dataValidations count="{len(rules)}" xmlns:{xm}="{XM_NS}">{body}'
        f"</{x14}:dataValidations></ext></extLst>"
    )


# --- sheet_part --------------------------------------------------------------------------


def test_sheet_part_of_an_openpyxl_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Users"
    book.create_sheet("Lists")
    book.save(tmp_path / "a.xlsx")
    with zipfile.ZipFile(tmp_path / "a.xlsx") as zf:
        assert sheet_part(zf, "Users") == "xl/worksheets/sheet1.xml"
        assert sheet_part(zf, "Lists") == "xl/worksheets/sheet2.xml"
        with pytest.raises(KeyError):
            sheet_part(zf, "Missing")
        with pytest.raises(KeyError):
            sheet_part(zf, "users")  # names are exact


def test_sheet_part_resolves_relative_and_absolute_targets(tmp_path: Path) -> None:
    empty = column_sheet([])
    path = write_package(
        tmp_path / "b.xlsx",
        {
            "Relative": ("sheets/first.xml", empty),
            "Absolute": ("/xl/other/second.xml", empty),
            "Parent": ("../outside.xml", empty),
        },
        workbook="xl/book/main.xml",
    )
    with zipfile.ZipFile(path) as zf:
        assert sheet_part(zf, "Relative") == "xl/book/sheets/first.xml"
        assert sheet_part(zf, "Absolute") == "xl/other/second.xml"
        assert sheet_part(zf, "Parent") == "xl/outside.xml"


def test_sheet_part_whose_member_is_missing_is_a_key_error(tmp_path: Path) -> None:
    path = write_package(tmp_path / "c.xlsx", {"Users": ("worksheets/sheet1.xml", "<x/>")})
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(tmp_path / "d.xlsx", "w") as out:
        for info in zf.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, zf.read(info))
    with zipfile.ZipFile(tmp_path / "d.xlsx") as zf, pytest.raises(KeyError):
        sheet_part(zf, "Users")


# --- dropdown_lists -----------------------------------------------------------------------


def write_validations_book(path: Path) -> None:
    book = openpyxl.Workbook()
    users = book.active
    users.title = "Users"
    users.append(["Name", "Dept", "Level", "Active", "Code", "Team", "Local", "Other"])
    lists = book.create_sheet("My Lists")
    for value in ["Department", "Sales", "IT", "Sales", None, "  ", 42, 3.5, 7.0]:
        lists.append([None, value])
    odd = book.create_sheet("Bob's")
    for value in ["Red", "Green"]:
        odd.append([value])
    for row, value in enumerate(["North", "South"], start=10):
        users.cell(row, 26, value)
    rules = {
        "'My Lists'!$B$2:$B$50": "B2:B1000",
        '"Junior,Senior, Lead ,,Junior"': "C2:C1000 E2",
        "Depts": "D2:D9",
        "'Bob''s'!$A$1:$A$2": "F2",
        "$Z$10:$Z$11": "G2:G5",
        "INDIRECT(A1)": "H2",
        "Missing!$A$1:$A$3": "I2",
        "NoSuchName": "J2",
    }
    for formula, sqref in rules.items():
        validation = DataValidation(type="list", formula1=formula)
        for part in sqref.split():
            validation.add(part)
        users.add_data_validation(validation)
    whole = DataValidation(type="whole", operator="between", formula1="1", formula2="9")
    whole.add("K2")
    users.add_data_validation(whole)
    book.defined_names["Depts"] = DefinedName("Depts", attr_text="'My Lists'!$B$2:$B$4")
    book.save(path)


def test_classic_validations_from_openpyxl(tmp_path: Path) -> None:
    write_validations_book(tmp_path / "v.xlsx")

    found = dropdown_lists(tmp_path / "v.xlsx", "Users")
    assert found == {
        1: ["Sales", "IT", "42", "3.5", "7"],
        2: ["Junior", "Senior", "Lead"],
        4: ["Junior", "Senior", "Lead"],
        3: ["Sales", "IT"],
        5: ["Red", "Green"],
        6: ["North", "South"],
    }
    assert dropdown_lists(tmp_path / "v.xlsx", "My Lists") == {}


@pytest.mark.parametrize("chunk", [5, 64, 4 << 20])
def test_the_sheets_survey_keeps_what_follows_the_cells_for_the_dropdowns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Measuring the sheets inflates them; the drop-downs, declared after the cells, are
    then read from what that pass kept (the same as inflating the sheet again), whichever
    chunk a closing tag falls across."""
    path = tmp_path / "v.xlsx"
    write_validations_book(path)
    monkeypatch.setattr(xlsx_parts, "_SCAN_CHUNK", chunk)
    monkeypatch.setattr(xlsx_parts, "_SCAN_OVERLAP", min(chunk, 256))
    ends: dict[str, bytes] = {}
    areas = xlsx_parts.sheet_areas(path, 10**9, ends)
    assert set(ends) == set(areas) == {"Users", "My Lists", "Bob's"}
    with zipfile.ZipFile(path) as zf:
        for name, end in ends.items():
            xml = zf.read(sheet_part(zf, name))
            assert end == xml[xml.rindex(b"</sheetData>") :]
            assert end == xlsx_parts._after_sheet_data(zf, sheet_part(zf, name))
    assert b"dataValidation" in ends["Users"]
    assert dropdown_lists(path, "Users", end=ends["Users"]) == dropdown_lists(path, "Users")


def test_excel_2010_extension_validations(tmp_path: Path) -> None:
    tail = x14_validations(
        ("Lists!$A$2:$A$10", "F3:F1000"),
        ("'Other Lists'!$B$1:$B$3", "G3 H3:I9"),
    )
    path = write_package(
        tmp_path / "x.xlsx",
        {
            "Users": ("worksheets/sheet1.xml", column_sheet(["Name"], tail=tail)),
            "Lists": ("worksheets/sheet2.xml", column_sheet(["Header", "One", 2, "One", "Three"])),
            "Other Lists": ("worksheets/sheet3.xml", column_sheet(["X", "Y", "Z"], column="B")),
        },
    )
    assert dropdown_lists(path, "Users") == {
        5: ["One", "2", "Three"],
        6: ["X", "Y", "Z"],
        7: ["X", "Y", "Z"],
        8: ["X", "Y", "Z"],
    }


def test_any_namespace_prefix_and_both_forms_together(tmp_path: Path) -> None:
    classic = (
        '<main:dataValidations count="1"><main:dataValidation type="list" sqref="A2:A9">'
        '<main:formula1>"a,b"</main:formula1></main:dataValidation></main:dataValidations>'
    )
    tail = classic + x14_validations(("Lists!$A:$A", "B2"), x14="p", xm="q").replace(
        "extLst>", "main:extLst>"
    ).replace("<ext ", "<main:ext ").replace("</ext>", "</main:ext>")
    sheet = f'<main:worksheet xmlns:main="{MAIN_NS}"><main:sheetData/>{tail}</main:worksheet>'
    path = write_package(
        tmp_path / "p.xlsx",
        {
            "Users": ("worksheets/sheet1.xml", sheet),
            "Lists": ("worksheets/sheet2.xml", column_sheet(["Yes", "No"])),
        },
    )
    assert dropdown_lists(path, "Users") == {0: ["a", "b"], 1: ["Yes", "No"]}


def test_sheet_scoped_names_win_over_global_ones(tmp_path: Path) -> None:
    validations = (
        '<dataValidations count="2"><dataValidation type="list" sqref="C1">'
        "<formula1>Choices</formula1></dataValidation>"
        '<dataValidation type="list" sqref="D1"><formula1>alias</formula1></dataValidation>'
        "</dataValidations>"
    )
    path = write_package(
        tmp_path / "n.xlsx",
        {
            "Lists": ("worksheets/sheet1.xml", column_sheet(["G1", "G2", "L1", "L2"])),
            "Users": ("worksheets/sheet2.xml", column_sheet([], tail=validations)),
        },
        defined_names=(
            '<definedName name="Choices">Lists!$A$1:$A$2</definedName>'
            '<definedName name="Choices" localSheetId="1">Lists!$A$3:$A$4</definedName>'
            '<definedName name="Alias">Choices</definedName>'
        ),
    )
    assert dropdown_lists(path, "Users") == {2: ["L1", "L2"], 3: ["L1", "L2"]}


def test_no_validations(tmp_path: Path) -> None:
    path = write_package(tmp_path / "e.xlsx", {"Users": ("worksheets/s.xml", column_sheet(["a"]))})
    assert dropdown_lists(path, "Users") == {}
    with pytest.raises(KeyError):
        dropdown_lists(path, "Nope")


def test_validations_found_after_a_large_sheet_data(tmp_path: Path) -> None:
    validations = (
        '<dataValidations count="1"><dataValidation type="list" sqref="B2:B5000">'
        '<formula1>"x,y"</formula1></dataValidation></dataValidations>'
    )
    values: list[str | float] = [f"value {i} with sheetData in it" for i in range(5000)]
    path = write_package(
        tmp_path / "l.xlsx", {"Users": ("worksheets/s.xml", column_sheet(values, tail=validations))}
    )
    assert dropdown_lists(path, "Users") == {1: ["x", "y"]}


@pytest.mark.parametrize("chunk", [7, 4 << 20])
def test_a_member_inflated_from_the_file_is_what_zipfile_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Stored, deflated at any level, empty, or packing a thousand to one (far more than
    a chunk from one read of the file): the same bytes, never more than a chunk at a time."""
    monkeypatch.setattr(xlsx_parts, "_SCAN_CHUNK", chunk)
    noise = random.Random(7).randbytes(300_000)
    rows = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' * (200_000 if chunk > 7 else 2_000)
    path = tmp_path / "m.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stored", noise, compress_type=zipfile.ZIP_STORED)
        zf.writestr("noise", noise, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
        zf.writestr("rows", rows, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
        zf.writestr("empty", b"", compress_type=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            chunks = list(xlsx_parts.inflated(zf, name))
            assert b"".join(chunks) == zf.read(name), name
            assert all(0 < len(c) <= chunk for c in chunks), name


def test_a_damaged_member_is_an_error_not_other_bytes(tmp_path: Path) -> None:
    path = tmp_path / "m.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sheet", b"<row/>" * 10_000)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("sheet")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start] = 0xFF  # a final block of the reserved type
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf, pytest.raises(zlib.error):
        list(xlsx_parts.inflated(zf, "sheet"))
    data[info.header_offset] = ord("X")  # no local header where the directory says
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf, pytest.raises(zipfile.BadZipFile):
        list(xlsx_parts.inflated(zf, "sheet"))


def test_a_member_that_is_not_what_its_checksum_says_is_an_error(tmp_path: Path) -> None:
    """The parser does not check a sheet's checksum: reading it here is where a sheet
    damaged on its way is found, as zipfile's reader would find it."""
    path = tmp_path / "m.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sheet", b"<row/>" * 10_000)
    with zipfile.ZipFile(path) as zf:
        crc = zf.getinfo("sheet").CRC
    data = path.read_bytes().replace(crc.to_bytes(4, "little"), (crc ^ 1).to_bytes(4, "little"))
    path.write_bytes(data)
    with zipfile.ZipFile(path) as zf:
        with pytest.raises(zipfile.BadZipFile):
            list(xlsx_parts.inflated(zf, "sheet"))
        with pytest.raises(zipfile.BadZipFile):
            zf.read("sheet")
