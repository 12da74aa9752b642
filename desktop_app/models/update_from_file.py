"""Update the table from another file, such as an HR export: match rows, take columns.

The admin picks the column that identifies a person in each file (employee number,
email, user id) and the columns to take. A plan then says which cells change, which
rows of the other file matched no user, and which keys appear more than once (those
are never guessed: they are left out and listed). The window applies the plan's
changes as one undoable step, so one undo restores every cell.

The plan is worked out off the GUI thread from :class:`TableColumns`, a copy of only
the columns it needs, so the admin's table is read on the GUI thread alone.

Matching is done with dictionaries over whole columns rather than with pandas: on 100,000
rows it takes a few tenths of a second more than a pandas merge, in the background, less
than importing pandas would take (``benchmarks/bench_update_from_file.py`` measures all
three in one run), and the desktop bundle carries no pandas and numpy (60 MB, see
``build.spec``, whose size limit is 150 MB).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import compress
from operator import ne
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.i18n import N_, _, ngettext, numeral
from desktop_app.models.errors import UserFacingError
from desktop_app.models.readers import LoadedFile, read_file

if TYPE_CHECKING:
    from desktop_app.models.document import UserDocument

# (what is being done, done, total); raising from it stops the work (a cancelled job).
Progress = Callable[[str, int, int], None]


class MatchKind(StrEnum):
    """How two keys are compared. Both ignore spaces around the value."""

    TEXT = "text"  # exactly, as text: employee number 000123 is not 123
    EMAIL = "email"  # without regard to case: Ann@Example.com is ann@example.com


class UpdateProblem(UserFacingError):
    """The choices cannot make a plan; the message says what to change."""


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Header names that identify a person, by what they hold, in the order they are preferred.
# Compared without case, spaces or punctuation ("E-mail address" is "emailaddress").
KEY_NAMES: tuple[tuple[str, str, frozenset[str]], ...] = (
    (
        N_("employee number"),
        N_("employee numbers"),
        _names(
            "employeenumber employeeno employeenr employeeid employeecode empno empnumber "
            "empid personnelnumber personnelno staffnumber staffno staffid payrollnumber "
            "workerid personid personalnumber personeelsnummer personalnummer externalid"
        ),
    ),
    (
        N_("email"),
        N_("emails"),
        _names(
            "email emailaddress mail workemail primaryemail businessemail emailwork "
            "workemailaddress useremail emails"
        ),
    ),
    (N_("user ID"), N_("user IDs"), _names("userid id useridentifier uid")),
)


def header_key(header: str) -> str:
    """A header as compared here: no case, spaces or punctuation."""
    return re.sub(r"[\W_]+", "", header.casefold())


def key_concept(header: str) -> int | None:
    """Which of KEY_NAMES a header names (its index), if any."""
    name = header_key(header)
    for index, (_one, _many, names) in enumerate(KEY_NAMES):
        if name in names:
            return index
    return None


def key_words(header: str) -> tuple[str, str]:
    """How sentences name one and many keys of this column: 'employee numeral(s)'."""
    concept = key_concept(header)
    if concept is not None:
        return _(KEY_NAMES[concept][0]), _(KEY_NAMES[concept][1])
    return _("value in {header}").format(header=header), _("values in {header}").format(
        header=header
    )


def looks_like_email(header: str, values: Sequence[str]) -> bool:
    """An email column: named so, or most of its first filled cells hold an '@'."""
    if key_concept(header) == 1:
        return True
    sample = [v for v in values[:500] if v.strip()]
    return bool(sample) and sum("@" in v for v in sample) * 2 > len(sample)


def match_kind(table_header: str, other_header: str, other_values: Sequence[str]) -> MatchKind:
    """Emails match without regard to case; anything else matches as text."""
    if looks_like_email(table_header, ()) or looks_like_email(other_header, other_values):
        return MatchKind.EMAIL
    return MatchKind.TEXT


@dataclass(frozen=True)
class KeyPair:
    """The column that identifies a person in the table and in the other file."""

    table: int
    other: int


@dataclass(frozen=True)
class ColumnPair:
    """Take the other file's column ``other`` into the table's column ``table``."""

    other: int
    table: int


def suggest_keys(table_headers: Sequence[str], other_headers: Sequence[str]) -> list[KeyPair]:
    """Pairs of columns to match on, best first: employee number, then email, then user ID."""
    found: list[KeyPair] = []
    for index in range(len(KEY_NAMES)):
        tables = [c for c, h in enumerate(table_headers) if key_concept(h) == index]
        others = [c for c, h in enumerate(other_headers) if key_concept(h) == index]
        if not tables or not others:
            continue
        # Same name first ("Employee ID" with "Employee ID"), then the first of each.
        for t in tables:
            for o in others:
                if header_key(table_headers[t]) == header_key(other_headers[o]):
                    found.append(KeyPair(t, o))
        pair = KeyPair(tables[0], others[0])
        if pair not in found:
            found.append(pair)
    return found


def suggest_columns(
    table_headers: Sequence[str],
    other_headers: Sequence[str],
    keys: KeyPair,
    locked: int | None = None,
) -> list[ColumnPair]:
    """The other file's columns named like a column of the table.

    Never the keys or the locked column; identifiers (an email, an employee number) are
    left for the admin to tick, since changing them is rarely what an update is for.
    """
    by_name: dict[str, int] = {}
    for col, header in enumerate(table_headers):
        if col not in (keys.table, locked):
            by_name.setdefault(header_key(header), col)
    pairs = []
    for col, header in enumerate(other_headers):
        target = by_name.get(header_key(header))
        if col != keys.other and target is not None and key_concept(header) is None:
            pairs.append(ColumnPair(col, target))
    return pairs


@dataclass(frozen=True)
class UpdateChoice:
    """What the admin chose: the key pair, the columns to take, and what a blank means."""

    keys: KeyPair
    take: tuple[ColumnPair, ...]
    kind: MatchKind = MatchKind.TEXT
    # Off unless the admin says so: a blank cell in the other file leaves the value as it is.
    blank_clears: bool = False

    def targets(self) -> list[int]:
        return [pair.table for pair in self.take]


@dataclass(frozen=True)
class TableColumns:
    """A copy of the table's columns a plan reads: made on the GUI thread, read off it."""

    keys: list[str]
    values: dict[int, list[str]]
    locked: frozenset[int]
    headers: list[str]
    generation: int
    # Rows deleted from the table: never matched, counted or changed.
    hidden: frozenset[int] = frozenset()

    @classmethod
    def copy_from(cls, document: UserDocument, choice: UpdateChoice) -> TableColumns:
        """Copy the key column and the columns to write (call on the GUI thread)."""
        targets = set(choice.targets())
        return cls(
            keys=list(document.columns[choice.keys.table]),
            values={col: list(document.columns[col]) for col in targets},
            locked=frozenset(col for col in targets if not document.is_editable(col)),
            headers=list(document.headers),
            generation=document.generation,
            hidden=frozenset(document.hidden),
        )


