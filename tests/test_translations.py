"""The translation layer: every message in every catalogue, Dutch complete, and Dutch shown.

The messages are found in the source with ``ast`` (scripts/update_translations.py), so a
string wrapped in _() without running that script, or a Dutch translation that loses a
``{placeholder}``, fails here.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from string import Formatter
from types import ModuleType
from typing import Any

import pytest

from desktop_app import i18n
from desktop_app.i18n import PoEntry, parse_po

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "resources" / "translations"
SHIPPED = ("nl", "de", "fr")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "update_translations", ROOT / "scripts" / "update_translations.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


update_translations = _script()


def catalogue(code: str) -> dict[str, PoEntry]:
    text = (FOLDER / f"{code}.po").read_text(encoding="utf-8")
    return {entry.msgid: entry for entry in parse_po(text) if entry.msgid}


def fields(text: str) -> set[str]:
    """The placeholders of a text: str.format's {name} (raises if the text is not a valid
    format string) and the %s / %(name)s of argparse's own words."""
    named = {name for _lit, name, _spec, _conv in Formatter().parse(text) if name is not None}
    return named | set(re.findall(r"%(?:\(\w+\))?[sdr]", text))


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    i18n.install("en")


def test_every_message_in_the_source_is_found() -> None:
    messages = update_translations.extract()
    ids = {m.msgid for m in messages}
    assert len(messages) > 500
    assert "Save your changes?" in ids  # views/messages.py
    assert "Atlas user data download" in ids  # a profile's title
    plurals = {m.msgid: m.plural for m in messages if m.plural}
    assert plurals["{count} user"] == "{count} users"


def test_no_f_string_is_translated(tmp_path: Path) -> None:
    module = tmp_path / "desktop_app" / "bad.py"
    module.parent.mkdir()
    module.write_text('name = "x"\ntext = _(f"Saved {name}")\n', encoding="utf-8")
    with pytest.raises(update_translations.TranslationCallError, match="f-string"):
        update_translations.messages_in_source(module, tmp_path)


def test_the_catalogues_are_up_to_date() -> None:
    stale = update_translations.update(check=True)
    assert not stale, f"run: python scripts/update_translations.py ({stale})"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_message_is_in_the_catalogue(code: str) -> None:
    entries = catalogue(code)
    missing = [m.msgid for m in update_translations.extract() if m.msgid not in entries]
    assert not missing, missing[:10]


def test_dutch_is_complete() -> None:
    entries = catalogue("nl")
    untranslated = [
        message.msgid
        for message in update_translations.extract()
        if not entries[message.msgid].msgstr
        or not all(entries[message.msgid].msgstr.values())
        or entries[message.msgid].fuzzy
    ]
    assert not untranslated, f"{len(untranslated)} without Dutch, such as {untranslated[:5]}"


@pytest.mark.parametrize("code", SHIPPED)
def test_placeholders_match(code: str) -> None:
    wrong = []
    for msgid, entry in catalogue(code).items():
        wanted = fields(msgid)
        plural = fields(entry.msgid_plural) if entry.msgid_plural else wanted
        for index, text in entry.msgstr.items():
            if not text:
                continue
            got = fields(text)
            if entry.msgid_plural is None:
                ok = got == wanted
            elif index == 0:  # the singular may leave out the count ("één gebruiker")
                ok = wanted - {"count"} <= got <= wanted | plural
            else:
                ok = got == plural
            if not ok:
                wrong.append((msgid, index, sorted(got)))
    assert not wrong, wrong[:10]


