"""The JSON shapes of answers, search hits and documents, shared by the CLI and the web API.

``link`` (where the API adds one) is where a reader should open the document: the
archive's own page for it when the archive configured one, else its source URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.model import Answer, Hit
    from corpus.model import Document
    from embeddings.store import Store

# (doc_id, source url) -> the link to show, or None
Linker = Callable[[str, str | None], str | None]


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


def document_json(document: Document, store: Store) -> dict[str, Any]:
    """A document's fields and text, its withheld spans, and its thread of references."""
    fields = asdict(document)
    fields["withheld"] = [
        {"char_start": s.char_start, "char_end": s.char_end, "text": s.label, "kind": s.kind}
        for s in document.withheld
    ]
    fields["references"] = [
        {"text": text, "doc_id": target} for text, target in store.references(document.doc_id)
    ]
    fields["referenced_by"] = store.referenced_by(document.doc_id)
    return fields


def answer_json(answer: Answer, link: Linker) -> dict[str, Any]:
    """``dataclasses.asdict(answer)`` (as ``cables ask --json``), with a ``link`` per source."""
    fields = asdict(answer)
    for item in (*fields["citations"], *fields["closest"]):
        item["link"] = link(item["doc_id"], item["url"])
    return fields


def search_json(query: str, hits: list[Hit], link: Linker) -> dict[str, Any]:
    """``cables search --json``, with a ``link`` per hit."""
    return {
        "query": query,
        "hits": [
            {**hit_json(hit), "link": link(hit.document.doc_id, hit.document.url)} for hit in hits
        ],
    }
