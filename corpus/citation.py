"""Chicago-style citations built from a document's own fields, for sources that give none."""

from __future__ import annotations

import re

from corpus.model import Document
from corpus.vocabulary import MONTHS


def human_date(iso: str) -> str:
    """ "1965-06-18" -> "June 18, 1965"; "1965-06" -> "June 1965"; anything else unchanged."""
    parts = iso.split("-")
    if not all(part.isdigit() for part in parts) or not 1 <= len(parts) <= 3:
        return iso
    if len(parts) == 1 or not 1 <= int(parts[1]) <= 12:
        return parts[0]
    month = MONTHS[int(parts[1]) - 1]
    return f"{month} {int(parts[2])}, {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


def chicago(document: Document) -> str:
    """“Title,” Place, Date, Collection, Archive ref, URL. (absent fields are left out)."""
    title = document.title.strip()
    rest = [
        value
        for value in (
            document.place,
            human_date(document.date) if document.date else None,
            document.collection,
            document.archive_ref,
            document.url,
        )
        if value
    ]
    if not rest:
        return f"“{title}.”"
    comma = "" if title.endswith(("?", "!")) else ","
    return f"“{title}{comma}” {', '.join(rest)}."


def footnote(document: Document, *, page: str | None = None) -> str:
    """The archive's own citation when it gives one, else one built from the fields;
    pointing at ``page`` ("…, p. 2."; a page known only by its place in a scan as "…, scan
    33.") when the cited words stand on a known page."""
    citation = document.citation or chicago(document)
    if not page:
        return citation
    where = f"p. {page}" if _PRINTED_PAGE.match(page) else page
    return f"{citation.rstrip('.')}, {where}."


# A printed page number: "2", "xii", "A-3".
_PRINTED_PAGE = re.compile(r"^(?:[A-Z]-)?(?:\d+|[ivxlcdm]+)$", re.IGNORECASE)
