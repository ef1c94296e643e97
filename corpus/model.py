"""The documents and passages that flow from the readers to the index.

Every offset is a character offset into ``Document.text``; the invariant
``document.text[p.char_start:p.char_end] == p.text`` is what makes every quote
in an answer traceable to its source.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A marked stretch of a document's text: a withheld gap, a footnote, a page."""

    char_start: int
    char_end: int
    label: str
    kind: str = ""
    # A footnote's mark in the body: where the words it annotates end.
    anchor: int | None = None


@dataclass(frozen=True)
class Document:
    """One archival document with its provenance and full normalised text.

    ``date`` is ISO 8601 and may be partial ("1965-06", "1965") or ``None``.
    ``pages`` are spans labelled with the printed page number; ``notes`` are the
    footnotes, kept after the body in ``text`` so that they are searchable but
    never interrupt a sentence; ``withheld`` marks declassification gaps and
    illegible text.
    """

    doc_id: str
    title: str
    text: str
    collection: str
    date: str | None = None
    place: str | None = None
    author: str | None = None
    recipient: str | None = None
    archive_ref: str | None = None
    classification: str | None = None
    url: str | None = None
    citation: str = ""
    kind: str | None = None
    source_path: str = ""
    pages: tuple[Span, ...] = ()
    notes: tuple[Span, ...] = ()
    withheld: tuple[Span, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=True)

    def in_body(self, offset: int) -> int:
        """Where the words at ``offset`` belong in the body: for a footnote with a mark,
        the mark's place; else ``offset`` itself."""
        for note in self.notes:
            if note.anchor is not None and note.char_start <= offset < note.char_end:
                return note.anchor
        return offset

    def page_at(self, offset: int) -> str | None:
        """The printed page on which the character at ``offset`` stands, if known."""
        starts = [page.char_start for page in self.pages]
        i = bisect.bisect_right(starts, offset) - 1
        return self.pages[i].label if i >= 0 else None


@dataclass(frozen=True)
class Passage:
    """A retrievable stretch of one document, with its place in that document."""

    doc_id: str
    ordinal: int
    text: str
    char_start: int
    char_end: int
    page: str | None = None
    n_tokens: int = 0
