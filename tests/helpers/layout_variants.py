"""Downloads as they really come: each profile's layout renamed, reordered and padded.

Real downloads differ from the profiles: headers in another language or case, columns
in another order, extra columns, optional ones missing, title and date rows above the
header, a guidance row below it. ``variant(profile, rng)`` makes one such sheet with
realistic users and says what it is; ``layout_variants(profile)`` is the same as a
hypothesis strategy, and ``sweep(profile, count, seed)`` a seeded series of them.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from hypothesis import strategies as st

from desktop_app.models.profiles import ColumnRule, Profile, all_profiles

PLATFORM_PROFILES = ("atlas", "rakoo", "udemy_business", "scim")

EXTRA_COLUMNS = [
    "Notes", "Opmerkingen", "Bemerkungen", "Remarques", "Last login", "Laatste login",
    "Letzte Anmeldung", "Dernière connexion", "Created", "Aangemaakt op", "Erstellt am",
    "Location", "Vestiging", "Standort", "Site", "Custom field 1", "Extra veld",
    "Badge number", "Shirt size", "Courses completed", "Cursussen afgerond",
    "Abgeschlossene Kurse", "Cours terminés", "Score", "Points",
]  # fmt: skip

TITLE_ROWS = [
    ["User data"], ["Gebruikersgegevens"], ["Benutzerdaten"], ["Données utilisateurs"],
    ["Users export"], ["All users"], ["Export"], ["Rapport utilisateurs"],
]  # fmt: skip
DATE_ROWS = [
    ["Exported on 2024-05-01 09:12"], ["Geëxporteerd op 01-05-2024"],
    ["Exportiert am 01.05.2024"], ["Exporté le 01/05/2024"], ["Exported by:", "admin@acme.test"],
    ["Generated", "2024-05-01"],
]  # fmt: skip

GUIDANCE = {
    "en": {"key": "Do not edit", "required": "Required", "optional": "Optional", "eg": "e.g."},
    "nl": {"key": "Niet wijzigen", "required": "Verplicht", "optional": "Optioneel", "eg": "bijv."},
    "de": {"key": "Nicht ändern", "required": "Pflichtfeld", "optional": "Optional", "eg": "z.B."},
    "fr": {
        "key": "Ne pas modifier",
        "required": "Obligatoire",
        "optional": "Facultatif",
        "eg": "p. ex.",
    },
}

FIRST = ["Anna", "Élodie", "Jürgen", "Søren", "Zoë", "Chloé", "Joël", "Björn", "Ana", "Lars",
         "Maël", "Noémie", "Özlem", "Łukasz", "Renée", "Tomás", "Ingrid", "Femke"]  # fmt: skip
LAST = ["Bakker", "de Vries", "Müller", "Lefèvre", "Jansen", "Van den Berg", "Schröder",
        "Dubois", "Ångström", "García", "O'Neill", "Nowak", "Kovács", "Peeters"]  # fmt: skip
DEPARTMENTS = ["Sales", "Finance", "HR", "Verkoop", "Vertrieb", "Ventes", "IT", "Logistiek"]
TITLES = ["Account manager", "Controller", "Developer", "Teamleider", "Sachbearbeiter", "Chef"]
GROUPS = ["Team North", "Team South", "Leadership", "Onboarding"]


def fold(text: str) -> str:
    """A header compared loosely (the test's own, independent of the app's)."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text)


@dataclass
class Variant:
    """One generated download and what a reader should find in it."""

    profile: str
    rows: list[list[str]]
    header_row: int
    guidance_rows: int
    # File header -> the profile column it is (None: an extra column, not uploaded).
    expected: dict[str, str | None]
    key: str | None
    changes: list[str] = field(default_factory=list)

    @property
    def data_start(self) -> int:
        return self.header_row + 1 + self.guidance_rows


def _profiles() -> dict[str, Profile]:
    return {p.name: p for p in all_profiles()}


def _common_names(scim: str | None) -> list[str]:
    generic = next(p for p in all_profiles() if p.generic)
    for _pattern, rule in generic.column_patterns:
        if scim and rule.scim == scim:
            return [rule.header, *rule.aliases]
    return []


