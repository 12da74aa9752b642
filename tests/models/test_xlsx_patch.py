"""patch_xlsx: edited cells change, every other byte of the package stays as it was."""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from desktop_app.models import xlsx_patch
from desktop_app.models.errors import FileProblem
from desktop_app.models.xlsx_patch import patch_xlsx

SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ROW_RE = re.compile(rb"<(?:\w+:)?row\b[^>]*?(?:/>|>.*?</(?:\w+:)?row>)", re.DOTALL)
BOLD_RED = PatternFill("solid", fgColor="FFFF0000")


# --- building inputs -------------------------------------------------------------------


def build_users(path: Path) -> Path:
    """A realistic download: styled header, widths, lists sheet, drop-downs, a formula."""
    book = openpyxl.Workbook()
    users = book.active
    users.title = "Users"
    users.append(["Username", "Email", "Employee ID", "Badge", "Department", "Length", "Active"])
    users.append(["alice", "alice@example.com", "000123", 123456789012345, "Sales", None, "Yes"])
    users.append(["bob", "bob@example.com", "000456", 987654321098765, "IT", None, "No"])
    users.append(["carol", "carol@example.com", "12345678901234567890", 42, "Marketing", 3.5, None])
    users["F2"] = "=LEN(A2)"
    for cell in users[1]:
        cell.font = Font(bold=True, color="FFFFFFFF")
        cell.fill = BOLD_RED
    users["B3"].font = Font(italic=True)
    users.column_dimensions["A"].width = 25
    users.column_dimensions["B"].width = 40
    departments = DataValidation(type="list", formula1="Lists!$A$2:$A$4")
    departments.add("E2:E1000")
    active = DataValidation(type="list", formula1='"Yes,No"')
    active.add("G2:G1000")
    users.add_data_validation(departments)
    users.add_data_validation(active)
    lists = book.create_sheet("Lists")
    for value in ["Department", "Sales", "IT", "Marketing"]:
        lists.append([value])
    book.save(path)
    return path


STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN_NS}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill>
<fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def write_package(
    path: Path,
    sheets: Mapping[str, str | bytes],
    extra: Mapping[str, str] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    prefix: str = "",
) -> Path:
    """A minimal hand-made xlsx: one worksheet part per sheet, given as raw XML."""
    ns = f' xmlns:{prefix[:-1]}="{MAIN_NS}"' if prefix else f' xmlns="{MAIN_NS}"'
    sheet_list = "".join(
        f'<{prefix}sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(sheets, start=1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    members: dict[str, str | bytes] = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<{prefix}workbook{ns} xmlns:r="{REL_NS}"><{prefix}sheets>{sheet_list}'
            f"</{prefix}sheets></{prefix}workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rIdS" Type="{REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": STYLES,
    }
    for i, xml in enumerate(sheets.values(), start=1):
        members[f"xl/worksheets/sheet{i}.xml"] = xml
    members.update(extra or {})
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def sheet_xml(rows: str, head: str = "", tail: str = "", prefix: str = "") -> str:
    ns = f' xmlns:{prefix[:-1]}="{MAIN_NS}"' if prefix else f' xmlns="{MAIN_NS}"'
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{prefix}worksheet{ns}>'
        f"{head}<{prefix}sheetData>{rows}</{prefix}sheetData>{tail}</{prefix}worksheet>"
    )


# --- reading outputs -------------------------------------------------------------------


def grid(path: Path, sheet: str = "Users") -> dict[tuple[int, int], Any]:
    """Non-empty cell values by 0-based (row, column), as openpyxl reads them."""
    book = openpyxl.load_workbook(path)
    return {
        (cell.row - 1, cell.column - 1): cell.value
        for row in book[sheet].iter_rows()
        for cell in row
        if cell.value is not None
    }


def calamine_grid(path: Path, sheet: str = "Users") -> dict[tuple[int, int], Any]:
    rows = (
        python_calamine.load_workbook(path)
        .get_sheet_by_name(sheet)
        .to_python(skip_empty_area=False)
    )
    return {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v != ""}


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def sheet_bytes(path: Path, part: str = SHEET) -> bytes:
    return members(path)[part]


