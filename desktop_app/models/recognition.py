"""A download's layout recognised from evidence: platform, header row, what each column is.

Real downloads differ from the profiles in header names, order, language, extra
columns and rows above the header. Every profile is scored on the headers (names,
aliases and near misses), where its key column is, the rows around the header (a
guidance row right below it) and the values themselves. The generic profile is the
fallback. All vocabulary is data: each profile's columns and aliases, and the generic
profile's columns, which are the common field names every profile shares by SCIM
attribute, and its guidance words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

from desktop_app.i18n import _, ngettext
from desktop_app.models.column_mapping import ColumnMapping
from desktop_app.models.profiles import ColumnRule, Profile, all_profiles

HEADER_SEARCH_ROWS = 12
# Data rows read below the header for the values' evidence.
SAMPLE_ROWS = 50
# A header this similar (0-100) to a column's name or alias is taken as that column.
FUZZY_CUTOFF = 86
# A platform needs this much evidence to be chosen over the generic profile...
PLATFORM_THRESHOLD = 0.42
# ...and below this, or this close to the runner-up, the app should ask the admin.
CONFIDENT = 0.6
MARGIN = 0.12

_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}([-_][a-z]{2,4})?", re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_ID = re.compile(r"[A-Za-z]{0,6}[-_]?\d[\d-]*|[0-9a-f]{8}-[0-9a-f-]{27}", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?\d[\d.,:/ -]*")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_PUNCTUATION = re.compile(r"[\s*_\-.,:;/\\#()\[\]'\"]+")
_FLAG_VALUES = {"x", "", "yes", "no", "ja", "nee", "true", "false", "1", "0"}
_LANGUAGE_NAMES = {
    "dutch", "english", "german", "french", "spanish", "polish", "hungarian", "slovakian",
    "portuguese", "bulgarian", "romanian", "nederlands", "engels", "duits", "frans",
    "deutsch", "englisch", "français", "anglais", "allemand", "néerlandais",
}  # fmt: skip


def fold(text: str) -> str:
    """A header as compared here: words split at camelCase, no case, accents or punctuation."""
    text = _CAMEL.sub(" ", str(text))
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_PUNCTUATION.sub(" ", text).split())


def compact(text: str) -> str:
    return fold(text).replace(" ", "")


@dataclass(frozen=True)
class Recognition:
    """What a sheet's first rows say about its layout."""

    header_row: int  # 0-based row of the header among the rows given
    guidance_rows: int  # rows right below the header that guide the admin, never users
    profile: Profile  # the profile chosen (as declared, before the mapping)
    mapping: ColumnMapping
    confidence: float  # 0..1
    reason: str
    weak: bool  # too little evidence, or two platforms too close: ask the admin
    scores: tuple[tuple[str, float], ...] = ()  # every profile's score, best first

    @property
    def data_start(self) -> int:
        """0-based row of the first user."""
        return self.header_row + 1 + self.guidance_rows


# --- vocabulary, built once from the profiles ------------------------------------


@dataclass(frozen=True)
class _Vocabulary:
    profile: Profile
    targets: tuple[ColumnRule, ...]  # what a header can be taken as
    names: tuple[str, ...]  # compact names, each naming targets[owner[i]]
    owner: tuple[int, ...]
    exact: dict[str, int]  # compact name -> target
    shared: tuple[bool, ...]  # whether another platform knows the column too
    key_index: int | None


def _generic() -> Profile | None:
    return next((p for p in all_profiles() if p.generic), None)


def _common_aliases(generic: Profile | None) -> dict[str, tuple[str, ...]]:
    """The generic profile's names for each SCIM attribute."""
    common: dict[str, tuple[str, ...]] = {}
    if generic is not None:
        for _pattern, rule in generic.column_patterns:
            if rule.scim:
                common[rule.scim] = (rule.header, *rule.aliases)
    return common


