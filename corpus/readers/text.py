"""What every reader shares: the error type, decoding, paragraph building, dates, gaps."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from corpus.model import Span
from corpus.vocabulary import MONTH_NUMBERS, MONTHS

SNIFF_BYTES = 1024
_BOMS = (("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"\xff\xfe"), ("utf-16", b"\xfe\xff"))
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?)?)?")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})")
# Declassification gaps as FRUS, the Wilson Center and FOIA releases print them. "(b)(1)"
# only without a space: "(b) (1)" in the Pentagon Papers is paragraph numbering.
_WITHHELD = re.compile(
    r"\[[^\[\]\n]{0,120}?\b(?P<gap>not declassified|illegible|garbled?|unreadable|sanitized)"
    r"\b[^\[\]\n]{0,60}\]|(?P<foia>\(b\)\(\d\)(?:\([A-Z]\))?)",
    re.IGNORECASE,
)
_GAP_KINDS = {"not declassified": "not-declassified", "sanitized": "sanitized"}


class ReaderError(Exception):
    """A file that cannot be read; ``reason`` says what is wrong and where."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def read_bytes(path: Path, *, binary: bool = False) -> bytes:
    """The file's bytes; an empty file is an error, and so is a binary one unless ``binary``."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReaderError(str(path), f"cannot read the file: {error.strerror}") from error
    _check_empty(path, data)
    if not binary and b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReaderError(str(path), f"binary file, not text (NUL byte at byte {data.index(0)})")
    return data


def _check_empty(path: Path, data: bytes) -> None:
    if not data.strip():
        raise ReaderError(str(path), "empty file")


def decode(path: Path, data: bytes) -> str:
    """UTF-8 (or BOM-marked UTF-16) text, NFC-normalised, with BOMs and CRs removed."""
    encoding = _encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise ReaderError(
            str(path),
            f"not valid {encoding.upper()} at byte {error.start} (try converting to UTF-8)",
        ) from error
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def read_text(path: Path) -> str:
    return decode(path, read_bytes(path))


def folder_name(path: Path) -> str:
    """The name of the file's folder, the default collection of loose files."""
    return path.absolute().parent.name or "documents"


def sniff_head(path: Path) -> str:
    """The first KB as text, for choosing a reader; raises on empty files. Binary bytes
    come through replaced: a PDF is binary, and text readers refuse NUL bytes themselves."""
    try:
        with path.open("rb") as file:
            data = file.read(SNIFF_BYTES)
    except OSError as error:
        raise ReaderError(str(path), f"cannot read the file: {error.strerror}") from error
    if len(data) < SNIFF_BYTES:
        _check_empty(path, data)
    return data.decode(_encoding(data), errors="replace").replace("\ufeff", "")


def _encoding(data: bytes) -> str:
    return next((name for name, bom in _BOMS if data.startswith(bom)), "utf-8")


class TextBuilder:
    """Normalised text built piece by piece: single spaces inside paragraphs, "\\n\\n"
    between them, and page marks that land on the first word written after them."""

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self.length = 0
        self._open = False  # the current paragraph has words
        self._space = False  # whitespace was seen since the last word
        self._glue = False  # the next paragraph() call is ignored (a list label)
        self._pending: str | None = None
        self._marks: list[tuple[int, str]] = []

    def write(self, raw: str) -> int:
        """Append ``raw`` with its whitespace collapsed; returns where its words start."""
        words = raw.split()
        if not words:
            self._space = self._space or bool(raw)
            return self.length
        if self._open:
            if self._space or raw[0].isspace():
                self._append(" ")
        elif self.length:
            self._append("\n\n")
        if self._pending is not None:
            self._marks.append((self.length, self._pending))
            self._pending = None
        start = self.length
        self._append(" ".join(words))
        self._open, self._glue, self._space = True, False, raw[-1].isspace()
        return start

    def _append(self, piece: str) -> None:
        self._chunks.append(piece)
        self.length += len(piece)

    def space(self) -> None:
        self._space = True

    def paragraph(self) -> None:
        if not self._glue:
            self._open = self._space = False

    def glue(self) -> None:
        self._glue = True

    def page(self, label: str) -> None:
        """The next word starts page ``label``; a page with no words gets no span."""
        self._pending = label

    def text(self) -> str:
        return "".join(self._chunks)

    def pages(self) -> tuple[Span, ...]:
        text = self.text()
        spans = []
        for i, (start, label) in enumerate(self._marks):
            end = self._marks[i + 1][0] if i + 1 < len(self._marks) else len(text)
            while end > start and text[end - 1].isspace():
                end -= 1
            spans.append(Span(start, end, label, "page"))
        return tuple(spans)


