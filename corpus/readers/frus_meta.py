"""The FRUS editors' conventions: the volume header, datelines, source notes, titles.

Pure functions of TEI elements and strings, kept apart from the text walk in
``frus_tei`` so that each stays small.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

TEI = "http://www.tei-c.org/ns/1.0"
FRUS = "http://history.state.gov/frus/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
NS = {"tei": TEI, "frus": FRUS}
_CLASSIFICATION = re.compile(
    r"\.\s+(?=(?:Top Secret|Secret|Confidential|Unclassified|Limited Official Use"
    r"|No classification marking)\b)"
)
_KIND_END = re.compile(r"\s+(?:From|Prepared|Between|Sent|to|for|of|by|on)\b")


@dataclass(frozen=True)
class Volume:
    """What the teiHeader says about the volume, shared by all its documents."""

    volume_id: str
    collection: str
    citation_in: str | None

    @classmethod
    def from_header(cls, root: etree._Element, path: Path) -> Volume:
        def first(path: str) -> str | None:
            found = root.find(f"tei:teiHeader/tei:fileDesc/{path}", NS)
            return flat(found) if found is not None else None

        volume_id = (
            first("tei:publicationStmt/tei:idno[@type='frus']")
            or root.get(XML_ID)
            or path.name.split(".")[0]
        )
        title = "tei:titleStmt/tei:title"
        series, years = first(f"{title}[@type='series']"), first(f"{title}[@type='sub-series']")
        number, subject = (
            first(f"{title}[@type='volume-number']"),
            first(f"{title}[@type='volume']"),
        )
        collection = f"FRUS {volume_id}"
        if years and number:
            collection = f"FRUS {years.replace('–', '-')}, {number}"
        editor = "tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:editor[@role='primary']"
        editors = [flat(element) for element in root.iterfind(editor, NS)]
        publisher = first("tei:publicationStmt/tei:publisher")
        place = first("tei:publicationStmt/tei:pubPlace")
        year = first("tei:publicationStmt/tei:date[@type='publication-date']")
        citation_in = None
        if series and years and number and subject:
            citation_in = f"{series}, {years}, vol. {number.removeprefix('Volume ')}, {subject}"
            if editors:
                citation_in += f", ed. {_and(editors)}"
            if publisher and place and year:
                citation_in += f" ({place}: {publisher.removeprefix('United States ')}, {year})"
        return cls(volume_id, collection, citation_in)


def flat(element: etree._Element) -> str:
    """The element's text without nested footnotes, whitespace collapsed."""
    parts: list[str] = []

    def collect(node: etree._Element) -> None:
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str) and etree.QName(child).localname != "note":
                if etree.QName(child).localname == "lb":
                    parts.append(" ")
                collect(child)
            parts.append(child.tail or "")

    collect(element)
    return " ".join("".join(parts).split())


def first_text(element: etree._Element | None, tag: str) -> str | None:
    found = element.find(f"{{{TEI}}}{tag}") if element is not None else None
    if found is None:
        return None
    return flat(found) or None


def party(head: etree._Element | None, role: str) -> str | None:
    if head is None:
        return None
    names = [
        flat(element)
        for element in _outside_notes(head)
        if element.get("type") == role and etree.QName(element).localname in ("persName", "gloss")
    ]
    if names:
        return ", ".join(names)
    if role == "from" and (match := re.search(r"\bPrepared by\b[^()]*\(([^)]+)\)", flat(head))):
        return match.group(1)
    return None


def _outside_notes(element: etree._Element) -> Iterator[etree._Element]:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname != "note":
            yield child
            yield from _outside_notes(child)


def document_date(div: etree._Element, extra: dict[str, str]) -> str | None:
    """Local date from the dateline; else the editors' range when it is a single day."""
    date = div.find(f"{{{TEI}}}dateline/{{{TEI}}}date")
    when = date.get("when") if date is not None else None
    if date is not None and when:
        if len(when) > 10:
            extra["datetime"] = when
        if (ana := date.get("ana", "")).startswith("#date_undated"):
            reason = ana.removeprefix("#date_").replace("-", " ")
            extra["date_note"] = reason.replace("undated ", "undated; ", 1)
        return when[:10]
    low, high = div.get(f"{{{FRUS}}}doc-dateTime-min"), div.get(f"{{{FRUS}}}doc-dateTime-max")
    if low and high and low[:10] == high[:10]:
        extra["date_note"] = "no dateline; dated by the editors (frus:doc-dateTime)"
        return low[:10]
    return None


def source_note(note: str) -> tuple[str | None, str | None]:
    """Archive reference and classification from "Source: <where>. <Secret; Nodis>. …"."""
    note = note.removeprefix("Source:").strip()
    match = _CLASSIFICATION.search(note)
    if match is None:
        return note.rstrip(".") or None, None
    marking = note[match.end() :].split(". ")[0].rstrip(".")
    classification = None if marking.startswith("No classification") else marking
    return note[: match.start()] or None, classification


def kind(title: str, subtype: str | None) -> str | None:
    if subtype == "editorial-note":
        return "editorial-note"
    if re.search(r"\bTelephone Conversation\b", title, re.IGNORECASE):
        return "telephone-conversation"
    words = _KIND_END.split(title, maxsplit=1)[0].lower().split()
    return "-".join(words) or None


def _and(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])}, and {names[-1]}"
