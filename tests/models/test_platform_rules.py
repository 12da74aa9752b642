"""Each platform's own rules, on generated tables: languages, lists item by item, the
Email/Username rule, what key problems tell the admin, and the Udemy columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from desktop_app.models.document import UserDocument
from desktop_app.models.profiles import Profile, language_table, parse_profile, profile_named
from desktop_app.models.readers import read_file
from desktop_app.models.validation import Issue, Validator

CODES = ["nl", "en", "de", "fr", "es", "pl", "hu", "sk", "pt", "bg", "ro"]
ENGLISH = [
    "Dutch",
    "English",
    "German",
    "French",
    "Spanish",
    "Polish",
    "Hungarian",
    "Slovakian",
    "Portuguese",
    "Bulgarian",
    "Romanian",
]
DUTCH = [
    "Nederlands",
    "Engels",
    "Duits",
    "Frans",
    "Spaans",
    "Pools",
    "Hongaars",
    "Slowaaks",
    "Portugees",
    "Bulgaars",
    "Roemeens",
]
FORMS = {"codes": CODES, "English names": ENGLISH, "Dutch names": DUTCH}

RAKOO = profile_named("rakoo")
RAKOO_HEADERS = [rule.header for rule in RAKOO.columns]
TEAMS = ["Team North", "Team South", "Team East"]
FUNCTIONS = ["Engineer", "Manager", "Sales Representative"]


def rakoo_row(number: int, **cells: str) -> list[str]:
    """A valid Rakoo user; ``cells`` overrides columns by header (spaces as underscores)."""
    values = {
        "Employee number": f"E{number:04d}",
        "First name": "Ann",
        "Prefix": "",
        "Last name": f"User{number}",
        "Email address": f"ann{number}@acme.example",
        "Company": "Acme",
        "Department": "Sales",
        "Function(s)": "Engineer",
        "Cost center": "",
        "Send invitation": "",
        "Active": "x",
        "Language": "Dutch",
        "Teams": "Team North",
        "Managers": "",
    }
    for name, value in cells.items():
        header = next(h for h in values if h.replace(" ", "_").replace("(s)", "") == name)
        values[header] = value
    return [values[h] for h in RAKOO_HEADERS]


def checked(
    profile: Profile,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    lists: Mapping[int, list[str]] | None = None,
    first_row_number: int = 2,
) -> Validator:
    columns = [list(column) for column in zip(*rows, strict=True)]
    validator = Validator(profile, headers, columns, dict(lists or {}), first_row_number)
    validator.validate_all()
    return validator


def rakoo(rows: Sequence[Sequence[str]], languages: list[str] | None = None) -> Validator:
    lists = {
        RAKOO_HEADERS.index("Company"): ["Acme"],
        RAKOO_HEADERS.index("Department"): ["Sales", "Finance"],
        RAKOO_HEADERS.index("Function(s)"): FUNCTIONS,
        RAKOO_HEADERS.index("Teams"): TEAMS,
    }
    if languages is not None:
        lists[RAKOO_HEADERS.index("Language")] = languages
    return checked(RAKOO, RAKOO_HEADERS, rows, lists)


def issues_in(validator: Validator, header: str, headers: Sequence[str]) -> list[Issue]:
    col = list(headers).index(header)
    return [
        issue for r in range(len(validator.columns[col])) for issue in validator.cell_issues(r, col)
    ]


LANG = RAKOO_HEADERS.index("Language")


# --- Rakoo languages -------------------------------------------------------------------


@pytest.mark.parametrize("form", list(FORMS))
def test_every_supported_language_in_every_form_is_understood_without_a_list(form: str) -> None:
    values = FORMS[form]
    variants = [*values, *(v.upper() for v in values), *(v.lower() for v in values)]
    validator = rakoo([rakoo_row(i, Language=v) for i, v in enumerate(variants)])
    assert validator.problems == {}


@pytest.mark.parametrize("listed", list(FORMS))
@pytest.mark.parametrize("written", list(FORMS))
def test_each_language_is_fixed_to_the_templates_own_form(listed: str, written: str) -> None:
    """The drop-down says how the template writes a language; any other form gets a fix."""
    values = FORMS[written]
    validator = rakoo(
        [rakoo_row(i, Language=v) for i, v in enumerate(values)], languages=FORMS[listed]
    )
    for row, value in enumerate(values):
        issues = validator.cell_issues(row, LANG)
        if listed == written:
            assert issues == (), value
        else:
            (issue,) = issues
            assert issue.fix == FORMS[listed][row], value
            assert issue.message == (
                f"Language '{value}' is written '{FORMS[listed][row]}' in the list of languages."
            )
    assert set(validator.problems) <= set(range(len(values)))


def test_other_case_is_fixed_to_the_lists_spelling() -> None:
    validator = rakoo([rakoo_row(0, Language="dutch"), rakoo_row(1, Language="NL")], ENGLISH[:4])
    assert validator.cell_issues(0, LANG)[0].fix == "Dutch"
    assert validator.cell_issues(1, LANG)[0].fix == "Dutch"


def test_codes_template_from_the_issue_is_clean(tmp_path: Path) -> None:
    """A real template whose Language drop-down holds codes, and cells that use them."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Users"
    sheet.append(RAKOO_HEADERS)
    for row in (
        rakoo_row(1, Language="nl"),
        rakoo_row(2, Language="en"),
        rakoo_row(3, Language="Duits"),
    ):
        sheet.append(row)
    for header, values in (
        ("Language", "nl,en,de"),
        ("Teams", "Team North"),
        ("Company", "Acme"),
        ("Department", "Sales"),
        ("Function(s)", "Engineer"),
    ):
        letter = get_column_letter(RAKOO_HEADERS.index(header) + 1)
        dropdown = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
        dropdown.add(f"{letter}2:{letter}100")
        sheet.add_data_validation(dropdown)
    path = tmp_path / "rakoo-codes.xlsx"
    workbook.save(path)
    doc = UserDocument(read_file(path))
    assert doc.profile.name == "rakoo"
    problems = [(p.excel_row, p.header, p.message, p.fix) for p in doc.problems()]
    assert problems == [
        (4, "Language", "Language 'Duits' is written 'de' in the list of languages.", "de")
    ]


