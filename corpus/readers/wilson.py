"""Text captures of Wilson Center Digital Archive document pages.

A capture holds the site's navigation, a "Citation / get citation" block with
the summary and the ready-made citation, then the document after a language
heading ("English HTML"). Only the document becomes text; the citation block
fills the metadata.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.model import Document
from corpus.readers.text import ReaderError, iso_date, paragraphs, read_text, withheld_spans

NAME = "wilson"
SUFFIXES: tuple[str, ...] = (".txt",)
COLLECTION = "Wilson Center Digital Archive"
_MARKER = re.compile(r"^\s*Digital Archive\b", re.MULTILINE)
_TEXT_START = re.compile(r"^English HTML\s*$", re.MULTILINE)
_CITATION = re.compile(
    r"""^\s*"(?P<title>.+?),?"\s*,?\s*(?P<date>[A-Z][a-z]+\.?\s+\d{1,2},\s+\d{4}|\d{4}),\s*
    (?P<archive>[^,\n]*Digital\ Archive),\s*(?P<ref>[^\n]+?)\.
    (?:\s+Translated\ by\ (?P<translator>[^\n]+?)\.)?[^\S\n]*$""",
    re.MULTILINE | re.VERBOSE,
)
_TITLE_PARTIES = re.compile(
    r"^(?P<kind>\w+) from (?:the )?(?P<author>.+?)(?: to (?:the )?(?P<to>.+?))?,"
)
_SALUTATION = re.compile(r"^To (?:the )?(?P<to>[^:\n]{2,60}):\s*$", re.MULTILINE)
_PLACE = re.compile(
    r"^(?:From (?P<station>[A-Z][\w ]+?) Station|Embassy (?P<post>[A-Z]\w+))\s*$", re.M
)


def sniff(path: Path, head: str) -> bool:
    return path.suffix.lower() in SUFFIXES and bool(_MARKER.search(head)) and "Citation" in head


def read(path: Path) -> list[Document]:
    raw = read_text(path)
    start = _TEXT_START.search(raw)
    if start is None:
        raise ReaderError(
            str(path), "no 'English HTML' line: cannot tell where the document starts"
        )
    cite = _CITATION.search(raw, 0, start.start())
    if cite is None:
        raise ReaderError(
            str(path), 'no citation line ("Title," Date, ... Digital Archive, Ref.) before the text'
        )
    text = paragraphs(raw[start.end() :])
    if not text:
        raise ReaderError(str(path), "no document text after 'English HTML'")

    title = re.sub(r"(?<!\w)'(.+?)'(?!\w)", r'"\1"', cite["title"])
    ref = cite["ref"].strip()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ref.split(",")[0]).strip("-") or path.stem
    parties = _TITLE_PARTIES.match(title)
    recipient = parties["to"] if parties else None
    if recipient is None and (salutation := _SALUTATION.search(text)):
        recipient = salutation["to"]
    place = _PLACE.search(text)
    extra = {"archive": cite["archive"]}
    if cite["translator"]:
        extra["translator"] = cite["translator"]
    _, marker, summary = raw[: cite.start()].partition("get citation")
    if marker and summary.strip():
        extra["summary"] = " ".join(summary.split())
    return [
        Document(
            doc_id=f"wilson/{slug}",
            title=title,
            text=text,
            collection=COLLECTION,
            date=iso_date(cite["date"]),
            place=(place["station"] or place["post"]) if place else None,
            author=parties["author"] if parties else None,
            recipient=recipient,
            archive_ref=ref,
            url=None,
            citation=_curly(" ".join(cite.group().split())),
            kind=parties["kind"].lower() if parties else None,
            source_path=str(path),
            withheld=withheld_spans(text),
            extra=extra,
        )
    ]


def _curly(text: str) -> str:
    """Typographic quotes: double outside, single inside; apostrophes left alone."""
    text = re.sub(r'(?<![\w"])"(?=\S)', "“", text).replace('"', "”")
    text = re.sub(r"(?<!\w)'(?=\S)", "‘", text)
    return re.sub(r"(?<=\S)'(?!\w)", "’", text)
