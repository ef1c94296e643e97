"""When to say that the archive holds nothing that answers a question. Pure.

Cosine similarity alone cannot tell "What did the embassy report about Soviet
press coverage?" from "What did Khrushchev tell Kennedy during the Cuban missile
crisis?": both are close to an archive about the Cold War. The second names
things the retrieved passages never mention. So two signals decide: how similar
the best passage is, and how many of the question's own terms the retrieved
passages contain. Both thresholds are calibrated on the development question set
by ``python -m bench.calibrate_abstention``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The words that make a sentence a question, as the keyword tokenizer stems them.
QUESTION_TERMS = frozenset(
    "what who whom whose which when where why how did do doe say said tell told think thought"
    " describ explain happen".split()
)


@dataclass(frozen=True)
class Thresholds:
    similarity: float
    coverage: float


# Calibrated on corpus/eval/dev_questions.jsonl (bench/results/abstention.json).
CALIBRATED = Thresholds(similarity=0.41, coverage=0.75)


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