def paragraphs(text: str, *, starts_block: re.Pattern[str] | None = None) -> str:
    """Blank-line separated paragraphs with hard wrapping undone; a line matching
    ``starts_block`` (a list item, a heading) also starts a paragraph."""
    out = TextBuilder()
    for line in text.split("\n"):
        if not line.strip() or (starts_block is not None and starts_block.match(line)):
            out.paragraph()
        out.write(line + " ")
    return out.text()


def withheld_spans(text: str) -> tuple[Span, ...]:
    spans = []
    for match in _WITHHELD.finditer(text):
        if match["foia"]:
            kind = "foia-exemption"
        else:
            kind = _GAP_KINDS.get(match["gap"].lower(), "illegible")
        spans.append(Span(match.start(), match.end(), match.group(), kind))
    return tuple(spans)


_TITLE_PERIOD = re.compile(
    r"(?:(?P<m1>[A-Z][a-z]{2,})\.?\s*)?(?P<y1>1[89]\d\d|20\d\d)?\s*[-–]\s*"
    r"(?:(?P<m2>[A-Z][a-z]{2,})\.?\s*)?(?P<y2>1[89]\d\d|20\d\d)\b"
    r"|(?P<m>[A-Z][a-z]{2,})\.?\s+(?P<y>1[89]\d\d|20\d\d)\b"
)


def iso_period(value: str) -> str | None:
    """The ISO 8601 interval "1965-03/1965-07" from "START/END", each side a date
    :func:`iso_date` reads, START not after END; None if it is not one."""
    start, slash, end = value.partition("/")
    first, last = iso_date(start), iso_date(end)
    if not slash or first is None or last is None or first[: len(last)] > last:
        return None
    return f"{first}/{last}"


def title_period(title: str) -> str | None:
    """The months or years a title says its text covers, as an ISO interval:
    "Phase I …: March - July 1965" -> "1965-03/1965-07", "Air War …: 1965 - 1968" ->
    "1965/1968", "… Go to DaNang, March 1965" -> "1965-03/1965-03". Month names are
    read by their first three letters, so an OCR "Aprii" is April."""
    for match in _TITLE_PERIOD.finditer(title):
        if match["y"]:
            month = _month_number(match["m"])
            if month:
                return f"{match['y']}-{month:02d}/{match['y']}-{month:02d}"
            continue
        m1, m2 = _month_number(match["m1"]), _month_number(match["m2"])
        if (match["m1"] and not m1) or (match["m2"] and not m2) or bool(m1) != bool(m2):
            continue
        y1 = match["y1"] or match["y2"]
        if m1 and m2:
            return iso_period(f"{y1}-{m1:02d}/{match['y2']}-{m2:02d}")
        if match["y1"]:
            return iso_period(f"{y1}/{match['y2']}")
    return None


def _month_number(word: str | None) -> int:
    return MONTH_NUMBERS.get((word or "")[:3].lower(), 0)


def iso_date(value: str) -> str | None:
    """ISO 8601 date (possibly partial) from "1965-06-19", "1965-06-19T10:00-04:00",
    "June 19, 1965" or "19 June 1965"; None if it is not a date."""
    value = value.strip()
    if iso := _ISO.fullmatch(value):
        year, month_number, day_number = iso.groups()
        if (month_number and not 1 <= int(month_number) <= 12) or (
            day_number and not 1 <= int(day_number) <= 31
        ):
            return None
        return "-".join(part for part in (year, month_number, day_number) if part)
    if match := _MONTH_DAY_YEAR.fullmatch(value):
        month, day, year = match.groups()
    elif match := _DAY_MONTH_YEAR.fullmatch(value):
        day, month, year = match.groups()
    else:
        return None
    word = month.lower()
    number = next((i for i, name in enumerate(MONTHS, 1) if name.lower().startswith(word)), 0)
    if len(word) < 3 or not number or not 1 <= int(day) <= 31:
        return None
    return f"{year}-{number:02d}-{int(day):02d}"
