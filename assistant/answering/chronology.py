"""Dates in questions and evidence in time order. Pure.

"Between June 13 and June 23, 1965" in a question becomes a date filter; a question
about change over time gets its evidence as a timeline. Partial dates sort at the
start of the period they name ("1965-06" before "1965-06-02"); undated evidence last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from assistant.model import TimelineEntry
from corpus.vocabulary import MONTH_NUMBERS
from embeddings.filters import Filters, date_bounds

_MONTH = r"(?P<{0}m>" + "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:\s+(?P<{0}d>\d{{1,2}})(?!\d)(?:st|nd|rd|th)?)?"
_YEAR = r"(?:,?\s+(?P<{0}y>\d{{4}}))?"


def _date_pattern(tag: str) -> str:
    return (_MONTH + _DAY + _YEAR).format(tag)


# The second date may leave out its month: "between June 13 and 23, 1965".
_RANGE = re.compile(
    r"\b(?:between|from)\s+"
    + _date_pattern("a")
    + r"\s+(?:and|to|until|through)\s+"
    + f"(?:{_date_pattern('b')}|(?P<bday>\\d{{1,2}})(?!\\d)"
    + _YEAR.format("b2")
    + ")",
    re.IGNORECASE,
)
# "on June 16, 1965", "the memorandum of 22 June 1965" (the day first, as in military and
# British usage).
_SINGLE = re.compile(
    r"\b(?P<rel>before|after|since|on|of|in|during)\s+(?:"
    + _date_pattern("a")
    + r"|(?P<fd>\d{1,2})(?:st|nd|rd|th)?\s+"
    + (_MONTH + _YEAR).format("f")
    + r")\b",
    re.IGNORECASE,
)
# A day's events are reported that day or in the week after: Taylor's cable of June 22
# tells of the fighting of June 16, a report of June 19 of a meeting on June 16.
REPORTING_DAYS = 7
_CHANGE = re.compile(
    r"\b(chang\w*|evolv\w*|develop\w*|over time|timeline|chronolog\w*|sequence|shift\w*|"
    r"progress\w*|what happened next|then|later|escalat\w*|from .+ to)\b",
    re.IGNORECASE,
)


_FOLLOWED = re.compile(
    r"\b(what happened (next|then|after)|what followed|afterwards|next|in (reply|response)|"
    r"respond\w*|repl(y|ied)|react\w*|answer(ed)?)\b",
    re.IGNORECASE,
)


def sort_key(date: str | None) -> tuple[int, str]:
    """Dated before undated; a partial date at the start of its period."""
    return (1, "") if not date else (0, date_bounds(date)[0])


def is_about_change(question: str) -> bool:
    return bool(_CHANGE.search(question))


def asks_what_followed(question: str) -> bool:
    """Does the question ask what came after, or in answer to, a document?"""
    return bool(_FOLLOWED.search(question))


def dates_in_question(question: str) -> Filters | None:
    """A date filter for a range, or a before/after/on date, named in the question."""
    if match := _RANGE.search(question):
        year = match.group("by") or match.group("b2y") or match.group("ay")
        start = _iso(match.group("am"), match.group("ad"), match.group("ay") or year)
        end = _iso(
            match.group("bm") or match.group("am"), match.group("bd") or match.group("bday"), year
        )
        if not start or not end:
            return None
        # "between July 1965 and June 1965" means the same months as the other way round.
        first, last = sorted((start, end), key=lambda d: date_bounds(d)[0])
        return Filters(date_from=first, date_to=last)
    if match := _SINGLE.search(question):
        when = _iso(
            match.group("am") or match.group("fm"),
            match.group("ad") or match.group("fd"),
            match.group("ay") or match.group("fy"),
        )
        if not when:
            return None
        relation = match.group("rel").lower()
        if relation == "of" and len(when) < len("1965-06-16"):
            return None  # "the end of May 1965" is a part of May, not a dated record
        if relation == "before":
            return Filters(date_to=when)
        if relation in ("after", "since"):
            return Filters(date_from=when)
        return Filters(date_from=when, date_to=_reported_by(when))
    return None


def timeline(entries: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    return sorted(entries, key=lambda entry: (sort_key(entry.date), entry.ref))


def _reported_by(when: str) -> str:
    """The last day whose documents may report the events of ``when`` (a day, a month)."""
    if len(when) < len("1965-06-16"):
        return when
    return (date.fromisoformat(when) + timedelta(days=REPORTING_DAYS)).isoformat()


def _iso(month: str | None, day: str | None, year: str | None) -> str | None:
    if not month or not year:
        return None
    number = MONTH_NUMBERS[month.lower().rstrip(".")]
    return f"{year}-{number:02d}-{int(day):02d}" if day else f"{year}-{number:02d}"
