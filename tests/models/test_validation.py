"""Validation: the messages an admin reads, and edits that re-check only what they affect."""

from __future__ import annotations

from pathlib import Path

import email_validator
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.models import slicing, validation
from desktop_app.models.document import UserDocument
from desktop_app.models.profiles import profile_named
from desktop_app.models.readers import read_file
from desktop_app.models.validation import Validator, email_problem, rows_text
from tests.helpers.files import write_csv


def messages(document: UserDocument) -> dict[tuple[int, str], str]:
    return {(p.excel_row, p.header): p.message for p in document.problems()}


def test_atlas_sample_problems(sample) -> None:  # type: ignore[no-untyped-def]
    doc = UserDocument(read_file(sample("atlas-users.xlsx")))
    found = messages(doc)
    assert found[(4, "Email")] == (
        "Email 'jan.devries.example.com' is not a valid email address: it is missing the @."
    )
    assert found[(5, "First name")] == (
        "First name contains an invisible character (non-breaking space)."
    )
    assert found[(17, "Status")] == "Status 'Actve' is not allowed here: did you mean 'Active'?"
    assert found[(25, "Last name")] == "Last name is required, but this cell is empty."
    assert found[(28, "Email")] == "This email is also used in row 29."
    assert found[(29, "Email")] == "This email is also used in row 28."
    assert doc.validator.rows_with_issues == 6
    assert len(found) == 6


def test_rakoo_lists_come_from_the_templates_dropdowns(sample) -> None:  # type: ignore[no-untyped-def]
    doc = UserDocument(read_file(sample("rakoo-template.xlsx")))
    found = messages(doc)
    assert found[(6, "Department*")] == (
        "Department 'Salez' is not in your organisation: did you mean 'Sales'?"
    )
    assert (
        "'Team Nort' is not in your organisation: did you mean 'Team North'?"
        in found[(10, "Teams")]
    )
    assert found[(14, "Employee number*")] == (
        "This row has no Employee number, so the platform cannot tell who it is: "
        "delete the row, or copy the ID from the platform."
    )
    assert "not a valid email address: it contains a space" in found[(19, "Email address*")]
    assert found[(25, "Active")] == "Active must be 'x' or left blank, not 'yes'."
    assert doc.validator.rows_with_issues == 5


def test_fixes_are_offered_where_obvious(sample) -> None:  # type: ignore[no-untyped-def]
    doc = UserDocument(read_file(sample("rakoo-template.xlsx")))
    fixes = {(p.excel_row, p.header): p.fix for p in doc.problems()}
    assert fixes[(6, "Department*")] == "Sales"
    assert fixes[(10, "Teams")] == "Team South, Team North"
    assert fixes[(25, "Active")] == "x"


def test_valid_samples_have_no_problems(sample) -> None:  # type: ignore[no-untyped-def]
    doc = UserDocument(read_file(sample("scim-users.csv")))
    assert doc.problems() == []


