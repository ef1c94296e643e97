"""Scoring answers where the user meets them: is the answering sentence quoted? Pure.

An answer is **quoted** when one of its citations' quotes overlaps a supporting
span (the sentence of a relevant document that answers the question), **cited**
when a relevant document is among its citations. An answerable question that
abstained is a **false abstention**; an unanswerable one that abstained is right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assistant.model import Answer


@dataclass(frozen=True)
class Support:
    """Where a supporting sentence stands: its document and offsets in its text."""

    doc_id: str
    char_start: int
    char_end: int

    def overlaps(self, doc_id: str, char_start: int, char_end: int) -> bool:
        """Whether the stretch ``char_start:char_end`` of ``doc_id`` shares a character with it."""
        return doc_id == self.doc_id and char_start < self.char_end and self.char_start < char_end


@dataclass(frozen=True)
class AnswerScore:
    answerable: bool
    abstained: bool
    quoted: bool
    cited: bool

    @property
    def false_abstention(self) -> bool:
        return self.answerable and self.abstained


def locate(doc_id: str, text: str, document_text: str) -> Support:
    """The offsets of a supporting ``text`` in its document; a ValueError if it is not there."""
    start = document_text.find(text)
    if start < 0:
        raise ValueError(f"supporting span not in {doc_id}: {text[:60]!r}")
    return Support(doc_id, start, start + len(text))


def score_answer(
    answer: Answer, *, relevant: Iterable[str], supports: Sequence[Support]
) -> AnswerScore:
    relevant = set(relevant)
    cited = any(c.doc_id in relevant for c in answer.citations)
    quoted = any(
        s.overlaps(c.doc_id, c.char_start, c.char_end) for c in answer.citations for s in supports
    )
    return AnswerScore(
        answerable=bool(relevant), abstained=answer.abstained, quoted=quoted, cited=cited
    )


def summary(scores: Sequence[AnswerScore]) -> Mapping[str, float]:
    """Shares over the answerable questions (quoted, cited, false abstention) and the
    unanswerable ones (abstention)."""
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]

    def share(items: Sequence[AnswerScore], flag: str) -> float:
        return round(sum(getattr(s, flag) for s in items) / len(items), 4) if items else 0.0

    return {
        "quoted": share(answerable, "quoted"),
        "cited": share(answerable, "cited"),
        "false_abstention": share(answerable, "false_abstention"),
        "abstention_unanswerable": share(unanswerable, "abstained"),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }
