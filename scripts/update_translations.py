"""Collect the app's text into resources/translations/messages.pot and merge it into the .po files.

    python scripts/update_translations.py           write messages.pot, update nl.po, de.po, fr.po
    python scripts/update_translations.py --check   exit 1 if any of them is out of date

Text is found with ``ast`` in desktop_app/: the literal first argument of ``_()`` and
``N_()`` and the two of ``ngettext()``; and in the platform profiles, the fields an admin
reads (``title``, ``switched_on_in``, ``not_uploaded_reason``). Each catalogue keeps its
header comment (Dutch keeps its glossary there) and its translations; a new message gets
an empty msgstr (shown in English until someone translates it), and a message no longer
in the code is dropped. A new language is a new empty ``<code>.po`` in the folder (and its
name in desktop_app/i18n.py LANGUAGES).
"""

from __future__ import annotations

import argparse
import ast
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.i18n import parse_po  # noqa: E402

PACKAGE = ROOT / "desktop_app"
PROFILES = ROOT / "resources" / "profiles"
FOLDER = ROOT / "resources" / "translations"
POT = FOLDER / "messages.pot"
PROFILE_FIELDS = ("title", "switched_on_in", "not_uploaded_reason")
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);"}
DEFAULT_PLURAL_FORMS = "nplurals=2; plural=(n != 1);"
LANGUAGE_NAMES = {"nl": "Dutch", "de": "German", "fr": "French"}


@dataclass
class Message:
    msgid: str
    plural: str | None = None
    places: list[str] = field(default_factory=list)


class TranslationCallError(ValueError):
    """_() or ngettext() called with text the catalogues cannot hold (an f-string)."""


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def messages_in_source(path: Path, root: Path = ROOT) -> list[tuple[str, str | None, str]]:
    """(msgid, plural, "file:line") for each translated literal of one module."""
    found = []
    where = path.relative_to(root).as_posix()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        name = node.func.id
        if name not in ("_", "N_", "ngettext") or not node.args:
            continue
        if any(isinstance(arg, ast.JoinedStr) for arg in node.args[:2]):
            raise TranslationCallError(
                f"{where}:{node.lineno}: {name}() of an f-string; use named placeholders "
                '_("... {name} ...").format(name=...)'
            )
        first = _literal(node.args[0])
        if first is None:
            continue  # _(VARIABLE): the text is marked with N_() where it is defined
        plural = None
        if name == "ngettext":
            plural = _literal(node.args[1]) if len(node.args) > 1 else None
            if plural is None:
                raise TranslationCallError(f"{where}:{node.lineno}: ngettext() needs two literals")
        found.append((first, plural, f"{where}:{node.lineno}"))
    found.sort(key=lambda item: int(item[2].rsplit(":", 1)[1]))
    return found


def messages_in_profiles(folder: Path = PROFILES, root: Path = ROOT) -> list[tuple[str, None, str]]:
    """The words of each platform profile an admin reads (its title, ...)."""
    found: list[tuple[str, None, str]] = []
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        where = path.relative_to(root).as_posix()
        tables = [data, *data.get("columns", []), *data.get("column_patterns", [])]
        for table in tables:
            for key in PROFILE_FIELDS:
                value = table.get(key) if isinstance(table, dict) else None
                if isinstance(value, str) and value:
                    found.append((value, None, where))
    return found


def extract(root: Path = ROOT) -> list[Message]:
    """Every message, in the order it first appears (by file, then line)."""
    by_id: dict[str, Message] = {}
    sources = [messages_in_source(p, root) for p in sorted((root / "desktop_app").rglob("*.py"))]
    sources.append(messages_in_profiles(root / "resources" / "profiles", root))
    for items in sources:
        for msgid, plural, place in items:
            message = by_id.setdefault(msgid, Message(msgid, plural))
            if plural and not message.plural:
                message.plural = plural
            file = place.split(":", 1)[0]
            if file not in message.places:
                message.places.append(file)
    return list(by_id.values())