def test_a_supported_language_not_switched_on_is_named() -> None:
    validator = rakoo(
        [rakoo_row(0, Language="de"), rakoo_row(1, Language="Spaans")],
        ["Dutch", "English", "French"],
    )
    (german,) = validator.cell_issues(0, LANG)
    assert german.message == (
        "German is not switched on in your academy. Choose one of: Dutch, English, French."
    )
    assert german.fix is None
    assert validator.cell_issues(1, LANG)[0].message.startswith("Spanish is not switched on")


def test_a_language_the_platform_does_not_offer() -> None:
    validator = rakoo([rakoo_row(0, Language="Italian"), rakoo_row(1, Language="it")])
    for row in (0, 1):
        (issue,) = validator.cell_issues(row, LANG)
        assert issue.message.startswith("Italian is not one of the platform's languages.")
        assert "Dutch, English, German" in issue.message and issue.fix is None


def test_the_files_own_list_wins_over_the_profiles_languages() -> None:
    validator = rakoo(
        [rakoo_row(0, Language="it"), rakoo_row(1, Language="Italiano")], ["Dutch", "Italian"]
    )
    assert [i.fix for i in validator.cell_issues(0, LANG)] == ["Italian"]
    assert [i.fix for i in validator.cell_issues(1, LANG)] == ["Italian"]


@pytest.mark.parametrize(
    ("listed", "value", "fix"),
    [
        (ENGLISH, "Englsh", "English"),
        (CODES, "Engles", "en"),
        (DUTCH, "Duitsch", "Duits"),
        (None, "Portugese", "Portuguese"),
        (None, "Hongaar", "Hongaars"),
    ],
)
def test_a_misspelt_language_gets_the_closest(
    listed: list[str] | None, value: str, fix: str
) -> None:
    validator = rakoo([rakoo_row(0, Language=value)], listed)
    (issue,) = validator.cell_issues(0, LANG)
    assert issue.fix == fix
    assert issue.message.endswith(f"is not a language the platform offers: did you mean '{fix}'?")


def test_a_value_that_names_no_language() -> None:
    validator = rakoo([rakoo_row(0, Language="Klingon")], ENGLISH[:2])
    (issue,) = validator.cell_issues(0, LANG)
    assert issue.message == (
        "Language 'Klingon' is not a language the platform offers. Choose one of: Dutch, English."
    )
    assert issue.fix is None


def test_language_is_still_required() -> None:
    validator = rakoo([rakoo_row(0, Language="")])
    assert validator.cell_issues(0, LANG)[0].kind == "required"


