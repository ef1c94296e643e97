"""Answers built only from quoted evidence, each quote with its numbered citation. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.evidence import Evidence
from assistant.retrieve import Hit
from corpus.model import Document

NO_EVIDENCE = (
    "The archive holds nothing that answers this question closely enough to quote. "
    "The closest documents are listed below."
)


@dataclass(frozen=True)
class Citation:
    """A quote with everything needed to find it again in the archive."""

    ref: int
    doc_id: str
    title: str
    date: str | None
    place: str | None
    archive_ref: str | None
    url: str | None
    citation: str
    quote: str
    char_start: int
    char_end: int
    passage: str
    passage_start: int
    page: str | None
    score: float


@dataclass(frozen=True)
class Source:
    """A document offered as the closest match when nothing could be quoted."""

    doc_id: str
    title: str
    date: str | None
    place: str | None
    url: str | None
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    closest: tuple[Source, ...] = ()
    query_used: str = ""


def citation_for(ref: int, evidence: Evidence) -> Citation:
    doc, passage = evidence.hit.document, evidence.hit.passage
    return Citation(
        ref=ref,
        doc_id=doc.doc_id,
        title=doc.title,
        date=doc.date,
        place=doc.place,
        archive_ref=doc.archive_ref,
        url=doc.url,
        citation=doc.citation,
        quote=evidence.quote,
        char_start=evidence.char_start,
        char_end=evidence.char_end,
        passage=passage.text,
        passage_start=passage.char_start,
        page=doc.page_at(evidence.char_start),
        score=round(evidence.score, 4),
    )


def source_label(document: Document) -> str:
    details = ", ".join(part for part in (document.place, document.date) if part)
    return f"{document.title} ({details})" if details else document.title


def compose(question: str, evidence: Sequence[Evidence], *, query_used: str = "") -> Answer:
    """Quote the evidence grouped by document, best document first, in reading order within one.

    Citations are numbered in the order a reader meets them.
    """
    groups: dict[str, list[Evidence]] = {}
    for item in evidence:
        groups.setdefault(item.hit.document.doc_id, []).append(item)
    citations: list[Citation] = []
    paragraphs = []
    for group in groups.values():
        quotes = []
        for item in sorted(group, key=lambda e: e.char_start):
            citations.append(citation_for(len(citations) + 1, item))
            quotes.append(f"“{item.quote}” [{len(citations)}]")
        paragraphs.append(f"{source_label(group[0].hit.document)}: " + " ".join(quotes))
    return Answer(
        question=question,
        answer="\n\n".join(paragraphs),
        abstained=False,
        citations=tuple(citations),
        query_used=query_used or question,
    )


def abstain(question: str, hits: Sequence[Hit], *, query_used: str = "", limit: int = 3) -> Answer:
    """Say that nothing answers the question, and offer the closest documents."""
    closest: dict[str, Source] = {}
    for hit in hits:
        doc = hit.document
        if doc.doc_id not in closest and len(closest) < limit:
            closest[doc.doc_id] = Source(
                doc.doc_id, doc.title, doc.date, doc.place, doc.url, round(hit.similarity, 4)
            )
    return Answer(
        question=question,
        answer=NO_EVIDENCE if closest else "The archive is empty: there is nothing to search.",
        abstained=True,
        citations=(),
        closest=tuple(closest.values()),
        query_used=query_used or question,
    )
