"""Metadata filters that restrict retrieval to part of the archive."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from corpus.errors import CablesError

_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class FilterError(CablesError, ValueError):
    """A filter value that cannot be understood; the message names the field.

    A ``ValueError`` too: pydantic reports a validator's ``ValueError`` on its field.
    """


def date_bounds(value: str) -> tuple[str, str]:
    """The first and last day covered by a full or partial ISO date ("1965-06" → June)."""
    match = _ISO_PARTIAL.match(value.strip()[:10])
    if not match:
        raise FilterError(f"date {value!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    if day:
        return f"{year}-{month}-{day}", f"{year}-{month}-{day}"
    if month:
        last = calendar.monthrange(int(year), int(month))[1]
        return f"{year}-{month}-01", f"{year}-{month}-{last:02d}"
    return f"{year}-01-01", f"{year}-12-31"


@dataclass(frozen=True)
class Filters:
    """Which passages a query may return. Empty fields do not restrict.

    A document matches a date range when its (possibly partial) date overlaps it;
    a document without a date matches a date filter only with ``undated``, and then
    only if the period it covers (``extra["period"]``, "1965-03/1965-07"), where
    known, overlaps the range: a date the question names is the events' date, and an
    undated study or editorial note may tell of them, while a date range a reader sets
    asks for dated documents.
    """

    date_from: str | None = None
    date_to: str | None = None
    collections: tuple[str, ...] = ()
    place: str | None = None
    doc_id_prefix: str | None = None
    doc_ids: tuple[str, ...] = ()
    undated: bool = False

    def __post_init__(self) -> None:
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value:
                try:
                    date_bounds(value)
                except FilterError as error:
                    raise FilterError(f"{name}: {error}") from None
        if (
            self.date_from
            and self.date_to
            and date_bounds(self.date_from)[0] > date_bounds(self.date_to)[1]
        ):
            raise FilterError(f"date_from {self.date_from} is after date_to {self.date_to}")

    @property
    def active(self) -> bool:
        return bool(
            self.date_from
            or self.date_to
            or self.collections
            or self.place
            or self.doc_id_prefix
            or self.doc_ids
        )
