"""OCR exports of declassified scans, above all the Pentagon Papers (NND 63316).

Every scanned page starts with the declassification stamp, so the stamp is the
page boundary; the page's last lines carry its printed number and the report's
classification marking. Stamps, markings and page numbers are margins, not
text: they are removed and kept as ``pages`` labels and ``classification``.
The OCR put each paragraph on one line, so a line continues the previous one
only when that one stops mid-sentence and this one starts in lower case.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from corpus.citation import chicago
from corpus.model import Document
from corpus.readers.plain import short_title
from corpus.readers.text import (
    ReaderError,
    TextBuilder,
    folder_name,
    read_text,
    title_period,
    withheld_spans,
)

NAME = "ocr-text"
SUFFIXES: tuple[str, ...] = (".txt",)
COLLECTION = "Pentagon Papers"
URL = "https://www.archives.gov/research/pentagon-papers"
REPORT = "Report of the Office of the Secretary of Defense Vietnam Task Force"
_SNIFF = re.compile(r"Declassified per Executive Order|NND Project Number|\f")
# Tolerant of the OCR's misreadings: "Ordcr", "NWD Dale: 201 I", "NND 63.316".
_STAMP = re.compile(r"Execut\S*\s*Ord|Project\s*Numb|\bNND\b|\bN[WV]D\b|13526|633\W?16")
_STAMP_END = (
    re.compile(r"Da\S{1,2}\W{0,2}\s*2[0O]\S{0,2}(?:\s?[1lI!]\b)?"),
    re.compile(r"Section\s*[\d.,’']{0,5}"),
)
_LEVEL = r"(?:T[O0o?]P\s*SECR?E[TI]|\bTS\b)"
_CAVEAT = r"(?:S\w{0,2}ns\w*|N[O0]DIS)"
_MARKING = re.compile(
    rf"^[\W_]{{0,3}}[Il|]?(?P<level>{_LEVEL})[\W_]{{0,4}}(?P<caveat>{_CAVEAT})[\W_]{{0,3}}$", re.I
)
_ANY_MARKING = re.compile(rf"{_LEVEL}(?:[\W_]{{0,4}}{_CAVEAT})?|\bSECRET\b|\b{_CAVEAT}\b", re.I)
_PAGE_NUMBER = re.compile(r"(?:[A-Z]{1,2}\s?-\s?)?[1-9]\d{0,2}|[ivx]{1,5}")
_MARGIN_JUNK = " \t.,:;'`^?!|-_•■*"
_TERMINAL = tuple(".!?:;\"')]”’")
_PART = re.compile(r"^Pentagon-Papers-(?:Part-)?(?P<part>.+?)(?:-text)?$")
_VOLS = re.compile(r"\(\s*(\d+)\s*Vols?\.?\s*\)")
_CODE = re.compile(r"^[IVX1l]{1,4}(?:\s*\.\s*[A-C])?\.?\s+")
_SUBITEM = re.compile(r"(?:[a-z]\.|Vo[lI]ume|Book)\s")


def sniff(path: Path, head: str) -> bool:
    return path.suffix.lower() in SUFFIXES and bool(_SNIFF.search(head))


def read(path: Path) -> list[Document]:
    pages = _pages(read_text(path).replace("\f", "\n\f\n").split("\n"))
    out = TextBuilder()
    markings: Counter[str] = Counter()
    cover: list[str] = []
    previous = ""
    for ordinal, lines in enumerate(pages, start=1):
        label, body = margins(lines, markings)
        out.page(label or f"scan {ordinal}")
        if ordinal == 1:
            cover = body
        for line in body:
            if previous and not previous.endswith(_TERMINAL) and line[:1].islower():
                out.write(line if previous.endswith("-") else " " + line)
            else:
                out.paragraph()
                out.write(line)
            previous = line
    text = out.text()
    if not text:
        raise ReaderError(str(path), "no text left after removing stamps and page margins")
    classification = markings.most_common(1)[0][0] if markings else None
    extra = {"page_labels": "printed page numbers; 'scan N' is the Nth scanned page"}
    match = _PART.match(path.stem)
    if match is None:
        folder = folder_name(path)
        document = Document(
            doc_id=f"{folder}/{path.stem}",
            title=short_title(text),
            text=text,
            collection=folder,
            classification=classification,
            kind="report",
            source_path=str(path),
            pages=out.pages(),
            withheld=withheld_spans(text),
            extra=extra,
        )
        return [replace(document, citation=chicago(document))]
    part = _part_code(match["part"])
    name = "Index" if part == "Index" else f"Part {part}"
    subtitle = _cover_title(cover) if part != "Index" else None
    title = f"Pentagon Papers, {name}: {subtitle}" if subtitle else f"Pentagon Papers, {name}"
    extra["date_note"] = "the report was compiled in 1967-1969; its parts carry no date"
    if subtitle and (period := title_period(subtitle)):
        extra["period"] = period  # the months its title says it covers
    return [
        Document(
            doc_id=f"pentagon-papers/{part}",
            title=title,
            text=text,
            collection=COLLECTION,
            archive_ref=f"National Archives, NND 63316, {REPORT}, {name}",
            classification=classification,
            url=URL,
            citation=f"“{title},” in {REPORT}, 1967–1969, National Archives, NND 63316, {URL}.",
            kind="report",
            source_path=str(path),
            pages=out.pages(),
            withheld=withheld_spans(text),
            extra=extra,
        )
    ]


def _pages(lines: list[str]) -> list[list[str]]:
    """Lines grouped by scanned page: each run of stamp lines (or a form feed) starts one."""
    pages: list[list[str]] = []
    in_stamp = False
    for line in lines:
        if line == "\f":  # a form feed starts a page too, unless a stamp follows at once
            pages.append([])
            in_stamp = True
            continue
        line = line.strip()
        if is_stamp(line):
            if not in_stamp:
                pages.append([])
            in_stamp = True
            residue = _after_stamp(line)
            if re.search(r"[A-Za-z]{3}", residue):
                pages[-1].append(residue)
            continue
        if line:
            in_stamp = False
            if not pages:
                pages.append([])
        if pages:
            pages[-1].append(line)
    return pages


def is_stamp(line: str) -> bool:
    """Whether ``line`` is (a piece of) the NND declassification stamp of a scanned page."""
    stamp = _STAMP.search(line)
    return stamp is not None and (len(line) <= 110 or stamp.start() <= 20)


def _after_stamp(line: str) -> str:
    for pattern in _STAMP_END:
        if match := pattern.search(line):
            return line[match.end() :]
    return ""


def margins(
    lines: list[str], markings: Counter[str], *, number_on_top: bool = False
) -> tuple[str | None, list[str]]:
    """The page's printed number and its text lines without markings and number.

    The number is looked for in the page's last lines, and with ``number_on_top`` in its
    first two as well (typed memoranda number their later pages "- 2 -" at the top)."""
    lines = [" ".join(line.split()) for line in lines]
    lines = [line for line in lines if line]
    label, body = None, []
    for i, line in enumerate(lines):
        if full := _MARKING.match(line):
            caveat = "NODIS" if full["caveat"].upper().startswith("N") else "Sensitive"
            markings[f"TOP SECRET - {caveat}"] += 1
            continue
        footer, header = i >= len(lines) - 3, i < 2
        if footer or header:
            rest = _ANY_MARKING.sub(" ", line).strip(_MARGIN_JUNK)
            if not rest:
                continue
            if (footer or number_on_top) and _PAGE_NUMBER.fullmatch(rest):
                label = rest.replace(" ", "")
                continue
        body.append(line)
    return label, body


def _part_code(name: str) -> str:
    """ "IV-C-5" -> "IV.C.5", "V-B-4-Book-I" -> "V.B.4.Book-I", "Index" -> "Index"."""
    return re.sub(r"(?<!Book)(?<!Vol)-", ".", name)


def _cover_title(cover: list[str]) -> str | None:
    """The part's own title from the archive's cover sheet, under the series headings:
    "IV.C Evolution of the War (26 Vols.) Direct Action: … (16 Vols.)" / "5. Phase I …"."""
    lines = [line for line in cover if re.search(r"[A-Za-z0-9]{3}", line)][:6]
    if not lines:
        return None
    cuts = [(i, match) for i, line in enumerate(lines) for match in _VOLS.finditer(line)]
    if cuts and cuts[0][1].group(1) == "1":  # Parts I-III: "I Vietnam and the U.S. (1 Vol.)"
        i, match = cuts[0]
        title = _CODE.sub("", " ".join([*lines[:i], lines[i][: match.start()]]))
    else:
        if cuts:
            i, match = cuts[min(1, len(cuts) - 1)]
            rest, after = lines[i][match.end() :].strip(), lines[i + 1 :]
        else:
            rest, after = _CODE.sub("", lines[0]), lines[1:]
        if not rest and after:
            rest, after = after[0], after[1:]
        parts = [rest]
        for line in after:
            if not _SUBITEM.match(line):
                break
            parts.append(line)
        title = " ".join(parts)
    return re.sub(r"^\d{1,2}\.\s*", "", title).strip(" .,;:") or None
