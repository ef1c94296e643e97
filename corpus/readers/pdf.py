"""PDF files: one document per file, every character kept on its page.

The text layer is read by PDFium (pypdfium2; Apache-2.0 / BSD-3): in
``bench/pdf_readers.py`` it kept the words of real pages as well as pypdf,
pdfminer.six and pdfplumber (word-sequence ratio 0.9998-1.0; pypdf lost the
bullets of standard fonts), 5x faster than pypdf and 25-60x faster than pdfminer and
pdfplumber (about 1.4 ms a page), and it also renders the pages that need OCR.
Pages with no text layer but an image are recognised by Tesseract
(:mod:`corpus.readers.ocr`); a page read below its confidence threshold becomes an
"illegible" gap. Stamps, classification markings, running heads and feet and page
numbers are margins: read as metadata (:mod:`corpus.readers.release`), then removed.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from corpus.citation import chicago
from corpus.model import Document
from corpus.readers.ocr import DPI, ILLEGIBLE_BELOW, LANGUAGE, recognise
from corpus.readers.ocr_text import is_stamp, margins
from corpus.readers.plain import short_title
from corpus.readers.release import Release, read_release, running_lines, without_running
from corpus.readers.text import (
    ReaderError,
    TextBuilder,
    folder_name,
    iso_date,
    read_bytes,
    withheld_spans,
)

NAME = "pdf"
SUFFIXES: tuple[str, ...] = (".pdf",)
ARCHIVES = {
    "cia-crest": "CIA CREST",
    "cia-foia": "CIA FOIA Reading Room",
    "state-foia": "U.S. Department of State FOIA",
}
CREST_URL = "https://www.cia.gov/readingroom/document/{}"
_TERMINAL = tuple(".!?:;\"')]”’")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?")
_DATE_IN_TEXT = re.compile(
    r"\b(?:\d{1,2}\s+[A-Z][a-z]{2,8}\.?,?\s+\d{4}|[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s+\d{4})\b"
)
# Titles that tools write for every file: say nothing about the document.
_TOOL_TITLE = re.compile(r"^(untitled|microsoft word\b.*|.*\.(docx?|pdf|tiff?))$", re.IGNORECASE)
_PLACEHOLDERS = {"", "anonymous", "unknown", "unspecified", "untitled", "none"}
# A new paragraph where the gap to the previous line exceeds this many line spacings.
_PARAGRAPH_GAP = 1.4
_LEADING = 1.6  # the widest line spacing, in heights of the line's text (double spacing)


def sniff(path: Path, head: str) -> bool:
    return path.suffix.lower() in SUFFIXES or head.startswith("%PDF-")


def read(path: Path) -> list[Document]:
    data = read_bytes(path, binary=True)
    info, labels, pages, scans = _text_layer(path, data)
    confidence: dict[int, float] = {}
    if scans:
        for number, page in recognise(path, data, scans).items():
            pages[number], confidence[number] = list(page.lines), page.confidence
    if not any(pages):
        raise ReaderError(str(path), "no text: its pages are blank")
    if all(confidence.get(n, 100.0) < ILLEGIBLE_BELOW for n, p in enumerate(pages) if p):
        raise ReaderError(
            str(path),
            f"no legible text: OCR read every page below {ILLEGIBLE_BELOW:g}% confidence",
        )
    release = read_release(pages)
    text, spans, printed, markings = _build(pages, confidence)
    page_labels, note = _labels(labels, printed)
    spans = tuple(replace(span, label=page_labels[int(span.label)]) for span in spans)
    extra = {"page_labels": note, **_info_extra(info), **release.extra}
    if confidence:
        extra["ocr"] = (
            f"Tesseract ({LANGUAGE}, {DPI} dpi) on pages without a text layer; pages "
            f"under {ILLEGIBLE_BELOW:g}% confidence are marked illegible"
        )
        extra["ocr_confidence"] = ", ".join(
            f"{page_labels[n]}: {c:g}" for n, c in sorted(confidence.items())
        )
    if release.released:
        extra["released"] = release.released
    if release.foia_case:
        extra["foia_case"] = release.foia_case
    date = _first_date(text[: spans[0].char_end] if spans else text)
    if date:
        extra["date_note"] = "the first date on the first page"
    folder = folder_name(path)
    own_id = f"{release.archive}/{release.doc_id}" if release.archive else None
    document = Document(
        doc_id=own_id or f"{folder}/{path.stem}",
        title=_title(info, text, path.stem),
        text=text,
        collection=ARCHIVES.get(release.archive, folder),
        date=date,
        author=info.get("Author") or None,
        archive_ref=_archive_ref(release),
        classification=release.classification or _most_common(markings),
        url=CREST_URL.format(release.doc_id.lower()) if release.archive == "cia-crest" else None,
        source_path=str(path),
        pages=spans,
        withheld=withheld_spans(text),
        extra=extra,
    )
    return [replace(document, citation=chicago(document))]


def _text_layer(
    path: Path, data: bytes
) -> tuple[dict[str, str], list[str], list[list[str]], list[int]]:
    """The info dictionary, the PDF's page labels, each page's lines ("" between
    paragraphs), and the pages that are images with no text (scans to recognise)."""
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise ReaderError(str(path), _open_error(str(error))) from None
    try:
        info = {
            key: value.strip()
            for key, value in pdf.get_metadata_dict().items()
            if value.strip().lower() not in _PLACEHOLDERS
        }
        labels = [pdf.get_page_label(i) for i in range(len(pdf))]
        pages, scans = [], []
        for number in range(len(pdf)):
            page = pdf[number]
            lines = _page_lines(page.get_textpage())
            image = pypdfium2.raw.FPDF_PAGEOBJ_IMAGE
            if not lines and any(True for _ in page.get_objects(filter=(image,), max_depth=2)):
                scans.append(number)
            pages.append(lines)
    finally:
        pdf.close()
    return info, labels, pages, scans


def _open_error(message: str) -> str:
    if "password" in message.lower():
        return (
            "encrypted PDF: it needs a password to open; save a copy without one "
            "(e.g. `qpdf --decrypt --password=PASSWORD in.pdf out.pdf`) and ingest that"
        )
    if "format" in message.lower() or "file" in message.lower():
        return "not a readable PDF (damaged or cut short; download it again)"
    return f"PDFium cannot open it: {message}"


def _page_lines(textpage: Any) -> list[str]:
    """The page's text lines top to bottom, "" where a gap between lines starts a
    paragraph. PDFium gives rectangles of text; those on one baseline are one line."""
    rows: list[_Row] = []
    for i in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(i)
        text = _clean(textpage.get_text_bounded(left, bottom, right, top))
        if not text:
            continue
        row = next((row for row in rows if row.bottom <= (top + bottom) / 2 <= row.top), None)
        if row is None:
            rows.append(_Row(top, bottom, left, text))
        else:
            row.text = f"{row.text} {text}" if left >= row.left else f"{text} {row.text}"
    rows.sort(key=lambda row: -row.top)
    if len(rows) < 2:
        return [row.text for row in rows]
    steps = [above.top - below.top for above, below in pairwise(rows)]
    # The line spacing: the usual step from line to line, unless most lines are
    # paragraphs of their own (a list, an agenda), when the type's size tells it.
    height = statistics.median(row.top - row.bottom for row in rows)
    spacing = min(statistics.median(steps), height * _LEADING)
    lines = [rows[0].text]
    for step, row in zip(steps, rows[1:], strict=True):
        if step > spacing * _PARAGRAPH_GAP:
            lines.append("")
        lines.append(row.text)
    return lines


@dataclass
class _Row:
    """A line of text on a page, in PDF points from the bottom."""

    top: float
    bottom: float
    left: float
    text: str


def _clean(text: str) -> str:
    # PDFium marks a hyphen at the end of a line as \x02; NUL and CR come from odd fonts.
    text = text.replace("\x02", "-").replace("\x00", "").replace("\r", " ").replace("\n", " ")
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _build(
    pages: Sequence[list[str]], confidence: dict[int, float]
) -> tuple[str, tuple, list[str | None], Counter[str]]:
    """The text, one page span per page with text (labelled with its index for now),
    the number printed on each page, and the classification markings seen."""
    running = running_lines(pages)
    out = TextBuilder()
    markings: Counter[str] = Counter()
    printed: list[str | None] = []
    previous = ""
    for number, raw in enumerate(pages):
        lines = [line for line in without_running(raw, running) if not is_stamp(line)]
        label, lines = _margins(lines, markings)
        printed.append(label)
        out.page(str(number))
        # A scanned page where OCR found no words is blank (the back of a sheet), not illegible.
        if raw and confidence.get(number, 100.0) < ILLEGIBLE_BELOW:
            out.paragraph()
            out.write(f"[PDF page {number + 1} illegible: OCR confidence {confidence[number]:g}%]")
            previous = "]"
            continue
        # A page's first line goes on with the last paragraph of the page before only when
        # that one stops mid-sentence and this one starts in lower case, as in ocr_text.
        first = lines[0] if lines else ""
        starts = not (previous and not previous.endswith(_TERMINAL) and first[:1].islower())
        for line in lines:
            if not line:
                starts = True
                continue
            if starts:
                out.paragraph()
                out.write(line)
            else:
                out.write(line if previous.endswith("-") else " " + line)
            previous, starts = line, False
    return out.text(), out.pages(), printed, markings


def _margins(lines: list[str], markings: Counter[str]) -> tuple[str | None, list[str]]:
    """:func:`corpus.readers.ocr_text.margins` on the page's first two and last three
    lines, the rest and the paragraph breaks kept as they are."""
    filled = [i for i, line in enumerate(lines) if line]
    edges = sorted({*filled[:2], *filled[-3:]})
    label, kept = margins([lines[i] for i in edges], markings, number_on_top=True)
    dropped = set()
    for i in edges:
        if kept and " ".join(lines[i].split()) == kept[0]:
            kept.pop(0)
        else:
            dropped.add(i)
    body = [line for i, line in enumerate(lines) if i not in dropped]
    # No paragraph break at the page's edges or twice in a row, where margins were.
    body = [line for i, line in enumerate(body) if line or (body[i - 1] if i else "")]
    while body and not body[-1]:
        body.pop()
    return label, body


def _labels(pdf_labels: list[str], printed: list[str | None]) -> tuple[list[str], str]:
    """Each page's label: the PDF's own page labels; else the printed page numbers when
    they run in step with the pages (so pages without one get theirs); else 1, 2, 3."""
    numbers = [str(i + 1) for i in range(len(pdf_labels))]
    if any(pdf_labels):
        return [
            label or n for label, n in zip(pdf_labels, numbers, strict=True)
        ], "the PDF's page labels"
    found = [(i, p) for i, p in enumerate(printed) if p is not None]
    offsets = {int(p) - i for i, p in found if p.isdigit()}
    if found and len(offsets) == 1 and all(p.isdigit() for _, p in found):
        offset = offsets.pop()
        return [str(i + offset) for i in range(len(printed))], "printed page numbers"
    return numbers, "PDF page numbers"


def _title(info: dict[str, str], text: str, stem: str) -> str:
    title = " ".join(info.get("Title", "").split())
    tool = not title or _TOOL_TITLE.match(title) or title == stem
    return short_title(text) if tool else title


def _first_date(text: str) -> str | None:
    return next(
        (date for match in _DATE_IN_TEXT.finditer(text) if (date := iso_date(match.group()))),
        None,
    )


def _info_extra(info: dict[str, str]) -> dict[str, str]:
    extra = {}
    for key, name in (("CreationDate", "pdf_created"), ("ModDate", "pdf_modified")):
        if (match := _PDF_DATE.match(info.get(key, ""))) is not None:
            extra[name] = "-".join(part for part in match.groups() if part)
    for key in ("Subject", "Keywords", "Creator", "Producer"):
        if info.get(key):
            extra[f"pdf_{key.lower()}"] = info[key]
    return extra


def _archive_ref(release: Release) -> str | None:
    if release.archive == "state-foia":
        return f"U.S. Department of State, Case No. {release.foia_case}, Doc No. {release.doc_id}"
    return release.doc_id or None


def _most_common(markings: Counter[str]) -> str | None:
    return markings.most_common(1)[0][0] if markings else None