def test_duplicate_messages_name_other_rows() -> None:
    assert rows_text([5]) == "row 5"
    assert rows_text([5, 9]) == "rows 5 and 9"
    assert rows_text([5, 9, 1204]) == "rows 5, 9 and 1,204"
    assert rows_text([5, 9, 12, 40, 41]) == "rows 5, 9, 12 and 2 more"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("jan.example.com", "it is missing the @"),
        ("jan@@example.com", "it has more than one @"),
        ("jan de@example.com", "it contains a space"),
        ("jan@example", "the part after the @ has no dot, as in name@company.com"),
        ("jan..de@example.com", "it has two dots in a row"),
        ("@example.com", "there is nothing before the @"),
    ],
)
def test_email_reasons(value: str, reason: str) -> None:
    assert email_problem(value) == reason


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.emails(),
        st.text(alphabet="abc.@-_+xn1 ", max_size=20),
        st.from_regex(
            r"[a-zA-Z.]{1,8}@[a-zA-Z0-9-]{1,8}\.(com|test|local|nl|x1|TEST|Local|ARPA|Onion|inValid)",
            fullmatch=True,
        ),
    )
)
def test_fast_email_check_agrees_with_email_validator(value: str) -> None:
    try:
        validate_email(value, check_deliverability=False)
        library_ok = True
    except EmailNotValidError:
        library_ok = False
    assert (email_problem(value) is None) == library_ok


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="aZ09-.x", min_size=1, max_size=12),
        st.from_regex(
            r"([a-z0-9-]{1,5}\.){1,3}(com|test|local|LocalHost|arpa|onion|invalid|nl|x1|a-b|b-)",
            fullmatch=True,
        ),
        st.from_regex(r"[a-z]{60,66}\.[a-z]{1,3}|[a-z]{1,3}\.[a-z]{60,66}", fullmatch=True),
        st.builds(lambda n: "a." * n + "nl", st.integers(100, 130)),
    )
)
def test_plain_domains_are_answered_as_email_validator_would(domain: str) -> None:
    """Plain domains are passed without asking email-validator: never one it refuses."""
    assert validation._domain_problem.__wrapped__(domain) == validation._validator_problem(
        f"a@{domain}"
    )


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["an", "na", "@", ".", " ", "\t", "\u00a0", "\u2028", "\x1f", "gmial.com", "GMAL.com"]
            + ["hotmail.con", "example.com", "x"]
        ),
        max_size=8,
    ).map("".join)
)
def test_an_address_is_put_right_only_when_that_makes_it_valid(value: str) -> None:
    """Spaces of every kind and a second @ taken out, a misspelt common domain put right."""
    assert validation._email_fix(value) == validation._fixed_address(value)
    assert validation._email_fix("anna @gmial.com") == "anna@gmail.com"


COLUMN_VALUES = ["", " ", "ann@acme.example", "ann @acme.example", "ann@acme", "a.@b.nl"]
COLUMN_VALUES += ["Active", "actve", "nl", "Dutch", "2021-02-30", "15/03/2019", "x\u00a0", "E1"]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.sampled_from(COLUMN_VALUES), max_size=40),
    column=st.sampled_from(["User ID", "Username", "Email", "Status", "Language", "Hire date"]),
    distinct=st.booleans(),
    slice_rows=st.integers(1, 5),
)
def test_a_columns_problems_are_those_of_checking_each_cell_alone(
    values: list[str], column: str, distinct: bool, slice_rows: int
) -> None:
    """A whole column is checked once per distinct value, a slice at a time: each cell
    gets exactly the issues an edit of that cell alone would give it."""
    profile = profile_named("atlas")
    rule = profile.rule_for(column)
    assert rule is not None
    checker = validation.ColumnChecker(column, rule, [], column == "User ID", True)
    before = slicing.SLICE_ROWS
    slicing.SLICE_ROWS = slice_rows
    try:
        found = dict(checker.problem_cells(values, set(values) if distinct else None))
    finally:
        slicing.SLICE_ROWS = before
    alone = {row: checker.check(value) for row, value in enumerate(values)}
    assert found == {row: issues for row, issues in alone.items() if issues}


LIST_ITEMS = ["ann@example.com", "bo@x.nl", "ann@b.test", "bo@b.TEST", "cy@d.Local"]
LIST_ITEMS += ["dee@e.localhost", "eve@f.locally", "fay@g.ARPA", "gus@h.onion.nl"]


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(st.sampled_from(LIST_ITEMS), min_size=1, max_size=4),
    separator=st.sampled_from([",", ", ", " ,"]),
)
def test_a_list_of_addresses_is_flagged_exactly_when_an_item_is_refused(
    items: list[str], separator: str
) -> None:
    """The quick pattern of surely fine list cells passes no item email-validator refuses,
    wherever the item stands in the cell."""
    rule = profile_named("rakoo").rule_for("Managers")
    assert rule is not None and rule.type == "email_list"
    checker = validation.ColumnChecker("Managers", rule, [], False, False)
    cell = separator.join(items)
    flagged = dict(checker.problem_cells([cell]))
    assert (0 in flagged) == bool(checker.check(cell))
    refused = [item for item in items if email_problem(item) is not None]
    assert bool(refused) == (0 in flagged)


