"""The data that flows through the assistant: hits, evidence, citations and answers.

Frozen dataclasses, imported by every stage and importing none of them, so that
retrieval, answering and each edge (CLI, web, evaluation, MCP) agree on one shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from corpus.model import Document, Passage

if TYPE_CHECKING:
    from embeddings.store import Reference


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class DocumentRecord:
    """A document with its thread: the references it makes (each with the indexed
    document it names, if any) and the documents that refer to it."""

    document: Document
    references: tuple[Reference, ...] = ()
    referenced_by: tuple[str, ...] = ()


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
    collection: str
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
    collection: str
    title: str
    date: str | None
    place: str | None
    url: str | None
    score: float


@dataclass(frozen=True)
class Text:
    """Words of the answer's own (or a model's): shown as they are, never a citation."""

    text: str


@dataclass(frozen=True)
class Quote:
    """Words quoted exactly from a document, and the number of their citation."""

    text: str
    ref: int


@dataclass(frozen=True)
class Ref:
    """A citation number standing in running text: after a generated sentence, or
    naming a source in a disagreement."""

    ref: int


Piece = Text | Quote | Ref


def _marker(ref: int) -> str:
    return f"[{ref}]"


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of an answer: its pieces in reading order.

    ``label`` names the document a paragraph of quotes comes from. Pieces carry their
    own spacing, so every rendering concatenates them; a document's own "[2]" is text
    inside a :class:`Quote`, never a citation.
    """

    kind: Literal["quotes", "disagreement", "generated", "notice"]
    pieces: tuple[Piece, ...]
    label: str | None = None

    def render(
        self,
        *,
        text: Callable[[str], str] = str,
        cite: Callable[[int], str] = _marker,
        label: Callable[[str], str] = str,
    ) -> str:
        """The paragraph with ``text`` applied to its words and ``cite`` to its refs.

        A quote is written “…” followed by its ref; the label leads, followed by ": ".
        """
        parts = [f"{label(self.label)}: "] if self.label is not None else []
        for piece in self.pieces:
            if isinstance(piece, Quote):
                parts.append(f"{text(f'“{piece.text}”')} {cite(piece.ref)}")
            elif isinstance(piece, Ref):
                parts.append(cite(piece.ref))
            else:
                parts.append(text(piece.text))
        return "".join(parts)

    @property
    def text(self) -> str:
        """The plain text, as ``cables ask`` prints it."""
        return self.render()


@dataclass(frozen=True)
class Answer:
    question: str
    paragraphs: tuple[Paragraph, ...]
    abstained: bool
    citations: tuple[Citation, ...]
    closest: tuple[Source, ...] = ()
    query_used: str = ""
    notes: tuple[str, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    # "generated": a language model wrote the first paragraph from the cited passages;
    # "fallback": it was asked and failed, so the quotes are shown and ``warnings`` say why.
    mode: Literal["extractive", "generated", "fallback"] = "extractive"
    warnings: tuple[str, ...] = ()
    # Cited sources that contradict each other; the answer's last paragraphs say so.
    disagreements: tuple[Disagreement, ...] = ()

    @property
    def text(self) -> str:
        """The answer as plain text: its paragraphs separated by blank lines."""
        return "\n\n".join(paragraph.text for paragraph in self.paragraphs)