def _names_for(profile: Profile, rule: ColumnRule) -> list[str]:
    """Names the column may go by that name no other column of the profile."""
    own = [rule.header, *rule.aliases, *_common_names(rule.scim)]
    others: set[str] = set()
    for other in profile.columns:
        if other is not rule:
            others.update(fold(n) for n in (other.header, *other.aliases))
            others.update(fold(n) for n in _common_names(other.scim))
    return [n for n in dict.fromkeys(own) if fold(n) not in others and fold(n)]


def _restyle(name: str, rule: ColumnRule, rng: random.Random, typos: float = 0.08) -> str:
    """The same name as another export writes it: case, spacing, a required star, a typo."""
    roll = rng.random()
    if roll < 0.15:
        name = name.upper()
    elif roll < 0.3:
        name = name.lower()
    elif roll < 0.4:
        name = name.title()
    roll = rng.random()
    if roll < 0.1:
        name = name.replace(" ", "_")
    elif roll < 0.18:
        name = f"  {name} "
    elif roll < 0.24:
        name = name.replace(" ", "  ")
    if rule.required and rng.random() < 0.2:
        name += "*"
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(fold(name)) >= 9 and rng.random() < typos:
        i = rng.choice(letters[1:-1])
        name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]  # two letters swapped
    return name


