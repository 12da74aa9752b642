"""Platform profiles: declarative descriptions of each platform's download.

A profile is a TOML file in resources/profiles/. Adding a platform means adding a
file there; nothing in the code names a platform.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from desktop_app.i18n import _
from desktop_app.models.errors import UserFacingError
from desktop_app.resource_files import resource

COLUMN_TYPES = {"text", "email", "email_list", "choice", "multi", "flag", "language", "date"}


def normalise_header(text: str) -> str:
    """Compare headers as a person would: case, spacing and a required-field '*' don't count."""
    return " ".join(str(text).replace("*", " ").split()).casefold()


@dataclass(frozen=True)
class ColumnRule:
    """What the platform accepts in one column."""

    header: str
    type: str = "text"
    required: bool = False
    unique: bool = False
    max_length: int | None = None
    allowed: tuple[str, ...] = ()
    ignore_case: bool = False
    separator: str = ","
    # The allowed values are the organisation's lists (the template's drop-downs).
    org_list: bool = False
    # The SCIM attribute path the column uploads to ("emails" means the primary email).
    scim: str | None = None
    # Other names the column goes by in real downloads (other languages, older layouts).
    aliases: tuple[str, ...] = ()
    # Required only when this other column is blank (Email, for users without a Username).
    required_unless: str | None = None
    # A language column: the codes of the languages the platform supports (empty: any),
    # how a value is written when the file has no list of its own ("code"), and where
    # the admin switches a language on ("in your academy").
    languages: tuple[str, ...] = ()
    language_form: str | None = None
    switched_on_in: str = "in your organisation"
    # Why a column is not uploaded, when the platform's API cannot change it.
    not_uploaded_reason: str | None = None
    # The SCIM attribute holds a list: the cell's items are sent as a JSON array.
    scim_list: bool = False
    # The platform ignores a blank value: a blank cell changes nothing, so nothing is sent.
    blank_ignored: bool = False
    # The field of the platform's invite API the column fills (see Profile.invite_api).
    invite: str | None = None

    @property
    def is_list(self) -> bool:
        return self.type in {"multi", "email_list"}


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    platform: str
    key: str | None
    key_required: bool
    columns: tuple[ColumnRule, ...]
    signature: tuple[str, ...] = ()
    rows_after_header: int = 0
    generic: bool = False
    key_names: tuple[str, ...] = ()
    column_patterns: tuple[tuple[str, ColumnRule], ...] = field(default=())
    # The SCIM attribute the key column holds: "id", or an attribute to search users by.
    scim_key: str | None = None
    # How the table writes SCIM's active = true / false (e.g. "Active"/"Inactive", "x"/"").
    scim_true: str = "true"
    scim_false: str = "false"
    # Words that mark a guidance row below the header ("Required", "Do not edit", ...).
    guidance_words: tuple[str, ...] = ()
    # New users are added through the platform's own invite API ("udemy"), never by a
    # SCIM POST; ``invite_api_url`` overrides the API's address.
    invite_api: str | None = None
    invite_api_url: str | None = None

    def rule_for(self, header: str) -> ColumnRule | None:
        wanted = normalise_header(header)
        for rule in self.columns:
            if normalise_header(rule.header) == wanted:
                return rule
        return None

    def scim_rule(self, path: str) -> ColumnRule | None:
        """The column that uploads to the SCIM attribute ``path``, if any."""
        return next((rule for rule in self.columns if rule.scim == path), None)

    def match_score(self, headers: Sequence[str]) -> float:
        """Share of this profile's columns in ``headers``; 0 unless its signature is all there."""
        if self.generic:
            return 0.0
        present = {normalise_header(h) for h in headers if str(h).strip()}
        if not all(normalise_header(s) in present for s in self.signature):
            return 0.0
        found = sum(normalise_header(rule.header) in present for rule in self.columns)
        return found / len(self.columns)

    def for_headers(self, headers: Sequence[str]) -> Profile:
        """The generic profile made concrete for one file's headers; others stay as they are."""
        if not self.generic or (self.columns and not self.column_patterns):
            return self  # a platform's, or already made concrete by a column mapping
        normalised = [normalise_header(h) for h in headers]
        key = next(
            (headers[normalised.index(name)] for name in self.key_names if name in normalised),
            None,
        )
        columns = []
        for header, norm in zip(headers, normalised, strict=True):
            if not norm:
                continue
            rule = ColumnRule(header=header, unique=header == key)
            found = self.pattern_rule(norm)
            if found is not None:
                rule = replace(found, header=header, unique=found.unique or header == key)
            columns.append(rule)
        return replace(self, key=key, columns=tuple(columns))

    def pattern_rule(self, header: str) -> ColumnRule | None:
        """The generic rule for a header: one naming it among its aliases, else by pattern."""
        wanted = normalise_header(header)
        for _pattern, rule in self.column_patterns:
            if any(normalise_header(a) == wanted for a in rule.aliases):
                return rule
        for pattern, rule in self.column_patterns:
            if pattern and re.search(pattern, wanted):
                return rule
        return None


