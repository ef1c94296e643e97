"""Foreign Relations of the United States volumes in the Office of the Historian's TEI.

One document per ``div[@type="document"]``. The body and the footnotes are kept
apart: the text is the body, then "Notes", then each footnote as its own
paragraph, so that a footnote never splits a sentence yet stays searchable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from corpus.model import Document, Span
from corpus.readers.frus_meta import (
    TEI,
    XML_ID,
    Volume,
    document_date,
    first_text,
    flat,
    kind,
    party,
    source_note,
)
from corpus.readers.text import ReaderError, TextBuilder, read_bytes, withheld_spans

NAME = "frus-tei"
SUFFIXES: tuple[str, ...] = (".xml",)
_BLOCKS = {"p", "item", "head", "list", "quote", "closer", "attachment", "dateline", "div"}
_BLOCKS |= {"opener", "salute", "postscript", "table", "row", "figure"}
_METADATA = frozenset({"head", "dateline"})  # fields of the Document, not its text


def sniff(path: Path, head: str) -> bool:
    return path.suffix.lower() in SUFFIXES and TEI in head


@dataclass
class _Walker:
    """Walks one document's body into a TextBuilder, collecting footnotes on the way."""

    page: str | None
    out: TextBuilder = field(default_factory=TextBuilder)
    # Each footnote with its page and the body offset of its mark (None in the heading).
    notes: list[tuple[etree._Element, str | None, int | None]] = field(default_factory=list)

    def children(self, element: etree._Element, *, skip: frozenset[str] = frozenset()) -> None:
        if element.text:
            self.out.write(element.text)
        for child in element:
            if isinstance(child.tag, str) and etree.QName(child).localname not in skip:
                self.element(child)
            if child.tail:
                self.out.write(child.tail)

    def element(self, element: etree._Element) -> None:
        tag = etree.QName(element).localname
        if tag == "note":
            self.notes.append((element, self.page, self.out.length))
        elif tag == "pb":
            self.page = element.get("n")
            if self.page:
                self.out.page(self.page)
            self.out.space()
        elif tag in ("lb", "cell"):
            self.out.space()
            self.children(element)
            self.out.space()
        elif tag == "label":
            self.out.paragraph()
            self.children(element)
            self.out.space()
            self.out.glue()
        elif tag in _BLOCKS:
            self.out.paragraph()
            self.children(element)
            self.out.paragraph()
        else:
            self.children(element)


def read(path: Path) -> list[Document]:
    data = read_bytes(path)
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        line, column = error.position
        reason = error.msg.split(", line ")[0]
        raise ReaderError(
            str(path), f"malformed XML at line {line}, column {column}: {reason}"
        ) from error
    if etree.QName(root).namespace != TEI:
        raise ReaderError(str(path), f"not a TEI file (root element {root.tag!r})")
    volume = Volume.from_header(root, path)
    documents = []
    page: str | None = None
    for element in root.iter(f"{{{TEI}}}pb", f"{{{TEI}}}div"):
        if element.tag == f"{{{TEI}}}pb":
            page = element.get("n") or page
        elif element.get("type") == "document":
            documents.append(_document(element, volume, page, path))
    if not documents:
        raise ReaderError(str(path), 'no <div type="document"> elements: not a FRUS volume')
    return documents


def _document(div: etree._Element, volume: Volume, page: str | None, path: Path) -> Document:
    xml_id = div.get(XML_ID) or f"n{div.get('n')}"
    number = div.get("n", "")
    head = div.find(f"{{{TEI}}}head")
    title = flat(head) if head is not None else ""
    title = re.sub(rf"^{re.escape(number)}\.\s+", "", title) if number else title
    walker = _Walker(page)
    if page:
        walker.out.page(page)
    if head is not None:  # the head is metadata, but its footnotes are the document's
        walker.notes.extend((note, page, None) for note in head.iter(f"{{{TEI}}}note"))
    walker.children(div, skip=_METADATA)
    out = walker.out
    notes = _write_notes(walker)
    text = out.text()
    if not text.strip():
        raise ReaderError(str(path), f"document {xml_id} has no text")

    extra = {"number": number} if number else {}
    date = document_date(div, extra)
    dateline = div.find(f"{{{TEI}}}dateline")
    source = next((note for note, *_ in walker.notes if note.get("type") == "source"), None)
    archive_ref, classification = source_note(flat(source)) if source is not None else (None, None)
    url = f"https://history.state.gov/historicaldocuments/{volume.volume_id}/{xml_id}"
    citation_parts = [f"“{title},”"]
    if dateline is not None:
        printed = flat(dateline)
        if printed.endswith(".") and not re.search(r"\b[ap]\.m\.$", printed):
            printed = printed[:-1]
        citation_parts.append(f"{printed},")
    if volume.citation_in:
        citation_parts.append(f"in {volume.citation_in},")
    citation_parts.append(f"Document {number}, {url}." if number else f"{url}.")
    return Document(
        doc_id=f"{volume.volume_id}/{xml_id}",
        title=title,
        text=text,
        collection=volume.collection,
        date=date,
        place=first_text(dateline, "placeName"),
        author=party(head, "from"),
        recipient=party(head, "to"),
        archive_ref=archive_ref,
        classification=classification,
        url=url,
        citation=" ".join(citation_parts),
        kind=kind(title, div.get("subtype")),
        source_path=str(path),
        pages=out.pages(),
        notes=notes,
        withheld=withheld_spans(text),
        extra=extra,
    )


def _write_notes(walker: _Walker) -> tuple[Span, ...]:
    """Appends "Notes" and one paragraph per footnote, each on the page of its anchor."""
    out, page = walker.out, walker.page
    spans: list[Span] = []
    for note, anchor_page, anchor in walker.notes:
        body = flat(note)
        if not body:
            continue
        if not spans:
            out.paragraph()
            out.write("Notes")
        if anchor_page and anchor_page != page:
            out.page(anchor_page)
            page = anchor_page
        label = note.get("n") or str(len(spans) + 1)
        out.paragraph()
        start = out.write(f"{label}. {body}") + len(label) + 2
        note_kind = "source" if note.get("type") == "source" else "note"
        spans.append(Span(start, out.length, label, note_kind, anchor))
    return tuple(spans)