def test_the_language_table_names_each_rakoo_language_four_ways() -> None:
    table = language_table()
    for code, english, dutch in zip(CODES, ENGLISH, DUTCH, strict=True):
        assert table.find(english) == table.find(dutch) == table.find(code.upper()) == code
        assert len(table.names[code]) >= 4  # English, Dutch, German and French at least
    assert table.find("Français") == table.find("francais") == "fr"
    assert table.find("en-GB") == "en" and table.find("Klingon") is None


def test_a_profile_naming_an_unknown_language_is_refused() -> None:
    text = 'name = "x"\nkey = "id"\n[[columns]]\nheader = "id"\n'
    text += '[[columns]]\nheader = "Lang"\ntype = "language"\nlanguages = ["nl", "xx"]\n'
    with pytest.raises(ValueError, match="unknown language codes"):
        parse_profile(text)


# --- a language sent as a code (Atlas, SCIM) ------------------------------------------

ATLAS = profile_named("atlas")
ATLAS_HEADERS = ["User ID", "Username", "First name", "Last name", "Email", "Language", "Status"]


def atlas_row(number: int, **cells: str) -> list[str]:
    values = {
        "User_ID": f"{number:06d}",
        "Username": f"user{number}",
        "First_name": "Ann",
        "Last_name": f"User{number}",
        "Email": f"user{number}@acme.example",
        "Language": "nl",
        "Status": "Active",
    }
    values.update(cells)
    return list(values.values())


def atlas(rows: Sequence[Sequence[str]]) -> Validator:
    return checked(ATLAS, ATLAS_HEADERS, rows, first_row_number=3)


@pytest.mark.parametrize(
    ("value", "fix"), [("Dutch", "nl"), ("Engels", "en"), ("Allemand", "de"), ("Slovakian", "sk")]
)
def test_a_language_name_in_a_code_column_is_fixed_to_its_code(value: str, fix: str) -> None:
    validator = atlas([atlas_row(1, Language=value)])
    (issue,) = validator.cell_issues(0, ATLAS_HEADERS.index("Language"))
    assert issue.fix == fix
    assert issue.message.startswith(f"Language '{value}' is not a language code such as 'en'")


def test_codes_and_tags_are_fine_in_a_code_column() -> None:
    rows = [atlas_row(i, Language=v) for i, v in enumerate(["nl", "EN", "en-GB", "pt_BR", "sw"])]
    assert atlas(rows).problems == {}


# --- Managers, Function(s) and Teams, item by item ---------------------------------------

MANAGERS = RAKOO_HEADERS.index("Managers")
TEAMS_COL = RAKOO_HEADERS.index("Teams")
FUNCTIONS_COL = RAKOO_HEADERS.index("Function(s)")


def test_one_bad_address_among_good_ones_is_named() -> None:
    validator = rakoo(
        [
            rakoo_row(0, Managers="boss@acme.example, notanemail"),
            rakoo_row(1, Managers="boss@acme.example, jan@@acme.example,lisa@acme.example"),
            rakoo_row(2, Managers="boss@acme.example, lisa@acme.example"),
        ]
    )
    (issue,) = validator.cell_issues(0, MANAGERS)
    assert issue.message == (
        "Managers: 'notanemail' in this cell is not an email address: it is missing the @."
    )
    assert issue.fix is None
    (typo,) = validator.cell_issues(1, MANAGERS)
    assert typo.message.startswith("Managers: 'jan@@acme.example' in this cell is not an email")
    assert typo.fix == "boss@acme.example, jan@acme.example,lisa@acme.example"
    assert validator.cell_issues(2, MANAGERS) == ()


def test_each_bad_address_is_its_own_problem() -> None:
    validator = rakoo([rakoo_row(0, Managers="x, boss@acme.example, y@")])
    messages = [i.message for i in validator.cell_issues(0, MANAGERS)]
    assert len(messages) == 2
    assert messages[0].startswith("Managers: 'x' in this cell")
    assert messages[1].startswith("Managers: 'y@' in this cell")


@pytest.mark.parametrize(
    ("cell", "fix"),
    [
        ("boss@acme.example,, lisa@acme.example", "boss@acme.example, lisa@acme.example"),
        ("boss@acme.example, lisa@acme.example,", "boss@acme.example, lisa@acme.example"),
        (",boss@acme.example", "boss@acme.example"),
    ],
)
def test_empty_items_are_removed_by_the_fix(cell: str, fix: str) -> None:
    validator = rakoo([rakoo_row(0, Managers=cell)])
    (issue,) = validator.cell_issues(0, MANAGERS)
    assert issue.kind == "separator" and issue.fix == fix
    assert "remove the extra comma" in issue.message


