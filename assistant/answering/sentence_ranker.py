"""Which candidate sentence answers the question: a linear model over a few signals. Pure.

Dense similarity alone prefers sentences on the topic over sentences that answer, and
headings over prose. The signals a reader would use are put beside it: the question's
rarer words found in the sentence, whether the sentence is a sentence at all, whether it
carries the number or date the question asks for, and who wrote the document (a
question about what Ball advised the President wants Ball's memorandum to the President,
not the President's advice to Ball). The weights are a logistic regression fit on the dev
split of corpus/eval/answer_questions.jsonl by ``python -m bench.fit_sentence_ranker``
(bench/results/sentence_ranker.json has the fit and its numbers on the test split).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from assistant.answering.abstention import QUESTION_TERMS
from corpus.vocabulary import MONTHS

if TYPE_CHECKING:
    from assistant.answering.evidence import Candidate
    from corpus.model import Document

AnswerKind = Literal["number", "date"]

# The signals, one per candidate, and their weights: a logistic regression fit on the dev
# split (bench/results/sentence_ranker.json, C=0.1, balanced classes), in the signals' units.
WEIGHTS = {
    "similarity": 4.614,
    "similarity_below_best": 6.242,
    "term_overlap": -4.861,
    "rare_term_overlap": 13.515,
    "not_a_sentence": -4.64,
    "has_asked_number": 0.217,
    "lacks_asked_number": -3.772,
    "has_asked_date": 1.143,
    "passage_rank": -0.232,
    "passage_similarity": -7.83,
    "subject_wrote_it": 1.941,
    "subject_received_it": -0.185,
    "subject_acted_on": -2.758,
}
FEATURES = tuple(WEIGHTS)
INTERCEPT = 1.948
_WEIGHT_VECTOR = np.array(list(WEIGHTS.values()))

_SENTENCE_END = re.compile(r"[.!?:;\"”’)\]]\s*$")
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|dozen|half)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    rf"\b(?:{'|'.join(MONTHS)}|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\b|\b1[89]\d\d\b"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow)\b"
)
# Figures that count nothing: days and years, ordinals (an OCR "l2th" too), message and
# footnote numbers.
_NOT_A_COUNT = re.compile(
    rf"\b\d{{1,2}}\s+(?:{'|'.join(MONTHS)})\b|\b(?:{'|'.join(MONTHS)})\s+\d{{1,2}}\b"
    r"|\b1[89]\d\d\b|\b[a-z]?\d+(?:st|nd|rd|th|d)\b|[#№]\s*\d+|\b(?:No|Nr|no)\.\s*\d+|\b\d+/"
    r"|\b(?:no|any|some|every)\s*one\b|\bone\s+(?:of|another)\b",
    re.IGNORECASE,
)
# The words of a question's form, not of what it asks about: "how many", "what did".
_FORM_TERMS = QUESTION_TERMS | {"mani", "much"}
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|large|big|long)\b"
    r"|\bwhat (?:\w+ )?(?:numbers?|levels?|figures?|size|strength|total)\b|\btroop strength\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"^\s*(?:and\s+)?(?:when|what date|what day|in what year)\b|\b(?:on|by) what date\b",
    re.IGNORECASE,
)
# "What did Ball advise ...", "What did McGeorge Bundy tell ...": the names after the verb.
_SUBJECT = re.compile(r"\b(?:did|does|do|had|has|would|will)\s+(?:the\s+)?((?:[A-Z][\w.'-]*\s*)+)")
_ACCORDING_TO = re.compile(r"\baccording to\s+(?:the\s+)?([\w' ]+?)(?:[,?]|$)", re.IGNORECASE)
# "Ky's adviser" is about Ky: the "s" would match every "President's Special Assistant".
_POSSESSIVE = re.compile(r"['’]s\b")
# "Memorandum From the Under Secretary of State (Ball) to President Johnson".
_FROM_TO = re.compile(r"\bfrom\s+(.*?)\s+to\s+(.*)$", re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\s+(.*?)\s+and\s+(.*)$", re.IGNORECASE)


def asked_kind(question: str) -> AnswerKind | None:
    """A number for "how many / how much", a date for "when"; else nothing in particular."""
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_DATE.search(question):
        return "date"
    return None


def subject(question: str) -> str:
    """Who the question asks about as speaker: "What did Ball advise" -> "Ball",
    "..., according to the Chinese cable" -> "Chinese cable"."""
    parts = [m.group(1) for m in (_SUBJECT.search(question), _ACCORDING_TO.search(question)) if m]
    return _POSSESSIVE.sub("", " ".join(part.strip() for part in parts))


def sender_and_recipient(document: Document) -> tuple[str, str]:
    """Who wrote the document and to whom: its fields and the offices its title names."""
    title = document.title
    match = _FROM_TO.search(title) or _BETWEEN.search(title)
    sender, recipient = match.groups() if match else ("", "")
    return f"{document.author or ''} {sender}", f"{document.recipient or ''} {recipient}"


@dataclass(frozen=True)
class QuestionTerms:
    """The stemmed terms of the question and of its :func:`subject`, and the kind of
    answer it asks for (:func:`asked_kind`)."""

    query: frozenset[str]
    subject: frozenset[str]
    kind: AnswerKind | None


def features(
    question: QuestionTerms,
    candidates: Sequence[Candidate],
    similarities: Sequence[float],
    sentence_terms: Sequence[list[str]],
    correspondents: Sequence[tuple[set[str], set[str]]],
) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate, from its terms in reading order.

    Rarity is judged among the candidates: a term that every candidate sentence shares
    tells none of them apart. A sentence that opens with another of the question's
    names and only then names its speaker ("President advised Ball ..." for "What did
    Ball advise the President?") tells what was done to the speaker, not by them.
    """
    count = len(candidates)
    asked = question.query - _FORM_TERMS or question.query
    frequency: dict[str, int] = {}
    for sentence in sentence_terms:
        for term in set(sentence) & asked:
            frequency[term] = frequency.get(term, 0) + 1
    rarity = {t: math.log((count + 1) / (frequency.get(t, 0) + 0.5)) for t in asked}
    total_rarity = sum(rarity.values()) or 1.0
    best = max(similarities, default=0.0)
    rows = []
    others = asked - question.subject
    for candidate, similarity, ordered, (sender, recipient) in zip(
        candidates, similarities, sentence_terms, correspondents, strict=True
    ):
        text = candidate.text
        terms = set(ordered)
        shared = asked & terms
        number = bool(_NUMBER.search(_NOT_A_COUNT.sub(" ", text)))
        wrote = bool(question.subject & sender)
        rows.append(
            [
                similarity,
                similarity - best,
                len(shared) / len(asked) if asked else 0.0,
                sum(rarity[t] for t in shared) / total_rarity,
                not _SENTENCE_END.search(text),
                question.kind == "number" and number,
                question.kind == "number" and not number,
                question.kind == "date" and bool(_DATE.search(text)),
                candidate.rank,
                candidate.hit.similarity,
                wrote,
                not wrote and bool(question.subject & recipient),
                bool(ordered) and ordered[0] in others and bool(question.subject & terms),
            ]
        )
    return np.array(rows, dtype=float).reshape(count, len(FEATURES))


def answer_probabilities(rows: np.ndarray) -> list[float]:
    """The model's belief that each candidate is a sentence that answers."""
    return (1 / (1 + np.exp(-(rows @ _WEIGHT_VECTOR + INTERCEPT)))).tolist()
