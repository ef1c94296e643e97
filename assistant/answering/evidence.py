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
HEADING_WORDS = 12
_SENTENCE_ENDS = (".", "!", "?", ":", ";", '"', "”", "'", "’", ")", "]")
# Distribution lists and headings are mostly capitalised words; they cite nobody's claim.
MIN_LOWERCASE_SHARE = 0.4
# Evidence much weaker than the best sentence is a tangent, not an answer.
RELATIVE_FLOOR = 0.75
# Semantic similarity decides; BM25 among the candidates (normalised by the best) breaks
# ties and favours the exact names and file numbers a user typed; retrieval rank is a
# prior. A sentence that carries the kind of answer asked for (a figure for "how many")
# and a document sent by the question's subject ("what did Ball advise") come forward;
# one that runs the other way ("the President told Ball") goes back.
SEMANTIC_WEIGHT = 0.7
LEXICAL_WEIGHT = 0.3
RANK_DECAY = 0.02
TYPE_WEIGHT = 0.15
# A sentence that clearly lacks the answer's kind, or a document that runs against the
# question's relation, is kept only when nothing better is there.
MISMATCH_PENALTY = 0.3
DIRECTION_WEIGHT = 0.15
# The passages sentences are drawn from: the best, but few of any one document, so that a
# 270,000-character report cannot crowd out a short memorandum that answers.
EVIDENCE_PASSAGES = 8
PASSAGES_PER_DOCUMENT = 2


# A footnote's source line ("McNaughton Memo of conversation with Johnson, 26 June 1965",
# "Msg, COMUSMACV to CINCPAC, 0720 7Z Jun 65", "op. cit."): where a claim comes from, not one.
_BIBLIOGRAPHY = re.compile(
    r"\bop\.\s*cit\b|\bibid\b|\b(?:memo|msg|jcsm|ltr)\b[^.!?]{0,80}\b(?:19)?6\d\b", re.I
)


@dataclass(frozen=True)
class Signals:
    """What is known of one candidate sentence before it is scored."""

    similarity: float  # cosine of the sentence (with its document's title) and the query
    keyword: float  # BM25 of the sentence among the candidates
    kind: float = 0.0  # answer_types.type_match: -1 (clearly not) to 1
    direction: int = 0  # actors.direction of its document: +1, 0 or -1


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    rank: int
    char_start: int
    char_end: int

    @property
    def text(self) -> str:
        return self.hit.document.text[self.char_start : self.char_end]


def evidence_passages(
    hits: Sequence[Hit],
    *,
    limit: int = EVIDENCE_PASSAGES,
    per_document: int = PASSAGES_PER_DOCUMENT,
) -> list[Hit]:
    """The best ``limit`` hits, at most ``per_document`` of one document, in rank order."""
    taken: dict[str, int] = {}
    chosen = []
    for hit in hits:
        doc_id = hit.document.doc_id
        if taken.get(doc_id, 0) < per_document:
            taken[doc_id] = taken.get(doc_id, 0) + 1
            chosen.append(hit)
        if len(chosen) == limit:
            break
    return chosen


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
    if _BIBLIOGRAPHY.search(sentence):
        return False
    words = [w for w in sentence.split() if w[0].isalpha()]
    if len(words) < MIN_WORDS:
        return False
    if len(words) < HEADING_WORDS and not sentence.rstrip().endswith(_SENTENCE_ENDS):
        return False  # a heading or an agenda item: "Pros and Cons of a June Pause"
    return sum(w[0].islower() for w in words) / len(words) >= MIN_LOWERCASE_SHARE


def score_candidates(candidates: Sequence[Candidate], signals: Sequence[Signals]) -> list[float]:
    best_keyword = max((s.keyword for s in signals), default=0.0) or 1.0
    return [
        SEMANTIC_WEIGHT * s.similarity
        + LEXICAL_WEIGHT * s.keyword / best_keyword
        + (TYPE_WEIGHT * s.kind if s.kind >= 0 else -MISMATCH_PENALTY)
        + (DIRECTION_WEIGHT * s.direction if s.direction >= 0 else -MISMATCH_PENALTY)
        - RANK_DECAY * candidate.rank
        for candidate, s in zip(candidates, signals, strict=True)
    ]


def select_evidence(
    candidates: Sequence[Candidate],
    scores: Sequence[float],
    *,
    limit: int = 4,
    min_score: float = 0.0,
    per_document: int = 3,
    required: Mapping[str, Collection[int]] | None = None,
) -> list[Evidence]:
    """The best sentences above ``min_score`` and near the best one, few from each document.

    Each document in ``required`` (a reply that a "how did X react" question is
    about, with the offsets where it refers to X) is heard even when none of its
    sentences is near the best one: its sentence at one of those offsets, else its
    best, if above ``min_score``, in place of the weakest other sentence.
    """
    required = required or {}
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
    for doc_id, offsets in required.items():
        own = [p for p in ranked if p[0].hit.document.doc_id == doc_id and p[1] >= min_score]
        at_reference = [
            pair for pair in own if any(pair[0].char_start < o <= pair[0].char_end for o in offsets)
        ]
        if not own or (not at_reference and doc_id in per_doc):
            continue
        pick = (at_reference or own)[0]
        if pick in chosen:
            continue
        if len(chosen) == limit:
            others = [pair for pair in chosen if pair[0].hit.document.doc_id not in required]
            if not others:
                continue
            chosen.remove(min(others, key=lambda pair: pair[1]))
        per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
        chosen.append(pick)
    chosen.sort(key=lambda pair: -pair[1])
    return [_in_context(candidate, score) for candidate, score in chosen]


# A sentence that leans on its neighbour: it opens with a pronoun ("These consist of two
# battalions…") or announces what follows ("…prepare the following plans:").
_LEANS_BACK = re.compile(r"^(?:This|These|That|Those|It|They|He|She|Such|Both)\b")
LEANING_WORDS = 20


def _in_context(candidate: Candidate, score: float) -> Evidence:
    """The candidate quoted with the sentence it leans on, if that is in its passage."""
    text, passage = candidate.hit.document.text, candidate.hit.passage
    spans = passage_sentences(text, passage.char_start, passage.char_end)
    start, end = candidate.char_start, candidate.char_end
    position = next((i for i, span in enumerate(spans) if span == (start, end)), None)
    sentence = text[start:end]
    if position is not None:
        if sentence.rstrip().endswith(":") and position + 1 < len(spans):
            end = spans[position + 1][1]
        elif (
            _LEANS_BACK.match(sentence) and len(sentence.split()) <= LEANING_WORDS and position > 0
        ):
            start = spans[position - 1][0]
    return Evidence(candidate.hit, start, end, text[start:end], score)
