"""What the MCP tools take and return, as JSON schemas a calling model reads.

The arguments have the JSON API's types and bounds (``assistant.web.api``), so a
question the API refuses is refused here with the same reason. The results are the
API's JSON (``assistant.formats.payloads``); the models below describe the fields a
caller needs and allow the others, so the payloads pass through unchanged.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from assistant.web.api import MAX_TURNS, Question, TurnIn

DEFAULT_WINDOW = 20_000
MAX_WINDOW = 100_000


# -- arguments ----------------------------------------------------------------------------------

Query = Annotated[Question, Field(description="What to look for, in plain words")]
QuestionText = Annotated[Question, Field(description="The question, in plain words")]
History = Annotated[
    list[TurnIn],
    Field(max_length=MAX_TURNS, description="Earlier turns, oldest first, for a follow-up"),
]
AskK = Annotated[int, Field(ge=1, le=20, description="Passages to draw evidence from")]
SearchK = Annotated[int, Field(ge=1, le=50, description="Passages to return")]
PerDoc = Annotated[int, Field(ge=0, le=50, description="Passages per document (0: no limit)")]
DocId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="A doc_id from search or ask, e.g. frus1964-68v03/d15",
    ),
]
Offset = Annotated[int, Field(ge=0, description="First character of the text to return")]
Length = Annotated[
    int, Field(ge=1, le=MAX_WINDOW, description="Characters of text to return from offset")
]


# -- results ------------------------------------------------------------------------------------


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class HitOut(_Open):
    doc_id: str
    title: str
    date: str | None
    place: str | None
    passage: str = Field(description="The passage, exactly as in the document")
    char_start: int = Field(description="Where the passage starts in the document's text")
    char_end: int
    score: float
    link: str | None = Field(description="Where a reader can open the document")


class SearchOut(_Open):
    query: str
    hits: list[HitOut]


class CitationOut(_Open):
    ref: int = Field(description="The [n] that marks this quote in the answer")
    doc_id: str
    title: str
    date: str | None
    quote: str = Field(description="Exactly the document's text from char_start to char_end")
    char_start: int
    char_end: int
    citation: str = Field(description="A Chicago-style note for the document")
    link: str | None


class AnswerOut(_Open):
    question: str
    answer: str = Field(description="The answer: quotes, each followed by its [n]")
    abstained: bool = Field(description="True when the archive holds no evidence to quote")
    citations: list[CitationOut]
    notes: list[str] = Field(description="How the search was narrowed, for the reader")


class Withheld(_Open):
    char_start: int
    char_end: int
    text: str = Field(description="What the document prints in place of the withheld words")


class Reference(_Open):
    text: str = Field(description="How the document refers to the other, e.g. 'Document 14'")
    doc_id: str | None = Field(description="The document referred to, if it is in the archive")


class DocumentOut(_Open):
    doc_id: str
    title: str
    collection: str
    date: str | None
    text: str = Field(description="The document's text from offset (all of it if short)")
    offset: int
    total_chars: int
    next_offset: int | None = Field(description="Pass as offset to read on; null at the end")
    withheld: list[Withheld] = Field(description="Declassification gaps, as offsets into text")
    references: list[Reference] = Field(description="Documents this one refers to")
    referenced_by: list[str] = Field(description="Documents that refer to this one")
    link: str | None


class CitationText(_Open):
    doc_id: str
    format: str
    citation: str = Field(description="The citation; for csl-json, a JSON array of one item")
