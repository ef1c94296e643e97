"""Plain text and Markdown: one document per file, with optional "---" front matter.

Front matter is read as simple ``key: value`` lines (no YAML dependency); keys
naming a Document field fill that field, the others go to ``extra``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from corpus.citation import chicago
from corpus.model import Document
from corpus.readers.text import (
    ReaderError,
    folder_name,
    iso_date,
    iso_period,
    paragraphs,
    read_text,
    withheld_spans,
)

NAME = "plain"
SUFFIXES: tuple[str, ...] = (".txt", ".md", ".markdown")
FIELDS = {"title", "date", "place", "author", "recipient", "archive_ref", "classification"}
FIELDS |= {"url", "citation", "collection", "kind"}
_BLOCK_START = re.compile(r"[ \t]{0,3}(?:#{1,6}\s|[-*+]\s|\d{1,3}[.)]\s|>)")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.MULTILINE)


def sniff(path: Path, head: str) -> bool:
    return path.suffix.lower() in SUFFIXES


def read(path: Path) -> list[Document]:
    raw = read_text(path)
    meta, body = _front_matter(path, raw)
    markdown = path.suffix.lower() in (".md", ".markdown")
    if markdown:
        heading = _HEADING.search(body)
        if heading and not body[: heading.start()].strip():
            meta.setdefault("title", heading.group(1))
        body = _HEADING.sub(r"\1", body)
    text = paragraphs(body, starts_block=_BLOCK_START if markdown else None)
    if not text:
        raise ReaderError(str(path), "no text (only front matter or whitespace)")
    date: str | None = meta.pop("date", None)
    if date is not None and (date := iso_date(date)) is None:
        raise ReaderError(
            str(path), "front matter 'date' must be YYYY, YYYY-MM, YYYY-MM-DD or 'June 19, 1965'"
        )
    if "period" in meta:  # the months or years the text covers
        if (period := iso_period(meta["period"])) is None:
            raise ReaderError(
                str(path), "front matter 'period' must be START/END, e.g. 1965-03/1965-07"
            )
        meta["period"] = period
    folder = folder_name(path)
    collection = meta.pop("collection", "") or folder
    fields = {key: meta.pop(key) for key in list(meta) if key in FIELDS}
    title = fields.get("title") or short_title(body)
    document = Document(
        doc_id=meta.pop("id", "") or f"{folder}/{path.stem}",
        title=title,
        text=text,
        collection=collection,
        date=date,
        place=fields.get("place"),
        author=fields.get("author"),
        recipient=fields.get("recipient"),
        archive_ref=fields.get("archive_ref"),
        classification=fields.get("classification"),
        url=fields.get("url"),
        kind=fields.get("kind"),
        source_path=str(path),
        withheld=withheld_spans(text),
        extra=meta,
    )
    return [replace(document, citation=fields.get("citation") or chicago(document))]


def short_title(text: str, limit: int = 200) -> str:
    """The first non-empty line, cut at a word boundary if it is long."""
    line = next((" ".join(line.split()) for line in text.split("\n") if line.strip()), "")
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0] + "…"


def _front_matter(path: Path, raw: str) -> tuple[dict[str, str], str]:
    lines = raw.lstrip("\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, raw
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ReaderError(str(path), "front matter opened with '---' is never closed") from None
    meta = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise ReaderError(str(path), f"front matter line {number}: expected 'key: value'")
        meta[key.strip().lower().replace("-", "_")] = value.strip().strip("\"'")
    return meta, "\n".join(lines[end + 1 :])
