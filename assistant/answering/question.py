"""A question read once: what kind of answer it wants and who it asks about. Pure.

"How many troops did Westmoreland ask for?" wants a quantity, from what
Westmoreland sent; "What did Ball advise the President?" wants what Ball wrote to
the President, not what the President told Ball. The answering stage prefers
sentences that carry the wanted kind of answer and documents whose sender is the
question's subject (and is wary of those that run the other way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

AnswerType = Literal["how_many", "when", "where", "who", "why", "what"]

_TYPES: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    (
        "how_many",
        re.compile(r"\bhow\s+(many|much|large|big|strong)\b|\bwhat\s+(number|size)\b", re.I),
    ),
    ("when", re.compile(r"^\s*(when|on what date|what date|what day|by when)\b", re.I)),
    ("where", re.compile(r"^\s*(where|from where|in what (city|country|place))\b", re.I)),
    ("who", re.compile(r"^\s*(who|whom|whose|which (official|person|man|men|people))\b", re.I)),
    ("why", re.compile(r"^\s*(why|for what reason)\b|\bwhat reasons?\b", re.I)),
)
# Verbs by which one party tells another something; their subject is the sender.
_SPEECH = (
    r"advis|recommend|tell|told|report|say|said|claim|propos|ask|request|suggest|warn|urg|"
    r"writ|wrote|cable|inform|repl|answer|argu|describ|predict|conclud|complain|assert|"
    r"insist|promis|offer|press|demand"
)
_RELATION = re.compile(
    r"\b(?:did|does|do|had|has|would|will)\s+(?P<subject>.+?)\s+(?P<verb>(?:" + _SPEECH + r")\w*)"
    r"(?:\s+to)?(?:\s+(?P<recipient>(?:the\s+)?[A-Z][\w.'-]*"
    r"(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w.'-]*)*))?",
)
_SUBJECT_NOUNS = frozenset("american us u.s. soviet chinese troops forces men".split())


@dataclass(frozen=True)
class Relation:
    """Who told whom: ``subject`` sent, ``recipient`` (if named) received."""

    subject: str
    verb: str
    recipient: str | None = None


@dataclass(frozen=True)
class QuestionIntent:
    answer_type: AnswerType
    relation: Relation | None = None


def read_question(question: str) -> QuestionIntent:
    """The kind of answer ``question`` wants, and the relation it asks about, if any."""
    answer_type: AnswerType = next(
        (kind for kind, pattern in _TYPES if pattern.search(question)), "what"
    )
    return QuestionIntent(answer_type, _relation(question))


def _relation(question: str) -> Relation | None:
    match = _RELATION.search(question)
    if match is None:
        return None
    subject = match.group("subject").strip()
    words = subject.split()
    if not words or len(words) > 6 or not any(w[0].isupper() or w.lower() == "the" for w in words):
        return None
    if all(w.lower() in _SUBJECT_NOUNS for w in words):
        return None
    recipient = match.group("recipient")
    return Relation(subject, match.group("verb").lower(), recipient.strip() if recipient else None)
