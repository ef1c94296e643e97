"""The PDF reader, on PDFs made from the real texts by tests/fixtures/make_fixtures.py.

- ``crest-memo.pdf``: FRUS documents 15 and 14 as a three-page CIA CREST release.
- ``pentagon-scan.pdf``: Pentagon Papers IV.C.5 typed pages as a scan with no text layer,
  read through the real Tesseract; its third page is too degraded to read.
- ``permissions-only.pdf`` / ``bad/encrypted.pdf``: an owner password / a user password.
- ``bad/corrupt.pdf``: the memorandum cut off after its first stream.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.model import Document
from corpus.readers import ReaderError, read_path
from corpus.readers.ocr import _from_tsv
from corpus.readers.release import Release, read_release, running_lines, without_running
from tests.fixtures.make_fixtures import scan_page, text_pdf
from tests.test_readers import assert_well_formed

PDFS = Path(__file__).parent / "fixtures" / "pdf"
HTML = Path(__file__).parent / "fixtures" / "html"
FRUS = Path(__file__).parent.parent / "corpus" / "data" / "frus1964-68v03.excerpt-d1-d16.xml"
PAGE_2 = (
    "He pointed out that sea patrols of the Vietnamese coast were not turning up significant "
    "amounts of equipment proceeding by sea."
)
SCANNED_PAGE_2 = "Left in his stead were two civilians, Prime Minister Phan Huy Quat"
CREST = "CIA-RDP80B01676R000800020015-1"


@pytest.fixture(scope="module")
def ocr_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache of our own, so that the first read of the scan really runs Tesseract."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        yield cache


@pytest.fixture(scope="module")
def scan(ocr_cache: Path) -> Document:
    [document] = read_path(PDFS / "pentagon-scan.pdf")
    return document


def page_of(document: Document, quote: str) -> str | None:
    return document.page_at(document.text.index(quote))


def test_text_pdf_fields_pages_and_margins() -> None:
    [memo] = read_path(PDFS / "crest-memo.pdf")
    assert_well_formed(memo)
    assert memo.doc_id == f"cia-crest/{CREST}"
    assert memo.title == "Memorandum for the Record: Meeting in the Cabinet Room on Vietnam"
    assert (memo.author, memo.date, memo.classification) == (
        "Richard Helms",
        "1965-06-23",
        "SECRET",
    )
    assert (memo.collection, memo.archive_ref) == ("CIA CREST", CREST)
    assert memo.url == f"https://www.cia.gov/readingroom/document/{CREST.lower()}"
    assert memo.extra["released"] == "2005-03-24"
    assert memo.extra["pdf_created"] == "2005-03-24"
    assert memo.extra["page_labels"] == "printed page numbers"
    assert memo.citation == (
        "“Memorandum for the Record: Meeting in the Cabinet Room on Vietnam,” June 23, 1965, "
        f"CIA CREST, {CREST}, https://www.cia.gov/readingroom/document/{CREST.lower()}."
    )
    assert [page.label for page in memo.pages] == ["1", "2", "3"]
    assert memo.text.startswith("MEMORANDUM FOR THE RECORD\n\nSUBJECT\n\nMeeting in the Cabinet")
    for margin in ("Approved For Release", "CIA-RDP", "SECRET", "- 2 -", "- 3 -"):
        assert margin not in memo.text
    assert page_of(memo, PAGE_2) == "2"
    assert page_of(memo, "Bob McNamara will have a chart") == "3"
    # Paragraph 7 runs from page 1 onto page 2: one paragraph, each word on its own page.
    across = "7. There was some discussion of a proposal to place an international force across "
    across += "the 17th parallel in order to put an end to North Vietnamese infiltration"
    assert across in memo.text
    assert page_of(memo, "the 17th") == "1" and page_of(memo, "parallel in order") == "2"


def test_every_line_is_on_the_page_it_was_written_on(tmp_path: Path) -> None:
    """FRUS document 7 typeset over several pages under a State FOIA release line: each
    laid-out line is found in the text on its own page, in order."""
    d7 = {d.doc_id: d for d in read_path(FRUS)}["frus1964-68v03/d7"]
    release = "U.S. Department of State Case No. F-2014-20439 Doc No. C05765918 Date: 08/31/2015"
    path = tmp_path / "ball-memo.pdf"
    laid_out = text_pdf(
        path, d7.text.split("\n\n"), header=["UNCLASSIFIED"], footer=[release], number_from=2
    )
    assert len(laid_out) >= 4
    [memo] = read_path(path)
    assert_well_formed(memo)
    assert memo.doc_id == "state-foia/C05765918"
    assert memo.archive_ref == "U.S. Department of State, Case No. F-2014-20439, Doc No. C05765918"
    assert (memo.classification, memo.extra["released"]) == ("UNCLASSIFIED", "2015-08-31")
    assert [page.label for page in memo.pages] == [str(n) for n in range(1, len(laid_out) + 1)]
    at = 0
    for number, lines in enumerate(laid_out, start=1):
        for line in filter(None, lines):
            at = memo.text.index(line, at)
            assert memo.page_at(at) == str(number), line
            assert memo.page_at(at + len(line) - 1) == str(number), line


def test_page_labels_follow_printed_numbers(tmp_path: Path) -> None:
    """An excerpt whose pages are printed 16 onwards cites them as 16, 17, 18 ..., the
    first page, which has no number printed, included."""
    d7 = {d.doc_id: d for d in read_path(FRUS)}["frus1964-68v03/d7"]
    path = tmp_path / "excerpt.pdf"
    pages = text_pdf(path, d7.text.split("\n\n"), number_from=2, first_number=16)
    [excerpt] = read_path(path)
    assert excerpt.extra["page_labels"] == "printed page numbers"
    assert [page.label for page in excerpt.pages] == [str(16 + i) for i in range(len(pages))]
    assert "- 17 -" not in excerpt.text and len(pages) >= 3


def test_scanned_pdf_is_read_through_ocr(scan: Document, ocr_cache: Path) -> None:
    assert_well_formed(scan)
    assert scan.doc_id == "pdf/pentagon-scan"
    assert scan.title == "I. Evolution of the Situation"
    assert scan.classification == "TOP SECRET - Sensitive"
    assert scan.extra["pdf_created"] == "2011-06-13"
    assert [page.label for page in scan.pages] == ["1", "2", "3"]
    assert scan.text.startswith("I. Evolution of the Situation\n\nIn the history of the Vietnam")
    for margin in ("Declassified per", "NND", "TOP SECRET"):
        assert margin not in scan.text
    assert page_of(scan, "the first U.S. ground combat commitment to the Asian mainland") == "1"
    assert page_of(scan, SCANNED_PAGE_2) == "2"
    confidence = dict(item.split(": ") for item in scan.extra["ocr_confidence"].split(", "))
    assert float(confidence["1"]) >= 90 and float(confidence["2"]) >= 90
    assert float(confidence["3"]) < 60
    [gap] = scan.withheld
    assert gap.kind == "illegible"
    assert re.fullmatch(r"\[PDF page 3 illegible: OCR confidence \d+(\.\d)?%\]", gap.label)
    assert scan.page_at(gap.char_start) == "3" and scan.text.endswith(gap.label)
    assert len(list((ocr_cache / "cable-assistant" / "ocr").glob("*.json"))) == 1


def test_a_second_read_of_a_scan_comes_from_the_cache(
    scan: Document, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract to be found
    assert read_path(PDFS / "pentagon-scan.pdf") == [scan]


def test_without_tesseract_a_scan_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", str(tmp_path))
    path = PDFS / "pentagon-scan.pdf"
    with pytest.raises(ReaderError) as raised:
        read_path(path)
    assert raised.value.path == str(path)
    assert "no text layer needs OCR, and Tesseract is not installed" in raised.value.reason
    assert "apt-get install tesseract-ocr" in raised.value.reason


def test_a_blank_scanned_page_is_no_gap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "telegram.pdf"
    typed = scan_page(["Telegram 4336 from Saigon, June 19, 1965.", "", "The Ky government."])
    scan_page([]).save(path, "PDF", resolution=200, save_all=True, append_images=[typed])
    [telegram] = read_path(path)
    assert telegram.text == "Telegram 4336 from Saigon, June 19, 1965.\n\nThe Ky government."
    assert [page.label for page in telegram.pages] == ["2"] and telegram.withheld == ()
    assert telegram.date == "1965-06-19"
    assert telegram.extra["ocr_confidence"].startswith("1: 0, 2: ")


def test_a_pdf_with_only_an_owner_password_is_read() -> None:
    [cable] = read_path(PDFS / "permissions-only.pdf")
    assert cable.title == "Cable from the Chinese Embassy in the Soviet Union"
    assert cable.text.startswith("[stamp] June 22, 1965\n\n[Stamp] Foreign Ministry")
    assert cable.author is None  # reportlab's "anonymous" is no author


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("encrypted.pdf", "encrypted PDF: it needs a password to open"),
        ("corrupt.pdf", "not a readable PDF (damaged or cut short; download it again)"),
    ],
)
def test_bad_pdfs_raise_reader_error(name: str, reason: str) -> None:
    path = PDFS / "bad" / name
    with pytest.raises(ReaderError) as raised:
        read_path(path)
    assert raised.value.path == str(path) and raised.value.reason.startswith(reason)


def test_blank_and_empty_pdfs(tmp_path: Path) -> None:
    blank = tmp_path / "blank.pdf"
    text_pdf(blank, [""])
    with pytest.raises(ReaderError, match="no text: its pages are blank"):
        read_path(blank)
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(ReaderError, match="empty file"):
        read_path(tmp_path / "empty.pdf")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["Approved For Release 2005/03/24 : CIA-RDP80B01676R000800020015-1", "SECRET"],
            Release("cia-crest", CREST, "2005-03-24", "", "SECRET"),
        ),
        (
            ["Sanitized Copy Approved for Release 2011/02/03 : CIA-RDP79T00975A007000010001-3"],
            Release(
                "cia-crest",
                "CIA-RDP79T00975A007000010001-3",
                "2011-02-03",
                extra={"sanitized": "a sanitized copy: parts are withheld"},
            ),
        ),
        (
            ["Approved for Release: 2018/06/12 C06735487", "TOP SECRET//NOFORN"],
            Release("cia-foia", "C06735487", "2018-06-12", "", "TOP SECRET//NOFORN"),
        ),
        (
            ["UNCLASSIFIED U.S. Department of State Case No. F-2014-20439 Doc No. C05765918"],
            Release("state-foia", "C05765918", None, "F-2014-20439"),
        ),
        (
            ["DECLASSIFIED", "Authority NLJ 94-23", "FOIA Case No. NLJ-019-004-2-1"],
            Release(foia_case="NLJ-019-004-2-1", extra={"declassification_authority": "NLJ 94-23"}),
        ),
        (["SECRET SERVICE AGENTS MET THE PRESIDENT", "The Secret cable"], Release()),
    ],
)
def test_release_stamps(lines: list[str], expected: Release) -> None:
    assert read_release([lines]) == expected


def test_running_lines_are_found_by_shape_at_the_edges() -> None:
    pages = [
        ["SECRET", "Page 1 of 3", "The embassy reported.", "It was late.", "x", "y", "z", "w"],
        ["SECRET", "Page 2 of 3", "Saigon replied.", "- 2 -"],
        ["SECRET", "Page 3 of 3", "SECRET is a word.", "- 3 -"],
    ]
    running = running_lines(pages)
    assert running == {"secret", "page # of #"}  # "- 2 -" is a page number, for the margins
    assert without_running(pages[2], running) == ["SECRET is a word.", "- 3 -"]
    assert without_running(pages[0], running)[:2] == ["The embassy reported.", "It was late."]
    assert running_lines(pages[:1]) == frozenset()


def test_tesseract_tsv_into_lines_and_confidence() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
    rows = [
        (1, 1, 1, 1, "Embtel", 96),
        (1, 1, 1, 2, "2699", 90),
        (1, 1, 2, 1, "received", 80),
        (1, 1, 2, 2, "", -1),
        (2, 1, 1, 1, "Saigon", 70),
        (2, 1, 1, 2, "~", 10),
    ]
    lines = [f"{header}\tconf\ttext", "1\t1\t0\t0\t0\t0\t0\t0\t10\t10\t-1\t"]
    for block, par, line, word, text, conf in rows:
        lines.append(f"5\t1\t{block}\t{par}\t{line}\t{word}\t0\t0\t1\t1\t{conf}\t{text}")
    page = _from_tsv("\n".join(lines) + "\n")
    assert page.lines == ("Embtel 2699", "received", "", "Saigon ~")
    weighted = (96 * 6 + 90 * 4 + 80 * 8 + 70 * 6 + 10 * 1) / 25
    assert page.confidence == round(weighted, 1)
    assert _from_tsv(header + "\tconf\ttext\n").confidence == 0.0


def test_importing_the_readers_loads_no_pdf_or_html_library() -> None:
    code = "import sys, corpus.readers; print(sorted({m.split('.')[0] for m in sys.modules}"
    code += " & {'pypdfium2', 'trafilatura', 'PIL', 'tqdm'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_cables_ingest_reads_pdf_scan_and_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ocr_cache: Path, scan: Document
) -> None:
    """The real CLI on a folder of a text PDF, a scan, a record page and an encrypted PDF:
    exit status 1 for the bad file, the rest indexed with their pages."""
    from assistant.cli import cli
    from assistant.service import Assistant
    from assistant.settings import Settings
    from embeddings.index import Index

    folder = tmp_path / "downloads"
    folder.mkdir()
    for source in (
        PDFS / "crest-memo.pdf",
        PDFS / "pentagon-scan.pdf",
        PDFS / "bad" / "encrypted.pdf",
    ):
        shutil.copy(source, folder)
    shutil.copy(HTML / "wilson-record.html", folder)
    index_dir = tmp_path / "index"
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--index", str(index_dir)])
    assert result.exit_code == 1, result.output
    assert "3 added, 0 updated, 0 unchanged, 1 failed" in result.output
    assert f"{folder / 'encrypted.pdf'}: encrypted PDF" in result.output
    index = Index.open(index_dir)
    try:
        assert index.doc_ids() == sorted(
            [f"cia-crest/{CREST}", "downloads/pentagon-scan", "downloads/wilson-record"]
        )
        for query, doc_id, page in (
            (PAGE_2, f"cia-crest/{CREST}", "2"),
            (SCANNED_PAGE_2, "downloads/pentagon-scan", "2"),
        ):
            ranked = index.keywords.search(query, 1)
            [passage] = index.passages(ranked.ids.tolist()).values()
            assert passage.doc_id == doc_id and query in passage.text
            # A citation's page is the page of its quote, from the stored document's pages.
            document = index.document(doc_id)
            assert document is not None
            assert document.page_at(passage.char_start + passage.text.index(query)) == page
            assert passage.page == document.page_at(passage.char_start)
    finally:
        index.close()
    # A question answered from page 2 cites page 2, in the citation's text too.
    assistant = Assistant.open(Settings(index_dir=index_dir))
    try:
        answer = assistant.ask("Were sea patrols of the Vietnamese coast finding equipment?")
    finally:
        assistant.close()
    cited = next(c for c in answer.citations if c.doc_id == f"cia-crest/{CREST}")
    assert "sea patrols" in cited.quote and cited.page == "2"
    assert cited.citation.endswith(f"{CREST.lower()}, p. 2."), cited.citation
