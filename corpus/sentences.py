"""Sentence boundaries as character spans, tuned for cables and memoranda.

A regular expression rather than a trained splitter: archive text is full of
abbreviations ("U.S.", "Amb.", "Deptel") and the splitter must be fast enough
for millions of lines and must never alter the text, only point into it.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr gen adm amb sen rep gov lt col maj capt cmdr sgt sec dept st ed eds e.g i.e
    etc cf jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n s.v.n n.v.n r.v.n
    a.m p.m ft jr sr co corp inc ltd vs viz approx est""".split()
)
# Abbreviations only when a number follows: "No. 4" but "said no. We".
_NUMBER_ABBREVIATIONS = frozenset("no nos vol vols p pp para paras art fig".split())
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"\n\s*\n")
# A list item's marker ("- ", "3. ", "(b) ") is not part of what its sentence says.
_LIST_MARKER = re.compile(r"(?:[-•*–]\s+|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)")


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lstrip("(\"'“‘").lower()
    if word in _NUMBER_ABBREVIATIONS:
        return text[dot + 1 : dot + 3].strip()[:1].isdigit()
    return len(word) == 1 or word in _ABBREVIATIONS


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Non-empty paragraphs of ``text[start:end]`` as ``(start, end)`` offsets, trimmed."""
    end = len(text) if end is None else end
    spans = []
    cursor = start
    for match in _PARAGRAPH.finditer(text, start, end):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    return [trimmed for s, e in spans if (trimmed := _trim(text, s, e))]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]`` as trimmed ``(start, end)`` offsets, in order."""
    spans: list[tuple[int, int]] = []
    for p_start, p_end in paragraph_spans(text, start, end):
        cursor = p_start
        for match in _BOUNDARY.finditer(text, p_start, p_end):
            if text[match.start()] == "." and _is_abbreviation(text, match.start()):
                continue
            spans.append((cursor, match.start() + len(match.group().rstrip())))
            cursor = match.end()
        spans.append((cursor, p_end))
    return [trimmed for s, e in spans if (trimmed := _trim(text, s, e))]


def passage_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences of the passage ``text[start:end]`` less their list markers, as offsets.

    The one source of the spans answering quotes from and ingest stores a vector for:
    a sentence cut by a passage's edge differs from the whole one, so both go by passage.
    """
    spans = []
    for s, e in sentence_spans(text, start, end):
        if marker := _LIST_MARKER.match(text, s, e):
            s = marker.end()
        spans.append((s, e))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
