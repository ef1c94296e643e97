"""Follow-up questions made standalone, from the conversation so far. Pure.

"And how did Washington react?" means nothing to a retriever on its own. Without a
language model, a follow-up is completed with the names and key terms of the
earlier turns, most recent first; a question that already names its subject is
left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.model import Turn
from corpus.chunking import TokenCounter, tiktoken_counter
from corpus.vocabulary import FUNCTION_WORDS, QUESTION_WORDS

HISTORY_TOKENS = 1024
CONTEXT_TERMS = 8

_ANAPHORA = re.compile(
    r"\b(he|him|his|she|her|they|them|their|it|its|this|that|these|those|there|then|"
    r"next|same|former|latter|other|else|also)\b",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(r"^\s*(and|but|so|also|what about|how about|then|why|who else)\b", re.I)
_NAME = re.compile(r"\b(?:[A-Z][a-z]+|[A-Z]{2,})(?:[ -](?:[A-Z][a-z]+|[A-Z]{2,}|\d+))*\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
# Capitalised at the start of a question, and never a name: "Did", "Tell", "And".
_QUESTION_WORDS = QUESTION_WORDS | {
    "did", "does", "do", "was", "were", "is", "are", "and", "but", "the", "about", "tell",
    "give", "show", "said", "say", "says",
}  # fmt: skip
# An earlier question's verbs of reporting ("what did Taylor report") name no subject.
_STOPWORDS = FUNCTION_WORDS | {
    "report", "reported", "reports", "said", "says", "tell", "think", "thought", "react",
    "reacted", "get", "got",
}  # fmt: skip


def bounded(
    history: Sequence[Turn], *, budget: int = HISTORY_TOKENS, count: TokenCounter | None = None
) -> list[Turn]:
    """The most recent turns whose tokens fit ``budget``, oldest first."""
    count = count or tiktoken_counter()
    sizes = count([turn.content for turn in history])
    kept: list[Turn] = []
    total = 0
    for turn, size in zip(reversed(history), reversed(sizes), strict=True):
        if total + size > budget:
            break
        kept.append(turn)
        total += size
    return kept[::-1]


def is_follow_up(question: str) -> bool:
    """Does the question lean on earlier turns (a pronoun, "and ...", or no subject of its own)?"""
    own_names = [n for n in _NAME.findall(question) if n.lower() not in _QUESTION_WORDS]
    return bool(
        _CONTINUATION.search(question)
        or _ANAPHORA.search(question)
        or (not own_names and len(question.split()) <= 6)
    )


def standalone_query(question: str, history: Sequence[Turn]) -> str:
    """``question`` completed with the subject of the conversation when it is a follow-up."""
    earlier = [turn.content for turn in reversed(history) if turn.role == "user"]
    if not earlier or not is_follow_up(question):
        return question
    present = {word.lower() for word in _WORD.findall(question)}
    context: list[str] = []
    for text in earlier:
        for term in _names(text) + _key_terms(text):
            if term.lower() not in present and term not in context:
                context.append(term)
    return f"{question} ({' '.join(context[:CONTEXT_TERMS])})" if context else question


def _names(text: str) -> list[str]:
    """Capitalised names, skipping the capital of a sentence's first word."""
    names = []
    for match in _NAME.finditer(text):
        before = text[: match.start()].rstrip()
        first_word = not before or before[-1] in ".?!"
        name = match.group()
        if first_word and " " not in name and name.lower() in _QUESTION_WORDS | _STOPWORDS:
            continue
        if name.lower() not in _QUESTION_WORDS:
            names.append(name)
    return names


def _key_terms(text: str) -> list[str]:
    return [
        word
        for word in _WORD.findall(text)
        if word.lower() not in _STOPWORDS
        and word.lower() not in _QUESTION_WORDS
        and not word[0].isupper()
    ]