def rows_by_number(xml: bytes) -> dict[bytes, bytes]:
    found = {}
    for match in ROW_RE.finditer(xml):
        number = re.search(rb'\sr="(\d+)"', match.group(0).split(b">", 1)[0])
        assert number is not None
        found[number.group(1)] = match.group(0)
    return found


def patched(src: Path, cells: Mapping[tuple[int, int], str], sheet: str = "Users") -> Path:
    dst = src.with_name("out.xlsx")
    patch_xlsx(src, dst, sheet, cells)
    return dst


# --- the realistic workbook --------------------------------------------------------------


@pytest.fixture
def users(tmp_path: Path) -> Path:
    return build_users(tmp_path / "users.xlsx")


EDITS = {
    (1, 0): "alice2",  # existing text
    (1, 3): "000999",  # number becomes leading-zero text
    (2, 1): "",  # blank a styled cell
    (3, 5): "=1+1",  # looks like a formula, stays text
    (1, 5): "overwrites formula",
    (2, 7): "new cell at the end of a row",
    (6, 2): "new row past the end",
    (1, 11): "far right",
}


def expected_grid(before: dict[tuple[int, int], Any], edits: Mapping[tuple[int, int], str]) -> dict:
    after = dict(before)
    for key, text in edits.items():
        if text:
            after[key] = text
        else:
            after.pop(key, None)
    return after


def test_edited_cells_change_and_every_other_value_stays(users: Path) -> None:
    before = grid(users)
    out = patched(users, EDITS)
    assert grid(out) == expected_grid(before, EDITS)
    assert grid(out, "Lists") == grid(users, "Lists")


