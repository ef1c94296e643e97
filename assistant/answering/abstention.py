"""When to say that the archive holds nothing that answers a question. Pure.

Cosine similarity alone cannot tell "What did the embassy report about Soviet
press coverage?" from "What did Khrushchev tell Kennedy during the Cuban missile
crisis?": both are close to an archive about the Cold War. The second names
people, places and years that the retrieved passages never mention. So two signals
decide: how similar the best passage is, and how many of the names and numbers in
the question the retrieved passages contain. Only names and numbers count: a
paraphrase ("claim", "coverage") may use words the documents do not, a name cannot.
Both thresholds are calibrated on the development question set by
``python -m bench.calibrate_abstention``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.model import Evidence
from corpus.vocabulary import QUESTION_WORDS

_NAME_OR_NUMBER = re.compile(r"(?<![.?!]\s)(?<!^)\b(?:[A-Z][\w'-]*|\d{2,})")

# The words that make a sentence a question, as the keyword tokenizer stems them: the
# question words and the verbs a question asks with ("does" -> "doe").
QUESTION_TERMS = QUESTION_WORDS | {
    "did", "do", "doe", "say", "said", "tell", "told", "think", "thought", "describ", "explain",
    "happen",
}  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    similarity: float
    coverage: float


# Calibrated on the dev split of corpus/eval/answer_questions.jsonl (97 answerable, 17
# unanswerable; bench/results/abstention.json has the trade-off curve): coverage 0.85 refuses
# 0.88 of the unanswerable questions at 0.04 false abstention (0.80: 0.59 at 0.01). Similarity
# keeps a floor of 0.30 for nameless off-topic questions (cookie recipes).
CALIBRATED = Thresholds(similarity=0.30, coverage=0.85)


def named_terms(question: str) -> str:
    """The capitalised words (not the first of a sentence) and numbers of a question."""
    return " ".join(_NAME_OR_NUMBER.findall(question.strip()))


def term_coverage(question_terms: Iterable[str], passage_terms: Iterable[str]) -> float:
    """The share of the question's content terms that the retrieved passages contain."""
    wanted = set(question_terms) - QUESTION_TERMS
    if not wanted:
        return 1.0
    return len(wanted & set(passage_terms)) / len(wanted)


def should_abstain(
    best_similarity: float, coverage: float, thresholds: Thresholds = CALIBRATED
) -> bool:
    return best_similarity < thresholds.similarity or coverage < thresholds.coverage


_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def years_unanswered(question: str, evidence: Sequence[Evidence]) -> set[str]:
    """The years the question names that none of the quoted documents is dated in or
    mentions: "Wheeler's telegram of June 22, 1967" is not answered by a 1965 one."""
    named = set(_YEAR.findall(question))
    for item in evidence:
        document = item.hit.document
        named -= {document.date[:4]} if document.date else set()
        named -= set(_YEAR.findall(f"{document.title} {item.hit.passage.text}"))
    return named