def test_one_unknown_team_is_named_and_only_it_is_replaced() -> None:
    validator = rakoo(
        [
            rakoo_row(0, Teams="Team South, Team Nort, Team East"),
            rakoo_row(1, Teams="Team South,team east"),
            rakoo_row(2, Teams="Marketing, Team Nort"),
        ]
    )
    (issue,) = validator.cell_issues(0, TEAMS_COL)
    assert (
        issue.message == "Teams 'Team Nort' is not in your organisation: did you mean 'Team North'?"
    )
    assert issue.fix == "Team South, Team North, Team East"
    assert validator.cell_issues(1, TEAMS_COL)[0].fix == "Team South,Team East"
    unknown, nort = validator.cell_issues(2, TEAMS_COL)
    assert unknown.fix is None
    assert unknown.message == (
        "Teams 'Marketing' is not in your organisation. Choose one of: Team North, Team South, "
        "Team East."
    )
    assert nort.fix == "Marketing, Team North"


def test_functions_are_checked_item_by_item() -> None:
    validator = rakoo([rakoo_row(0, Function="Engineer, Manger"), rakoo_row(1, Function="Manager")])
    (issue,) = validator.cell_issues(0, FUNCTIONS_COL)
    assert issue.message == (
        "Function(s) 'Manger' is not in your organisation: did you mean 'Manager'?"
    )
    assert issue.fix == "Engineer, Manager"
    assert validator.cell_issues(1, FUNCTIONS_COL) == ()


def test_a_list_learnt_later_checks_every_item_again() -> None:
    validator = rakoo([rakoo_row(0, Teams="Team North, Team Up")])
    assert validator.cell_issues(0, TEAMS_COL)[0].message.startswith("Teams 'Team Up'")
    validator.use_allowed_values(TEAMS_COL, [*TEAMS, "Team Up"])
    assert validator.cell_issues(0, TEAMS_COL) == ()


# --- Atlas: Email only for users without a Username; Status --------------------------

EMAIL = ATLAS_HEADERS.index("Email")
USERNAME = ATLAS_HEADERS.index("Username")


def edit(validator: Validator, row: int, col: int, value: str) -> set[int]:
    """What UserDocument.apply does to the validator for one cell."""
    old = validator.columns[col][row]
    validator.columns[col][row] = value
    return validator.revalidate(row, col, old)


def test_a_user_who_signs_in_with_a_username_needs_no_email() -> None:
    validator = atlas([atlas_row(1, Email=""), atlas_row(2, Email="", Username="")])
    assert validator.cell_issues(0, EMAIL) == ()
    (issue,) = validator.cell_issues(1, EMAIL)
    assert issue.message == (
        "Email is required for a user without a Username, but this cell is empty."
    )
    assert validator.cell_issues(1, USERNAME)[0].kind == "required"


def test_clearing_the_username_makes_the_email_required() -> None:
    validator = atlas([atlas_row(1, Email=""), atlas_row(2)])
    assert validator.problems == {}
    assert edit(validator, 0, USERNAME, "") == {0}
    assert validator.cell_issues(0, EMAIL)[0].kind == "required"
    edit(validator, 0, EMAIL, "ann@acme.example")
    assert validator.cell_issues(0, EMAIL) == ()
    edit(validator, 0, EMAIL, "  ")
    assert validator.cell_issues(0, EMAIL)[0].kind == "required"
    edit(validator, 0, USERNAME, "ann")
    assert validator.cell_issues(0, EMAIL) == ()
    assert validator.problems == {}


def test_without_a_username_column_email_is_always_required() -> None:
    headers = [h for h in ATLAS_HEADERS if h != "Username"]
    rows = [[v for i, v in enumerate(atlas_row(1, Email="")) if i != USERNAME]]
    validator = checked(ATLAS, headers, rows, first_row_number=3)
    (issue,) = validator.cell_issues(0, headers.index("Email"))
    assert issue.message == "Email is required, but this cell is empty."


def test_atlas_status_is_active_or_inactive() -> None:
    status = ATLAS_HEADERS.index("Status")
    validator = atlas(
        [atlas_row(1, Status="active"), atlas_row(2, Status="Inactive"), atlas_row(3, Status="")]
    )
    assert validator.cell_issues(0, status)[0].fix == "Active"
    assert validator.cell_issues(1, status) == ()
    assert validator.cell_issues(2, status)[0].kind == "required"
    rule = ATLAS.rule_for("Status")
    assert rule is not None and rule.scim == "active"
    assert (ATLAS.scim_true, ATLAS.scim_false) == ("Active", "Inactive")


