"""Citations to take away: Chicago footnotes, CSL-JSON, BibTeX, and answers as Markdown.

CSL-JSON is what Zotero, Mendeley and pandoc import; archival fields go where CSL
puts them (``archive``, ``archive_location``), so a reference manager shows the
collection and the file number rather than losing them.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, get_args

from assistant.model import Answer
from corpus.citation import footnote
from corpus.model import Document

CitationFormat = Literal["chicago", "csl-json", "bibtex"]
CITATION_FORMATS: tuple[CitationFormat, ...] = get_args(CitationFormat)
_CSL_TYPES = {"report": "report", "editorial-note": "chapter"}


def csl_json(document: Document) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": document.doc_id,
        "type": _CSL_TYPES.get(document.kind or "", "manuscript"),
        "title": document.title,
        "archive": document.collection,
    }
    optional = {
        "archive_location": document.archive_ref,
        "URL": document.url,
        "publisher-place": document.place,
        "genre": document.kind,
        "note": document.classification and f"Classification: {document.classification}",
    }
    item |= {key: value for key, value in optional.items() if value}
    for role, name in (("author", document.author), ("recipient", document.recipient)):
        if name:
            item[role] = [{"literal": name}]
    if translator := document.extra.get("translator"):
        item["translator"] = [{"literal": translator}]
    if document.date and (parts := _date_parts(document.date)):
        item["issued"] = {"date-parts": [parts]}
    return item


def bibtex(document: Document) -> str:
    fields = {
        "title": document.title,
        "author": document.author,
        "date": document.date,
        "howpublished": document.collection,
        "note": "; ".join(v for v in (document.archive_ref, document.classification) if v),
        "address": document.place,
        "url": document.url,
    }
    body = ",\n".join(
        f"  {name} = {{{_bibtex_escape(value)}}}" for name, value in fields.items() if value
    )
    return f"@misc{{{_bibtex_key(document.doc_id)},\n{body}\n}}\n"


def citation(document: Document, format: CitationFormat = "chicago") -> str:
    """The document's citation in ``format`` as text; CSL-JSON is a list of one item."""
    if format == "csl-json":
        return json.dumps([csl_json(document)], ensure_ascii=False, indent=2)
    if format == "bibtex":
        return bibtex(document)
    return footnote(document)


def answer_markdown(answer: Answer) -> str:
    """The answer with its citations as Markdown footnotes, ready for a researcher's notes.

    Footnote marks stand where the answer's refs do; a document's own "[2]" stays text.
    """
    text = "\n\n".join(p.render(cite=lambda ref: f"[^{ref}]") for p in answer.paragraphs)
    lines = [f"## {answer.question}", "", text, ""]
    lines += [f"> {note}" for note in answer.notes]
    for citation in answer.citations:
        where = f" {citation.url}" if citation.url and citation.url not in citation.citation else ""
        lines.append(f"[^{citation.ref}]: {citation.citation}{where} Quoted: “{citation.quote}”")
    for source in answer.closest:
        lines.append(f"- {source.title} ({source.date or 'undated'}), {source.doc_id}")
    return "\n".join(lines).rstrip() + "\n"


def _date_parts(date: str) -> list[int] | None:
    parts = date[:10].split("-")
    return [int(p) for p in parts] if all(p.isdigit() for p in parts) else None


def _bibtex_key(doc_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", doc_id).strip("-")


def _bibtex_escape(value: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", value)
