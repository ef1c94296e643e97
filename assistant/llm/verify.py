"""Checking a generated answer against the passages it cites. Pure.

The model's answer is trusted only as far as its citations go: a marker that
points to no passage is removed; a sentence that cites nothing is removed (the
instructions require a citation on every sentence, and an uncited sentence is
where an obeyed injection or an invention shows up); a sentence whose cited
passages share too few of its content words is kept but flagged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.llm.prompt import MARKER, strip_markers
from assistant.model import Paragraph, Ref, Text
from corpus.sentences import sentence_spans
from embeddings.keyword import tokenize

# The share of a sentence's content words (stemmed, stopwords out) its cited passages
# must contain; paraphrase keeps names, numbers and key terms well above this.
MIN_SUPPORT = 0.2
_QUOTE_CHARS = 160


@dataclass(frozen=True)
class Claim:
    """One sentence of the answer, the passages it cites and how well they support it."""

    text: str
    refs: tuple[int, ...]
    support: float


@dataclass(frozen=True)
class Verified:
    """The checked answer: its words and, where its markers stood, the refs kept."""

    paragraph: Paragraph
    claims: tuple[Claim, ...]
    warnings: tuple[str, ...]

    @property
    def cited(self) -> tuple[int, ...]:
        return tuple(sorted({ref for claim in self.claims for ref in claim.refs}))


@dataclass(frozen=True)
class _Marker:
    position: int  # in the text with the markers taken out
    numbers: tuple[int, ...]


def verify(text: str, passages: Sequence[str], *, min_support: float = MIN_SUPPORT) -> Verified:
    """Check every citation marker ``[n]`` of ``text`` against ``passages`` (numbered from 1)."""
    plain, markers = _without_markers(text)
    spans = sentence_spans(plain)
    owner = [_sentence_of(marker.position, spans) for marker in markers]
    passage_terms = [set(terms) for terms in tokenize(list(passages))] if passages else []
    sentence_terms = tokenize([plain[s:e] for s, e in spans]) if spans else []
    warnings: list[str] = []
    claims: list[Claim] = []
    kept_markers: dict[int, tuple[int, ...]] = {}
    removed: list[tuple[int, int]] = []
    for marker_index, marker in enumerate(markers):
        valid = tuple(n for n in marker.numbers if 1 <= n <= len(passages))
        for n in marker.numbers:
            if n not in valid:
                warnings.append(
                    f"Removed the citation [{n}]: the model was given "
                    f"{_passages(len(passages))}, so it points to nothing."
                )
        if valid:
            kept_markers[marker_index] = valid
    for i, (start, end) in enumerate(spans):
        sentence = _tidy(" ".join(plain[start:end].split()))
        refs = tuple(
            dict.fromkeys(
                n for m, numbers in kept_markers.items() if owner[m] == i for n in numbers
            )
        )
        if not refs:
            removed.append((start, end))
            warnings.append(f"Removed a sentence that cites no passage: “{_short(sentence)}”")
            continue
        terms = set(sentence_terms[i])
        cited_terms = set().union(*(passage_terms[n - 1] for n in refs))
        support = len(terms & cited_terms) / len(terms) if terms else 1.0
        if support < min_support:
            warnings.append(
                f"Not supported by the passage it cites {_refs(refs)}: “{_short(sentence)}”"
            )
        claims.append(Claim(sentence, refs, round(support, 3)))
    changed = (
        bool(removed)
        or len(kept_markers) < len(markers)
        or any(kept_markers[m] != markers[m].numbers for m in kept_markers)
    )
    pieces = _rebuild(plain, markers, kept_markers, removed, tidy=changed)
    return Verified(Paragraph("generated", pieces), tuple(claims), tuple(warnings))


def _without_markers(text: str) -> tuple[str, list[_Marker]]:
    pieces: list[str] = []
    markers: list[_Marker] = []
    cursor = removed = 0
    for match in MARKER.finditer(text):
        pieces.append(text[cursor : match.start()])
        numbers = tuple(int(n) for n in re.split(r"\s*[,;]\s*", match.group(1)))
        markers.append(_Marker(match.start() - removed, numbers))
        removed += match.end() - match.start()
        cursor = match.end()
    pieces.append(text[cursor:])
    return "".join(pieces), markers


def _sentence_of(position: int, spans: Sequence[tuple[int, int]]) -> int:
    """The sentence a marker belongs to: the last one starting at or before it.

    So "... opposed it. [2] He ..." credits [2] to the sentence before the marker.
    """
    owner = 0
    for i, (start, _) in enumerate(spans):
        if start > position:
            break
        owner = i
    if spans and position <= spans[owner][0] and owner > 0:
        owner -= 1  # a marker opening a sentence closes the previous one
    return owner


def _rebuild(
    plain: str,
    markers: Sequence[_Marker],
    kept: dict[int, tuple[int, ...]],
    removed: Sequence[tuple[int, int]],
    *,
    tidy: bool,
) -> tuple[Text | Ref, ...]:
    """The text without the removed sentences, a :class:`Ref` for each number kept
    where its marker stood; with the spacing that removals leave tidied if ``tidy``."""
    drop = bytearray(len(plain))
    for start, end in removed:
        drop[start:end] = b"\x01" * (end - start)
    refs_at: dict[int, list[int]] = {}
    for m, marker in enumerate(markers):
        if m in kept:
            refs_at.setdefault(marker.position, []).extend(kept[m])

    def words(start: int, end: int) -> Text:
        kept_text = "".join(plain[i] for i in range(start, end) if not drop[i])
        return Text(_spacing(kept_text) if tidy else kept_text)

    pieces: list[Text | Ref] = []
    cursor = 0
    for position in sorted(refs_at):
        pieces += [words(cursor, position), *(Ref(n) for n in refs_at[position])]
        cursor = position
    pieces.append(words(cursor, len(plain)))
    # No tidying rule reaches across a marker, so tidying each stretch of words is
    # tidying the whole text.
    if isinstance(head := pieces[0], Text):
        pieces[0] = Text(head.text.lstrip())
    if isinstance(tail := pieces[-1], Text):
        pieces[-1] = Text(tail.text.rstrip())
    return tuple(p for p in pieces if not (isinstance(p, Text) and not p.text))


def _tidy(text: str) -> str:
    return _spacing(text).strip()


def _spacing(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text)


def _refs(numbers: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _passages(n: int) -> str:
    return "one passage" if n == 1 else f"{n} passages"


def _short(sentence: str) -> str:
    sentence = strip_markers(sentence)
    return sentence if len(sentence) <= _QUOTE_CHARS else sentence[: _QUOTE_CHARS - 1] + "…"
