"""What the platform would refuse, cell by cell, in words an admin understands.

Full validation runs column by column: a vectorised test finds the cells that are
surely fine, and only the rest go through the precise per-cell check that writes
the message (cached by value, since lists repeat). An edit re-checks one cell and
the uniqueness groups it leaves or joins, nothing else.
"""

from __future__ import annotations

import bisect
import difflib
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property, lru_cache
from itertools import compress, repeat
from typing import NamedTuple

from desktop_app.i18n import N_, _, numeral
from desktop_app.models.dates import is_real_iso_date, read_date
from desktop_app.models.profiles import (
    ColumnRule,
    LanguageTable,
    Profile,
    fold_name,
    language_table,
    normalise_header,
)
from desktop_app.models.slicing import in_slices, numbered_slices, rows_where, set_of, slices

INVISIBLE = {
    "\u00a0": N_("non-breaking space"),
    "\u200b": N_("zero-width space"),
    "\u200c": N_("zero-width non-joiner"),
    "\u200d": N_("zero-width joiner"),
    "\u2060": N_("word joiner"),
    "\ufeff": N_("zero-width no-break space"),
    "\u00ad": N_("soft hyphen"),
}
_INVISIBLE_RE = "[" + "".join(INVISIBLE) + "]"
# Control characters a person cannot see or type; tab and line breaks have their own check.
# (U+FFFE and U+FFFF are not characters at all, and no workbook can hold them.)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
CONTROL_NAMES = {
    "\x00": N_("null"),
    "\x0b": N_("vertical tab"),
    "\x0c": N_("form feed"),
    "\x1b": N_("escape"),
    "\x7f": N_("delete"),
}
# The most characters an Excel cell holds; a longer value was never typed by a person.
CELL_LIMIT = 32_767
_NOT_INSIDE = "\\r\\n\\t" + "".join(INVISIBLE)
# A value with no space at either end, no invisible character and no line break.
_TIDY = re.compile(rf"[^\s{_NOT_INSIDE}](?:[^{_NOT_INSIDE}]*[^\s{_NOT_INSIDE}])?")
_EMAIL_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# A conservative shape that email-validator always accepts; anything else is asked of it.
# The part before the @ is matched possessively: its atoms never hold a dot or an @, so
# giving characters back could never find a match, only slow down a refused address.
# Special-use names are refused in any case, as email-validator refuses 'x@y.TEST', and
# wherever the address ends: at the end of the cell or at a list's separator.
_EMAIL_SURE = (
    rf"{_EMAIL_ATOM}+(?:\.{_EMAIL_ATOM}+)*+@"
    r"(?:(?!\w*--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?!(?i:test|local|localhost|invalid|onion|arpa)(?![A-Za-z0-9-]))[A-Za-z]{2,63}"
)
_EMAIL_SURE_RE = re.compile(_EMAIL_SURE)
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Dates that exist in every year; 29 February and the like go through the full check.
_SURE_DATE = re.compile(
    r"(?:19|20)\d\d-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)
FLAG_TRUE = {"yes", "y", "true", "1", "ja", "j", "active", "on", "✓"}
FLAG_FALSE = {"no", "n", "false", "0", "nee", "inactive", "off", "-"}
# The kind of a note read from the platform's own import report: the platform refused
# the row last time, and says why.
REFUSED_NOTE = "refused"
# Messages name at most this many other rows of a duplicate group.
MAX_ROWS_NAMED = 3
# What a list's separator is called in a message.
SEPARATOR_NAMES = {
    ",": N_("comma"),
    ";": N_("semicolon"),
    "|": N_("bar"),
    "/": N_("slash"),
}
# Control characters as a character class, for the patterns of surely fine list cells.
_CONTROL_CLASS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff"


class Issue(NamedTuple):
    """One reason the platform would refuse a cell, with a fix when one is obvious.

    A named tuple: made for each refused address in a column, in half the time of a
    frozen dataclass, and as unchangeable (the issues of a value are shared by its cells).
    """

    message: str
    kind: str
    fix: str | None = None


def rows_text(rows: Sequence[int], total: int | None = None) -> str:
    """'row 7', 'rows 7 and 9', 'rows 7, 9, 12 and 40 more' (of ``total`` rows, if given)."""
    named = [numeral(r) for r in rows[:MAX_ROWS_NAMED]]
    rest = (len(rows) if total is None else total) - len(named)
    if rest:
        return _("rows {rows} and {count} more").format(rows=", ".join(named), count=numeral(rest))
    if len(named) == 1:
        return _("row {row}").format(row=named[0])
    return _("rows {rows} and {last}").format(rows=", ".join(named[:-1]), last=named[-1])


def _quote(value: str, limit: int = 40) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return f"'{shown}'"


def _tidy(value: str) -> str:
    for char in INVISIBLE:
        value = value.replace(char, " " if char == "\u00a0" else "")
    return " ".join(value.split())


def email_problem(value: str) -> str | None:
    """Why an address would bounce off the platform's import, or None."""
    # The quick tests first: an address of the sure shape passes every one of them.
    if "@" not in value:
        return _("it is missing the @")
    if value.count("@") > 1:
        return _("it has more than one @")
    if " " in value:
        return _("it contains a space")
    local, _at, domain = value.partition("@")
    if not local:
        return _("there is nothing before the @")
    if not domain:
        return _("there is nothing after the @")
    if "." not in domain:
        return _("the part after the @ has no dot, as in name@company.com")
    if ".." in value:
        return _("it has two dots in a row")
    if _EMAIL_SURE_RE.fullmatch(value) and len(value) <= 254 and len(local) <= 64:
        return None
    if len(value) <= 254 and len(local) <= 64 and _DOMAIN_PLAIN.fullmatch(domain):
        if _LOCAL_SURE.fullmatch(local):
            # A plain part before the @ passes every test of email-validator's, and
            # nothing after it depends on it: the answer is the domain's, asked once.
            return _domain_problem(domain)
        if _LOCAL_ASCII.fullmatch(local):
            # Its tests of the part before the @ look at the characters other than
            # letters and digits and where they stand, never at the words between them:
            # 'anna.devries.' is refused as 'a.a.' is, so each shape is asked once.
            return _shape_problem(_WORDS.sub("a", local), domain)
    return _validator_problem(value)


# The part before the @ of an address that email-validator accepts as it is.
_LOCAL_SURE = re.compile(rf"{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*")
# Printable ASCII without the quotes, backslashes and brackets that email-validator
# reads as quoting, a display name or an address literal.
_LOCAL_ASCII = re.compile(r"[!#-;=?-Z^-~]+")
_WORDS = re.compile("[A-Za-z0-9]+")
# A domain of letters, digits, dots, hyphens and underscores.
_DOMAIN_PLAIN = re.compile(r"[A-Za-z0-9._-]+")


# A plain domain that email-validator accepts as it is: labels of letters, digits and inner
# hyphens (never two in a row, so no Punycode), ending in a letter, and not a special-use
# name; asking email-validator about it would only cost its import (about 30 ms at start-up).
_DOMAIN_SURE = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z0-9][A-Za-z0-9-]{0,61})?[A-Za-z]"
)
# email_validator.SPECIAL_USE_DOMAIN_NAMES, without importing it (a test keeps them equal).
_SPECIAL_USE_DOMAINS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