@dataclass
class UpdatePlan:
    """The cells an update will change, and what it could not match."""

    changes: list[tuple[int, int, str]]  # (row, column, new value), in row order
    cells_changing: int
    rows_matched: int  # users of the table matched to one row of the other file
    rows_changing: int  # of those, users with at least one cell changing
    unmatched_in_other: list[tuple[int, str]]  # (row number in the other file, its key)
    unmatched_in_table: int  # users with no row in the other file
    ambiguous: list[str]  # keys in either file more than once: left out, never guessed
    skipped_locked: int  # cells of the locked key column that differ: never written
    blanks_kept: int  # blank cells in the other file that leave a value as it is
    generation: int  # the table's generation the plan was made from
    columns_changing: dict[int, int] = field(default_factory=dict)  # column -> cells


def read_other_file(path: str | Path) -> LoadedFile:
    """Read the other file with the same reader, checks and header detection as a download."""
    return read_file(path)


def _normaliser(kind: MatchKind) -> Callable[[str], str]:
    if kind is MatchKind.EMAIL:
        return lambda value: value.strip().casefold()
    return str.strip


def _repeated(keys: list[str]) -> set[str]:
    """Keys (not blank) found more than once."""
    if len(set(keys)) == len(keys):
        return set()
    return {key for key, count in Counter(keys).items() if count > 1 and key}


def check_choice(choice: UpdateChoice, table_headers: Sequence[str], other_name: str) -> None:
    """Raise UpdateProblem when two columns would be written into one."""
    seen: set[int] = set()
    for pair in choice.take:
        if pair.table in seen:
            raise UpdateProblem(
                _("Two columns of {file} are set to go into {column}; choose one of them.").format(
                    file=other_name, column=table_headers[pair.table]
                )
            )
        seen.add(pair.table)


