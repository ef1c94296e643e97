"""References between documents: what a document cites, and what it can be cited as. Pure.

A reference is reduced to a key ("frus1964-68v03/d11", "telegram:4311"); a document
offers the keys it can be cited by (its id, its own telegram number). Matching
keys across the archive resolves references in both directions, and a reference
whose document is not in the archive keeps its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.model import Document


@dataclass(frozen=True)
class Reference:
    """A mention of another document inside ``Document.text``."""

    text: str
    key: str
    char_start: int
    char_end: int


_FRUS_DOCUMENT = re.compile(r"\bDocuments? (\d{1,4})\b")
# "Foreign Relations, 1964–1968, vol. II, Document 337" names another volume of the series.
_OTHER_VOLUME = re.compile(r"\bvol\. ([IVXL]+),[^.;]{0,80}$")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}
_TELEGRAM = re.compile(
    r"\b(?:(?:[Tt]elegram|[Tt]el|[Ee]mbtel|EMBTEL|[Dd]eptel|DEPTEL|[Rr]eftel|[Cc]ircular)\.?"
    r"|REF:?\s+(?:A\.\s+)?(?:STATE|SAIGON|MOSCOW))\s+(\d{2,6})\b"
    r"(?:\s+(?:from|to)\s+([A-Z][a-z]+))?"
)
_MESSAGE = re.compile(r"\b(MACV|CINCPAC|JCS|COMUSMACV)\s+(\d{6}Z)\b")
_OWN_NUMBER = re.compile(r"\s*(\d{2,6})\.\s")


def find_references(document: Document) -> list[Reference]:
    """Every reference in the document's text, in order, without references to itself."""
    volume = _frus_volume(document.doc_id)
    found: list[Reference] = []
    if volume:
        for match in _FRUS_DOCUMENT.finditer(document.text):
            other = _OTHER_VOLUME.search(document.text, max(0, match.start() - 100), match.start())
            target = f"{volume.rsplit('v', 1)[0]}v{_roman(other.group(1)):02d}" if other else volume
            found.append(_reference(match, f"{target}/d{match.group(1)}"))
    for match in _TELEGRAM.finditer(document.text):
        found.append(_reference(match, f"telegram:{match.group(1)}"))
    for match in _MESSAGE.finditer(document.text):
        found.append(_reference(match, f"message:{match.group(1)} {match.group(2)}"))
    own = set(citable_keys(document))
    return sorted((r for r in found if r.key not in own), key=lambda r: r.char_start)


def citable_keys(document: Document) -> list[str]:
    """The keys by which other documents refer to this one."""
    keys = [document.doc_id]
    if (document.kind or "").lower() == "telegram" and (match := _OWN_NUMBER.match(document.text)):
        keys.append(f"telegram:{match.group(1)}")
    return keys


def _frus_volume(doc_id: str) -> str | None:
    prefix, _, local = doc_id.partition("/")
    return prefix if prefix.startswith("frus") and local else None


def _roman(numeral: str) -> int:
    values = [_ROMAN[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _reference(match: re.Match[str], key: str) -> Reference:
    return Reference(match.group(), key, match.start(), match.end())