def test_atlas_keeps_its_guidance_row_out_of_the_users() -> None:
    assert ATLAS.rows_after_header == 1  # row 1 the titles, row 2 the guidance


# --- key problems say what to do ---------------------------------------------------------


def test_a_row_without_its_key() -> None:
    validator = atlas([atlas_row(1), atlas_row(2, User_ID="")])
    (issue,) = validator.cell_issues(1, 0)
    assert issue.message == (
        "This row has no User ID, so the platform cannot tell who it is: delete the row, "
        "or copy the ID from the platform."
    )


def test_a_duplicate_key_names_the_rows_and_what_to_keep() -> None:
    rows = [atlas_row(i) for i in range(14)]
    rows[11][0] = rows[0][0] = "000123"
    validator = atlas(rows)
    assert validator.cell_issues(0, 0)[0].message == (
        "User ID 000123 is also in row 14. Each user appears once: keep the row that "
        "matches the platform and delete the other."
    )
    rows[5][0] = "000123"
    assert (
        atlas(rows)
        .cell_issues(0, 0)[0]
        .message.endswith(
            "is also in rows 8 and 14. Each user appears once: keep the row that matches the "
            "platform and delete the others."
        )
    )


def test_a_blank_key_is_fine_where_the_platform_allows_it() -> None:
    udemy = profile_named("udemy_business")
    headers = [rule.header for rule in udemy.columns]
    row = ["a@acme.example", "Ann", "Lee", "Learner", "Active", "", "", "", ""]
    assert checked(udemy, headers, [row]).problems == {}


# --- Udemy Business ----------------------------------------------------------------------


def test_udemy_columns_and_what_goes_over_scim() -> None:
    udemy = profile_named("udemy_business")
    assert [rule.header for rule in udemy.columns] == [
        "Email",
        "Name",
        "Surname",
        "Role",
        "Status",
        "Groups",
        "External ID",
        "LMS User ID",
        "License Type",
    ]
    licence = udemy.rule_for("License Type")
    assert licence is not None and licence.scim_list and licence.blank_ignored
    assert licence.scim == "urn:ietf:params:scim:schemas:extension:udemy:2.0:User:licenseType"
    assert udemy.scim_rule(licence.scim) is licence
    role = udemy.rule_for("Role")
    assert role is not None and role.scim is None
    assert role.not_uploaded_reason == "Udemy's SCIM API cannot change roles"


def test_udemy_licences_are_a_list() -> None:
    udemy = profile_named("udemy_business")
    headers = [rule.header for rule in udemy.columns]
    base = ["a@acme.example", "Ann", "Lee", "Learner", "Active", "Sales", "E-1", "", ""]
    rows = [
        [*base[:8], "Enterprise, Pro"],
        [*base[:6], "E-2", "", "Enterprise,,Pro"],
        [*base[:6], "E-3", "", ""],
    ]
    rows[1][0] = "b@acme.example"
    rows[2][0] = "c@acme.example"
    validator = checked(udemy, headers, rows)
    licence = headers.index("License Type")
    assert validator.cell_issues(0, licence) == ()
    assert validator.cell_issues(1, licence)[0].fix == "Enterprise,Pro"
    assert validator.cell_issues(2, licence) == ()


@pytest.mark.parametrize("users_first", [True, False])
def test_the_drop_downs_are_those_of_the_users_sheet(tmp_path: Path, users_first: bool) -> None:
    """Drop-downs come from the sheet the users are on, first in the workbook or behind a
    sheet of notes that has drop-downs of its own."""
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Read me"
    notes.append(["Fill in one user per row on the Users sheet."])
    notes.append(["Status"])
    wrong = DataValidation(type="list", formula1='"Open,Closed"')
    wrong.add("A1:Z100")
    notes.add_data_validation(wrong)
    users = workbook.create_sheet("Users", 0 if users_first else 1)
    users.append(RAKOO_HEADERS)
    users.append(rakoo_row(1, Language="Duits"))
    letter = get_column_letter(RAKOO_HEADERS.index("Language") + 1)
    languages = DataValidation(type="list", formula1='"nl,en,de"')
    languages.add(f"{letter}2:{letter}100")
    users.add_data_validation(languages)
    path = tmp_path / "two-sheets.xlsx"
    workbook.save(path)
    loaded = read_file(path)
    assert loaded.sheet_name == "Users"
    assert loaded.dropdowns == {RAKOO_HEADERS.index("Language"): ["nl", "en", "de"]}
