"""Answers built only from quoted evidence, each quote with its numbered citation. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.chronology import sort_key, timeline
from assistant.answering.disagreement import Statement, describe, find_disagreements
from assistant.model import (
    Answer,
    Citation,
    Disagreement,
    Evidence,
    Hit,
    Paragraph,
    Quote,
    Source,
    Text,
    TimelineEntry,
)
from corpus.citation import footnote
from corpus.model import Document, Span

NO_EVIDENCE = (
    "The archive holds nothing that answers this question closely enough to quote. "
    "The closest documents are listed below."
)
# A gap this close to a quote may hide the rest of what the source says.
WITHHELD_REACH = 400


def citation_for(ref: int, evidence: Evidence) -> Citation:
    doc, passage = evidence.hit.document, evidence.hit.passage
    page = doc.page_at(evidence.char_start)
    return Citation(
        ref=ref,
        doc_id=doc.doc_id,
        collection=doc.collection,
        title=doc.title,
        date=doc.date,
        place=doc.place,
        archive_ref=doc.archive_ref,
        url=doc.url,
        citation=footnote(doc, page=page),
        quote=evidence.quote,
        char_start=evidence.char_start,
        char_end=evidence.char_end,
        passage=passage.text,
        passage_start=passage.char_start,
        page=page,
        score=round(evidence.score, 4),
    )


def source_label(document: Document) -> str:
    details = ", ".join(part for part in (document.place, document.date) if part)
    return f"{document.title} ({details})" if details else document.title


def compose(
    question: str,
    evidence: Sequence[Evidence],
    *,
    query_used: str = "",
    chronological: bool = False,
    notes: Sequence[str] = (),
) -> Answer:
    """Quote the evidence grouped by document, in reading order within one.

    Documents come best first, or oldest first when the question is about change
    over time (then the answer also carries a timeline). Citations are numbered in
    the order a reader meets them.
    """
    groups: dict[str, list[Evidence]] = {}
    for item in evidence:
        groups.setdefault(item.hit.document.doc_id, []).append(item)
    ordered = list(groups.values())
    if chronological:
        ordered.sort(key=lambda group: sort_key(group[0].hit.document.date))
    citations: list[Citation] = []
    paragraphs = []
    for group in ordered:
        quotes: list[Quote | Text] = []
        for item in sorted(group, key=lambda e: e.char_start):
            citations.append(citation_for(len(citations) + 1, item))
            quotes += [Text(" "), Quote(item.quote, len(citations))]
        label = source_label(group[0].hit.document)
        paragraphs.append(Paragraph("quotes", tuple(quotes[1:]), label=label))
    gaps = [note for item in evidence if (note := withheld_note(item.hit, item.char_start))]
    conflicts, said = disagreements_among(citations)
    return Answer(
        question=question,
        paragraphs=(*paragraphs, *said),
        abstained=False,
        citations=tuple(citations),
        query_used=query_used or question,
        notes=(*notes, *dict.fromkeys(gaps)),
        timeline=tuple(timeline([_entry(c) for c in citations])) if chronological else (),
        disagreements=conflicts,
    )


def disagreements_among(
    citations: Sequence[Citation],
) -> tuple[tuple[Disagreement, ...], list[Paragraph]]:
    """Where the quoted sources contradict each other, and a paragraph saying so for each."""
    conflicts = find_disagreements([Statement(c.ref, c.doc_id, c.quote, c.date) for c in citations])
    labels = {c.ref: _short_label(c) for c in citations}
    return tuple(conflicts), [describe(conflict, labels) for conflict in conflicts]


def _short_label(citation: Citation) -> str:
    title = citation.title if len(citation.title) <= 60 else citation.title[:57] + "…"
    return f"{title}, {citation.date}" if citation.date else title


def withheld_note(hit: Hit, offset: int) -> str | None:
    """Say so when a declassification gap or illegible text lies near ``offset``."""
    gap = _nearest_gap(hit.document.withheld, offset)
    if gap is None:
        return None
    what = "is still withheld" if gap.kind != "illegible" else "is illegible"
    return f"Part of {hit.document.title} {what} near this passage: “{gap.label}”."


def _nearest_gap(spans: Sequence[Span], offset: int) -> Span | None:
    near = [s for s in spans if abs(s.char_start - offset) <= WITHHELD_REACH]
    return min(near, key=lambda s: abs(s.char_start - offset)) if near else None


def _entry(citation: Citation) -> TimelineEntry:
    first_line = citation.quote if len(citation.quote) <= 160 else citation.quote[:157] + "…"
    return TimelineEntry(
        date=citation.date,
        place=citation.place,
        title=citation.title,
        quote=first_line,
        ref=citation.ref,
        doc_id=citation.doc_id,
    )


def abstain(
    question: str,
    hits: Sequence[Hit],
    *,
    query_used: str = "",
    limit: int = 3,
    notes: Sequence[str] = (),
) -> Answer:
    """Say that nothing answers the question, and offer the closest documents.

    When the closest passage sits next to a withheld gap, the answer says that the
    evidence may be in text not yet declassified rather than absent.
    """
    closest: dict[str, Source] = {}
    for hit in hits:
        doc = hit.document
        if doc.doc_id not in closest and len(closest) < limit:
            closest[doc.doc_id] = Source(
                doc.doc_id,
                doc.collection,
                doc.title,
                doc.date,
                doc.place,
                doc.url,
                round(hit.similarity, 4),
            )
    text = NO_EVIDENCE if closest else "The archive is empty: there is nothing to search."
    if hits and (gap := _nearest_gap(hits[0].document.withheld, hits[0].passage.char_start)):
        text = (
            "The archive holds no passage that answers this question. The closest document, "
            f"{hits[0].document.title}, is withheld at this point (“{gap.label}”), so the answer "
            "may lie in text that is not yet declassified. The closest documents are listed below."
        )
    return Answer(
        question=question,
        paragraphs=(Paragraph("notice", (Text(text),)),),
        abstained=True,
        citations=(),
        closest=tuple(closest.values()),
        query_used=query_used or question,
        notes=tuple(notes),
    )
