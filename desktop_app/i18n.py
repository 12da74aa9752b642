"""The one translation layer, for the window and the command line alike (no Qt needed).

Text is written in English in the code and wrapped: ``_("Save")``,
``ngettext("{count} user", "{count} users", n).format(count=numeral(n))``, and ``N_("...")`` for
text defined at import time and translated where it is shown. The catalogues are the
gettext ``.po`` files in ``resources/translations/``, read directly at start (a few
milliseconds, no compiled ``.mo`` files and so no build step); a string a catalogue does
not translate is shown in English. ``scripts/update_translations.py`` collects new text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime

from desktop_app.resource_files import resource

# The languages the app ships, by code, each named in its own language.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "nl": "Nederlands",
    "de": "Deutsch",
    "fr": "Français",
}
DEFAULT = "en"
# How each language picks a plural form: the index into msgstr[N] (gettext's Plural-Forms).
_PLURAL_RULES: dict[str, Callable[[int], int]] = {
    "fr": lambda n: int(n > 1),
}

_catalogue: dict[str, str | tuple[str, ...]] = {}
_language = DEFAULT


def _(message: str) -> str:
    """The message in the chosen language (English when it has no translation)."""
    found = _catalogue.get(message)
    return found if isinstance(found, str) and found else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for the count n, translated."""
    forms = _catalogue.get(singular)
    if isinstance(forms, tuple):
        index = _PLURAL_RULES.get(_language, lambda k: int(k != 1))(n)
        if index < len(forms) and forms[index]:
            return forms[index]
    return singular if n == 1 else plural


def N_(message: str) -> str:  # noqa: N802  (gettext's name for "mark, translate later")
    """Mark text for the catalogues without translating it yet (import-time constants)."""
    return message


def numeral(n: int) -> str:
    """A whole number with the chosen language's thousands separator (1,234 / 1.234)."""
    text = f"{n:,}"
    separator = {"nl": ".", "de": ".", "fr": "\u202f"}.get(_language)
    return text.replace(",", separator) if separator else text


# Months as dates are written in sentences: "3 Dec 2026, 14:05" (3 dec 2026 in Dutch).
MONTHS = (
    N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"),
    N_("Jul"), N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"),
)  # fmt: skip


def moment(when: datetime) -> str:
    """A date and time as sentences show it: '3 Dec 2026, 14:05', in the chosen language."""
    return f"{when.day} {_(MONTHS[when.month - 1])} {when:%Y, %H:%M}"


# argparse's own words, which it translates with gettext: the ones an admin meets.
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("expected one argument"),
    N_("argument %(argument_name)s: %(message)s"),
)


def translate_argparse() -> None:
    """Let argparse's own words ("usage:", "options") come from the same catalogues.

    argparse looks them up through the module's ``_`` (gettext's); the help text and
    sentences of the command line are ours already.
    """
    import argparse

    argparse._ = _  # type: ignore[attr-defined]


def current_language() -> str:
    """The code of the language in use ("en" when nothing was installed)."""
    return _language


def supported(code: str | None) -> str | None:
    """The shipped language for a locale name such as "nl_NL.UTF-8", "nl-BE" or "fr"."""
    if not code:
        return None
    base = re.split(r"[_.@-]", code.strip(), maxsplit=1)[0].lower()
    return base if base in LANGUAGES else None


def language_from_environment(env: Mapping[str, str] | None = None) -> str:
    """The language a command line follows, as gettext does: LANGUAGE (a list), then
    LC_ALL, LC_MESSAGES and LANG; "C", "POSIX" or anything we do not ship means English."""
    env = os.environ if env is None else env
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(variable, "")
        if not value:
            continue
        if variable == "LANGUAGE":
            for item in value.split(":"):
                if found := supported(item):
                    return found
            continue
        return supported(value) or DEFAULT
    return DEFAULT


def install(language: str | None) -> str:
    """Use a language from now on (an unknown or missing one means English); returns its code."""
    global _catalogue, _language
    code = supported(language) or DEFAULT
    catalogue: dict[str, str | tuple[str, ...]] = {}
    if code != DEFAULT:
        node = resource("translations", f"{code}.po")
        if node.is_file():
            catalogue = translations(parse_po(node.read_text(encoding="utf-8")))
    _catalogue, _language = catalogue, code
    return code


# --- Reading .po files --------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
_ESCAPE = re.compile(r"\\(.)")


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a quoted string: {text!r}")
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


class PoEntry:
    """One message of a .po file: its msgid (and plural), translations and comments."""

    __slots__ = ("comments", "msgid", "msgid_plural", "msgstr", "fuzzy")

    def __init__(self) -> None:
        self.comments: list[str] = []
        self.msgid = ""
        self.msgid_plural: str | None = None
        self.msgstr: dict[int, str] = {}
        self.fuzzy = False


def parse_po(text: str) -> list[PoEntry]:
    """The entries of a .po file, the header entry (msgid "") first when there is one."""
    entries: list[PoEntry] = []
    entry = PoEntry()
    field: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal entry, started, field
        if started:
            entries.append(entry)
        entry, started, field = PoEntry(), False, None

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if started and field is not None:
                finish()
            if line.startswith("#,") and "fuzzy" in line:
                entry.fuzzy = True
            if not line.startswith("#~"):
                entry.comments.append(raw)
            continue
        if line.startswith('"'):
            if field is None:
                raise ValueError(f"a continued string without a field: {raw!r}")
            name, index = field
            value = _unquote(line)
            if name == "msgid":
                entry.msgid += value
            elif name == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            elif name == "msgstr":
                entry.msgstr[index] += value
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword == "msgid" and started and field is not None and field[0] == "msgstr":
            finish()
        started = True
        if keyword == "msgctxt":
            field = ("msgctxt", 0)
        elif keyword == "msgid":
            entry.msgid, field = _unquote(rest), ("msgid", 0)
        elif keyword == "msgid_plural":
            entry.msgid_plural, field = _unquote(rest), ("msgid_plural", 0)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            entry.msgstr[index] = _unquote(rest)
            field = ("msgstr", index)
        else:
            raise ValueError(f"not a .po line: {raw!r}")
    finish()
    return entries


def translations(entries: list[PoEntry]) -> dict[str, str | tuple[str, ...]]:
    """msgid -> translation (a tuple of forms for plurals), without empty or fuzzy ones."""
    catalogue: dict[str, str | tuple[str, ...]] = {}
    for entry in entries:
        if not entry.msgid or entry.fuzzy:
            continue
        if entry.msgid_plural is not None:
            forms = tuple(entry.msgstr[i] for i in sorted(entry.msgstr))
            if all(forms):
                catalogue[entry.msgid] = forms
        elif entry.msgstr.get(0):
            catalogue[entry.msgid] = entry.msgstr[0]
    return catalogue