@cache
def _vocabularies(profiles: tuple[Profile, ...]) -> tuple[_Vocabulary, ...]:
    generic = next((p for p in profiles if p.generic), None) or _generic()
    common = _common_aliases(generic)
    platform_names: dict[str, set[str]] = {}
    built = []
    for profile in profiles:
        if profile.generic:
            targets = tuple(rule for _pattern, rule in profile.column_patterns)
            key_names: tuple[str, ...] = profile.key_names
        else:
            targets = profile.columns
            key_names = ()
        names: list[str] = []
        owner: list[int] = []
        for index, rule in enumerate(targets):
            words = {rule.header, *rule.aliases, *common.get(rule.scim or "", ())}
            for word in sorted(compact(w) for w in words if w):
                names.append(word)
                owner.append(index)
        key_index = None
        if not profile.generic and profile.key:
            key_index = next(i for i, r in enumerate(targets) if r.header == profile.key)
        exact: dict[str, int] = {}
        for word, index in zip(names, owner, strict=True):
            exact.setdefault(word, index)
        for word in key_names:
            exact.setdefault(compact(word), -1)
        if not profile.generic:
            for word, index in exact.items():
                platform_names.setdefault(word, set()).add(f"{profile.name}:{index}")
        built.append((profile, targets, names, owner, exact, key_index))
    result = []
    for profile, targets, names, owner, exact, key_index in built:
        shared = []
        for index in range(len(targets)):
            own = [w for w, i in zip(names, owner, strict=True) if i == index]
            shared.append(
                any(len({s.split(":")[0] for s in platform_names.get(w, ())}) > 1 for w in own)
            )
        result.append(
            _Vocabulary(
                profile, targets, tuple(names), tuple(owner), exact, tuple(shared), key_index
            )
        )
    return tuple(result)


@cache
def _guidance_pattern(profiles: tuple[Profile, ...]) -> re.Pattern[str]:
    words = sorted({fold(w) for p in profiles for w in p.guidance_words if fold(w)}, key=len)
    if not words:
        return re.compile(r"(?!)")
    alternatives = "|".join(re.escape(w) for w in reversed(words))
    return re.compile(rf"(?<![a-z])({alternatives})(?![a-z])")