def _rule(data: dict, where: str) -> ColumnRule:
    kind = data.get("type", "text")
    if kind not in COLUMN_TYPES:
        raise ValueError(f"{where}: unknown column type {kind!r}")
    lists = {
        name: tuple(str(v) for v in data.get(name, ()))
        for name in ("allowed", "aliases", "languages")
    }
    unknown = [code for code in lists["languages"] if code not in language_table().names]
    if unknown:
        raise ValueError(f"{where}: unknown language codes {unknown!r}")
    fields = {k: v for k, v in data.items() if k not in {"pattern", *lists}}
    return ColumnRule(**{**fields, **lists})


def parse_profile(text: str, where: str = "profile") -> Profile:
    data = tomllib.loads(text)
    columns = tuple(_rule(c, where) for c in data.get("columns", ()))
    patterns = tuple(
        (p.get("pattern", ""), _rule({**p, "header": p.get("header", "")}, where))
        for p in data.get("column_patterns", ())
    )
    profile = Profile(
        name=data["name"],
        title=data.get("title", data["name"]),
        platform=data.get("platform", data["name"]),
        key=data.get("key"),
        key_required=bool(data.get("key_required", True)),
        columns=columns,
        signature=tuple(data.get("signature", ())),
        rows_after_header=int(data.get("rows_after_header", 0)),
        generic=bool(data.get("generic", False)),
        key_names=tuple(normalise_header(n) for n in data.get("key_names", ())),
        column_patterns=patterns,
        scim_key=data.get("scim_key"),
        scim_true=str(data.get("scim_true", "true")),
        scim_false=str(data.get("scim_false", "false")),
        guidance_words=tuple(str(w) for w in data.get("guidance_words", ())),
        invite_api=data.get("invite_api"),
        invite_api_url=data.get("invite_api_url"),
    )
    if profile.key and not profile.rule_for(profile.key):
        raise ValueError(f"{where}: the key column {profile.key!r} is not among its columns")
    for rule in columns:
        if rule.required_unless and not profile.rule_for(rule.required_unless):
            raise ValueError(
                f"{where}: {rule.header!r} depends on {rule.required_unless!r}, "
                "which is not among its columns"
            )
    return profile


@cache
def all_profiles() -> tuple[Profile, ...]:
    """Every bundled profile, the generic one last."""
    folder = resource("profiles")
    profiles = [
        parse_profile(item.read_text(encoding="utf-8"), item.name)
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.name.endswith(".toml")
    ]
    return tuple(sorted(profiles, key=lambda p: p.generic))


class UnknownProfile(UserFacingError, KeyError):
    """No profile has the name asked for (a KeyError too, for callers that look names up)."""

    def __str__(self) -> str:
        return str(self.args[0])


def profile_named(name: str) -> Profile:
    for profile in all_profiles():
        if profile.name == name:
            return profile
    names = ", ".join(p.name for p in all_profiles())
    raise UnknownProfile(
        _("There is no profile called '{name}'. Choose one of: {names}.").format(
            name=name, names=names
        )
    )


def generic_profile() -> Profile:
    return next(p for p in all_profiles() if p.generic)


def detect(headers: Sequence[str]) -> tuple[Profile, float]:
    """The platform profile that fits these headers best, or the generic one (score 0)."""
    best, score = generic_profile(), 0.0
    for profile in all_profiles():
        s = profile.match_score(headers)
        if s > score:
            best, score = profile, s
    return best, score


# --- languages ----------------------------------------------------------------------


def fold_name(text: str) -> str:
    """Compare language names as a person would: case, accents and spacing don't count."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("_", "-").split()).casefold()


@dataclass(frozen=True)
class LanguageTable:
    """Languages by ISO 639-1 code, and every name and code a cell may give them by."""

    # code -> its names: English first, then Dutch, German, French, its own, others.
    names: Mapping[str, tuple[str, ...]]
    # folded name or code -> (code, the name as written in the table)
    lookup: Mapping[str, tuple[str, str]]

    def english(self, code: str) -> str:
        return self.names[code][0] if code in self.names else code

    def find(self, text: str) -> str | None:
        """The code of the language ``text`` names or tags ('Engels', 'en', 'en-GB'), or None."""
        folded = fold_name(text)
        found = self.lookup.get(folded)
        if found is not None:
            return found[0]
        base = folded.partition("-")[0]
        if base != folded and base in self.names and _LANGUAGE_TAG.fullmatch(folded):
            return base
        return None

    def is_code(self, text: str) -> bool:
        """Whether ``text`` is a code or tag ('nl', 'NL', 'nl-BE'), not a name."""
        folded = fold_name(text)
        return bool(_LANGUAGE_TAG.fullmatch(folded)) and folded.partition("-")[0] in self.names


_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")


def parse_languages(text: str) -> LanguageTable:
    names: dict[str, tuple[str, ...]] = {}
    lookup: dict[str, tuple[str, str]] = {}
    for entry in tomllib.loads(text).get("language", ()):
        code = str(entry["code"]).casefold()
        spelled = [str(entry[k]) for k in ("en", "nl", "de", "fr", "native") if entry.get(k)]
        spelled += [str(v) for v in entry.get("also", ())]
        names[code] = tuple(dict.fromkeys(spelled))
        for name in (code, *spelled):
            lookup.setdefault(fold_name(name), (code, name))
    return LanguageTable(names, lookup)


@cache
def language_table() -> LanguageTable:
    """The bundled table of languages (resources/languages/languages.toml)."""
    item = resource("languages", "languages.toml")
    return parse_languages(item.read_text(encoding="utf-8"))
