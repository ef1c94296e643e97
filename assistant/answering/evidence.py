"""Choosing the sentences that answer a question from the retrieved passages. Pure.

Sentences are located in the document text, so each quote keeps exact offsets.
Overlapping passages yield the same sentence twice; it is scored once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from assistant.model import Evidence, Hit
from corpus.sentences import passage_sentences

MIN_WORDS = 5
# Distribution lists and headings are mostly capitalised words; they cite nobody's claim.
MIN_LOWERCASE_SHARE = 0.4
# Evidence much less likely to answer than the best sentence is a tangent, not an answer.
RELATIVE_FLOOR = 0.5
# A sentence that opens by pointing back ("This group seems to include ...", "It will
# dramatize ...") goes on with the one before it: the two are quoted together.
_REFERS_BACK = re.compile(
    r"[\W_]*(?:this|these|that|those|it|its|they|their|them|he|his|him|she|her|such)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    rank: int
    char_start: int
    char_end: int

    @property
    def text(self) -> str:
        return self.hit.document.text[self.char_start : self.char_end]


def candidate_sentences(hits: Sequence[Hit]) -> list[Candidate]:
    """Each distinct sentence of the hits' passages, long enough to be evidence.

    Source notes ("Source: Johnson Library ... Transcribed by ...") say where a
    document is kept, not what it says: they stay searchable and the citation shows
    their archive reference, but they are never quoted as an answer.
    """
    seen: set[tuple[str, int, int]] = set()
    candidates = []
    for rank, hit in enumerate(hits):
        text = hit.document.text
        provenance = [n for n in hit.document.notes if n.kind == "source"]
        for start, end in passage_sentences(text, hit.passage.char_start, hit.passage.char_end):
            key = (hit.document.doc_id, start, end)
            if (
                key in seen
                or not _is_prose(text[start:end])
                or any(n.char_start <= start < n.char_end for n in provenance)
            ):
                continue
            seen.add(key)
            candidates.append(Candidate(hit, rank, start, end))
    return candidates


def _is_prose(sentence: str) -> bool:
    words = [w for w in sentence.split() if w[0].isalpha()]
    if len(words) < MIN_WORDS:
        return False
    return sum(w[0].islower() for w in words) / len(words) >= MIN_LOWERCASE_SHARE


def select_evidence(
    candidates: Sequence[Candidate],
    scores: Sequence[float],
    *,
    limit: int = 5,
    min_score: float = 0.0,
    per_document: int = 3,
    thread: Mapping[str, Collection[int]] | None = None,
) -> list[Evidence]:
    """The best sentences above ``min_score`` and near the best one, few from each document.

    ``thread`` answers a "how did X react to Y" question (:func:`follow_threads
    <assistant.retrieval.threads.follow_threads>`): its documents in the thread's order,
    Y first, then the replies, each with the offsets where it refers to Y (none for Y).
    Each is heard even when none of its sentences is near the best one, in place of the
    weakest other sentence: a reply at a sentence where it refers to Y whatever that
    sentence's score (the archive's own cross-reference says it speaks of Y), else its
    best sentence if above ``min_score``; and the answer follows the thread: its
    documents first, in order, then the others.
    """
    thread = thread or {}
    ranked = sorted(zip(candidates, scores, strict=True), key=lambda pair: -pair[1])
    floor = max(min_score, ranked[0][1] * RELATIVE_FLOOR) if ranked else min_score
    chosen: list[tuple[Candidate, float]] = []
    per_doc: dict[str, int] = {}
    for candidate, score in ranked:
        if score < floor or len(chosen) == limit:
            break
        doc_id = candidate.hit.document.doc_id
        if per_doc.get(doc_id, 0) >= per_document:
            continue
        per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
        chosen.append((candidate, score))
    for doc_id, offsets in thread.items():
        own = [pair for pair in ranked if pair[0].hit.document.doc_id == doc_id]
        at_reference = [
            pair for pair in own if any(pair[0].char_start < o <= pair[0].char_end for o in offsets)
        ]
        best = [pair for pair in own if pair[1] >= min_score and doc_id not in per_doc]
        if not (pick := next(iter(at_reference or best), None)) or pick in chosen:
            continue
        if len(chosen) == limit:
            others = [pair for pair in chosen if pair[0].hit.document.doc_id not in thread]
            if not others:
                continue
            chosen.remove(min(others, key=lambda pair: pair[1]))
        per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
        chosen.append(pick)
    order = {doc_id: place for place, doc_id in enumerate(thread)}
    chosen.sort(key=lambda pair: (order.get(pair[0].hit.document.doc_id, len(order)), -pair[1]))
    quoted = {(c.hit.document.doc_id, c.char_start) for c, _ in chosen}
    evidence = []
    for candidate, score in chosen:
        end = _continued_to(candidate, quoted)
        text = candidate.hit.document.text[candidate.char_start : end]
        evidence.append(Evidence(candidate.hit, candidate.char_start, end, text, score))
    return evidence


def _continued_to(candidate: Candidate, quoted: Collection[tuple[str, int]]) -> int:
    """Where the quote of ``candidate`` ends: with the next sentence of its paragraph when
    that one points back to it and is not quoted on its own (``quoted``: document and
    start of each quote)."""
    hit, end = candidate.hit, candidate.char_end
    text = hit.document.text
    following = next(
        (
            (start, stop)
            for start, stop in passage_sentences(text, hit.passage.char_start, hit.passage.char_end)
            if start >= end
        ),
        None,
    )
    if (
        following is None
        or text.count("\n", end, following[0]) > 1  # only space between: a blank line
        or (hit.document.doc_id, following[0]) in quoted
        or not _REFERS_BACK.match(text, following[0], following[1])
    ):
        return end
    return following[1]
