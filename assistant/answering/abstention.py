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
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from corpus.vocabulary import PLACE_SPELLINGS, QUESTION_WORDS

_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
# A number keeps its suffix: "the 17th parallel" is found as "17th" and "173d" as "173d".
_NAME_OR_NUMBER = re.compile(r"(?<![.?!]\s)(?<!^)\b(?:[A-Z][\w'-]*|\d{2,}[a-z]{0,2}\b)")

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


# Calibrated on corpus/eval/dev_questions.jsonl (bench/results/abstention.json): coverage 0.80;
# the set has no nameless off-topic question, so similarity keeps a floor of 0.30 (cookie recipes).
# On the dev split of corpus/eval/answer_questions.jsonl, 0.85 refused more unanswerable questions
# (0.88 against 0.59 by retrieval signals) but also answerable ones that paraphrase a name.
CALIBRATED = Thresholds(similarity=0.30, coverage=0.80)


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


def missing_years(question: str, passages: Iterable[tuple[str | None, str]]) -> list[str]:
    """The years the question names that none of the ``(when, passage text)`` pairs
    holds: the same people and wording in another year are a near miss, not an answer.

    ``when`` is the document's ISO date, or for an undated one the period it covers
    ("1965-03/1965-07"). A period of several years does not count: a passage of a
    study of 1965-1968 may be about any of them, so it must name the year itself.
    """
    asked = dict.fromkeys(_YEAR.findall(question))
    if not asked:
        return []
    seen = " ".join(f"{_year(when)} {text}" for when, text in passages)
    return [year for year in asked if year not in seen]


def _year(when: str | None) -> str:
    start, _, end = (when or "").partition("/")
    return start[:4] if start[:4] == (end or start)[:4] else ""


def unknown_names(question: str, lacks: Callable[[str], bool]) -> list[str]:
    """The names of the question that the whole archive never mentions (``lacks`` tells,
    per word), in any of their spellings: a question about Rhodesia cannot be answered
    from an archive that never says "Rhodesia" (nor "Zimbabwe")."""
    return [
        name
        for name in named_terms(question).split()
        if not name.isdigit()
        and lacks(name)
        and all(lacks(other) for other in PLACE_SPELLINGS.get(_bare(name), ()))
    ]


def _bare(name: str) -> str:
    """ "Beijing's" -> "beijing"."""
    return re.sub(r"['’]s$", "", name).lower()