def test_sheet_read_in_small_chunks_saves_the_same_bytes(
    users: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sheet is inflated a chunk at a time; tags cut across chunks change nothing."""
    whole = members(patched(users, EDITS))
    monkeypatch.setattr(xlsx_patch, "_CHUNK", 7)  # cuts every row and cell tag somewhere
    assert members(patched(users, EDITS)) == whole


def test_calamine_reads_the_same_values(users: Path) -> None:
    before = calamine_grid(users)
    out = patched(users, EDITS)
    after = calamine_grid(out)
    expected = expected_grid(before, EDITS)
    expected[(1, 5)] = "overwrites formula"
    assert after == expected
    assert after[(2, 3)] == 987654321098765  # long numeric id untouched
    assert after[(3, 2)] == "12345678901234567890"
    assert after[(2, 2)] == "000456"


def test_styles_widths_and_drop_downs_survive(users: Path) -> None:
    out = patched(users, EDITS)
    book = openpyxl.load_workbook(out)
    sheet = book["Users"]
    assert sheet["A1"].font.bold and sheet["A1"].fill.fgColor.rgb == "FFFF0000"
    assert sheet["B3"].value is None and sheet["B3"].font.italic  # blanked, style kept
    assert sheet["A2"].value == "alice2"
    assert sheet.column_dimensions["A"].width == 25
    assert sheet.column_dimensions["B"].width == 40
    rules = {(dv.formula1, str(dv.sqref)) for dv in sheet.data_validations.dataValidation}
    assert rules == {("Lists!$A$2:$A$4", "E2:E1000"), ('"Yes,No"', "G2:G1000")}
    assert [c.value for c in book["Lists"]["A"]] == ["Department", "Sales", "IT", "Marketing"]


def test_members_other_than_the_sheet_are_byte_identical(users: Path) -> None:
    out = patched(users, EDITS)
    before, after = members(users), members(out)
    assert list(after) == list(before)
    assert {k: v for k, v in after.items() if k != SHEET} == {
        k: v for k, v in before.items() if k != SHEET
    }
    with zipfile.ZipFile(users) as a, zipfile.ZipFile(out) as b:
        assert b.testzip() is None
        assert [i.compress_type for i in a.infolist()] == [i.compress_type for i in b.infolist()]


def test_only_edited_rows_are_rewritten(users: Path) -> None:
    old, new = sheet_bytes(users), sheet_bytes(patched(users, {(2, 0): "bobby"}))
    old_rows, new_rows = rows_by_number(old), rows_by_number(new)
    assert old_rows.keys() == new_rows.keys()
    assert old_rows[b"3"] != new_rows[b"3"]
    assert {k: v for k, v in old_rows.items() if k != b"3"} == {
        k: v for k, v in new_rows.items() if k != b"3"
    }
    assert new.replace(new_rows[b"3"], old_rows[b"3"]) == old


def test_cell_is_inline_text_keeping_its_style(users: Path) -> None:
    xml = sheet_bytes(patched(users, {(0, 0): "User <&> name"}))
    cell = re.search(rb'<c r="A1"[^>]*>.*?</c>', xml)
    assert cell is not None
    style = re.search(rb'<c r="A1" s="(\d+)"', sheet_bytes(users))
    assert style is not None
    assert cell.group(0) == (
        b'<c r="A1" s="' + style.group(1) + b'" t="inlineStr"><is>'
        b'<t xml:space="preserve">User &lt;&amp;&gt; name</t></is></c>'
    )


def test_text_that_looks_like_a_formula_stays_text(users: Path) -> None:
    out = patched(users, {(1, 5): "=1+1", (2, 5): "=SUM(A1:A2)"})
    xml = sheet_bytes(out)
    assert b"<f>" not in xml and b"<f " not in xml
    sheet = openpyxl.load_workbook(out)["Users"]
    assert sheet["F2"].value == "=1+1" and sheet["F2"].data_type == "s"
    assert calamine_grid(out)[(2, 5)] == "=SUM(A1:A2)"


def test_blanking_keeps_the_style_and_drops_the_value(users: Path) -> None:
    xml = sheet_bytes(patched(users, {(0, 1): ""}))
    assert re.search(rb'<c r="B1" s="\d+"/>', xml)
    assert grid(patched(users, {(0, 1): ""})).get((0, 1)) is None


def test_blanking_a_missing_cell_changes_nothing(users: Path) -> None:
    assert sheet_bytes(patched(users, {(1, 9): "", (40, 2): ""})) == sheet_bytes(users)


def test_no_edits_copy_the_package(users: Path) -> None:
    assert members(patched(users, {})) == members(users)


def test_dimension_grows_to_cover_new_cells(users: Path) -> None:
    xml = sheet_bytes(patched(users, {(9, 9): "x"}))
    assert b'<dimension ref="A1:J10"' in xml
    xml = sheet_bytes(patched(users, {(1, 1): "inside"}))
    assert b'<dimension ref="A1:G4"' in xml


def test_new_rows_and_cells_are_in_order(users: Path) -> None:
    xml = sheet_bytes(patched(users, {(5, 3): "r6", (4, 0): "r5", (1, 8): "I2", (1, 7): "H2"}))
    numbers = [int(n) for n in re.findall(rb'<row r="(\d+)"', xml)]
    assert numbers == sorted(numbers) == [1, 2, 3, 4, 5, 6]
    row2 = rows_by_number(xml)[b"2"]
    refs = re.findall(rb'<c r="([A-Z]+)2"', row2)
    assert refs == [b"A", b"B", b"C", b"D", b"E", b"F", b"G", b"H", b"I"]


def test_output_may_replace_the_input(users: Path) -> None:
    patch_xlsx(users, users, "Users", {(1, 0): "in place"})
    assert grid(users)[(1, 0)] == "in place"
    assert [p.name for p in users.parent.iterdir()] == ["users.xlsx"]


def test_source_may_be_an_in_memory_file_and_target_may_exist(users: Path) -> None:
    """How the app saves: the download's bytes in memory, a temporary file as target."""
    target = users.with_name("target.xlsx")
    target.write_bytes(b"placeholder")
    patch_xlsx(io.BytesIO(users.read_bytes()), target, "Users", {(1, 0): "from memory"})
    assert grid(target) == expected_grid(grid(users), {(1, 0): "from memory"})
    assert {k: v for k, v in members(target).items() if k != SHEET} == {
        k: v for k, v in members(users).items() if k != SHEET
    }
    with pytest.raises(FileProblem, match="The workbook is not a valid"):
        patch_xlsx(io.BytesIO(b"junk"), target, "Users", {(1, 0): "x"})


def test_awkward_text_round_trips(users: Path) -> None:
    texts = {
        (1, 0): "  padded  ",
        (1, 1): "two\nlines",
        (1, 2): "tab\there",
        (1, 3): "bell\x07gone",
        (1, 4): "ünïcödé ✓ 中文 😀",
        (2, 0): "_x0041_ stays literal",
        (2, 1): "cr\r\nlf",
    }
    out = patched(users, texts)
    values = calamine_grid(out)
    assert values[(1, 0)] == "  padded  "
    assert values[(1, 1)] == "two\nlines"
    assert values[(1, 2)] == "tab\there"
    assert values[(1, 3)] == "bell\x07gone"  # illegal in XML 1.0: escaped as _x0007_
    assert values[(1, 4)] == "ünïcödé ✓ 中文 😀"
    assert values[(2, 0)] == "_x0041_ stays literal"
    assert values[(2, 1)] == "cr\r\nlf"
    assert grid(out)[(1, 1)] == "two\nlines"


def test_control_characters_are_escaped_never_dropped(users: Path) -> None:
    texts = {
        (1, 0): "Ann\x0bMarie",
        (1, 1): "\x00\x01\x1b\x1f",
        (1, 2): "_x000B_ typed, \x0b real",
    }
    out = patched(users, texts)
    sheet = members(out)[SHEET]
    assert b"Ann_x000B_Marie" in sheet
    assert b"_x005F_x000B_ typed, _x000B_ real" in sheet
    values = calamine_grid(out)
    for cell, text in texts.items():
        assert values[cell] == text


def test_a_character_no_workbook_holds_refuses_the_save(users: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    with pytest.raises(FileProblem, match=r"Cell B3 holds a character \(U\+FFFE\)"):
        patch_xlsx(users, target, "Users", {(2, 1): "odd\ufffe"})
    assert not target.exists()
    assert list(tmp_path.glob("*.tmp")) == []


# --- errors ----------------------------------------------------------------------------


def test_missing_sheet_is_a_file_problem(users: Path) -> None:
    with pytest.raises(FileProblem, match="no sheet called"):
        patched(users, {(0, 0): "x"}, sheet="Nope")


def test_not_a_zip_is_a_file_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(FileProblem, match="not a valid Excel workbook"):
        patch_xlsx(bad, tmp_path / "out.xlsx", "Users", {(0, 0): "x"})
    assert not (tmp_path / "out.xlsx").exists()


def test_missing_source_is_a_file_problem(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="could not be opened"):
        patch_xlsx(tmp_path / "gone.xlsx", tmp_path / "out.xlsx", "Users", {(0, 0): "x"})
    assert list(tmp_path.iterdir()) == []


def test_zip_without_workbook_is_a_file_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(FileProblem, match="not a valid Excel workbook"):
        patch_xlsx(bad, tmp_path / "out.xlsx", "Users", {(0, 0): "x"})


def test_sheet_without_sheet_data_is_a_file_problem(tmp_path: Path) -> None:
    src = write_package(tmp_path / "in.xlsx", {"Users": f'<worksheet xmlns="{MAIN_NS}"/>'})
    with pytest.raises(FileProblem):
        patched(src, {(0, 0): "x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


def test_cells_outside_a_sheet_are_refused(users: Path) -> None:
    with pytest.raises(ValueError):
        patched(users, {(-1, 0): "x"})
    with pytest.raises(ValueError):
        patched(users, {(0, 16384): "x"})


# --- hand-made XML shapes --------------------------------------------------------------


def test_empty_self_closing_sheet_data(tmp_path: Path) -> None:
    xml = f'<worksheet xmlns="{MAIN_NS}"><dimension ref="A1"/><sheetData/></worksheet>'
    out = patched(write_package(tmp_path / "in.xlsx", {"Users": xml}), {(2, 1): "b3", (0, 0): "a1"})
    assert grid(out) == {(0, 0): "a1", (2, 1): "b3"}
    assert b'<dimension ref="A1:B3"/>' in sheet_bytes(out)


def test_self_closing_rows_and_cells(tmp_path: Path) -> None:
    rows = '<row r="1"><c r="A1" s="1"/></row><row r="3" spans="2:2"/><row r="5"><c r="B5"/></row>'
    src = write_package(tmp_path / "in.xlsx", {"Users": sheet_xml(rows)})
    out = patched(src, {(0, 0): "a1", (2, 3): "d3", (4, 1): "b5", (3, 0): "a4"})
    xml = sheet_bytes(out)
    assert b'<c r="A1" s="1" t="inlineStr">' in xml
    assert b'<row r="3" spans="2:4"><c r="D3" t="inlineStr">' in xml
    assert grid(out) == {(0, 0): "a1", (2, 3): "d3", (3, 0): "a4", (4, 1): "b5"}


def test_prefixed_namespace(tmp_path: Path) -> None:
    rows = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Name</x:t></x:is></x:c></x:row>'
        '<x:row r="3"><x:c r="B3"><x:v>7</x:v></x:c></x:row>'
    )
    xml = sheet_xml(rows, head='<x:dimension ref="A1:B3"/>', prefix="x:")
    src = write_package(tmp_path / "in.xlsx", {"Users": xml}, prefix="x:")
    out = patched(src, {(0, 1): "B1", (1, 0): "A2", (2, 1): "", (2, 0): "A3"})
    new = sheet_bytes(out)
    assert re.findall(rb"<(\w*:?)(?:row|c|is|t)\b", new) == [b"x:"] * len(
        re.findall(rb"<(\w*:?)(?:row|c|is|t)\b", new)
    )
    assert b'<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t xml:space="preserve">A2' in new
    assert b'<x:c r="B3"/>' in new
    assert calamine_grid(out) == {(0, 0): "Name", (0, 1): "B1", (1, 0): "A2", (2, 0): "A3"}


def test_rows_and_cells_without_r(tmp_path: Path) -> None:
    rows = (
        '<row><c t="inlineStr"><is><t>a1</t></is></c><c><v>2</v></c></row>'
        "<row/>"
        '<row><c><v>1</v></c><c r="D3"><v>4</v></c><c><v>5</v></c></row>'
        '<row r="6"><c><v>6</v></c></row>'
        "<row><c><v>7</v></c></row>"
    )
    src = write_package(tmp_path / "in.xlsx", {"Users": sheet_xml(rows)})
    before = grid(src)
    assert before == {
        (0, 0): "a1",
        (0, 1): 2,
        (2, 0): 1,
        (2, 3): 4,
        (2, 4): 5,
        (5, 0): 6,
        (6, 0): 7,
    }
    edits = {(0, 1): "B1", (1, 1): "B2", (2, 4): "E3", (2, 2): "C3", (3, 0): "A4", (6, 1): "B7"}
    out = patched(src, edits)
    assert grid(out) == expected_grid(before, edits)
    assert calamine_grid(out) == expected_grid(before, edits)


def test_cells_with_r_not_first_and_single_quotes(tmp_path: Path) -> None:
    rows = "<row r='2' spans='1:3'><c s='1' r='A2'><v>1</v></c><c t='s' r='C2'><v>0</v></c></row>"
    src = write_package(tmp_path / "in.xlsx", {"Users": sheet_xml(rows)})
    out = patched(src, {(1, 0): "a", (1, 1): "b", (1, 2): "c"})
    assert grid(out) == {(1, 0): "a", (1, 1): "b", (1, 2): "c"}
    assert b'<c r="A2" s="1" t="inlineStr">' in sheet_bytes(out)


def test_new_cells_take_the_row_or_column_style(tmp_path: Path) -> None:
    rows = '<row r="1" s="1" customFormat="1"><c r="A1"><v>1</v></c></row><row r="2"/>'
    head = '<cols><col min="2" max="3" width="20" style="2" customWidth="1"/></cols>'
    src = write_package(tmp_path / "in.xlsx", {"Users": sheet_xml(rows, head=head)})
    xml = sheet_bytes(patched(src, {(0, 1): "row styled", (1, 1): "col styled", (1, 4): "plain"}))
    assert b'<c r="B1" s="1" t="inlineStr">' in xml
    assert b'<c r="B2" s="2" t="inlineStr">' in xml
    assert b'<c r="E2" t="inlineStr">' in xml


def test_stored_members_stay_stored(tmp_path: Path) -> None:
    rows = '<row r="1"><c r="A1"><v>1</v></c></row>'
    src = write_package(tmp_path / "in.xlsx", {"Users": sheet_xml(rows)}, compression=0)
    out = patched(src, {(0, 0): "x"})
    with zipfile.ZipFile(out) as zf:
        assert {info.compress_type for info in zf.infolist()} == {zipfile.ZIP_STORED}
        assert zf.testzip() is None
    assert grid(out) == {(0, 0): "x"}


class _Unseekable(io.RawIOBase):
    """A write-only stream, so zipfile falls back to data descriptors after each member."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        self.data += chunk
        return len(chunk)


def test_members_written_with_data_descriptors(users: Path) -> None:
    stream = _Unseekable()
    with zipfile.ZipFile(users) as zf, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as zw:
        for info in zf.infolist():
            zw.writestr(info.filename, zf.read(info))
    src = users.with_name("streamed.xlsx")
    src.write_bytes(bytes(stream.data))
    with zipfile.ZipFile(src) as zf:
        assert all(info.flag_bits & 0x08 for info in zf.infolist())
    out = patched(src, {(1, 0): "streamed"})
    assert grid(out)[(1, 0)] == "streamed"
    assert {k: v for k, v in members(out).items() if k != SHEET} == {
        k: v for k, v in members(src).items() if k != SHEET
    }


def test_unwritable_destination_is_a_file_problem(users: Path) -> None:
    with pytest.raises(FileProblem, match="could not be saved"):
        patch_xlsx(users, users.parent / "missing" / "out.xlsx", "Users", {(0, 0): "x"})
    assert [p.name for p in users.parent.iterdir()] == ["users.xlsx"]


# --- formulas ----------------------------------------------------------------------------

CALC_CHAIN = f'<calcChain xmlns="{MAIN_NS}"><c r="B1" i="1"/><c r="B2"/><c r="B3"/></calcChain>'
FORMULA_ROWS = (
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f>'
    "<v>2</v></c></row>"
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
    '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><f t="shared" si="0"/><v>6</v></c></row>'
    '<row r="4"><c r="A4"><v>4</v></c><c r="B4"><f>A4&amp;"x"</f><v>4x</v></c></row>'
)


def formula_package(path: Path) -> Path:
    """A sheet with a shared formula, a plain formula and a calculation chain."""
    src = write_package(path, {"Users": sheet_xml(FORMULA_ROWS)}, {"xl/calcChain.xml": CALC_CHAIN})
    parts = members(src)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdC" Type="{REL_NS}/calcChain" Target="calcChain.xml"/>'
        "</Relationships>".encode(),
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def formulas(path: Path) -> dict[str, Any]:
    sheet = openpyxl.load_workbook(path)["Users"]
    return {cell.coordinate: cell.value for row in sheet.iter_rows() for cell in row}


def test_overwriting_a_formula_drops_the_calc_chain(tmp_path: Path) -> None:
    src = formula_package(tmp_path / "in.xlsx")
    out = patched(src, {(3, 1): "plain"})
    after = members(out)
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["[Content_Types].xml"]
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert b"styles.xml" in after["xl/_rels/workbook.xml.rels"]
    assert formulas(out)["B4"] == "plain"
    assert formulas(out)["B2"] == "=A2*2"


def test_editing_values_keeps_the_calc_chain(tmp_path: Path) -> None:
    src = formula_package(tmp_path / "in.xlsx")
    out = patched(src, {(3, 0): "text"})
    assert members(out)["xl/calcChain.xml"] == CALC_CHAIN.encode()


def test_overwriting_a_shared_formula_master_keeps_its_other_cells(tmp_path: Path) -> None:
    src = formula_package(tmp_path / "in.xlsx")
    out = patched(src, {(0, 1): "no longer a formula"})
    values = formulas(out)
    assert values["B1"] == "no longer a formula"
    assert values["B2"] == "=A2*2"
    assert values["B3"] == "=A3*2"
    assert values["B4"] == '=A4&"x"'
    assert b'si="0"' not in sheet_bytes(out)
    assert "xl/calcChain.xml" not in members(out)


def test_overwriting_a_shared_formula_dependent(tmp_path: Path) -> None:
    src = formula_package(tmp_path / "in.xlsx")
    values = formulas(patched(src, {(1, 1): "x"}))
    assert values["B1"] == "=A1*2" and values["B2"] == "x" and values["B3"] == "=A3*2"


# --- big sheets: skipping ahead, parallel compression ----------------------------------


def big_sheet(path: Path, rows: int, with_r: bool = True, every: int = 1) -> Path:
    """Rows 1, 1+every, ... each with three cells (r attributes optional)."""
    parts = []
    for number in range(1, rows + 1, every):
        r = f' r="{number}"' if with_r else ""
        cells = "".join(
            f'<c{cell_r} t="inlineStr"><is><t>{col}{number}</t></is></c>'
            for col in "ABC"
            for cell_r in [f' r="{col}{number}"' if with_r else ""]
        )
        parts.append(f"<row{r}>{cells}</row>")
    return write_package(path, {"Users": sheet_xml("".join(parts))})


@pytest.mark.parametrize("with_r", [True, False])
def test_few_edits_far_apart_in_a_big_sheet(tmp_path: Path, with_r: bool) -> None:
    src = big_sheet(tmp_path / "in.xlsx", 6000, with_r=with_r)
    edits = {(0, 0): "first", (2999, 1): "middle", (5998, 2): "last but one", (6003, 0): "new"}
    out = patched(src, edits)
    values = calamine_grid(out)
    for (row, col), text in edits.items():
        assert values[(row, col)] == text
    assert values[(2998, 1)] == "B2999" and values[(3000, 1)] == "B3001"
    assert len(values) == 6000 * 3 + 1
    if with_r:
        old, new = rows_by_number(sheet_bytes(src)), rows_by_number(sheet_bytes(out))
        changed = {k for k in new if old.get(k) != new[k]}
        assert changed == {b"1", b"3000", b"5999", b"6004"}


def test_missing_rows_are_inserted_in_order_in_a_big_sheet(tmp_path: Path) -> None:
    src = big_sheet(tmp_path / "in.xlsx", 8000, every=2)  # only odd rows exist
    edits = {(1, 0): "row 2", (4001, 2): "row 4002", (7997, 1): "row 7998"}
    xml = sheet_bytes(patched(src, edits))
    numbers = [int(n) for n in re.findall(rb'<row r="(\d+)"', xml)]
    assert numbers == sorted(numbers)
    assert {2, 4002, 7998} <= set(numbers)
    values = calamine_grid(src.with_name("out.xlsx"))
    assert values[(4001, 2)] == "row 4002" and values[(4000, 2)] == "C4001"


def test_parallel_deflate_is_one_valid_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    data = b"".join(b'<row r="%d"><c><v>%d</v></c></row>' % (i, i * 7) for i in range(120_000))
    assert len(data) > 3 * xlsx_patch._CHUNK
    # Uneven pieces, as the patcher makes them: views of the original and new rows.
    view = memoryview(data)
    cuts = [0, 7, 1_000_003, 1_048_576, 2_500_000, len(data)]
    parts: xlsx_patch.Pieces = [view[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    crc, pieces = xlsx_patch._compress(parts, 6)
    assert len(pieces) > 3
    assert zlib.decompress(b"".join(pieces), -15) == data
    assert crc == zlib.crc32(data)


def test_big_members_are_deflated_fast_and_read_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = big_sheet(tmp_path / "in.xlsx", 3000)
    edits = {(0, 0): "first", (1500, 1): "middle", (3004, 2): "new"}
    default = sheet_bytes(patched(src, edits))
    monkeypatch.setattr(xlsx_patch, "_FAST_DEFLATE_FROM", len(default) - 1)
    out = patched(src, edits)
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.getinfo(SHEET).flag_bits & 0x06 == 0x06  # "super fast", as written
        assert zf.getinfo("xl/workbook.xml").flag_bits & 0x06 == 0  # small: as it was
    assert sheet_bytes(out) == default
    values = calamine_grid(out)
    assert values[(1500, 1)] == "middle" and values[(1499, 1)] == "B1500"


def test_sheet_in_ordinary_memory_when_it_cannot_be_mapped(
    users: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = members(patched(users, EDITS))

    def refuse(*args: Any) -> None:
        raise OSError("no memory")

    monkeypatch.setattr(xlsx_patch.mmap, "mmap", refuse)
    assert members(patched(users, EDITS)) == whole


def test_sheet_shorter_than_its_recorded_size_is_a_file_problem(tmp_path: Path) -> None:
    src = big_sheet(tmp_path / "in.xlsx", 50)
    data = bytearray(src.read_bytes())
    name = SHEET.encode()
    record = data.rindex(b"PK\x01\x02", 0, data.rindex(name))  # the sheet's central record
    assert data[record + 46 : record + 46 + len(name)] == name
    size = int.from_bytes(data[record + 24 : record + 28], "little")
    data[record + 24 : record + 28] = (size + 100).to_bytes(4, "little")
    src.write_bytes(bytes(data))
    with pytest.raises(FileProblem):
        patched(src, {(0, 0): "x"})


# --- property: any set of edits lands exactly ---------------------------------------


@pytest.fixture(scope="module")
def small_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("property") / "small.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Users"
    sheet.append(["id", "name", "score", None, "flag"])
    sheet.append(["000123", "Ann", 3.5, None, True])
    sheet.append([None, "Ben", 7, "x", None])
    sheet.append([])
    sheet.append(["999", None, 123456789012345, None, "end"])
    sheet["A1"].font = Font(bold=True)
    book.save(path)
    return path


TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Cn"]) | st.sampled_from("\n\t"),
    max_size=8,
).filter(lambda text: not re.search(r"_x[0-9A-Fa-f]{4}_", text))
EDIT_SETS = st.dictionaries(
    st.tuples(st.integers(0, 8), st.integers(0, 6)),
    st.one_of(TEXT, st.sampled_from(["", "=1+1", "000123", "  "])),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=EDIT_SETS)
def test_any_edits_read_back_exactly(small_book: Path, edits: dict[tuple[int, int], str]) -> None:
    before = grid(small_book)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.xlsx"
        patch_xlsx(small_book, out, "Users", edits)
        assert grid(out) == expected_grid(before, edits)
        assert openpyxl.load_workbook(out)["Users"]["A1"].font.bold


# --- property: deflating ahead gives the same content as deflating after ---------------


@pytest.fixture(scope="module")
def chunked_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_sheet(tmp_path_factory.mktemp("ahead") / "big.xlsx", 1500, every=2)


AHEAD_EDITS = st.dictionaries(
    st.tuples(st.integers(0, 3100), st.integers(0, 5)),
    st.sampled_from(["", "x", "a longer text & <more>", "000123"]),
    max_size=10,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=AHEAD_EDITS,
    chunk=st.sampled_from([997, 4096, 40_000, 1 << 20]),
    window=st.sampled_from([64, 32 * 1024]),
)
def test_sheet_deflated_ahead_equals_deflated_after(
    chunked_book: Path, edits: dict[tuple[int, int], str], chunk: int, window: int
) -> None:
    """Chunks deflated while the sheet is read are reused only where nothing near changed."""
    finished = []
    plain_finish = xlsx_patch._Ahead.finish

    def finish(self: Any) -> Any:
        finished.append(True)
        return plain_finish(self)

    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(xlsx_patch, "_CHUNK", chunk)
        patch.setattr(xlsx_patch, "_DEFLATE_WINDOW", window)
        patch.setattr(xlsx_patch, "_FAST_DEFLATE_FROM", 1)
        patch.setattr(xlsx_patch._Ahead, "finish", finish)
        ahead = Path(folder) / "ahead.xlsx"
        patch_xlsx(chunked_book, ahead, "Users", edits)
        patch.setattr(xlsx_patch, "_ahead_for", lambda info, pool: None)
        after = Path(folder) / "after.xlsx"
        patch_xlsx(chunked_book, after, "Users", edits)
        assert finished  # the sheet was written from the chunks deflated ahead
        with zipfile.ZipFile(ahead) as zf:
            assert zf.testzip() is None  # every member inflates to its CRC
        assert members(ahead) == members(after)
        values = calamine_grid(ahead)
        for (row, col), text in edits.items():
            assert values.get((row, col), "") == text


@settings(max_examples=60, deadline=None)
@given(first=st.binary(max_size=300), second=st.binary(max_size=3000))
def test_crc32_combine_equals_the_crc_of_both(first: bytes, second: bytes) -> None:
    combined = xlsx_patch._crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second))
    assert combined == zlib.crc32(first + second)