def plan_update(
    other: LoadedFile,
    table: TableColumns,
    choice: UpdateChoice,
    progress: Progress | None = None,
) -> UpdatePlan:
    """Work out which cells change (off the GUI thread: reads only its arguments)."""
    report = progress or (lambda _text, _done, _total: None)
    check_choice(choice, table.headers, other.path.name)
    report(_("Matching rows…"), 0, 3)
    norm = _normaliser(choice.kind)
    other_raw = other.columns[choice.keys.other]
    table_keys = list(map(norm, table.keys))
    for row in table.hidden:  # a deleted row's key matches nothing, as a blank one
        if row < len(table_keys):
            table_keys[row] = ""
    other_keys = list(map(norm, other_raw))
    repeated = _repeated(table_keys) | _repeated(other_keys)
    # key -> row; a repeated key keeps some row here but is never used, a blank one none.
    table_rows = dict(zip(table_keys, range(len(table_keys)), strict=True))
    table_rows.pop("", None)
    report(_("Matching rows…"), 1, 3)

    # Per row of the other file: its user's row, None (no user) or -1 (a repeated key).
    # Whole-list steps (map, compress) keep 100,000 rows well under a second.
    found: list[int | None] = list(map(table_rows.get, other_keys))
    if repeated:
        found = [-1 if key in repeated else row for key, row in zip(other_keys, found, strict=True)]
    others = [o for o, row in enumerate(found) if row is not None and row >= 0]
    rows: list[int] = list(map(found.__getitem__, others))  # type: ignore[arg-type]
    unmatched = [
        (other.excel_row(o), other_raw[o].strip()) for o, row in enumerate(found) if row is None
    ]
    in_repeated = sum(1 for key in table_keys if key in repeated) if repeated else 0
    deleted = sum(1 for row in table.hidden if row < len(table_keys))
    unmatched_in_table = len(table_keys) - deleted - len(rows) - in_repeated
    report(_("Comparing values…"), 2, 3)

    changes: list[tuple[int, int, str]] = []
    skipped_locked = blanks_kept = 0
    columns_changing: dict[int, int] = {}
    for pair in choice.take:
        new_values = list(map(other.columns[pair.other].__getitem__, others))
        old_values = list(map(table.values[pair.table].__getitem__, rows))
        if choice.blank_clears:  # a cell of spaces is blank too, and clears to ""
            new_values = [value if value.strip() else "" for value in new_values]
        locked = pair.table in table.locked
        count = 0
        for i in compress(range(len(rows)), map(ne, new_values, old_values)):
            new = new_values[i]
            if not choice.blank_clears and not new.strip():
                blanks_kept += 1
                continue
            if locked:
                skipped_locked += 1
                continue
            changes.append((rows[i], pair.table, new))
            count += 1
        if count:
            columns_changing[pair.table] = count
    changes.sort()  # by row, then column: (row, column) never repeats
    report(_("Comparing values…"), 3, 3)
    return UpdatePlan(
        changes=changes,
        cells_changing=len(changes),
        rows_matched=len(rows),
        rows_changing=len({row for row, _col, _new in changes}),
        unmatched_in_other=unmatched,
        unmatched_in_table=unmatched_in_table,
        ambiguous=_shown_keys(repeated, table.keys, other_raw, norm),
        skipped_locked=skipped_locked,
        blanks_kept=blanks_kept,
        generation=table.generation,
        columns_changing=columns_changing,
    )


def _shown_keys(
    repeated: set[str], table_keys: list[str], other_keys: list[str], norm: Callable[[str], str]
) -> list[str]:
    """Each repeated key as the admin wrote it first (in the other file, else the table)."""
    if not repeated:
        return []
    shown: dict[str, str] = {}
    for raw in (*other_keys, *table_keys):
        key = norm(raw)
        if key in repeated and key not in shown:
            shown[key] = raw.strip()
    return sorted(shown.values(), key=str.casefold)


def summary(plan: UpdatePlan, other_name: str, key_header: str) -> list[str]:
    """The plan in sentences for the admin, most important first."""
    one, many = key_words(key_header)
    if plan.cells_changing:
        users = ngettext("{count} user", "{count} users", plan.rows_changing).format(
            count=numeral(plan.rows_changing)
        )
        lines = [
            ngettext(
                "{count} cell will change in {users}",
                "{count} cells will change in {users}",
                plan.cells_changing,
            ).format(count=numeral(plan.cells_changing), users=users)
        ]
    elif plan.rows_matched:
        lines = [
            ngettext(
                "Nothing will change: the {count} user found in {file} already has these values",
                "Nothing will change: the {count} users found in {file} already have these values",
                plan.rows_matched,
            ).format(count=numeral(plan.rows_matched), file=other_name)
        ]
    else:
        lines = [_("No user of this table was found in {file}").format(file=other_name)]
    if plan.unmatched_in_other:
        count = len(plan.unmatched_in_other)
        lines.append(
            ngettext(
                "{count} row in {file} matched no user",
                "{count} rows in {file} matched no user",
                count,
            ).format(count=numeral(count), file=other_name)
        )
    if plan.ambiguous:
        count = len(plan.ambiguous)
        lines.append(
            ngettext(
                "{count} {noun} appears more than once and was left out",
                "{count} {noun} appear more than once and were left out",
                count,
            ).format(count=numeral(count), noun=one if count == 1 else many)
        )
    if plan.blanks_kept:
        lines.append(
            ngettext(
                "{count} blank cell in {file} will be skipped: the table keeps what it has",
                "{count} blank cells in {file} will be skipped: the table keeps what it has",
                plan.blanks_kept,
            ).format(count=numeral(plan.blanks_kept), file=other_name)
        )
    if plan.skipped_locked:
        lines.append(
            ngettext(
                "{count} cell of the locked key column would differ and will not be changed",
                "{count} cells of the locked key column would differ and will not be changed",
                plan.skipped_locked,
            ).format(count=numeral(plan.skipped_locked))
        )
    if plan.unmatched_in_table:
        count = plan.unmatched_in_table
        lines.append(
            ngettext(
                "{count} user of this table is not in {file}: nothing changes for them",
                "{count} users of this table are not in {file}: nothing changes for them",
                count,
            ).format(count=numeral(count), file=other_name)
        )
    return lines