def test_special_use_domains_are_email_validators() -> None:
    assert set(email_validator.SPECIAL_USE_DOMAIN_NAMES) == validation._SPECIAL_USE_DOMAINS


def _doc(tmp_path: Path, rows: list[list[str]]) -> UserDocument:
    header = ["Email", "Name", "Surname", "Role", "External ID"]
    return UserDocument(read_file(write_csv(tmp_path / "u.csv", [header, *rows])))


def test_edit_fixes_a_duplicate_on_both_rows(tmp_path: Path) -> None:
    doc = _doc(
        tmp_path,
        [
            ["a@example.com", "A", "A", "Learner", "1"],
            ["b@example.com", "B", "B", "Learner", "2"],
            ["A@example.com", "C", "C", "Learner", "3"],
        ],
    )
    assert doc.row_has_issues(0) and doc.row_has_issues(2)
    touched = doc.apply(doc.edits_for([(2, 0, "c@example.com")]))
    assert touched == {0, 2}
    assert doc.problems() == []


def test_blank_rows_are_not_users(tmp_path: Path) -> None:
    doc = _doc(
        tmp_path,
        [
            ["a@example.com", "A", "A", "Learner", "1"],
            ["", "", "", "", ""],
            ["b@example.com", "B", "B", "Learner", "2"],
        ],
    )
    assert doc.problems() == []
    doc.apply(doc.edits_for([(1, 1, "Typed")]))
    assert {p.header for p in doc.problems()} == {"Email", "Surname"}


VALUES = [
    "a@example.com",
    "b@example.com",
    "A@example.com ",
    "bad",
    "",
    "Learner",
    "Admin",
    "Lerner",
    "1",
    "2",
    "x\u00a0",
    "2024-02-30",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 4), st.sampled_from(VALUES)),
        min_size=1,
        max_size=30,
    )
)
def test_incremental_checks_equal_a_full_check(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, int, str]]
) -> None:
    """After any edits, the problems kept up to date edit by edit are those of a fresh check."""
    doc = _doc(
        tmp_path_factory.mktemp("inc"),
        [
            ["a@example.com", "A", "A", "Learner", "1"],
            ["b@example.com", "B", "B", "Admin", "2"],
            ["a@example.com", "", "C", "Lerner", "2"],
            ["", "", "", "", ""],
            ["d@example", "D", "D", "Learner", "4"],
            ["e@example.com", "E", "E", "Learner", ""],
        ],
    )
    for row, col, value in edits:
        doc.apply(doc.edits_for([(row, col, value)]))
    fresh = Validator(
        doc.profile, doc.headers, doc.columns, first_row_number=doc.loaded.data_start + 1
    )
    fresh.validate_all()
    assert doc.validator.problems == fresh.problems


