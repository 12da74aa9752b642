"""Platform profiles: declarative descriptions of each platform's download.

A profile is a TOML file in resources/profiles/. Adding a platform means adding a
file there; nothing in the code names a platform.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache

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

    def rule_for(self, header: str) -> ColumnRule | None:
        wanted = normalise_header(header)
        for rule in self.columns:
            if normalise_header(rule.header) == wanted:
                return rule
        return None

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
    allowed = tuple(str(v) for v in data.get("allowed", ()))
    aliases = tuple(str(v) for v in data.get("aliases", ()))
    fields = {k: v for k, v in data.items() if k not in {"allowed", "pattern", "aliases"}}
    return ColumnRule(**{**fields, "allowed": allowed, "aliases": aliases})


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
    )
    if profile.key and not profile.rule_for(profile.key):
        raise ValueError(f"{where}: the key column {profile.key!r} is not among its columns")
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
    raise UnknownProfile(f"There is no profile called '{name}'. Choose one of: {names}.")


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
