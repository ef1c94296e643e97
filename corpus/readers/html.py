"""HTML record pages: an archive's page for one document, saved or exported.

The main text is found by trafilatura (Apache-2.0), which drops navigation, footers
and banners; a page where it finds none (a search page, a page of links) is an error
rather than a document of menus. The metadata comes from the conventions archive sites
use, first found wins: Highwire ``citation_*`` tags (what Google Scholar reads), Dublin
Core ``DC.*``, then schema.org JSON-LD; the canonical link is the document's URL.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

from corpus.citation import chicago
from corpus.model import Document
from corpus.readers.plain import short_title
from corpus.readers.text import (
    ReaderError,
    decode,
    folder_name,
    iso_date,
    paragraphs,
    read_bytes,
    withheld_spans,
)

NAME = "html"
SUFFIXES: tuple[str, ...] = (".html", ".htm", ".xhtml")
# Per field, the meta tags that give it, in order of preference.
META = {
    "title": ("citation_title", "dc.title", "dcterms.title", "og:title"),
    "date": ("citation_date", "citation_publication_date", "dc.date", "dcterms.created"),
    "author": ("citation_author", "dc.creator", "dcterms.creator"),
    "collection": ("citation_publisher", "dc.publisher", "dcterms.publisher", "og:site_name"),
    "archive_ref": ("dc.identifier", "dcterms.identifier"),
    "url": ("citation_public_url", "citation_abstract_html_url", "og:url"),
    "kind": ("dc.type", "dcterms.type"),
    "description": ("citation_abstract", "dc.description", "description", "og:description"),
    "language": ("citation_language", "dc.language", "dcterms.language"),
    "rights": ("dc.rights", "dcterms.rights"),
}
LINKED = {
    "title": ("name", "headline"),
    "date": ("dateCreated", "datePublished"),
    "author": ("creator", "author"),
    "collection": ("holdingArchive", "publisher", "isPartOf"),
    "archive_ref": ("identifier",),
    "url": ("url",),
    "description": ("description",),
    "translator": ("translator",),
}
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
_NOT_THE_RECORD = {"WebSite", "WebPage", "BreadcrumbList", "Organization", "SearchAction"}


def sniff(path: Path, head: str) -> bool:
    return path.suffix.lower() in SUFFIXES


def read(path: Path) -> list[Document]:
    import lxml.html
    import trafilatura

    source = _decode(path, read_bytes(path))
    try:
        tree = lxml.html.document_fromstring(source)
    except (ValueError, lxml.etree.ParserError) as error:
        raise ReaderError(str(path), f"not an HTML page: {error}") from None
    fields = _metadata(tree)  # first: trafilatura may prune the tree it is given
    main = trafilatura.extract(
        tree, favor_precision=True, include_comments=False, include_tables=True
    )
    text = paragraphs("\n\n".join((main or "").split("\n")))
    if not text:
        raise ReaderError(
            str(path),
            "no main text: the page holds only navigation, links or boilerplate "
            "(save the document's own page, not a search or listing page)",
        )
    date = fields.pop("date", None)
    folder = folder_name(path)
    document = Document(
        doc_id=f"{folder}/{path.stem}",
        title=fields.pop("title", "") or short_title(text),
        text=text,
        collection=fields.pop("collection", "") or folder,
        date=iso_date(date.replace("/", "-")) if date else None,
        author=fields.pop("author", None),
        archive_ref=fields.pop("archive_ref", None),
        url=fields.pop("url", None),
        kind=(fields.pop("kind", "") or "").lower() or None,
        source_path=str(path),
        withheld=withheld_spans(text),
        extra=fields,
    )
    return [replace(document, citation=chicago(document))]


def _decode(path: Path, data: bytes) -> str:
    """UTF-8, or the charset the page declares (older archive sites use windows-1252)."""
    try:
        return decode(path, data)
    except ReaderError:
        declared = _CHARSET.search(data[:4096])
        if declared is None:
            raise
        try:
            return unicodedata.normalize("NFC", data.decode(declared.group(1).decode()))
        except (LookupError, UnicodeDecodeError):
            raise ReaderError(
                str(path), f"not valid {declared.group(1).decode()}, the charset it declares"
            ) from None


def _metadata(tree: Any) -> dict[str, str]:
    """Every field the page's meta tags, JSON-LD and canonical link give."""
    tags: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        value = " ".join((meta.get("content") or "").split())
        if key and value:
            tags.setdefault(key, []).append(value)
    fields: dict[str, str] = {}
    for field, keys in META.items():
        values = next((tags[key] for key in keys if key in tags), None)
        if values:
            fields[field] = "; ".join(dict.fromkeys(values))
    for field, value in _linked_data(tree).items():
        fields.setdefault(field, value)
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    if canonical and canonical[0].strip():
        fields["url"] = canonical[0].strip()
    if "language" not in fields and (lang := tree.get("lang")):
        fields["language"] = lang
    return fields


def _linked_data(tree: Any) -> dict[str, str]:
    """The fields of the page's schema.org record (the first JSON-LD node that is not
    about the site itself); unreadable JSON-LD is ignored, as browsers do."""
    nodes: list[Any] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except json.JSONDecodeError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                nodes += item.get("@graph", [item])
    for node in nodes:
        if not isinstance(node, dict):
            continue
        kinds = node.get("@type", [])
        if not set(kinds if isinstance(kinds, list) else [kinds]) & _NOT_THE_RECORD:
            return {
                field: value
                for field, keys in LINKED.items()
                if (value := next((_name(node[key]) for key in keys if key in node), ""))
            }
    return {}


def _name(value: Any) -> str:
    """A JSON-LD value as text: a string, a thing's name, or a list of them."""
    if isinstance(value, list):
        return "; ".join(filter(None, map(_name, value)))
    if isinstance(value, dict):
        value = value.get("name", "")
    return " ".join(value.split()) if isinstance(value, str) else ""