ATLAS_HEADERS = ["User ID", "Username", "Email", "Status", "Language"]
ATLAS_ROWS = [
    ["000101", "abakker", "anna@acme.example", "Active", "nl"],
    ["000102", "", "", "Active", "en"],
    ["000103", "cdevries", "", "Inactive", "Dutch"],
    ["000101", "dsmit", "d@acme", "actve", "de"],
    ["", "", "", "", ""],
]
ATLAS_VALUES = ["", "  ", "ann", "ann@acme.example", "Active", "active", "nl", "Engels", "xx"]
RAKOO_HEADERS = ["Employee number", "Email address", "Language", "Teams", "Managers"]
RAKOO_ROWS = [
    ["E1", "a@acme.example", "Dutch", "Team North", "boss@acme.example"],
    ["E2", "b@acme.example", "nl", "Team North, Team Nort", "boss@acme.example, nope"],
    ["E3", "a@acme.example", "German", "", ""],
    ["", "", "", "", ""],
]
RAKOO_VALUES = [
    "",
    "Dutch",
    "en",
    "Duits",
    "Spanish",
    "Klingon",
    "Team North",
    "Team Nort, Team South",
    "Team South,,Team North",
    "boss@acme.example",
    "boss@acme.example, nope",
    "a@acme.example",
]
RAKOO_LISTS = {2: ["Dutch", "English", "German"], 3: ["Team North", "Team South"]}


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(["atlas", "rakoo"]).flatmap(
        lambda name: st.tuples(
            st.just(name),
            st.lists(
                st.tuples(
                    st.integers(0, 4 if name == "atlas" else 3),
                    st.integers(1, 4),
                    st.sampled_from(ATLAS_VALUES if name == "atlas" else RAKOO_VALUES),
                ),
                min_size=1,
                max_size=30,
            ),
        )
    )
)
def test_incremental_checks_equal_a_full_check_with_platform_rules(
    case: tuple[str, list[tuple[int, int, str]]],
) -> None:
    """The same for the rules that look at another cell (Email only without a Username),
    languages written as the file's list writes them, and lists checked item by item."""
    name, edits = case
    profile = profile_named(name)
    headers = ATLAS_HEADERS if name == "atlas" else RAKOO_HEADERS
    rows = ATLAS_ROWS if name == "atlas" else RAKOO_ROWS
    lists = {} if name == "atlas" else RAKOO_LISTS
    columns = [list(column) for column in zip(*rows, strict=True)]
    validator = Validator(profile, headers, columns, lists)
    validator.validate_all()
    for row, col, value in edits:
        old = columns[col][row]
        columns[col][row] = value
        validator.revalidate(row, col, old)
    fresh = Validator(profile, headers, [list(c) for c in columns], lists)
    fresh.validate_all()
    assert validator.problems == fresh.problems


def test_undo_restores_problems_and_marks(sample) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.models.document import invert

    doc = UserDocument(read_file(sample("atlas-users.xlsx")))
    before = doc.validator.all_issues()
    edits = doc.edits_for([(1, 4, "jan.devries@atlas-demo.com"), (2, 2, "Sophie")])
    doc.apply(edits)
    assert doc.changed_rows == 2 and doc.validator.rows_with_issues == 4
    doc.apply(invert(edits))
    assert doc.validator.all_issues() == before
    assert doc.changed_rows == 0 and doc.originals == {}


def test_key_column_is_never_edited(sample) -> None:  # type: ignore[no-untyped-def]
    doc = UserDocument(read_file(sample("atlas-users.xlsx")))
    assert doc.key_column == 0 and not doc.is_editable(0)
    assert doc.edits_for([(0, 0, "999")]) == []
    from desktop_app.models.document import CellEdit

    with pytest.raises(ValueError):
        doc.apply([CellEdit(0, 0, doc.value(0, 0), "999")])
    assert doc.value(0, 0) == "000101"


def test_generic_profile_finds_key_and_email_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "other.csv",
        [
            ["User ID", "Full name", "E-mail"],
            ["1", "Ann", "ann@example.com"],
            ["2", "Bob", "not-an-email"],
            ["2", "Cy", "ann@example.com"],
        ],
    )
    # A User ID column and an email are weak evidence of Atlas: the window asks; as a
    # plain spreadsheet of users, the key and the email column are found by their names.
    recognition = read_file(path).recognition
    assert recognition is not None and recognition.weak
    doc = UserDocument(read_file(path, profile="generic"))
    assert doc.profile.generic and doc.key_column == 0
    found = messages(doc)
    assert "is not a valid email address" in found[(3, "E-mail")]
    assert found[(4, "E-mail")] == "This email is also used in row 2."
    assert found[(4, "User ID")] == (
        "User ID 2 is also in row 3. Each user appears once: keep the row that matches "
        "the platform and delete the other."
    )


def test_every_bundled_profile_loads() -> None:
    for name in ("atlas", "rakoo", "udemy_business", "scim", "generic"):
        profile = profile_named(name)
        assert profile.generic or profile.rule_for(profile.key or "") is not None
