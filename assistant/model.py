"""The data that flows through the assistant: hits, evidence, citations and answers.

Frozen dataclasses, imported by every stage and importing none of them, so that
retrieval, answering and each edge (CLI, web, evaluation, MCP) agree on one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from corpus.model import Document, Passage


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its document and how well it matched.

    ``score`` orders the results of one query; ``similarity`` is the cosine between
    query and passage, comparable across queries (what abstention is judged on).
    """

    passage_id: int
    passage: Passage
    document: Document
    score: float
    similarity: float


@dataclass(frozen=True)
class Evidence:
    """A sentence quoted exactly from its document, with its score."""

    hit: Hit
    char_start: int
    char_end: int
    quote: str
    score: float


@dataclass(frozen=True)
class TimelineEntry:
    date: str | None
    place: str | None
    title: str
    quote: str
    ref: int
    doc_id: str


@dataclass(frozen=True)
class Claim:
    """What one citation says: the exact phrase, and the figure when there is one."""

    ref: int
    phrase: str
    value: int | None = None


@dataclass(frozen=True)
class Disagreement:
    kind: Literal["quantity", "polarity"]
    subject: str
    claims: tuple[Claim, ...]

    @property
    def refs(self) -> tuple[int, ...]:
        return tuple(claim.ref for claim in self.claims)


@dataclass(frozen=True)
class Citation:
    """A quote with everything needed to find it again in the archive."""

    ref: int
    doc_id: str
    title: str
    date: str | None
    place: str | None
    archive_ref: str | None
    url: str | None
    citation: str
    quote: str
    char_start: int
    char_end: int
    passage: str
    passage_start: int
    page: str | None
    score: float


@dataclass(frozen=True)
class Source:
    """A document offered as the closest match when nothing could be quoted."""

    doc_id: str
    title: str
    date: str | None
    place: str | None
    url: str | None
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    closest: tuple[Source, ...] = ()
    query_used: str = ""
    notes: tuple[str, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    # "generated": a language model wrote ``answer`` from the cited passages; "fallback":
    # it was asked and failed, so the quotes are shown instead and ``warnings`` say why.
    mode: Literal["extractive", "generated", "fallback"] = "extractive"
    warnings: tuple[str, ...] = ()
    # Cited sources that contradict each other; the answer's last paragraph says so.
    disagreements: tuple[Disagreement, ...] = ()