@lru_cache(maxsize=4096)
def _domain_problem(domain: str) -> str | None:
    if (
        len(domain) <= 253
        and "--" not in domain
        and _DOMAIN_SURE.fullmatch(domain)
        and domain.rpartition(".")[2].lower() not in _SPECIAL_USE_DOMAINS
    ):
        return None
    return _validator_problem(f"a@{domain}")


@lru_cache(maxsize=4096)
def _shape_problem(shape: str, domain: str) -> str | None:
    return _validator_problem(f"{shape}@{domain}")


def _validator_problem(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email  # only when in doubt

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        reason = str(error).rstrip(".").replace("@-sign", "@")
        return reason[0].lower() + reason[1:]
    return None


class ColumnChecker:
    """The per-cell and vectorised checks for one column."""

    def __init__(
        self,
        header: str,
        rule: ColumnRule,
        allowed: Sequence[str],
        is_key: bool,
        key_required: bool,
    ) -> None:
        # Messages name the column as a person would say it: 'Department', not 'Department*'.
        self.header = header.rstrip("* ").strip() or header
        self.rule = rule
        self.is_key = is_key
        self.required = rule.required or (is_key and key_required)
        self._fold = rule.ignore_case
        self.languages: LanguageTable | None = language_table() if rule.type == "language" else None
        self.allowed: list[str] = []
        self.allowed_set: set[str] = set()
        # A language column: each listed language's code -> how the list writes it (None
        # when the list writes it more than one way).
        self.listed_languages: dict[str, str | None] = {}
        self.check = lru_cache(maxsize=65536)(self._check)
        self.set_allowed(allowed)

    def set_allowed(self, allowed: Sequence[str]) -> None:
        """The column's list of allowed values (a drop-down, the profile's, the server's)."""
        self.allowed = list(dict.fromkeys(a for a in allowed if a))
        self.allowed_set = {self._norm(a) for a in self.allowed}
        # Checked against a list of values (or 'x'), so best checked per distinct value.
        kind = self.rule.type
        self._listed = kind in {"flag", "language"} or (
            kind in {"choice", "multi"} and bool(self.allowed_set)
        )
        self.listed_languages = {}
        if self.languages is not None:
            for item in self.allowed:
                code = self.languages.find(item)
                if code is not None:
                    known = self.listed_languages.setdefault(code, item)
                    if known != item:
                        self.listed_languages[code] = None
        self.check.cache_clear()

    def _norm(self, value: str) -> str:
        return value.casefold() if self._fold else value

    def unique_key(self, value: str) -> str:
        """What counts as 'the same' for uniqueness: emails ignore case."""
        value = value.strip()
        return value.casefold() if self.rule.type == "email" or self._fold else value

    # --- whole column ---------------------------------------------------------------------

    def problem_cells(
        self, values: list[str], distinct: set[str] | None = None
    ) -> Iterator[tuple[int, tuple[Issue, ...]]]:
        """(row, issues) of every cell of the column that has a problem.

        A column with few distinct values (``distinct``, or one checked against a list)
        is checked once per distinct value and mapped back to rows by set lookups; any
        other column goes through compiled patterns or string methods row by row. Both
        run in C; only the few suspects pay for the precise, worded check.
        """
        if self.is_key:
            suspect_rows: Iterable[int] = rows_where(values, _blanks)
        elif distinct is not None or self._listed:
            bad = self.bad_values(values, distinct)
            if not bad:
                return
            for rows, part in numbered_slices(values):
                # Rows and their values' issues paired in C: no Python step per bad row.
                found = list(map(bad.get, part))  # None for a good value
                yield from zip(compress(rows, found), filter(None, found), strict=True)
            return
        else:
            suspect_rows = rows_where(values, self._doubtful)
        suspects = list(suspect_rows)
        suspect_values = list(map(values.__getitem__, suspects))
        found = list(map(self._checked(suspect_values).__getitem__, suspect_values))
        yield from zip(compress(suspects, found), filter(None, found), strict=True)

    def suspects(self, values: list[str], distinct: set[str] | None) -> Iterable[str]:
        """Of a column's distinct values, those ``check`` must look at; the rest are surely fine."""
        kind = self.rule.type
        if self.is_key:
            return [""] if "" in (values if distinct is None else distinct) else []
        if self._listed:
            options = set_of(values) if distinct is None else distinct
            if kind == "flag":
                return options - {"x", "X"}
            if self._fold:
                return [v for v in options if v.casefold() not in self.allowed_set]
            return options - self.allowed_set
        pool = values if distinct is None else list(distinct)
        return map(pool.__getitem__, rows_where(pool, self._doubtful))

    def _doubtful(self, values: Sequence[str]) -> Iterable[bool]:
        """True for each value that is not surely fine, mapped in C: patterns for emails,
        dates and lists, string methods for any other text (or nothing, when a test of
        the slice's values joined finds none in doubt)."""
        if self.rule.type in {"email", "date"} or self.rule.is_list:
            return map(operator.not_, map(self._sure.fullmatch, values))
        filled = list(filter(None, values))
        if _all_tidy(filled, self.rule.max_length or CELL_LIMIT):
            # Only the blanks are in doubt (a required column's), if there are any.
            return map(operator.not_, values) if len(filled) < len(values) else ()
        return map(operator.not_, _tidy_flags(values, self.rule))

    @cached_property
    def _sure(self) -> re.Pattern[str]:
        """The pattern of values that are certainly fine, for pattern-checked columns."""
        kind = self.rule.type
        if kind == "email":
            # Up to 64 characters no length rule of email addresses can be broken.
            return re.compile(rf"(?s:(?=.{{1,64}}\Z)){_EMAIL_SURE}")
        if kind == "language":
            return _LANGUAGE
        if kind == "date":
            return _SURE_DATE
        if self.rule.is_list:
            return self._sure_list()
        if self.rule.max_length:
            return re.compile(rf"(?s:(?=.{{1,{self.rule.max_length}}}\Z)){_TIDY.pattern}")
        return _TIDY

    def _sure_list(self) -> re.Pattern[str]:
        """Cells of a list column that are certainly fine: tidy items, one separator between.

        Items are not checked against a list here (a column with a list is checked per
        distinct value instead); addresses must have the shape every mail system accepts.
        """
        sep = self.rule.separator
        limit = self.rule.max_length or CELL_LIMIT
        length = rf"(?s:(?=.{{1,{limit}}}\Z))"
        if self.rule.type == "email_list":
            if not sep or len(sep) != 1 or re.fullmatch(_EMAIL_ATOM, sep) or sep in ".@":
                return re.compile("(?!)")  # an address could hold the separator: check each
            end = rf"[ {re.escape(sep)}]"
            item = rf"(?=[^\s{re.escape(sep)}]{{1,64}}(?:{end}|\Z)){_EMAIL_SURE}"
        else:
            bad = re.escape(sep) + _NOT_INSIDE + _CONTROL_CLASS
            item = rf"[^\s{bad}](?:[^{bad}]*[^\s{bad}])?"
        return re.compile(rf"{length}{item}(?: *{re.escape(sep)} *{item})*")

    def bad_values(
        self, values: list[str], distinct: set[str] | None = None
    ) -> dict[str, tuple[Issue, ...]]:
        """The values of a column that have problems (blank included), each once."""
        return {
            value: issues
            for value, issues in self._checked(list(self.suspects(values, distinct))).items()
            if issues
        }

    def _checked(self, values: list[str]) -> dict[str, tuple[Issue, ...]]:
        """Each distinct value of ``values`` to its issues, each checked once (a slice at a
        time, letting the window in between).

        Not through ``check``: its cache's bookkeeping costs a quarter of the check of an
        address seen once, and a whole column's values would push out the edits' ones.
        """
        checked: dict[str, tuple[Issue, ...]] = {}
        check = self._check
        for part in slices(values):
            for value in part:
                if value not in checked:
                    checked[value] = check(value)
        return checked

    def unique_keys(self, values: list[str]) -> list[str]:
        """The uniqueness key of every value (see ``unique_key``), mapped in C."""
        if self.rule.type == "email" or self._fold:
            return in_slices(_folded_keys, values)
        return in_slices(_stripped_keys, values)

    # --- one cell ------------------------------------------------------------------

    def _check(self, value: str) -> tuple[Issue, ...]:
        header = self.header
        # A blank value starts with a space: most values are spared the longer test.
        if value == "" or (not self.is_key and value[0].isspace() and is_blank(value)):
            if self.required:
                if self.is_key:
                    return (
                        Issue(
                            _(
                                "This row has no {header}, so the platform cannot tell who it "
                                "is: delete the row, or copy the ID from the platform."
                            ).format(header=header),
                            "required",
                        ),
                    )
                return (
                    Issue(
                        _("{header} is required, but this cell is empty.").format(header=header),
                        "required",
                    ),
                )
            return ()
        if self.is_key:
            return ()
        if self._listed and self._norm(value) in self.allowed_set:
            return ()  # exactly as listed (the same test that spares it a full check)
        if len(value) > CELL_LIMIT:
            return (
                Issue(
                    _(
                        "This cell holds {count} characters; an Excel cell holds at most "
                        "{limit}, so this is not a {header} a person typed. Replace it "
                        "with the right value or clear it."
                    ).format(count=numeral(len(value)), limit=numeral(CELL_LIMIT), header=header),
                    "length",
                ),
            )
        untidy = self._untidy(value)
        if untidy:
            return (untidy,)
        return self._check_value(value)

    def _untidy(self, value: str) -> Issue | None:
        if value.isprintable() and value[0] != " " and value[-1] != " ":
            return None  # no control, invisible or line-break character, no outer space
        # Most values are tidy: the fix is worked out only for one that is not.
        controls = sorted(set(_CONTROL.findall(value))) if _CONTROL.search(value) else None
        if controls:
            message = (
                _(
                    "{header} contains a control character ({name}) that cannot be seen; "
                    "remove the control characters."
                ).format(header=self.header, name=control_name(controls[0]))
                if len(controls) == 1
                else _(
                    "{header} contains control characters that cannot be seen; remove the "
                    "control characters."
                ).format(header=self.header)
            )
            return Issue(
                message,
                "control",
                _CONTROL.sub("", value),
            )
        hidden = [name for char, name in INVISIBLE.items() if char in value]
        if hidden:
            what = _(hidden[0]) if len(hidden) == 1 else _("invisible characters")
            return Issue(
                _("{header} contains an invisible character ({what}).").format(
                    header=self.header, what=what
                ),
                "whitespace",
                _tidy(value),
            )
        if value != value.strip():
            if value[0].isspace() and value[-1].isspace():
                message = _("{header} has a space at the start and end.")
            elif value[0].isspace():
                message = _("{header} has a space at the start.")
            else:
                message = _("{header} has a space at the end.")
            return Issue(message.format(header=self.header), "whitespace", _tidy(value))
        if "\n" in value or "\r" in value or "\t" in value:
            return Issue(
                _("{header} contains a line break or tab.").format(header=self.header),
                "whitespace",
                _tidy(value),
            )
        return None

    def _check_value(self, value: str) -> tuple[Issue, ...]:
        rule, header = self.rule, self.header
        if rule.max_length and len(value) > rule.max_length:
            return (
                Issue(
                    _(
                        "{header} is {count} characters long; the platform accepts at most {limit}."
                    ).format(
                        header=header, count=numeral(len(value)), limit=numeral(rule.max_length)
                    ),
                    "length",
                ),
            )
        kind = rule.type
        issue: Issue | None = None
        if kind == "email":
            reason = email_problem(value)
            if reason:
                issue = Issue(
                    _("{header} {value} is not a valid email address: {reason}.").format(
                        header=header, value=_quote(value), reason=reason
                    ),
                    "email",
                    _email_fix(value),
                )
        elif rule.is_list:
            return self._check_items(value)
        elif kind == "choice" and self.allowed_set:
            if self._norm(value) not in self.allowed_set:
                issue = self._not_allowed(value, value)
        elif kind == "flag" and value not in {"x", "X"}:
            fix = (
                "x"
                if value.casefold() in FLAG_TRUE
                else ("" if value.casefold() in FLAG_FALSE else None)
            )
            issue = Issue(
                _("{header} must be 'x' or left blank, not {value}.").format(
                    header=header, value=_quote(value)
                ),
                "flag",
                fix,
            )
        elif kind == "language":
            issue = self._language_issue(value)
        elif kind == "date":
            issue = _date_issue(header, value)
        return (issue,) if issue else ()

    def _check_items(self, value: str) -> tuple[Issue, ...]:
        """A list cell, item by item: each bad item is named, and its fix changes only it."""
        rule, header = self.rule, self.header
        sep = rule.separator
        parts = value.split(sep)
        if any(not part.strip() for part in parts):
            what = _(SEPARATOR_NAMES[sep]) if sep in SEPARATOR_NAMES else f"'{sep}'"
            items = [part.strip() for part in parts if part.strip()]
            joiner = sep + " " if any(part.startswith(" ") for part in parts[1:]) else sep
            return (
                Issue(
                    _(
                        "{header} has an empty item: a {what} too many, at the start, the end "
                        "or twice in a row; remove the extra {what}."
                    ).format(header=header, what=what),
                    "separator",
                    joiner.join(items),
                ),
            )
        issues: list[Issue] = []
        for index, part in enumerate(parts):
            item = part.strip()
            if rule.type == "email_list":
                reason = email_problem(item)
                if reason:
                    fixed = _email_fix(item)
                    issues.append(
                        Issue(
                            _(
                                "{header}: {value} in this cell is not an email address: {reason}."
                            ).format(header=header, value=_quote(item), reason=reason),
                            "email",
                            None if fixed is None else _replace_item(parts, index, fixed, sep),
                        )
                    )
            elif self.allowed_set and self._norm(item) not in self.allowed_set:
                issues.append(self._not_allowed(item, value, parts, index))
        return tuple(issues)

    # --- languages ---------------------------------------------------------------------

    def _language_issue(self, value: str) -> Issue | None:
        """A language by any of its names or codes, written as the column's list writes it."""
        table = self.languages
        assert table is not None
        header, rule = self.header, self.rule
        supported = set(rule.languages)
        listed = self.listed_languages
        code = table.find(value)
        if code is None:
            if not self.allowed and not supported and _LANGUAGE.fullmatch(value):
                return None  # a language tag of a language the table does not name
            return self._unknown_language(value)
        name = table.english(code)
        # The file's own list is the organisation's: what it holds is switched on.
        if supported and code not in supported and code not in listed:
            return Issue(
                _(
                    "{name} is not one of the platform's languages. Choose one of: {choices}."
                ).format(name=name, choices=self._language_choices()),
                "language",
            )
        if self.allowed:
            if code not in listed:
                return Issue(
                    _("{name} is not switched on {where}. Choose one of: {choices}.").format(
                        name=name, where=_(rule.switched_on_in), choices=", ".join(self.allowed)
                    ),
                    "language",
                )
            written = listed[code]
            if written is None:
                return Issue(
                    _(
                        "{header} {value} is not how the list of languages writes {name}. "
                        "Choose one of: {choices}."
                    ).format(
                        header=header,
                        value=_quote(value),
                        name=name,
                        choices=", ".join(self.allowed),
                    ),
                    "language",
                )
            return Issue(
                _("{header} {value} is written '{written}' in the list of languages.").format(
                    header=header, value=_quote(value), written=written
                ),
                "language",
                written,
            )
        if rule.language_form == "code" and not table.is_code(value):
            return Issue(
                _(
                    "{header} {value} is not a language code such as 'en' or 'nl'; "
                    "the code of {name} is '{code}'."
                ).format(header=header, value=_quote(value), name=name, code=code),
                "language",
                code,
            )
        return None

    def _unknown_language(self, value: str) -> Issue:
        """A value that names no language the column takes, with the closest that it does."""
        table = self.languages
        assert table is not None
        listed = self.listed_languages
        wanted = set(listed) if self.allowed else set(self.rule.languages) or set(table.names)
        names = {f: found for f, found in table.lookup.items() if found[0] in wanted}
        message = _("{header} {value} is not a language")
        if self.allowed or self.rule.languages:
            message = _("{header} {value} is not a language the platform offers")
        elif self.rule.language_form == "code":
            message = _("{header} {value} is not a language code such as 'en' or 'nl'")
        message = message.format(header=self.header, value=_quote(value))
        close = difflib.get_close_matches(fold_name(value), list(names), n=1, cutoff=0.75)
        if close:
            code, spelled = names[close[0]]
            if self.allowed:
                fix = listed.get(code)
            elif self.rule.language_form == "code":
                fix = code
            else:
                fix = spelled
            if fix is not None:
                return Issue(
                    _("{message}: did you mean '{fix}'?").format(message=message, fix=fix),
                    "language",
                    fix,
                )
        if self.allowed or self.rule.languages:
            return Issue(
                _("{message}. Choose one of: {choices}.").format(
                    message=message, choices=self._language_choices()
                ),
                "language",
            )
        return Issue(f"{message}.", "language")

    def _language_choices(self) -> str:
        if self.allowed:
            return ", ".join(self.allowed)
        table = self.languages
        assert table is not None
        codes = self.rule.languages or tuple(table.names)
        if self.rule.language_form == "code":
            return ", ".join(codes)
        return ", ".join(table.english(code) for code in codes)

    def _not_allowed(
        self, item: str, whole: str, parts: list[str] | None = None, index: int = 0
    ) -> Issue:
        match = self.closest(item)
        org = self.rule.org_list
        fix = None
        if match is not None:
            message = (
                _("{header} {value} is not in your organisation: did you mean '{match}'?")
                if org
                else _("{header} {value} is not allowed here: did you mean '{match}'?")
            )
            if parts is None:
                fix = match
            else:
                fix = _replace_item(parts, index, match, self.rule.separator)
        elif len(self.allowed) <= 6:
            message = (
                _("{header} {value} is not in your organisation. Choose one of: {choices}.")
                if org
                else _("{header} {value} is not allowed here. Choose one of: {choices}.")
            )
        else:
            message = (
                _("{header} {value} is not in your organisation.")
                if org
                else _("{header} {value} is not allowed here.")
            )
        text = message.format(
            header=self.header, value=_quote(item), match=match, choices=", ".join(self.allowed)
        )
        return Issue(text, "choice", fix)

    def closest(self, value: str) -> str | None:
        """The allowed value the admin most likely meant."""
        folded = value.strip().casefold()
        for candidate in self.allowed:
            if candidate.casefold() == folded:
                return candidate
        found = difflib.get_close_matches(value, self.allowed, n=1, cutoff=0.75)
        return found[0] if found else None


def control_name(char: str) -> str:
    """'vertical tab', or 'U+0001' for one without a common name."""
    return _(CONTROL_NAMES[char]) if char in CONTROL_NAMES else f"U+{ord(char):04X}"


# Joins the values of a slice for ``_all_tidy``: printable, and rare in a cell.
_JOIN = "\xb6"


def _all_tidy(values: Sequence[str], limit: int) -> bool:
    """True when every value, none of them blank, passes ``_tidy_flags``; tested on the
    values joined.

    Most slices of a text column are clean, and a few scans of one string in C are
    several times quicker than the steps per value of ``_tidy_flags``. In a printable
    string the only character ``str.strip`` takes off is the space, and every value's ends
    meet the joining character or the ends of the string. A value holding that character
    can only make the test fail, and the slice is then tested value by value.
    """
    joined = _JOIN.join(values)
    return (
        joined.isprintable()
        and joined[:1] != " "
        and joined[-1:] != " "
        and " " + _JOIN not in joined
        and _JOIN + " " not in joined
        and (len(joined) <= limit or max(map(len, values), default=0) <= limit)
    )


def _tidy_flags(values: Iterable[str], rule: ColumnRule) -> Iterator[bool]:
    """True for each value that is surely fine in a text column: not blank, not too long,
    no space at either end and every character printable (so no line break, tab, control
    character, non-breaking or zero-width space). Mapped in C, not per value in Python."""
    values = values if isinstance(values, list) else list(values)
    ok = map(
        operator.and_,
        map(operator.and_, map(str.isprintable, values), map(bool, values)),
        map(operator.eq, map(str.strip, values), values),
    )
    limit = rule.max_length
    if not limit and values and max(map(len, values)) > CELL_LIMIT:
        limit = CELL_LIMIT  # one pass over the lengths finds the rare column that needs it
    if limit:
        ok = map(operator.and_, ok, map(operator.ge, repeat(limit), map(len, values)))
    return ok


def _blanks(values: Iterable[str]) -> Iterator[bool]:
    """True for each empty value."""
    return map(operator.not_, values)


def _blank_after_strip(values: Iterable[str]) -> Iterator[bool]:
    return map(operator.not_, map(str.strip, values))


def _stripped_keys(values: Sequence[str]) -> list[str]:
    return list(map(str.strip, values))


def _folded_keys(values: Sequence[str]) -> list[str]:
    return list(map(str.casefold, map(str.strip, values)))


def _has_invisible(value: str) -> bool:
    return any(c in value for c in INVISIBLE)


def is_blank(value: str) -> bool:
    """Empty as far as the platform is concerned: nothing, or only spaces."""
    return value.strip() == "" and not _has_invisible(value)


def _replace_item(parts: list[str], index: int, new: str, separator: str) -> str:
    """The cell with one item replaced; the other items and the spacing stay as they were."""
    part = parts[index]
    start = len(part) - len(part.lstrip())
    end = len(part.rstrip())
    changed = [*parts]
    changed[index] = part[:start] + new + part[end:]
    return separator.join(changed)


_DOMAIN_TYPOS = {
    "gmial.com": "gmail.com",
    "gmal.com": "gmail.com",
    "gamil.com": "gmail.com",
    "gmail.con": "gmail.com",
    "hotmial.com": "hotmail.com",
    "hotmail.con": "hotmail.com",
    "outlok.com": "outlook.com",
    "yaho.com": "yahoo.com",
}


def _email_fix(value: str) -> str | None:
    """The address without its spaces and second @, and with a misspelt common domain put
    right, when that makes it valid."""
    # With no whitespace (every other kind is unprintable) and no second @, only a
    # misspelt domain can be put right.
    if (
        " " not in value
        and value.isprintable()
        and value.count("@") < 2
        and ("@" not in value or value.rpartition("@")[2].casefold() not in _DOMAIN_TYPOS)
    ):
        return None
    return _fixed_address(value)


def _fixed_address(value: str) -> str | None:
    """``_email_fix`` worked out in full, for any address."""
    cleaned = "".join(value.split())
    if cleaned.count("@") > 1:
        local, _, domain = cleaned.partition("@")
        cleaned = f"{local}@{domain.replace('@', '')}"
    if "@" in cleaned:
        local, _, domain = cleaned.rpartition("@")
        typo = _DOMAIN_TYPOS.get(domain.casefold())
        if typo is not None:
            cleaned = f"{local}@{typo}"
    if cleaned != value and email_problem(cleaned) is None:
        return cleaned
    return None


def _date_issue(header: str, value: str) -> Issue | None:
    if _DATE.fullmatch(value):
        if is_real_iso_date(value):
            return None
        return Issue(
            _("{header} {value} is not a real date.").format(header=header, value=_quote(value)),
            "date",
        )
    day = read_date(value)
    fix = None if day is None else day.isoformat()
    return Issue(
        _("{header} {value} is not a date in the form YYYY-MM-DD.").format(
            header=header, value=_quote(value)
        ),
        "date",
        fix,
    )


# Rows a UniqueIndex keeps in one dict. A dict rehashes every key it holds as it grows,
# and at 700,000 keys that holds the interpreter (and so the window) for a tenth of a
# second; one of at most 2/3 of 2**19 keys never rehashes more than 174,762.
BLOCK_ROWS = 349_525


class UniqueIndex:
    """Which rows share a value, kept up to date edit by edit."""

    def __init__(self, keys: list[str]) -> None:
        # Each key's last row, in one dict per block of rows.
        size = BLOCK_ROWS
        self.blocks: list[dict[str, int]] = []
        for start in range(0, len(keys), size):
            block: dict[str, int] = {}
            for rows, part in numbered_slices(keys[start : start + size]):
                block.update(zip(part, range(start + rows.start, start + rows.stop), strict=True))
            self.blocks.append(block)
        if not self.blocks:
            self.blocks.append({})  # where an empty table's first key goes
        # A key in two blocks is repeated, as is one whose block holds a later row for it.
        shared: set[str] = set()
        for number in range(1, len(self.blocks)):
            for earlier in self.blocks[:number]:
                for part in slices(keys[number * size : (number + 1) * size]):
                    shared.update(filter(earlier.__contains__, part))
        self.groups: dict[str, list[int]] = {key: [] for key in shared if key}
        # Blank keys are never duplicates: rows repeat a key only if fewer non-blank keys
        # are held than there are non-blank rows.
        held = sum(len(block) - ("" in block) for block in self.blocks)
        if self.groups or held < len(keys) - keys.count(""):
            for number, block in enumerate(self.blocks):
                last = block.__getitem__
                start = number * size
                for rows, part in numbered_slices(keys[start : start + size]):
                    rows = range(start + rows.start, start + rows.stop)
                    for row in compress(rows, map(operator.ne, map(last, part), rows)):
                        if keys[row]:
                            self.groups.setdefault(keys[row], []).append(row)
            for key, group in self.groups.items():
                group += [block.pop(key) for block in self.blocks if key in block]
                if len(self.blocks) > 1:
                    group.sort()  # rows of one block come before the last rows of each
        for block in self.blocks:
            block.pop("", None)

    @property
    def single(self) -> dict[str, int]:
        """Each key held by one row, and that row."""
        return {key: row for block in self.blocks for key, row in block.items()}

    def _holder(self, key: str) -> dict[str, int] | None:
        """The block holding the key's one row, if one row holds it."""
        for block in self.blocks:
            if key in block:
                return block
        return None

    def rows_with(self, key: str) -> list[int]:
        if key in self.groups:
            return self.groups[key]
        holder = self._holder(key)
        return [] if holder is None else [holder[key]]

    def move(self, row: int, old: str, new: str) -> set[int]:
        """Row ``row`` goes from ``old`` to ``new``; returns the rows whose duplicates changed."""
        touched = {row}
        if old in self.groups:
            group = self.groups[old]
            group.remove(row)
            touched.update(group)
            if len(group) == 1:
                self.blocks[-1][old] = group[0]
                del self.groups[old]
        elif (holder := self._holder(old)) is not None and holder[old] == row:
            del holder[old]
        if new == "":
            return touched
        if new in self.groups:
            touched.update(self.groups[new])
            bisect.insort(self.groups[new], row)
        elif (holder := self._holder(new)) is not None:
            other = holder.pop(new)
            touched.add(other)
            self.groups[new] = sorted((other, row))
        else:
            self.blocks[-1][new] = row
        return touched


ProgressFn = Callable[[int, int], None]


class Validator:
    """The problems of a whole table, keyed by row and column."""

    def __init__(
        self,
        profile: Profile,
        headers: Sequence[str],
        columns: list[list[str]],
        lists: dict[int, list[str]] | None = None,
        first_row_number: int = 2,
        notes: Mapping[tuple[int, int], Issue] | None = None,
    ) -> None:
        self.columns = columns
        # Problems found when the file was read (a row in another character set): each
        # holds while its cell keeps the value it was read with.
        self.notes = {
            cell: (columns[cell[1]][cell[0]], issue) for cell, issue in (notes or {}).items()
        }
        # A refused row's note holds while the whole row keeps the values it was read
        # with: editing any cell of the row is fixing it (undoing the edit brings it back).
        self._row_notes: dict[int, tuple[tuple[str, ...], list[int]]] = {}
        for (row, col), (_value, issue) in self.notes.items():
            if issue.kind == REFUSED_NOTE:
                self._row_notes.setdefault(row, (self._row_values(row), []))[1].append(col)
        self.first_row_number = first_row_number
        lists = lists or {}
        key = profile.key
        self.checkers: list[ColumnChecker] = []
        for index, header in enumerate(headers):
            rule = profile.rule_for(header) or ColumnRule(header=header)
            if rule.type == "language":  # the file's own list says how the platform writes them
                allowed = lists.get(index) or list(rule.allowed)
            else:
                allowed = list(rule.allowed) or lists.get(index, [])
            is_key = key is not None and rule.header == key
            self.checkers.append(ColumnChecker(header, rule, allowed, is_key, profile.key_required))
        # Columns required only while another column of the row is blank: col -> that
        # column (None when the file does not have it, so always required), and back.
        self.conditions: dict[int, int | None] = {}
        self.dependents: dict[int, list[int]] = {}
        for col, checker in enumerate(self.checkers):
            other = checker.rule.required_unless
            if other and not checker.required:
                wanted = normalise_header(other)
                found = next(
                    (
                        i
                        for i, c in enumerate(self.checkers)
                        if normalise_header(c.rule.header) == wanted
                    ),
                    None,
                )
                self.conditions[col] = found
                if found is not None:
                    self.dependents.setdefault(found, []).append(col)
        self.unique: dict[int, UniqueIndex] = {}
        self.problems: dict[int, dict[int, tuple[Issue, ...]]] = {}
        # Rows taken out of the table: never checked, never a duplicate of another row.
        self.hidden: set[int] = set()
        # Rows from here on were added in the table: new users, whose key the platform gives.
        self.file_rows = len(columns[0]) if columns else 0

    # --- reading ---------------------------------------------------------------------

    def cell_issues(self, row: int, col: int) -> tuple[Issue, ...]:
        return self.problems.get(row, {}).get(col, ())

    def row_has_issues(self, row: int) -> bool:
        return row in self.problems

    @property
    def rows_with_issues(self) -> int:
        return len(self.problems)

    def all_issues(self) -> list[tuple[int, int, Issue]]:
        """Every issue in row then column order."""
        return [
            (row, col, issue)
            for row in sorted(self.problems)
            for col, issues in sorted(self.problems[row].items())
            for issue in issues
        ]

    # --- checking --------------------------------------------------------------------

    def validate_all(
        self,
        progress: ProgressFn | None = None,
        distinct: Sequence[set[str] | None] | None = None,
    ) -> None:
        """Check every cell: each distinct value of a column once, then map back to rows.

        ``distinct`` may give each column's distinct values, when the reader has them.
        """
        self.problems = {}
        blank_rows = self._blank_rows()
        for col, checker in enumerate(self.checkers):
            values = self.columns[col]
            problems = self.problems
            for row, issues in checker.problem_cells(values, distinct[col] if distinct else None):
                if row not in blank_rows:
                    cells = problems.get(row)
                    if cells is None:
                        problems[row] = {col: issues}
                    else:
                        cells[col] = issues
            if checker.rule.unique or checker.is_key:
                index = self.unique[col] = UniqueIndex(checker.unique_keys(values))
                for rows in index.groups.values():
                    for row in rows:
                        self._refresh_cell(row, col)
            if progress:
                progress(col + 1, len(self.checkers))
        for row, col in self.notes:
            if row not in blank_rows:
                self._refresh_cell(row, col)
        for col in self.conditions:
            blank = rows_where(self.columns[col], _blank_after_strip)
            for row in blank:
                if row not in blank_rows and self._condition_issue(row, col) is not None:
                    self._refresh_cell(row, col)

    def _blank_rows(self) -> set[int]:
        """Rows with nothing in them: not users, never red."""
        if not self.columns:
            return set()
        candidates = list(rows_where(self.columns[0], _blanks))
        for values in self.columns[1:]:
            if not candidates:
                break
            candidates = [r for r in candidates if values[r] == ""]
        return set(candidates)

    def _row_values(self, row: int) -> tuple[str, ...]:
        return tuple(values[row] for values in self.columns)

    def _row_is_blank(self, row: int) -> bool:
        return all(values[row] == "" for values in self.columns)

    def _duplicate_issue(self, row: int, col: int) -> Issue | None:
        index = self.unique.get(col)
        if index is None:
            return None
        checker = self.checkers[col]
        key = checker.unique_key(self.columns[col][row])
        group = index.rows_with(key)
        if len(group) < 2:
            return None
        named = [r for r in group[: MAX_ROWS_NAMED + 1] if r != row][:MAX_ROWS_NAMED]
        numbers = [r + self.first_row_number for r in named]
        where = rows_text(numbers, total=len(group) - 1)
        header = checker.header
        if checker.is_key:
            message = (
                _(
                    "{header} {value} is also in {where}. Each user appears once: keep the row "
                    "that matches the platform and delete the others."
                )
                if len(group) > 2
                else _(
                    "{header} {value} is also in {where}. Each user appears once: keep the row "
                    "that matches the platform and delete the other."
                )
            ).format(header=header, value=self.columns[col][row].strip(), where=where)
        elif checker.rule.type == "email":
            message = _("This email is also used in {where}.").format(where=where)
        else:
            message = _("This {header} is also used in {where}.").format(header=header, where=where)
        return Issue(message, "duplicate")

    def _condition_issue(self, row: int, col: int) -> Issue | None:
        """Why a column required only while another is blank is missing here, or None."""
        if col not in self.conditions or not is_blank(self.columns[col][row]):
            return None
        other = self.conditions[col]
        if other is not None and not is_blank(self.columns[other][row]):
            return None
        header = self.checkers[col].header
        if other is None:
            return Issue(
                _("{header} is required, but this cell is empty.").format(header=header),
                "required",
            )
        return Issue(
            _("{header} is required for a user without a {other}, but this cell is empty.").format(
                header=header, other=self.checkers[other].header
            ),
            "required",
        )

    def _refresh_cell(self, row: int, col: int) -> None:
        value = self.columns[col][row]
        if row in self.hidden or self._row_is_blank(row):
            issues: tuple[Issue, ...] = ()
        else:
            checker = self.checkers[col]
            issues = checker.check(value)
            if row >= self.file_rows and checker.is_key and not value.strip():
                issues = ()  # a new user has no key until the platform gives it one
            condition = self._condition_issue(row, col)
            if condition:
                issues = (*issues, condition)
            duplicate = self._duplicate_issue(row, col)
            if duplicate:
                issues = (*issues, duplicate)
            note = self.notes.get((row, col))
            if (
                note is not None
                and note[0] == value
                and (row not in self._row_notes or self._row_values(row) == self._row_notes[row][0])
            ):
                issues = (*issues, note[1])
        cells = self.problems.get(row)
        if issues:
            if cells is None:
                cells = self.problems[row] = {}
            cells[col] = issues
        elif cells is not None:
            cells.pop(col, None)
            if not cells:
                del self.problems[row]

    def use_allowed_values(self, col: int, values: list[str]) -> None:
        """Give a column its list of allowed values and check all of it again."""
        self.checkers[col].set_allowed(values)
        for row in range(len(self.columns[col])):
            self._refresh_cell(row, col)

    def hide_row(self, row: int) -> set[int]:
        """Take a row out of the table; returns the rows whose problems changed."""
        touched = {row}
        self.hidden.add(row)
        for col, index in self.unique.items():
            key = self.checkers[col].unique_key(self.columns[col][row])
            for other in index.move(row, key, "") - {row}:
                touched.add(other)
                self._refresh_cell(other, col)
        self.problems.pop(row, None)
        return touched

    def show_row(self, row: int) -> set[int]:
        """Put a row back in the table and check it; returns the rows whose problems changed."""
        self.hidden.discard(row)
        touched = {row}
        for col, index in self.unique.items():
            key = self.checkers[col].unique_key(self.columns[col][row])
            for other in index.move(row, "", key):
                touched.add(other)
                self._refresh_cell(other, col)
        for col in range(len(self.columns)):
            self._refresh_cell(row, col)
        return touched

    def revalidate(self, row: int, col: int, old: str) -> set[int]:
        """Re-check after a cell changed from ``old``; returns the rows whose problems changed."""
        if row in self.hidden:
            return {row}
        before_blank = old == "" and all(
            values[row] == "" for c, values in enumerate(self.columns) if c != col
        )
        touched = {row}
        index = self.unique.get(col)
        if index is not None:
            checker = self.checkers[col]
            touched = index.move(
                row, checker.unique_key(old), checker.unique_key(self.columns[col][row])
            )
            for other in touched:
                self._refresh_cell(other, col)
        if before_blank != self._row_is_blank(row):
            for c in range(len(self.columns)):
                self._refresh_cell(row, c)
        else:
            self._refresh_cell(row, col)
            for dependent in self.dependents.get(col, ()):
                self._refresh_cell(row, dependent)
        for note_col in self._row_notes[row][1] if row in self._row_notes else ():
            self._refresh_cell(row, note_col)
        return touched
