"""Finding quoted sources that contradict each other. Pure and deliberately conservative.

Two signals, both only between sentences of different documents:

- the same countable thing with different numbers ("13 battalions" against
  "15 battalions"); only nouns in ``UNITS`` count, so dates, telegram, page and
  document numbers never do, and hedged, relative or range figures ("about 70,000",
  "a further 9 battalions", "from 35 to 44") are left out;
- the same claim with opposite polarity: nearly the same content words, one
  sentence negated.

A false "sources disagree" on an archive answer misleads more than a missed one,
so every doubtful case is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from assistant.model import Claim, Disagreement, Paragraph, Piece, Ref, Text
from corpus.vocabulary import FUNCTION_WORDS, MONTH_NUMBERS, MONTHS

# Singular forms of the countable things an archive answer compares.
UNITS = {
    "battalion": "battalions",
    "blt": "BLTs",
    "brigade": "brigades",
    "division": "divisions",
    "regiment": "regiments",
    "man": "men",
    "troop": "troops",
    "soldier": "soldiers",
    "personnel": "personnel",
    "aircraft": "aircraft",
    "sortie": "sorties",
    "casualty": "casualties",
}
# Kinds of a unit that name the same thing: "ground force battalions" are battalions.
# Nationality and service ("U.S.", "ARVN", "Marine", "US/FW") stay and keep counts apart.
_GENERIC = {"ground", "force", "forces", "combat", "maneuver", "infantry", "army", "the"}
_SAME_NATION = {"american": "us", "u.s.": "us", "us": "us", "u.s": "us"}
# Whose units, when named just before the figure ("ARVN had lost 5 battalions").
_OWNERS = {"arvn", "rvnaf", "vc", "viet", "rok", "nva", "drv", "enemy", "gvn", "marine", "usmc"}
# Figures for one thing that differ this much are more likely counts of different things
# (a plan against a loss, one phase against another) than a contradiction.
MAX_RATIO = 1.5
# Words that make a figure a bound, an estimate, a part or a change rather than a count.
_HEDGES = {
    "about", "approximately", "roughly", "some", "nearly", "almost", "over", "than", "least",
    "most", "from", "between", "further", "another", "additional", "extra", "first",
    "last", "up", "under", "below", "above", "each", "per", "every", "plus", "only",
    "by", "around", "estimated", "perhaps", "possibly",
}  # fmt: skip
_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
_UNIT = r"(?:" + "|".join(sorted({*UNITS, *UNITS.values()}, key=len, reverse=True)) + r")s?"
_FORWARD = re.compile(
    rf"(?<![\w$/.,-])(?P<num>{_NUMBER})(?![\w/-]|[.,]\d)\s+"
    rf"(?P<mods>(?:[\w./-]+\s+){{0,2}}?)(?P<unit>{_UNIT})\b",
    re.IGNORECASE,
)
# "our number of ground force battalions to 13"
_NUMBER_OF = re.compile(
    rf"\bnumber of\s+(?P<mods>(?:[\w./-]+\s+){{0,2}}?)(?P<unit>{_UNIT})\s+(?:to|at)\s+"
    rf"(?P<num>{_NUMBER})(?![\w/-]|[.,]\d)",
    re.IGNORECASE,
)
_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z'’-]+")
_NEGATIONS = {"not", "no", "never", "neither", "nor", "cannot", "without", "none", "nothing"}
# Opposite polarity needs near-identical claims: this many shared content words, and
# this share of the shorter sentence's content words.
MIN_SHARED = 5
MIN_OVERLAP = 0.8


@dataclass(frozen=True)
class Statement:
    """A quoted sentence and the citation it carries."""

    ref: int
    doc_id: str
    text: str
    date: str | None = None  # the document's, ISO; "1965-06-16"


@dataclass(frozen=True)
class _Count:
    key: tuple[str, ...]
    value: int
    phrase: str


def find_disagreements(statements: Sequence[Statement]) -> list[Disagreement]:
    """Every contradiction between statements of different documents, first refs first."""
    found = _quantity_conflicts(statements) + _polarity_conflicts(statements)
    return sorted(found, key=lambda d: d.refs)


OPENING = "Sources disagree"


def describe(disagreement: Disagreement, labels: Mapping[int, str]) -> Paragraph:
    """One sentence naming the refs, e.g. "Sources disagree: [1] (…) gives 13 battalions; …"."""

    def named(claim: Claim) -> str:
        return f" ({labels[claim.ref]})" if claim.ref in labels else ""

    pieces: list[Piece]
    if disagreement.kind == "quantity":
        pieces = [Text(f"{OPENING} on the number of {disagreement.subject}: ")]
        for i, claim in enumerate(disagreement.claims, start=1):
            end = "." if i == len(disagreement.claims) else "; "
            pieces += [Ref(claim.ref), Text(f"{named(claim)} gives {claim.phrase}{end}")]
    else:
        negated, affirmed = disagreement.claims
        pieces = [
            Text(f"{OPENING}: "),
            Ref(negated.ref),
            Text(f"{named(negated)} says “{negated.phrase}”, while "),
            Ref(affirmed.ref),
            Text(f"{named(affirmed)} says “{affirmed.phrase}”."),
        ]
    return Paragraph("disagreement", tuple(pieces))


def counts(text: str) -> list[_Count]:
    """The unhedged counts of known units in ``text``.

    A unit counted with two figures in one sentence is a change, not a claim, and is left out.
    """
    matches = [m for pattern in (_FORWARD, _NUMBER_OF) for m in pattern.finditer(text)]
    found = [count for match in matches if (count := _count(text, match))]
    values: dict[tuple[str, ...], set[int]] = {}
    for count in found:
        values.setdefault(count.key, set()).add(count.value)
    return [c for c in found if len(values[c.key]) == 1]


def _count(text: str, match: re.Match[str]) -> _Count | None:
    mods = match["mods"].lower().split()
    before = [w.strip("(“\"'") for w in text[: match.start()].lower().split()[-4:]]
    if match.re is _FORWARD and before and _hedged(before):
        return None
    if any(word in _HEDGES or word in FUNCTION_WORDS for word in mods):
        return None
    value = int(match["num"].replace(",", ""))
    if match.re is _FORWARD and "," not in match["num"] and 1900 <= value < 2100:
        return None  # a year
    after_number = text[match.end("num") :]
    if re.match(r"\s*(?:-|–|to|or)\s*\d", after_number):
        return None
    if re.match(r"\s+or\s+(?:more|so|less|fewer)\b", text[match.end() :]):
        return None
    unit = match["unit"].lower()
    singular = next((s for s, p in UNITS.items() if unit in {s, s + "s", p.lower()}), None)
    if singular is None or (value != 1 and unit == singular and UNITS[singular] != singular):
        return None  # "the 44 battalion debate": a singular after a number names something else
    owners = [w for w in before if w in _OWNERS and w not in mods] if match.re is _FORWARD else []
    kinds = [*owners, *(_SAME_NATION.get(m, m) for m in mods if m not in _GENERIC)]
    phrase = f"{match['num']} {match['mods']}{match['unit']}"
    return _Count((*kinds, singular), value, " ".join(phrase.split()))


def _hedged(before: list[str]) -> bool:
    """Whether the words before a figure make it a bound, estimate, part or change.

    "to" alone sets a level ("held to 15 battalions"); after "up" or "from 35" it does not.
    """
    if before[-1] == "to":
        return "from" in before or "up" in before or any(w[:1].isdigit() for w in before)
    return before[-1] in _HEDGES or "between" in before


def _quantity_conflicts(statements: Sequence[Statement]) -> list[Disagreement]:
    by_key: dict[tuple[str, ...], dict[int, tuple[Statement, _Count]]] = {}
    for statement in statements:
        for count in counts(statement.text):
            by_key.setdefault(count.key, {}).setdefault(statement.ref, (statement, count))
    found = []
    for key, said in by_key.items():
        ordered = sorted(said.values(), key=lambda pair: pair[0].ref)
        docs = {statement.doc_id for statement, _ in ordered}
        values = {count.value for _, count in ordered}
        if len(values) < 2 or len(docs) < 2 or max(values) > MAX_RATIO * min(values):
            continue
        # Figures change month by month; only figures for the same month can contradict.
        if not set.intersection(*(_months(statement) for statement, _ in ordered)):
            continue
        # One figure per document: a document that gives two figures describes a change.
        per_doc: dict[str, set[int]] = {}
        for statement, count in ordered:
            per_doc.setdefault(statement.doc_id, set()).add(count.value)
        if any(len(values) > 1 for values in per_doc.values()):
            continue
        first_by_value: dict[int, Claim] = {}
        for statement, count in ordered:
            first_by_value.setdefault(count.value, Claim(statement.ref, count.phrase, count.value))
        subject = " ".join((*key[:-1], UNITS[key[-1]]))
        found.append(Disagreement("quantity", subject, tuple(first_by_value.values())))
    return found


def _polarity_conflicts(statements: Sequence[Statement]) -> list[Disagreement]:
    found = []
    for a, b in combinations(statements, 2):
        if a.doc_id == b.doc_id:
            continue
        words_a, words_b = _words(a.text), _words(b.text)
        neg_a, neg_b = bool(words_a & _NEGATIONS), bool(words_b & _NEGATIONS)
        if neg_a == neg_b:
            continue
        content_a, content_b = _content(words_a), _content(words_b)
        shared = content_a & content_b
        smaller = min(len(content_a), len(content_b))
        if len(shared) < MIN_SHARED or len(shared) < MIN_OVERLAP * smaller:
            continue
        negated, affirmed = (a, b) if neg_a else (b, a)
        subject = " ".join(sorted(shared))
        claims = (Claim(negated.ref, negated.text), Claim(affirmed.ref, affirmed.text))
        found.append(Disagreement("polarity", subject, claims))
    return found


def _months(statement: Statement) -> set[int]:
    """The months a statement is about: those it names, else its document's."""
    named = {MONTH_NUMBERS[m.lower()] for m in _MONTH.findall(statement.text)}
    if named or not statement.date or len(statement.date) < 7:
        return named
    return {int(statement.date[5:7])}


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower().replace("n't", " not").replace("n’t", " not")))


def _content(words: set[str]) -> set[str]:
    return {w.rstrip("s") for w in words - _NEGATIONS - FUNCTION_WORDS if len(w) > 2}
