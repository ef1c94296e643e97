"""Does a sentence carry the kind of answer a question wants? Pure.

"How many troops…" is answered by a sentence with a figure, "when…" by one with a
date. Figures that are not counts (years, telegram, document, page and paragraph
numbers, times of day) do not count.
"""

from __future__ import annotations

import re

from assistant.answering.question import QuestionIntent
from corpus.vocabulary import MONTH_NUMBERS

_NUMBER_WORDS = (
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
    "fifty sixty seventy eighty ninety hundred thousand dozen several"
)
_COUNT = re.compile(
    r"(?<![\w/.-])(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|(?:"
    + "|".join(_NUMBER_WORDS.split())
    + r")(?:-\w+)?)(?![\w/:-])",
    re.IGNORECASE,
)
# Words before a figure that make it a reference, not a count.
_REFERENCE = frozenset(
    "document documents doc telegram telegrams tel deptel embtel no no. nos para paragraph "
    "page p. pp. vol vol. volume footnote tab section item point points annex cable msg "
    "phase part chapter".split()
)
_YEAR = re.compile(r"^(1[89]|20)\d\d$")
_DATE = re.compile(
    r"\b(?:"
    + "|".join(MONTH_NUMBERS)
    + r")\.?\s+\d{1,2}\b|\b\d{1,2}\s+(?:"
    + "|".join(MONTH_NUMBERS)
    + r")\b|\b(?:1[89]|20)\d\d\b",
    re.IGNORECASE,
)
# Of the countable things archive answers are about.
COUNTED = frozenset(
    "battalion battalions brigade brigades division divisions regiment regiments men man "
    "troops troop soldiers personnel aircraft sorties casualties companies marines forces "
    "dollars million billion percent units squadrons ships planes".split()
)
_NAME = re.compile(r"(?<=[a-z,;] )(?:[A-Z][a-z]+|[A-Z]{2,})\b")
# "What did Ball advise…" is answered by what he recommended, proposed or urged.
_ADVICE_VERBS = ("advis", "recommend", "propos", "suggest", "urg")
_ADVICE = re.compile(
    r"\b(?:recommend\w*|propos\w*|suggest\w*|urg(?:e|es|ed|ing)|advis\w*|should|ought|"
    r"must|decide)\b",
    re.I,
)


def counts_in(sentence: str) -> list[str]:
    """The figures of ``sentence`` that count something, as written."""
    found = []
    for match in _COUNT.finditer(sentence):
        figure = match.group("n")
        before = sentence[: match.start()].split()
        previous = before[-1].lower().rstrip(",:;") if before else ""
        if _YEAR.match(figure) or previous in _REFERENCE or previous in MONTH_NUMBERS:
            continue
        if figure.isdigit() and len(figure) == 1 and not _followed_by_counted(sentence, match):
            continue  # "1." or "in 3 ways": a lone digit counts only as "3 battalions"
        found.append(figure)
    return found


def _followed_by_counted(sentence: str, match: re.Match[str]) -> bool:
    after = re.findall(r"[A-Za-z]+", sentence[match.end() : match.end() + 40].lower())[:3]
    return any(word in COUNTED for word in after)


def has_counted_quantity(sentence: str) -> bool:
    """A figure followed, within three words, by a countable thing: "44 battalions"."""
    return any(
        _followed_by_counted(sentence, match)
        for match in _COUNT.finditer(sentence)
        if match.group("n") in counts_in(sentence)
    )


def type_match(intent: QuestionIntent, sentence: str) -> float:
    """How well ``sentence`` carries the wanted kind of answer: 1 yes, 0.5 partly, 0 no,
    -1 clearly not (a "how many" sentence without any figure)."""
    answer_type = intent.answer_type
    if answer_type == "how_many":
        if has_counted_quantity(sentence):
            return 1.0
        return 0.5 if counts_in(sentence) else -1.0
    if answer_type == "when":
        return 1.0 if _DATE.search(sentence) else 0.0
    if answer_type == "who":
        return 0.5 if _NAME.search(sentence) else 0.0
    relation = intent.relation
    if relation is not None and relation.verb.startswith(_ADVICE_VERBS):
        return 0.5 if _ADVICE.search(sentence) else 0.0
    return 0.0
