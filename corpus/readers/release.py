"""What a declassified release prints on its pages about itself, and the lines that repeat.

Archives stamp every page of a release: CREST's "Approved For Release 2005/03/24 :
CIA-RDP80B01676R000800020015-1", the CIA FOIA reading room's "Approved for Release:
2018/06/12 C06735487", the State Department's "Case No. F-2014-20439 Doc No. C05765918
Date: 08/31/2015", a presidential library's "Authority NLJ 94-23", and the classification
at the top and bottom. Those lines give the document's identity and release; as text they
are noise, repeated on every page, so they are read here and then removed with the other
running heads and feet.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

_CREST = re.compile(
    r"(?P<sanitized>Sanitized\s+Copy\s+)?Approved\s+For\s+Release\s+"
    r"(?P<date>\d{4}/\d{2}/\d{2})\s*:\s*(?P<id>CIA-RDP[0-9A-Z]{10,}-\d)",
    re.IGNORECASE,
)
_CIA_FOIA = re.compile(
    r"Approved\s+for\s+Release:\s*(?P<date>\d{4}/\d{2}/\d{2})\s+(?P<id>C\d{8})", re.IGNORECASE
)
_STATE_FOIA = re.compile(
    r"Case\s+No\.\s*(?P<case>F-\d{4}-\d{4,6})\s+Doc\s+No\.\s*(?P<id>C\d{8})"
    r"(?:\s+Date:\s*(?P<date>\d{2}/\d{2}/\d{4}))?",
    re.IGNORECASE,
)
_FOIA_CASE = re.compile(
    r"\bFOIA\s+(?:Case|Request)\s*(?:No\.?|Number|#)?\s*:?\s*(?P<case>[A-Z]{0,3}-?\d[\w-]{3,})",
    re.IGNORECASE,
)
_AUTHORITY = re.compile(r"\bAuthority:?\s+(?P<ref>(?:NL[A-Z]|NND)\s?[\w./-]*\d)")
_MARKING = re.compile(
    r"(?:TOP\s+SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|RESTRICTED)"
    r"(?:\s*(?://|[-/;,])\s*[A-Z][A-Za-z ]{1,20})?"
)
# Running lines are compared by shape: "Page 2 of 3" and "Page 3 of 3" are the same line.
_DIGITS = re.compile(r"\d+")
_LETTER = re.compile(r"[^\W\d_]")
EDGE = 4  # lines at the top and at the bottom of a page that may be margins


@dataclass(frozen=True)
class Release:
    """A release's identity as its stamps give it; empty fields were not found."""

    archive: str = ""
    doc_id: str = ""
    released: str | None = None
    foia_case: str = ""
    classification: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def read_release(pages: Sequence[Sequence[str]]) -> Release:
    """The stamps and classification markings on ``pages`` (each a list of lines)."""
    text = "\n".join(line for page in pages for line in page)
    extra: dict[str, str] = {}
    archive, doc_id, released, case = "", "", None, ""
    if crest := _CREST.search(text):
        archive, doc_id, released = "cia-crest", crest["id"].upper(), _slashed(crest["date"])
        if crest["sanitized"]:
            extra["sanitized"] = "a sanitized copy: parts are withheld"
    elif cia := _CIA_FOIA.search(text):
        archive, doc_id, released = "cia-foia", cia["id"], _slashed(cia["date"])
    elif state := _STATE_FOIA.search(text):
        archive, doc_id, case = "state-foia", state["id"], state["case"]
        if state["date"]:
            month, day, year = state["date"].split("/")
            released = f"{year}-{month}-{day}"
    if not case and (foia := _FOIA_CASE.search(text)):
        case = foia["case"]
    if authority := _AUTHORITY.search(text):
        extra["declassification_authority"] = authority["ref"]
    return Release(archive, doc_id, released, case, _classification(pages), extra)


def _slashed(date: str) -> str:
    return date.replace("/", "-")


def _classification(pages: Sequence[Sequence[str]]) -> str | None:
    """The marking printed alone on a line at the edges of the most pages, as printed."""
    seen: Counter[str] = Counter()
    for page in pages:
        lines = (" ".join(line.split()) for line in (*page[:EDGE], *page[-EDGE:]))
        seen.update({line for line in lines if _MARKING.fullmatch(line)})
    return seen.most_common(1)[0][0] if seen else None


def running_lines(pages: Sequence[Sequence[str]]) -> frozenset[str]:
    """The shapes of the lines at the edges of at least half the pages, and of two."""
    if len(pages) < 2:
        return frozenset()
    counts: Counter[str] = Counter()
    for page in pages:
        edges = (*page[:EDGE], *page[-EDGE:])
        # Lines without letters are page numbers, for the page margins to read.
        counts.update({shape(line) for line in edges if _LETTER.search(line)})
    needed = max(2, (len(pages) + 1) // 2)
    return frozenset(line for line, count in counts.items() if count >= needed)


def without_running(lines: Sequence[str], running: frozenset[str]) -> list[str]:
    """``lines`` less the running lines among the first and last ``EDGE``."""
    edge = set(range(EDGE)) | set(range(len(lines) - EDGE, len(lines)))
    return [line for i, line in enumerate(lines) if i not in edge or shape(line) not in running]


def shape(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split()).casefold())