def _value(rule: ColumnRule, is_key: bool, row: int, profile: Profile, rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    slug = fold(first) + "." + fold(last).replace(" ", "")
    if is_key:
        style = rng.choice(["padded", "plain", "prefixed", "uuid"])
        if profile.scim_key == "id" or style == "uuid":
            return f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{row:03x}-a000-{row:012x}"
        if style == "padded":
            return f"{1000 + row:06d}"
        return f"{1000 + row}" if style == "plain" else f"E-{1000 + row}"
    if rule.type == "email" or rule.scim == "emails":
        if rule.scim == "manager" and rng.random() < 0.4:
            return ""
        return f"{slug}{row}@acme-{rng.choice(['corp', 'demo'])}.test"
    if rule.type == "email_list":
        return rng.choice(["", f"boss{row}@acme.test", f"a{row}@acme.test, b{row}@acme.test"])
    if rule.type == "flag":
        return rng.choice(["x", "", "x"])
    if rule.allowed:
        return rng.choice(rule.allowed)
    if rule.type == "language" or rule.scim == "preferredLanguage":
        return rng.choice(["nl", "en", "de", "fr", "en-GB", "nl-NL"])
    if rule.type == "date":
        return f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rule.type == "multi":
        return ", ".join(rng.sample(GROUPS, rng.randint(0, 2)))
    if rule.scim == "name.givenName":
        return first
    if rule.scim == "name.familyName":
        return last
    if rule.scim == "userName":
        return slug if rng.random() < 0.7 else f"{slug}@acme.test"
    if rule.scim and rule.scim.endswith(":department"):
        return rng.choice(DEPARTMENTS)
    if rule.scim == "title":
        return rng.choice(TITLES)
    if rule.scim == "name.honorificPrefix":
        return rng.choice(["", "", "van", "de", "van der"])
    if rule.scim and rule.scim.endswith(":organization"):
        return rng.choice(["Acme BV", "Acme GmbH"])
    if rule.scim and rule.scim.endswith(":costCenter"):
        return f"CC-{rng.randint(100, 999)}"
    if rule.scim and rule.scim.endswith(":employeeNumber"):
        return str(2000 + row)
    if rule.scim == "externalId" or "id" in fold(rule.header):
        return f"X-{5000 + row}"
    if rule.scim == "manager":
        return rng.choice(["", f"boss{row}@acme.test"])
    return rng.choice(["", "Enterprise", "Pro", "Active", "Pending", "Sales Team"])


def _extra_value(name: str, rng: random.Random) -> str:
    return rng.choice(["", "ok", "2024-03-01", "12", "M", "Amsterdam", "see notes"])


def variant(profile: Profile, rng: random.Random, typos: float = 0.08) -> Variant:
    """One download in the profile's layout, changed the ways real ones are.

    ``typos`` is the chance that a long header has two letters swapped.
    """
    changes: list[str] = []
    rules = list(profile.columns)
    key = next((r for r in rules if r.header == profile.key), None)
    keep_at_least = max(3, round(len(rules) * 0.4))
    droppable = [r for r in rules if r is not key]
    rng.shuffle(droppable)
    dropped: set[str] = set()
    for rule in droppable:
        if len(rules) - len(dropped) <= keep_at_least:
            break
        if rng.random() < (0.12 if rule.required else 0.25):
            dropped.add(rule.header)
    if dropped:
        changes.append(f"dropped {sorted(dropped)}")
    rules = [r for r in rules if r.header not in dropped]
    # Renames: the platform's own header, an alias, or a common name for the attribute.
    names: dict[str, str] = {}
    used: set[str] = set()
    for rule in rules:
        options = _names_for(profile, rule)
        name = rule.header if rng.random() < 0.4 or len(options) < 2 else rng.choice(options)
        name = _restyle(name, rule, rng, typos)
        if fold(name) in used or not fold(name):
            name = rule.header
        used.add(fold(name))
        names[rule.header] = name
    renamed = [h for h, n in names.items() if n != h]
    if renamed:
        changes.append(f"renamed {[names[h] for h in renamed]}")
    order = list(rules)
    if rng.random() < 0.5:
        rng.shuffle(order)
        if key is not None and rng.random() < 0.6:  # exports usually keep the key first
            order.remove(key)
            order.insert(0, key)
        changes.append("reordered")
    extras = [e for e in rng.sample(EXTRA_COLUMNS, rng.randint(0, 3)) if fold(e) not in used]
    for extra in extras:
        order.insert(rng.randint(1, len(order)), ColumnRule(header=f"\0{extra}"))
    if extras:
        changes.append(f"extra {extras}")
    headers = [names.get(r.header, r.header.lstrip("\0")) for r in order]
    above: list[list[str]] = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        above.append(rng.choice([rng.choice(TITLE_ROWS), rng.choice(DATE_ROWS), []]))
    if above:
        changes.append(f"{len(above)} rows above")
    wants_guidance = rng.random() < (0.75 if profile.rows_after_header else 0.25)
    lang = rng.choice(list(GUIDANCE))
    guidance: list[list[str]] = []
    if wants_guidance:
        words = GUIDANCE[lang]
        row = []
        for rule in order:
            if rule.header.startswith("\0"):
                row.append("")
            elif rule is key:
                row.append(words["key"])
            elif rule.required:
                row.append(words["required"] + (", unique" if rule.unique and lang == "en" else ""))
            elif rule.allowed and rng.random() < 0.5:
                row.append(f"{words['eg']} {rule.allowed[0]}")
            else:
                row.append(words["optional"])
        guidance.append(row)
        changes.append(f"guidance row ({lang})")
    data = []
    for index in range(rng.randint(4, 14)):
        data.append(
            [
                _extra_value(r.header, rng)
                if r.header.startswith("\0")
                else _value(r, r is key, index, profile, rng)
                for r in order
            ]
        )
    width = len(headers)
    rows = [(r + [""] * width)[: max(width, len(r))] for r in above]
    rows += [headers, *guidance, *data]
    expected = {
        names.get(r.header, r.header.lstrip("\0")).strip(): (
            None if r.header.startswith("\0") else r.header
        )
        for r in order
    }
    return Variant(
        profile=profile.name,
        rows=rows,
        header_row=len(above),
        guidance_rows=len(guidance),
        expected=expected,
        key=names[key.header].strip() if key is not None else None,
        changes=changes,
    )


@st.composite
def layout_variants(draw: st.DrawFn, name: str | None = None) -> Variant:
    """A hypothesis strategy: a variant of the named profile (or any platform's)."""
    chosen = name or draw(st.sampled_from(PLATFORM_PROFILES))
    rng = draw(st.randoms(use_true_random=False))
    return variant(_profiles()[chosen], rng)


def sweep(name: str, count: int = 400, seed: int = 2024, typos: float = 0.08) -> Iterator[Variant]:
    """``count`` variants of one profile from a fixed seed: the same ones every run."""
    profile = _profiles()[name]
    rng = random.Random(f"{seed}-{name}")
    for _ in range(count):
        yield variant(profile, rng, typos)
