"""The JSON shapes of answers, search hits and documents, shared by the CLI and the web API.

``link`` (where the API adds one) is where a reader should open the document: the
archive's own page for it when the archive configured one, else its source URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.model import Answer, DocumentRecord, Hit

# (collection, doc_id, source url) -> the link to show, or None
Linker = Callable[[str, str, str | None], str | None]


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "doc_id": hit.document.doc_id,
        "title": hit.document.title,
        "date": hit.document.date,
        "place": hit.document.place,
        "passage": hit.passage.text,
        "char_start": hit.passage.char_start,
        "char_end": hit.passage.char_end,
        "page": hit.passage.page,
        "score": round(hit.score, 6),
        "similarity": round(hit.similarity, 6),
    }


def document_json(record: DocumentRecord) -> dict[str, Any]:
    """A document's fields and text, its withheld spans, and its thread of references."""
    document = record.document
    fields = asdict(document)
    fields["withheld"] = [
        {"char_start": s.char_start, "char_end": s.char_end, "text": s.label, "kind": s.kind}
        for s in document.withheld
    ]
    fields["references"] = [
        {"text": reference.text, "doc_id": reference.doc_id} for reference in record.references
    ]
    fields["referenced_by"] = list(record.referenced_by)
    return fields


def answer_json(answer: Answer, link: Linker | None = None) -> dict[str, Any]:
    """The answer's fields, its plain text as ``answer`` (``cables ask --json``), and with a
    ``link``, a link per source (the API)."""
    fields = {"question": answer.question, "answer": answer.text, **asdict(answer)}
    # Each piece says what it is ("text", "quote" or "ref"), for a client to render it.
    for paragraph, shape in zip(answer.paragraphs, fields["paragraphs"], strict=True):
        for piece, piece_shape in zip(paragraph.pieces, shape["pieces"], strict=True):
            piece_shape["type"] = type(piece).__name__.lower()
    if link is not None:
        for item in (*fields["citations"], *fields["closest"]):
            item["link"] = link(item["collection"], item["doc_id"], item["url"])
    return fields


def search_json(query: str, hits: list[Hit], link: Linker | None = None) -> dict[str, Any]:
    """``cables search --json``; with a ``link``, a link per hit (the API)."""
    found = [hit_json(hit) for hit in hits]
    if link is not None:
        for item, hit in zip(found, hits, strict=True):
            document = hit.document
            item["link"] = link(document.collection, document.doc_id, document.url)
    return {"query": query, "hits": found}