# --- Writing ---------------------------------------------------------------------------------


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _field(keyword: str, text: str, width: int = 78) -> list[str]:
    """A .po field, broken after spaces into lines of at most ``width`` as gettext does."""
    one = f"{keyword} {_quote(text)}"
    if len(one) <= width and "\n" not in text[:-1]:
        return [one]
    pieces: list[str] = []
    current = ""
    for word in _words(text):
        if current and len(_quote(current + word)) > width:
            pieces.append(current)
            current = ""
        current += word
    if current:
        pieces.append(current)
    return [f'{keyword} ""'] + [_quote(piece) for piece in pieces]


def _words(text: str) -> list[str]:
    """The text cut after each space and line break, keeping them."""
    words, current = [], ""
    for char in text:
        current += char
        if char in " \n":
            words.append(current)
            current = ""
    if current:
        words.append(current)
    return words


def _flags(message: Message) -> list[str]:
    return ["#, python-brace-format"] if "{" in message.msgid else []


def pot_text(messages: list[Message]) -> str:
    lines = [
        "# The text of User Editor, for translators. Generated by",
        "# scripts/update_translations.py: do not edit; translate in <language>.po.",
        'msgid ""',
        'msgstr ""',
        '"Project-Id-Version: User Editor\\n"',
        '"MIME-Version: 1.0\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
        "",
    ]
    for message in messages:
        lines += [f"#: {' '.join(message.places)}", *_flags(message)]
        lines += _field("msgid", message.msgid)
        if message.plural is not None:
            lines += _field("msgid_plural", message.plural)
            lines += ['msgstr[0] ""', 'msgstr[1] ""']
        else:
            lines.append('msgstr ""')
        lines.append("")
    return "\n".join(lines)


def po_text(code: str, messages: list[Message], old: str | None) -> str:
    """The catalogue for ``code``: its header comments and translations kept, in pot order."""
    entries = parse_po(old) if old else []
    header_comments: list[str] = []
    known = {}
    for entry in entries:
        if entry.msgid == "":
            header_comments = entry.comments
        else:
            known[entry.msgid] = entry
    if not header_comments:
        name = LANGUAGE_NAMES.get(code, code)
        header_comments = [f"# {name} translation of User Editor."]
    lines = [
        *header_comments,
        'msgid ""',
        'msgstr ""',
        '"Project-Id-Version: User Editor\\n"',
        f'"Language: {code}\\n"',
        '"MIME-Version: 1.0\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
        f'"Plural-Forms: {PLURAL_FORMS.get(code, DEFAULT_PLURAL_FORMS)}\\n"',
        "",
    ]
    for message in messages:
        entry = known.get(message.msgid)
        notes = [c for c in entry.comments if c.startswith("# ")] if entry else []
        fuzzy = ["#, fuzzy"] if entry is not None and entry.fuzzy else []
        lines += [*notes, f"#: {' '.join(message.places)}", *fuzzy, *_flags(message)]
        lines += _field("msgid", message.msgid)
        if message.plural is not None:
            lines += _field("msgid_plural", message.plural)
            forms = entry.msgstr if entry is not None and entry.msgid_plural else {}
            for index in range(2):
                lines += _field(f"msgstr[{index}]", forms.get(index, ""))
        else:
            text = entry.msgstr.get(0, "") if entry is not None and not entry.msgid_plural else ""
            lines += _field("msgstr", text)
        lines.append("")
    return "\n".join(lines)


def update(check: bool = False) -> list[Path]:
    """Write messages.pot and every .po; returns the files that changed (or would)."""
    messages = extract()
    changed = []
    wanted = {POT: pot_text(messages)}
    for path in sorted(FOLDER.glob("*.po")):
        wanted[path] = po_text(path.stem, messages, path.read_text(encoding="utf-8"))
    for path, text in wanted.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            changed.append(path)
            if not check:
                path.write_text(text, encoding="utf-8", newline="\n")
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args()
    changed = update(check=args.check)
    messages = extract()
    for path in sorted(FOLDER.glob("*.po")):
        entries = [e for e in parse_po(path.read_text(encoding="utf-8")) if e.msgid]
        done = sum(1 for e in entries if all(e.msgstr.values()) and e.msgstr)
        print(f"{path.name}: {done} of {len(messages)} translated")
    for path in changed:
        print(("out of date: " if args.check else "updated: ") + str(path.relative_to(ROOT)))
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
