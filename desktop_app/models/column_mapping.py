"""What each column of one download is: the file's header -> a profile column, or not uploaded.

A mapping is data. It is found by recognition, can be corrected by the admin, is
saved as a small JSON file (the command line's ``--mapping FILE``) and is remembered
per platform and set of headers, so the next download with the same headers opens
with it. Applied to a profile it gives the concrete profile used for that file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from desktop_app.i18n import _
from desktop_app.models.errors import UserFacingError
from desktop_app.models.profiles import ColumnRule, Profile, normalise_header

# A target that names a SCIM attribute directly, not a profile column: "scim:title".
SCIM_PREFIX = "scim:"
FORMAT = 1


class MappingFileProblem(UserFacingError):
    """A mapping file that cannot be used, in one sentence."""


@dataclass(frozen=True)
class ColumnMapping:
    """Per file header, in the file's order: the profile column it is, or None."""

    profile: str
    columns: tuple[tuple[str, str | None], ...]
    # The file header of the locked key column, if the file has one.
    key: str | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(header for header, _target in self.columns)

    def target(self, header: str) -> str | None:
        wanted = normalise_header(header)
        return next(
            (t for h, t in self.columns if normalise_header(h) == wanted),
            None,
        )

    def for_headers(self, headers: Sequence[str]) -> ColumnMapping:
        """The same choices laid over a file's headers, matched by name; others not uploaded."""
        if tuple(headers) == self.headers:
            return self
        wanted = normalise_header(self.key) if self.key is not None else None
        matched_key = next((h for h in headers if normalise_header(h) == wanted), None)
        return ColumnMapping(self.profile, tuple((h, self.target(h)) for h in headers), matched_key)

    def header_set(self) -> str:
        return header_set_key(self.profile, self.headers)

    # --- as JSON ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "profile": self.profile,
            "key": self.key,
            "columns": [{"header": h, "column": t} for h, t in self.columns],
        }

    @classmethod
    def from_json(cls, data: Any, where: str | None = None) -> ColumnMapping:
        where = where or _("The mapping file")
        try:
            if not isinstance(data, dict) or not isinstance(data.get("profile"), str):
                raise TypeError
            raw = data.get("columns", [])
            if isinstance(raw, dict):  # {"Header": "Column", ...}, as a person may write it
                raw = [{"header": h, "column": t} for h, t in raw.items()]
            columns = []
            for entry in raw:
                header, target = entry["header"], entry.get("column")
                if not isinstance(header, str) or not (target is None or isinstance(target, str)):
                    raise TypeError
                columns.append((header, target or None))
            key = data.get("key")
            if key is not None and not isinstance(key, str):
                raise TypeError
        except (TypeError, KeyError):
            raise MappingFileProblem(
                _(
                    "{where} is not a column mapping: it should hold a profile name and, for "
                    'each column, its header and the column it is ("column": null when it is '
                    "not uploaded)."
                ).format(where=where)
            ) from None
        return cls(data["profile"], tuple(columns), key)

    def save(self, path: Path) -> None:
        _write_atomic(path, json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> ColumnMapping:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise MappingFileProblem(
                _("'{name}' could not be read as a column mapping (a JSON file).").format(
                    name=Path(path).name
                )
            ) from None
        return cls.from_json(data, f"'{Path(path).name}'")


def header_set_key(profile: str, headers: Sequence[str]) -> str:
    """The name a mapping is remembered by: the profile and a hash of its headers."""
    text = "\x1f".join(normalise_header(h) for h in headers)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{profile}-{digest}"


def _write_atomic(path: Path, text: str) -> None:
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".mapping-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class MappingStore:
    """Mappings the admin confirmed, one JSON file per platform and set of headers."""

    def __init__(self, folder: Path | None = None) -> None:
        if folder is None:
            from desktop_app.app_paths import data_folder

            folder = data_folder("mappings")
        self.folder = Path(folder)

    def _path(self, profile: str, headers: Sequence[str]) -> Path:
        return self.folder / f"{header_set_key(profile, headers)}.json"

    def remember(self, mapping: ColumnMapping) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(mapping.profile, mapping.headers)
        mapping.save(path)
        return path

    def recall(self, profile: str, headers: Sequence[str]) -> ColumnMapping | None:
        """The mapping remembered for these headers, or None (also if its file is damaged)."""
        path = self._path(profile, headers)
        if not path.is_file():
            return None
        try:
            mapping = ColumnMapping.load(path)
        except MappingFileProblem:
            return None
        return mapping.for_headers(headers) if mapping.profile == profile else None

    def forget(self, profile: str, headers: Sequence[str]) -> None:
        self._path(profile, headers).unlink(missing_ok=True)


def _target_rule(profile: Profile, target: str) -> ColumnRule | None:
    if target.startswith(SCIM_PREFIX):
        return ColumnRule(header=target, scim=target[len(SCIM_PREFIX) :] or None)
    rule = profile.rule_for(target)
    if rule is None and profile.generic:
        wanted = normalise_header(target)
        rule = next(
            (r for _p, r in profile.column_patterns if normalise_header(r.header) == wanted),
            None,
        )
    return rule


def unknown_targets(profile: Profile, mapping: ColumnMapping) -> list[str]:
    """Targets the profile has no column for (a mistyped mapping file)."""
    return [t for _h, t in mapping.columns if t is not None and _target_rule(profile, t) is None]


def apply_mapping(
    profile: Profile, mapping: ColumnMapping, headers: Sequence[str] | None = None
) -> Profile:
    """The concrete profile for one file: its columns under the file's own headers.

    Each file header takes the rule of the profile column it is mapped to; a header
    mapped to nothing is shown and saved but never uploaded. The key column is the
    header the mapping names as key.
    """
    if headers is not None:
        mapping = mapping.for_headers(headers)
    missing = unknown_targets(profile, mapping)
    if missing:
        raise MappingFileProblem(
            _(
                "The {title} has no column called '{missing}': choose one of its "
                "columns, or leave the column out."
            ).format(title=_(profile.title), missing=missing[0])
        )
    key = mapping.key
    scim_key = profile.scim_key
    columns = []
    seen: set[str] = set()
    for header, target in mapping.columns:
        folded = normalise_header(header)
        if not folded or folded in seen:
            continue
        seen.add(folded)
        rule = _target_rule(profile, target) if target is not None else None
        if rule is None:
            rule = ColumnRule(header=header)
        if header == key:
            # The key stays the key: locked, unique, and never uploaded as an attribute;
            # a key the profile does not place (the generic one) finds users by what it is.
            if scim_key is None and rule.scim:
                scim_key = rule.scim
            rule = replace(rule, scim=None, unique=True)
        columns.append(replace(rule, header=header, aliases=()))
    by_target = {t: h for h, t in mapping.columns if t is not None}
    signature = tuple(by_target[s] for s in profile.signature if s in by_target)
    return replace(
        profile,
        key=key,
        columns=tuple(columns),
        signature=signature,
        scim_key=scim_key,
        # Made concrete: the generic profile's patterns have done their work.
        column_patterns=(),
    )
