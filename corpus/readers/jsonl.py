"""JSON Lines: one document per line, ``id``, ``title`` and ``text`` required.

A bad record fails the whole file, naming its line: a half-read file would
silently drop documents, while the ingest layer already reports a failed file
and carries on with the others.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from corpus.citation import chicago
from corpus.model import Document
from corpus.readers.plain import FIELDS
from corpus.readers.text import (
    ReaderError,
    iso_date,
    iso_period,
    paragraphs,
    read_text,
    withheld_spans,
)

NAME = "jsonl"
SUFFIXES: tuple[str, ...] = (".jsonl", ".ndjson")
REQUIRED = ("id", "title", "text")


def sniff(path: Path, head: str) -> bool:
    return path.suffix.lower() in SUFFIXES


def read(path: Path) -> list[Document]:
    documents: list[Document] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        document = _record(path, number, line)
        if document.doc_id in first_line:
            raise _error(
                path,
                number,
                f"duplicate id {document.doc_id!r} (first on line {first_line[document.doc_id]})",
            )
        first_line[document.doc_id] = number
        documents.append(document)
    if not documents:
        raise ReaderError(str(path), "empty file")
    return documents


def _record(path: Path, number: int, line: str) -> Document:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise _error(path, number, f"invalid JSON at column {error.colno}: {error.msg}") from None
    if not isinstance(record, dict):
        raise _error(path, number, f"expected a JSON object, got {type(record).__name__}")
    for key in REQUIRED:
        if key not in record or record[key] is None:
            raise _error(path, number, f"missing required field {key!r}")
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    if isinstance(record["id"], int) and not isinstance(record["id"], bool):
        record["id"] = str(record["id"])
    for key, value in record.items():
        if key in FIELDS or key in REQUIRED:
            if value is not None and not isinstance(value, str):
                raise _error(path, number, f"field {key!r} must be a string, got {_json(value)}")
            if value is not None:
                fields[key] = value
        elif value is not None:
            extra[key] = value if isinstance(value, str) else _json(value)
    text = paragraphs(fields["text"])
    if not text:
        raise _error(path, number, "field 'text' is empty")
    date = fields.get("date")
    if date is not None and (date := iso_date(date)) is None:
        raise _error(
            path, number, f"field 'date' is not a date: {fields['date']!r} (use YYYY-MM-DD)"
        )
    if "period" in extra:  # the months or years the text covers
        if (period := iso_period(extra["period"])) is None:
            raise _error(
                path,
                number,
                f"field 'period' is not START/END: {extra['period']!r} (1965-03/1965-07)",
            )
        extra["period"] = period
    document = Document(
        doc_id=fields["id"],
        title=" ".join(fields["title"].split()),
        text=text,
        collection=fields.get("collection") or path.stem,
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
        extra=extra,
    )
    return replace(document, citation=fields.get("citation") or chicago(document))


def _error(path: Path, number: int, reason: str) -> ReaderError:
    return ReaderError(str(path), f"JSON Lines record at line {number}: {reason}")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