@cache
def _all_names(profiles: tuple[Profile, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    names: set[str] = set()
    for vocabulary in _vocabularies(profiles):
        names.update(vocabulary.exact)
    return frozenset(names), tuple(sorted(names))


# --- values -----------------------------------------------------------------------


def _share(values: Sequence[str], test: re.Pattern[str] | set[str]) -> float | None:
    filled = [v.strip() for v in values if v.strip()]
    if not filled:
        return None
    if isinstance(test, set):
        return sum(v.casefold() in test for v in filled) / len(filled)
    return sum(test.fullmatch(v) is not None for v in filled) / len(filled)


def value_fit(rule: ColumnRule, values: Sequence[str], is_key: bool = False) -> float:
    """How well sample values fit a column: 1 fits, 0 says nothing, -1 contradicts."""
    filled = [v.strip() for v in values if v.strip()]
    if not filled:
        return 0.0
    emails = _share(filled, _EMAIL) or 0.0
    kind = rule.type
    if rule.scim == "emails" or kind == "email":
        return 2 * emails - 1
    if kind == "email_list":
        parts = [p.strip() for v in filled for p in v.split(rule.separator) if p.strip()]
        return 2 * (_share(parts, _EMAIL) or 0.0) - 1
    if emails > 0.5 and kind != "text":
        return -1.0
    if kind == "flag":
        return 2 * (_share(values, _FLAG_VALUES) or 0.0) - 1
    if rule.allowed:
        allowed = {a.casefold() for a in rule.allowed}
        return 2 * (_share(filled, allowed) or 0.0) - 1
    if kind == "language" or rule.scim == "preferredLanguage":
        codes = _share(filled, _LANGUAGE_CODE) or 0.0
        names = _share(filled, _LANGUAGE_NAMES) or 0.0
        return 2 * max(codes, names) - 1
    if kind == "date":
        return 2 * (_share(filled, _DATE) or 0.0) - 1
    if is_key:
        unique = len(set(filled)) == len(filled)
        ids = _share(filled, _ID) or 0.0
        return (0.5 if unique else -0.5) + 0.5 * ids - 0.5 * emails
    return 0.0


# --- rows -----------------------------------------------------------------------------


def _cells(row: Sequence[str]) -> list[str]:
    return [str(c) if c is not None else "" for c in row]


def _looks_like_header(row: Sequence[str]) -> bool:
    cells = [c.strip() for c in row if c.strip()]
    if len(cells) < 2:
        return False
    return not any("@" in c or _NUMBER.fullmatch(c) for c in cells)


def header_span(row: Sequence[str]) -> tuple[int, int]:
    """First and one-past-last non-blank cell of a header row."""
    filled = [i for i, c in enumerate(row) if str(c).strip()]
    return (filled[0], filled[-1] + 1) if filled else (0, 0)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def header_names(row: Sequence[str]) -> list[str]:
    """The headers as the reader names them: trimmed, a blank one as 'Column X'."""
    first, end = header_span(row)
    return [
        str(h).strip() or f"Column {column_letter(first + i)}" for i, h in enumerate(row[first:end])
    ]


def _find_header_row(rows: Sequence[Sequence[str]], profiles: tuple[Profile, ...]) -> int | None:
    """The row most of whose cells are names some profile knows; None if no row is."""
    known, every = _all_names(profiles)
    best, best_hits = None, 1
    fuzzy_rows = []
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [compact(c) for c in row if str(c).strip()]
        hits = sum(c in known for c in cells)
        if hits > best_hits:
            best, best_hits = index, hits
        if _looks_like_header(row):
            fuzzy_rows.append(index)
    if best is not None and best_hits >= 3:
        return best
    for index in fuzzy_rows:  # no clear header by exact names: try near misses
        cells = [compact(c) for c in rows[index] if str(c).strip()]
        hits = sum(
            process.extractOne(cell, every, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            is not None
            for cell in cells
        )
        if hits > best_hits:
            best, best_hits = index, hits
    return best


def _guidance_score(row: Sequence[str], pattern: re.Pattern[str]) -> float:
    """Share of a row's filled cells that read like guidance."""
    cells = [fold(c) for c in row if str(c).strip()]
    if not cells:
        return 0.0
    return sum(pattern.search(c) is not None for c in cells) / len(cells)


# --- scoring ----------------------------------------------------------------------


@dataclass
class _Candidate:
    vocabulary: _Vocabulary
    targets: list[int | None]  # per header: index into vocabulary.targets, or None
    key: int | None  # header index of the key column
    score: float
    matched: int
    fit: float


def _similarity(headers: Sequence[str], vocabulary: _Vocabulary) -> list[dict[int, float]]:
    """Per header: target index -> similarity 0..100 (exact names score 100)."""
    folded = [compact(h) for h in headers]
    result: list[dict[int, float]] = [{} for _ in headers]
    missing = []
    for i, name in enumerate(folded):
        hit = vocabulary.exact.get(name)
        if hit is not None:
            result[i][hit] = 100.0
        elif name:
            missing.append(i)
    if missing and vocabulary.names:
        # One header at a time: cdist would be faster, but needs numpy, which the
        # desktop app does not otherwise carry (about 40 MB).
        for i in missing:
            for _name, score, j in process.extract(
                folded[i],
                vocabulary.names,
                scorer=fuzz.ratio,
                score_cutoff=FUZZY_CUTOFF,
                limit=None,
            ):
                target = vocabulary.owner[j]
                if score > result[i].get(target, 0.0):
                    result[i][target] = float(score)
    return result


def _score(
    headers: Sequence[str],
    columns: Sequence[Sequence[str]],
    vocabulary: _Vocabulary,
    guidance: int,
) -> _Candidate:
    profile = vocabulary.profile
    similarity = _similarity(headers, vocabulary)
    pairs = []
    for i, options in enumerate(similarity):
        for target, score in options.items():
            if target < 0:
                continue
            rule = vocabulary.targets[target]
            fit = value_fit(rule, columns[i], target == vocabulary.key_index)
            pairs.append((score + 8 * fit, i, target, fit))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    targets: list[int | None] = [None] * len(headers)
    taken: set[int] = set()
    fits = []
    for combined, i, target, fit in pairs:
        if combined < FUZZY_CUTOFF - 4 or targets[i] is not None or target in taken:
            continue
        targets[i] = target
        taken.add(target)
        fits.append(fit)
    key = None
    if vocabulary.key_index is not None and vocabulary.key_index in taken:
        key = targets.index(vocabulary.key_index)
    elif profile.generic:
        key = next((i for i, opts in enumerate(similarity) if -1 in opts), None)
    filled = [i for i, h in enumerate(headers) if not h.startswith("Column ")] or [0]
    matched = sum(targets[i] is not None for i in filled)
    if profile.generic:
        return _Candidate(vocabulary, targets, key, 0.0, matched, 0.0)
    weights = [0.5 if shared else 1.0 for shared in vocabulary.shared]
    found_weight = sum(weights[t] for t in taken)
    # The share of the file's columns that are this platform's, and of the platform's
    # (its distinctive columns weighing double) that are in the file.
    file_share = matched / len(filled)
    profile_share = found_weight / sum(weights)
    distinctive = sum(not vocabulary.shared[t] for t in taken)
    fit = sum(fits) / len(fits) if fits else 0.0
    score = 0.35 * file_share + 0.3 * profile_share + 0.05 * fit
    if key is not None:
        score += 0.15 + (0.05 if key == 0 else 0.0)
    elif profile.key_required:
        score -= 0.1
    if distinctive == 0:
        score -= 0.15
    if profile.rows_after_header:
        score += 0.1 if guidance >= profile.rows_after_header else -0.05
    return _Candidate(vocabulary, targets, key, max(0.0, min(1.0, score)), matched, fit)


def _guidance_rows(
    rows: Sequence[Sequence[str]],
    header_row: int,
    span: tuple[int, int],
    pattern: re.Pattern[str],
) -> int:
    """How many rows right below the header guide the admin (at most two).

    A row guides when its words say so ("Required", "Do not change"), or when it
    describes a column the users below fill with email addresses ("Work email" above
    a column of addresses): a user's own row never holds a phrase there.
    """
    below = rows[header_row + 1 : header_row + 3 + SAMPLE_ROWS]
    email_columns = [
        c
        for c in range(span[0], span[1])
        if _mostly_emails([str(r[c]).strip() if c < len(r) else "" for r in below[1:]])
    ]
    count = 0
    for row in rows[header_row + 1 : header_row + 3]:
        cells = list(row[span[0] : span[1]])
        if not any(str(c).strip() for c in cells):
            break
        score = _guidance_score(cells, pattern)
        emails = sum(_EMAIL.fullmatch(str(c).strip()) is not None for c in cells)
        describes = any(
            _PHRASE.fullmatch(str(row[c]).strip()) is not None
            for c in email_columns
            if c < len(row)
        )
        if emails == 0 and (score >= 0.34 or describes):
            count += 1
        else:
            break
    return count


# Words with spaces and no @ or digits: a description ("Work email"), never an address.
_PHRASE = re.compile(r"[^\W\d_]+(?:[ '’-][^\W\d_]+)+")


def _mostly_emails(values: Sequence[str]) -> bool:
    filled = [v for v in values if v]
    return len(filled) >= 2 and sum(_EMAIL.fullmatch(v) is not None for v in filled) >= 0.8 * len(
        filled
    )


def recognise(
    rows: Sequence[Sequence[str]],
    profiles: Sequence[Profile] | None = None,
    forced: Profile | None = None,
) -> Recognition | None:
    """The layout of a sheet from its first rows (text), or None if no row is a header.

    ``rows`` are the sheet's first rows as text: the header is looked for in the first
    twelve, and up to fifty rows below it are read for their values. ``forced`` scores
    that profile only (the admin chose it); otherwise every profile competes and the
    generic one is the fallback.
    """
    pool = tuple(profiles) if profiles is not None else all_profiles()
    generic = next((p for p in pool if p.generic), None) or _generic()
    everyone = tuple(dict.fromkeys((*pool, *([generic] if generic else []))))
    header_row = _find_header_row(rows, everyone)
    if header_row is None:
        header_row = next(
            (i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]) if _looks_like_header(r)), None
        )
        if header_row is None:
            return None
    header = _cells(rows[header_row])
    span = header_span(header)
    headers = header_names(header)
    guidance = _guidance_rows(rows, header_row, span, _guidance_pattern(everyone))
    start = header_row + 1 + guidance
    sample = [_cells(r) for r in rows[start : start + SAMPLE_ROWS]]
    columns = [[r[c] if c < len(r) else "" for r in sample] for c in range(span[0], span[1])]
    vocabularies = {v.profile.name: v for v in _vocabularies(everyone)}
    competing = [forced] if forced is not None else [p for p in everyone if not p.generic]
    candidates = sorted(
        (_score(headers, columns, vocabularies[p.name], guidance) for p in competing),
        key=lambda c: -c.score,
    )
    best = candidates[0] if candidates else None
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if forced is None and (best is None or best.score < PLATFORM_THRESHOLD) and generic:
        chosen = _score(headers, columns, vocabularies[generic.name], guidance)
        evidence = best.score if best else 0.0
        confidence = chosen.matched / max(1, len(headers)) * 0.6
        weak = evidence >= PLATFORM_THRESHOLD - 0.15 or chosen.key is None
    else:
        assert best is not None
        chosen, confidence = best, best.score
        weak = confidence < CONFIDENT or (forced is None and best.score - runner_up < MARGIN)
    profile = chosen.vocabulary.profile
    mapping = ColumnMapping(
        profile=profile.name,
        columns=tuple(
            (h, None if t is None else chosen.vocabulary.targets[t].header)
            for h, t in zip(headers, chosen.targets, strict=True)
        ),
        key=None if chosen.key is None else headers[chosen.key],
    )
    reason = _reason(profile, chosen, headers, span[0], guidance)
    return Recognition(
        header_row=header_row,
        guidance_rows=guidance,
        profile=profile,
        mapping=mapping,
        confidence=round(max(0.0, min(1.0, confidence)), 3),
        reason=reason,
        weak=weak,
        scores=tuple((c.vocabulary.profile.name, round(c.score, 3)) for c in candidates),
    )


def _reason(
    profile: Profile, chosen: _Candidate, headers: Sequence[str], first: int, guidance: int
) -> str:
    total = len(headers)
    if profile.generic:
        text = _(
            "Not recognised as any platform's download: read as a spreadsheet of users, "
            "{matched} of {total} columns have a known meaning"
        ).format(matched=chosen.matched, total=total)
    else:
        text = _("Recognised as {platform}: {matched} of {total} columns match").format(
            platform=_with_article(profile.title), matched=chosen.matched, total=total
        )
    if chosen.key is not None:
        text += _(", {header} is in column {letter}").format(
            header=headers[chosen.key], letter=column_letter(first + chosen.key)
        )
    if guidance:
        text += ngettext(
            ", the row below the header is guidance",
            ", the {count} rows below the header are guidance",
            guidance,
        ).format(count=guidance)
    return text + "."


def _with_article(title: str) -> str:
    """ "an Atlas user data download", or the title alone when it names users ("SCIM 2.0 users")."""
    if title.casefold().endswith("users"):
        return _(title)
    if title[:1].casefold() in "aeio":
        return _("an {title}").format(title=_(title))
    return _("a {title}").format(title=_(title))