def test_plural_and_numbers_follow_the_language() -> None:
    i18n.install("nl")
    assert i18n.ngettext("{count} user", "{count} users", 1).format(count=1) == "1 gebruiker"
    assert i18n.ngettext("{count} user", "{count} users", 3).format(count=3) == "3 gebruikers"
    assert i18n.numeral(12345) == "12.345"
    i18n.install("fr")
    # French takes the singular for 0 and 1 (Plural-Forms: n > 1).
    assert i18n.ngettext("{count} user", "{count} users", 0).format(count=0) == "0 utilisateur"
    i18n.install("en")
    assert i18n.numeral(12345) == "12,345"
    assert i18n._("Save your changes?") == "Save your changes?"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "nl_NL.UTF-8"}, "nl"),
        ({"LANG": "de_DE.UTF-8", "LC_ALL": "fr_BE.UTF-8"}, "fr"),
        ({"LANGUAGE": "sv:nl", "LANG": "en_GB.UTF-8"}, "nl"),
        ({"LC_MESSAGES": "C", "LANG": "nl_NL.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "ja_JP.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_command_line_follows_the_environment(env: dict[str, str], expected: str) -> None:
    assert i18n.language_from_environment(env) == expected


def test_a_po_file_is_read_with_plurals_continuations_and_fuzzy() -> None:
    entries = parse_po(
        '# glossary\nmsgid ""\nmsgstr "Language: nl\\n"\n\n'
        'msgid ""\n"Two "\n"lines"\nmsgstr "Twee "\n"regels \\"zo\\""\n\n'
        'msgid "{count} row"\nmsgid_plural "{count} rows"\n'
        'msgstr[0] "{count} rij"\nmsgstr[1] "{count} rijen"\n\n'
        '#, fuzzy\nmsgid "Old"\nmsgstr "Oud"\n'
    )
    found = i18n.translations(entries)
    assert entries[0].comments == ["# glossary"]
    assert found["Two lines"] == 'Twee regels "zo"'
    assert found["{count} row"] == ("{count} rij", "{count} rijen")
    assert "Old" not in found


def test_the_command_line_speaks_dutch_on_stderr(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = "nl_NL.UTF-8"
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "check", str(tmp_path / "weg.xlsx")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    sentence = "Het bestand 'weg.xlsx' bestaat niet (misschien is het verplaatst)."
    assert result.stderr.strip() == sentence


@pytest.mark.gui
def test_with_dutch_chosen_the_window_speaks_dutch(qtbot: Any, sample: Any) -> None:
    from PySide6.QtCore import QCoreApplication, QSettings

    from desktop_app.views import preferences
    from desktop_app.views.main_window import MainWindow

    QSettings().setValue(preferences.LANGUAGE_KEY, "nl")
    assert preferences.start_language() == "nl"
    try:
        window = MainWindow()
        qtbot.addWidget(window)
        menus = [action.text() for action in window.menuBar().actions()]
        assert menus[:3] == ["&Bestand", "Be&werken", "Beel&d"]
        assert menus[-1] == "&Help"
        # Qt's own buttons (Save, Discard, Cancel in QMessageBox) in the same language.
        assert QCoreApplication.translate("QPlatformTheme", "Save") == "Opslaan"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Annuleren"

        with qtbot.waitSignal(window.documentLoaded, timeout=20000):
            window.open_file(sample("atlas-users.xlsx"))
        doc = window.document
        assert doc is not None
        messages = [issue.message for _row, _col, issue in doc.validator.all_issues()]
        assert any("is geen geldig e-mailadres" in message for message in messages), messages
    finally:
        preferences.install_qt_translation("en")


@pytest.mark.gui
def test_qt_words_load_from_the_packed_catalogue_the_bundle_carries(
    qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build.spec ships qtbase_<lang>.qm compressed; the app loads it from memory."""
    import zlib

    from PySide6.QtCore import QCoreApplication, QLibraryInfo

    from desktop_app.views import preferences

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    packed = tmp_path / "qtbase_nl.qm.z"
    packed.write_bytes(zlib.compress((folder / "qtbase_nl.qm").read_bytes(), 9))
    monkeypatch.setattr(preferences, "resource", lambda *parts: tmp_path / parts[-1])
    try:
        assert preferences.install_qt_translation("nl")
        words = [bytes(100_000) for _ in range(200)]  # memory churn: the data must stay put
        del words
        assert QCoreApplication.translate("QPlatformTheme", "Discard") == "Verwerpen"
        assert QCoreApplication.translate("QPlatformTheme", "Save") == "Opslaan"
    finally:
        preferences.install_qt_translation("en")
    assert QCoreApplication.translate("QPlatformTheme", "Save") == "Save"


@pytest.mark.gui
def test_preferences_store_the_language_for_the_next_start(qtbot: Any) -> None:
    from PySide6.QtCore import QSettings

    from desktop_app.views.preferences import LANGUAGE_KEY, PreferencesDialog, chosen_setting

    dialog = PreferencesDialog()
    qtbot.addWidget(dialog)
    choices = [dialog.language_box.itemData(i) for i in range(dialog.language_box.count())]
    assert choices == ["system", "en", "nl", "de", "fr"]
    assert dialog.chosen() == "system"
    assert "next start" in dialog.note.text()
    dialog.language_box.setCurrentIndex(choices.index("nl"))
    dialog.accept()
    assert QSettings().value(LANGUAGE_KEY) == "nl" and chosen_setting() == "nl"
