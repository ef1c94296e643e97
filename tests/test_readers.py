"""The document readers, on small excerpts of the real archives.

Fixtures in ``tests/fixtures/readers`` (all cut from the data in /work/shared/data):
- ``frus1964-68v03.fixture-d2-d5-d7-d14-d16.xml``: the FRUS excerpt with its
  teiHeader and documents d2, d5, d7, d14, d15, d16 verbatim; each omitted
  document is replaced by its own ``<pb>`` milestones so page numbers stay right.
- ``seed_cable_1965-06-19.txt``: the Wilson Center capture, unchanged.
- ``pentagon-papers/``: the first six scanned pages of Parts IV.C.5 and IV.C.2a,
  byte for byte (BOM included).
- ``notes/`` and ``frus-extracts.jsonl``: FRUS documents d4, d11, d3, d12, d13 as
  Markdown with front matter, hard-wrapped plain text, and JSON Lines.
- ``bad/``: a truncated copy of the FRUS excerpt, a PNG header, an empty file, a
  Pentagon Papers sentence in Latin-1, a JSON Lines file with a record lacking text.
"""

from __future__ import annotations

import shutil
import time
import unicodedata
from pathlib import Path

import pytest

from corpus.model import Document
from corpus.readers import READERS, ReaderError, iter_source_files, read_path
from corpus.readers.text import iso_date, iso_period, title_period

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
SAMPLE = Path(__file__).parent.parent / "corpus" / "data"
PENTAGON_PAPERS = Path("/work/shared/data/pentagon-papers")
SHARED_FRUS = Path("/work/shared/data/frus")
FRUS = FIXTURES / "frus1964-68v03.fixture-d2-d5-d7-d14-d16.xml"
WILSON = FIXTURES / "seed_cable_1965-06-19.txt"
OCR_IV_C_5 = FIXTURES / "pentagon-papers" / "Pentagon-Papers-Part-IV-C-5.txt"
OCR_IV_C_2A = FIXTURES / "pentagon-papers" / "Pentagon-Papers-Part-IV-C-2a.txt"
MARKDOWN = FIXTURES / "notes" / "frus1964-68v03-d4.md"
PLAIN = FIXTURES / "notes" / "frus1964-68v03-d11.txt"
JSONL = FIXTURES / "frus-extracts.jsonl"
GOOD = [FRUS, WILSON, OCR_IV_C_5, OCR_IV_C_2A, MARKDOWN, PLAIN, JSONL, *sorted(SAMPLE.iterdir())]
FRUS_SERIES = (
    "in Foreign Relations of the United States, 1964–1968, vol. III, Vietnam, June–December "
    "1965, ed. David C. Humphrey, Edward C. Keefer, and Louis J. Smith (Washington: "
    "Government Printing Office, 1996)"
)
GAP = "[less than 1 line of source text not declassified]"


def by_id(path: Path) -> dict[str, Document]:
    return {document.doc_id: document for document in read_path(path)}


def assert_well_formed(document: Document) -> None:
    """Normalised text, and every span pointing at exactly what it marks."""
    text = document.text
    assert text and text == text.strip()
    assert "\ufeff" not in text and "\r" not in text and "\f" not in text
    assert "\n\n\n" not in text and "  " not in text
    assert unicodedata.is_normalized("NFC", text)
    assert all("\n" not in paragraph for paragraph in text.split("\n\n"))
    for span in document.pages + document.notes + document.withheld:
        assert 0 <= span.char_start < span.char_end <= len(text), span
        marked = text[span.char_start : span.char_end]
        assert marked == marked.strip() and span.label, span
    for span in document.withheld:
        assert text[span.char_start : span.char_end] == span.label
        assert span.kind in {
            "not-declassified",
            "illegible",
            "foia-exemption",
            "sanitized",
            "unreadable-page",
        }
    for span in document.notes:
        # A footnote is its own paragraph "N. text" and the span is the text.
        number = f"{span.label}. "
        assert text[span.char_start - len(number) : span.char_start] == number
        assert text[: span.char_start - len(number)].endswith("\n\n")
        assert text[span.char_end :][:2] in ("", "\n\n")
        assert span.kind in {"source", "note"}
    starts = [page.char_start for page in document.pages]
    assert starts == sorted(starts) and all(page.kind == "page" for page in document.pages)
    for page, following in zip(document.pages, document.pages[1:], strict=False):
        assert page.char_end <= following.char_start
        assert not text[page.char_end : following.char_start].strip()


@pytest.mark.parametrize("path", GOOD, ids=lambda path: path.name)
def test_every_document_is_well_formed(path: Path) -> None:
    documents = read_path(path)
    assert documents
    for document in documents:
        assert_well_formed(document)
        assert document.source_path == str(path)
        assert document.citation and document.title and document.collection


def test_frus_memorandum_fields() -> None:
    d7 = by_id(FRUS)["frus1964-68v03/d7"]
    assert d7.title == "Memorandum From the Under Secretary of State (Ball) to President Johnson"
    assert (d7.date, d7.place, d7.author, d7.recipient) == (
        "1965-06-18",
        "Washington",
        "Ball",
        "Johnson",
    )
    assert d7.archive_ref == (
        "Johnson Library, National Security File, Country File, Vietnam, Vol. XXXV, Memos (D)"
    )
    assert d7.classification == "Top Secret"
    assert d7.url == "https://history.state.gov/historicaldocuments/frus1964-68v03/d7"
    assert d7.collection == "FRUS 1964-1968, Volume III"
    assert d7.kind == "memorandum"
    assert d7.extra == {"number": "7"}
    assert d7.citation == (
        "“Memorandum From the Under Secretary of State (Ball) to President Johnson,” "
        f"Washington, June 18, 1965, {FRUS_SERIES}, Document 7, "
        "https://history.state.gov/historicaldocuments/frus1964-68v03/d7."
    )
    assert d7.text.startswith("SUBJECT\n\nKeeping the Power of Decision in the South Viet-Nam")
    assert [page.label for page in d7.pages] == ["16", "17", "18", "19", "20", "21", "16"]


def test_frus_footnotes_follow_the_body_on_their_own_pages() -> None:
    d2 = by_id(FRUS)["frus1964-68v03/d2"]
    body, notes = d2.text.split("\n\nNotes\n\n")
    assert "Source:" not in body and "POL 15 VIET S" not in body
    assert notes.startswith("1. Source: Department of State, Central Files, POL 15 VIET S.")
    assert [(note.label, note.kind) for note in d2.notes] == [
        ("1", "source"),
        ("2", "note"),
        ("3", "note"),
        ("4", "note"),
    ]
    assert d2.text[d2.notes[1].char_start : d2.notes[1].char_end] == "June 12 or 13."
    # Footnote 4 is anchored on printed page 9, footnote 1 on page 6.
    assert [d2.page_at(note.char_start) for note in d2.notes] == ["6", "6", "7", "9"]
    # Each footnote keeps where its mark stands in the body (the source note's is in the head).
    source, saturday, *_ = d2.notes
    assert source.anchor is None and saturday.anchor is not None
    assert d2.text[: saturday.anchor].endswith("on either Saturday or Sunday")
    assert d2.in_body(saturday.char_start + 3) == saturday.anchor
    assert d2.in_body(source.char_start + 3) == source.char_start + 3


@pytest.mark.parametrize(
    ("doc_id", "archive_ref", "classification"),
    [
        ("d2", "Department of State, Central Files, POL 15 VIET S", "Secret; Priority; Limdis"),
        ("d5", "Department of State, Central Files, POL 27 VIET S", "Secret; Priority; Nodis"),
        (
            "d14",
            "Johnson Library, National Security File, Memos to the President, "
            "McGeorge Bundy, Vol. XI",
            "Secret",
        ),
        (
            "d15",
            "Central Intelligence Agency, DCI (Helms) Files, Job 80 BO 1285A, Chrono as "
            "DDP and DDCI, 1 Jan-31 Dec 65",
            "Secret",
        ),
        ("d16", None, None),
    ],
)
def test_frus_source_note(doc_id: str, archive_ref: str | None, classification: str | None) -> None:
    document = by_id(FRUS)[f"frus1964-68v03/{doc_id}"]
    assert (document.archive_ref, document.classification) == (archive_ref, classification)


def test_frus_undated_and_editorial_documents() -> None:
    documents = by_id(FRUS)
    d14, d16 = documents["frus1964-68v03/d14"], documents["frus1964-68v03/d16"]
    assert d14.date == "1965-06-23"
    assert d14.extra["date_note"] == "undated; inferred from document content"
    assert (d14.kind, d14.author, d14.recipient) == ("agenda", "Bundy", None)
    assert "(Bundy),” Washington, undated, in Foreign Relations" in d14.citation
    assert (d16.title, d16.kind, d16.date, d16.place, d16.notes) == (
        "Editorial Note",
        "editorial-note",
        None,
        None,
        (),
    )
    assert d16.citation == (
        f"“Editorial Note,” {FRUS_SERIES}, Document 16, "
        "https://history.state.gov/historicaldocuments/frus1964-68v03/d16."
    )
    # A page break between two words ("McNamara<pb n="41"/>objected") is a space.
    at = d16.text.index("McNamara objected")
    assert d16.page_at(at) == "40" and d16.page_at(at + len("McNamara ")) == "41"


def test_frus_declassification_gaps_and_garbles() -> None:
    d2 = by_id(FRUS)["frus1964-68v03/d2"]
    assert [(span.label, span.kind) for span in d2.withheld] == [(GAP, "not-declassified")] * 2
    assert "EmbOffs by [less than 1 line of source text not declassified] Tran Quang" in d2.text
    d1 = by_id(SAMPLE / "frus1964-68v03.excerpt-d1-d16.xml")["frus1964-68v03/d1"]
    assert [(span.label, span.kind) for span in d1.withheld] == [("[garble—19]", "illegible")]


def test_wilson_capture() -> None:
    [cable] = read_path(WILSON)
    assert cable.doc_id == "wilson/PRC-FMA-109-03654-02"
    assert cable.title == (
        'Cable from the Chinese Embassy in the Soviet Union, "The Soviet Revisionists Continue '
        'to Play Both Sides on the Vietnam Issue"'
    )
    assert (cable.date, cable.place, cable.kind, cable.url) == (
        "1965-06-19",
        "Moscow",
        "cable",
        None,
    )
    assert (cable.author, cable.recipient) == (
        "Chinese Embassy in the Soviet Union",
        "Foreign Ministry",
    )
    assert cable.archive_ref == "PRC FMA 109-03654-02, 31-32"
    assert cable.collection == "Wilson Center Digital Archive"
    assert cable.extra["translator"] == "David Cowhig"
    assert cable.extra["summary"].startswith("The Chinese Embassy in Moscow reports how")
    assert cable.citation == (
        "“Cable from the Chinese Embassy in the Soviet Union, ‘The Soviet Revisionists Continue "
        "to Play Both Sides on the Vietnam Issue’,” June 19, 1965, History and Public Policy "
        "Program Digital Archive, PRC FMA 109-03654-02, 31-32. Translated by David Cowhig."
    )
    assert cable.text.startswith("[stamp] June 22, 1965\n\n[Stamp] Foreign Ministry")
    assert cable.text.endswith("Printed on June 22 at 08:32")
    assert "The Soviet press still relies on the western wire services" in cable.text
    for navigation in ("Search in", "get citation", "share document", "English HTML", "Luce"):
        assert navigation not in cable.text
    assert [(span.label, span.kind) for span in cable.withheld] == [("[illegible]", "illegible")]


def test_pentagon_papers_part() -> None:
    [part] = read_path(OCR_IV_C_5)
    assert part.doc_id == "pentagon-papers/IV.C.5"
    assert part.title == (
        "Pentagon Papers, Part IV.C.5: Phase I in the Build-Up of U.S. Forces: March - July 1965"
    )
    assert (part.collection, part.kind, part.date) == ("Pentagon Papers", "report", None)
    assert (
        part.extra["date_note"] == "the report was compiled in 1967-1969; its parts carry no date"
    )
    assert part.extra["period"] == "1965-03/1965-07"  # from the title
    assert part.classification == "TOP SECRET - Sensitive"
    assert part.archive_ref == (
        "National Archives, NND 63316, Report of the Office of the Secretary of Defense Vietnam "
        "Task Force, Part IV.C.5"
    )
    assert part.url == "https://www.archives.gov/research/pentagon-papers"
    for margin in ("Declassified per Executive Order", "NND Project Number", "TOP SECRET"):
        assert margin not in part.text
    assert [page.label for page in part.pages] == ["scan 1", "scan 2", "scan 3", "1", "2", "3"]
    second = part.pages[4]
    assert part.text[second.char_start :].startswith("I. Evolution of the Situation\n\nIn the")
    assert part.text[: second.char_end].endswith("devoted its energies to the war.")


def test_pentagon_papers_paragraph_continues_across_a_page() -> None:
    [part] = read_path(OCR_IV_C_2A)
    assert part.doc_id == "pentagon-papers/IV.C.2a"
    assert part.title == (
        "Pentagon Papers, Part IV.C.2a: Military Pressures Against NVN (3 Vols.) a. February - "
        "June 1964"
    )
    assert [page.label for page in part.pages][-2:] == ["i", "scan 6"]
    joined = "for near-term implementation, and their recommendations tended toward"
    at = part.text.index(joined) + joined.index("their")
    assert part.page_at(at - 5) == "i" and part.page_at(at) == "scan 6"


@pytest.mark.parametrize(
    ("name", "doc_id"),
    [
        ("Pentagon-Papers-Part-V-B-4-Book-I.txt", "pentagon-papers/V.B.4.Book-I"),
        ("Pentagon-Papers-Part-I-text.txt", "pentagon-papers/I"),
        ("Pentagon-Papers-Index-text.txt", "pentagon-papers/Index"),
        ("Pentagon-Papers-Part-V-A-Vol-IB.txt", "pentagon-papers/V.A.Vol-IB"),
        ("scan-0001.txt", "ocr/scan-0001"),
    ],
)
def test_pentagon_papers_ids_come_from_file_names(tmp_path: Path, name: str, doc_id: str) -> None:
    (tmp_path / "ocr").mkdir()
    copy = tmp_path / "ocr" / name
    shutil.copy(OCR_IV_C_5, copy)
    [document] = read_path(copy)
    assert document.doc_id == doc_id


def test_form_feeds_and_page_numbers_without_stamps(tmp_path: Path) -> None:
    (tmp_path / "ocr").mkdir()
    path = tmp_path / "ocr" / "situation-report.txt"
    path.write_text("SITUATION REPORT\nThe situation in II Corps is\n1\n\fgrave.\n2\n")
    [report] = read_path(path)
    assert report.doc_id == "ocr/situation-report"
    assert report.text == "SITUATION REPORT\n\nThe situation in II Corps is grave."
    assert [
        (page.label, report.text[page.char_start : page.char_end]) for page in report.pages
    ] == [
        ("1", "SITUATION REPORT\n\nThe situation in II Corps is"),
        ("2", "grave."),
    ]


def test_markdown_with_front_matter() -> None:
    [note] = read_path(MARKDOWN)
    assert note.doc_id == "notes/frus1964-68v03-d4"
    assert note.title == "Telegram From the White House to the Embassy in the United Kingdom"
    assert (note.date, note.place, note.kind, note.classification) == (
        "1965-06-16",
        "Washington",
        "telegram",
        "Top Secret; Exdis",
    )
    assert note.collection == "FRUS 1964-1968, Volume III"
    assert note.extra == {"volume": "frus1964-68v03"}
    paragraphs = note.text.split("\n\n")
    assert paragraphs[0] == note.title
    assert paragraphs[2].startswith("1. The President is keenly interested in the Prime Minister's")
    assert note.citation.startswith(f"“{note.title},” Washington, June 16, 1965, FRUS 1964-1968")


def test_plain_text() -> None:
    [note] = read_path(PLAIN)
    assert note.doc_id == "notes/frus1964-68v03-d11"
    assert note.title == (
        "Memorandum of Telephone Conversation Between the Under Secretary of State (Ball) and "
        "the President's Special Assistant (Moyers)"
    )
    assert (note.collection, note.date, note.url) == ("notes", None, None)
    assert "Moyers said the Pres had read the V-N memo over the weekend at Camp David and" in (
        note.text
    )
    assert note.citation == f"“{note.title},” notes."


def test_json_lines() -> None:
    documents = read_path(JSONL)
    assert [d.doc_id for d in documents] == [
        "frus1964-68v03/d3",
        "frus1964-68v03/d12",
        "frus1964-68v03/d13",
    ]
    d12 = documents[1]
    assert (d12.date, d12.place, d12.classification, d12.kind) == (
        "1965-06-22",
        "Saigon",
        "Secret; Priority; Nodis",
        "telegram",
    )
    assert d12.extra["number"] == "12"
    assert d12.extra["source_note"].startswith("Source: Department of State, Central Files")
    assert d12.citation.startswith("“Telegram From the Embassy in Vietnam to the Department")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("malformed.xml", "malformed XML at line 61, column 1: Premature end of data"),
        ("binary.txt", "binary file, not text"),
        ("empty.txt", "empty file"),
        ("latin1.txt", "not valid UTF-8 at byte 112 (try converting to UTF-8)"),
        ("bad.jsonl", "JSON Lines record at line 2: missing required field 'text'"),
    ],
)
def test_bad_files_raise_reader_error(name: str, reason: str) -> None:
    path = FIXTURES / "bad" / name
    with pytest.raises(ReaderError) as raised:
        read_path(path)
    assert raised.value.path == str(path)
    assert reason in raised.value.reason
    assert str(raised.value) == f"{path}: {raised.value.reason}"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("cable.pdf", b"%PDF-1.4 text", "not a readable PDF"),
        ("cable.docx", b"PK\x03\x04 word/document.xml", "unsupported file type '.docx'"),
        ("notes.xml", b"<notes><p>June 18</p></notes>", "XML without the TEI namespace"),
        ("a.jsonl", b'{"id": "a", "title": "A", "text": "x"}\n{"id": "a"', "line 2: invalid JSON"),
        ("b.jsonl", b'{"id": "b", "title": "B", "text": "x"}\n' * 2, "duplicate id 'b'"),
        ("c.jsonl", b'{"id": "c", "title": 3, "text": "x"}', "field 'title' must be a string"),
        ("d.jsonl", b'{"id": "d", "title": "D", "text": "x", "date": "soon"}', "'date'"),
        ("e.md", b"---\ntitle: E\ndate: June 1965x\n---\nText", "front matter 'date'"),
        ("f.md", b"---\ntitle: F\nText", "never closed"),
        ("g.txt", b"   \n\n  ", "empty file"),
    ],
)
def test_bad_content(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReaderError, match=reason):
        read_path(path)


def test_byte_order_marks_and_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "telegram.txt"
    text = "\ufeffTelegram 4336.\r\nFor the\r\nPresident.\r\n\r\n\ufeffThe new Ky government.\r\n"
    path.write_bytes(text.encode("utf-16"))
    [document] = read_path(path)
    assert document.text == "Telegram 4336. For the President.\n\nThe new Ky government."
    assert document.title == "Telegram 4336."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1965", "1965"),
        ("1965-06", "1965-06"),
        ("1965-06-21T10:00:00-04:00", "1965-06-21"),
        ("June 19, 1965", "1965-06-19"),
        ("19 June 1965", "1965-06-19"),
        ("Sept. 3, 1965", "1965-09-03"),
        ("1965-13-01", None),
        ("undated", None),
    ],
)
def test_iso_date(value: str, expected: str | None) -> None:
    assert iso_date(value) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Phase I in the Build-Up of U.S. Forces: March - July 1965", "1965-03/1965-07"),
        ("U.S. Programs in South Vietnam, November 1963-Aprii 1965: NSAM 273", "1963-11/1965-04"),
        ("ROLLING THUNDER Program Begins: January -June 1965", "1965-01/1965-06"),
        ("Marine Combat Units Go to DaNang, March 1965", "1965-03/1965-03"),
        ("Air War in the North: 1965 - 1968 (2 Vols.) a. Volume I", "1965/1968"),
        ("NSAM 273-NSAM 288-Honolulu", None),
        ("Telegram 1234-1965", None),
        ("Summer - Autumn 1965", None),
    ],
)
def test_the_period_a_title_names(title: str, expected: str | None) -> None:
    assert title_period(title) == expected


def test_iso_period() -> None:
    assert iso_period("1965-03/1965-07") == "1965-03/1965-07"
    assert iso_period("June 19, 1965/1965-07") == "1965-06-19/1965-07"
    assert iso_period("1965-06/1965") == "1965-06/1965"  # June lies within 1965
    assert iso_period("1966/1965") is None
    assert iso_period("1965-03") is None
    assert iso_period("March 1965/July 1965") is None


def test_a_period_in_front_matter_must_be_an_interval(tmp_path: Path) -> None:
    good = tmp_path / "study.md"
    good.write_text("---\nperiod: 1965-03/1965-07\n---\n# A study\n\nIt covers spring.\n")
    [document] = read_path(good)
    assert document.extra["period"] == "1965-03/1965-07"
    bad = tmp_path / "bad.md"
    bad.write_text("---\nperiod: spring 1965\n---\n# A study\n\nIt covers spring.\n")
    with pytest.raises(ReaderError, match="'period' must be START/END"):
        read_path(bad)


def test_sample_archive() -> None:
    documents = [document for path in iter_source_files([SAMPLE]) for document in read_path(path)]
    assert len(documents) == 18
    assert [d.doc_id for d in documents] == [
        "pentagon-papers/IV.C.5",
        *(f"frus1964-68v03/d{n}" for n in range(1, 17)),
        "wilson/PRC-FMA-109-03654-02",
    ]


def test_iter_source_files(tmp_path: Path) -> None:
    for name in ("b/2.md", "a.txt", ".hidden/x.txt", "b/.draft.md", "b/1.jsonl", "scan.tiff"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("June 18, 1965")
    found = list(iter_source_files([tmp_path, tmp_path / "scan.tiff"]))
    expected = ["a.txt", "b/1.jsonl", "b/2.md", "scan.tiff"]
    assert found == [tmp_path / name for name in expected]
    with pytest.raises(ReaderError, match="no such file or directory"):
        list(iter_source_files([tmp_path / "missing"]))
    with pytest.raises(ReaderError, match="no such file"):
        read_path(tmp_path / "missing.txt")


def test_folders_skip_readmes_and_licences_unless_named(tmp_path: Path) -> None:
    names = ["README.md", "b/readme.txt", "b/README.fr.md", "LICENCE-MIT.txt", "COPYING.md"]
    names += ["readme-cables.txt", "b/2.md", "a.txt", "LICENSE"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("June 18, 1965")
    skipped: list[Path] = []
    found = list(iter_source_files([tmp_path, tmp_path / "README.md"], skipped=skipped))
    assert found == [tmp_path / name for name in ("a.txt", "b/2.md", "README.md")]
    assert sorted(skipped) == sorted(tmp_path / name for name in names[:6])
    # Without a list to report them in, they are skipped all the same.
    assert list(iter_source_files([tmp_path])) == found[:2]


@pytest.mark.skipif(not SHARED_FRUS.is_dir(), reason="needs /work/shared/data")
def test_shared_frus_folder_reads_as_its_volume_only() -> None:
    skipped: list[Path] = []
    found = list(iter_source_files([SHARED_FRUS], skipped=skipped))
    assert [path.name for path in found] == ["frus1964-68v03.excerpt-d1-d16.xml"]
    assert [path.name for path in skipped] == ["README.md"]


def test_registry_modules_expose_the_reader_interface() -> None:
    assert [reader.NAME for reader in READERS] == [
        "pdf",
        "html",
        "frus-tei",
        "wilson",
        "ocr-text",
        "jsonl",
        "plain",
    ]
    for reader in READERS:
        assert callable(reader.sniff) and callable(reader.read) and reader.SUFFIXES


@pytest.mark.slow
@pytest.mark.skipif(not PENTAGON_PAPERS.is_dir(), reason="needs /work/shared/data")
def test_all_pentagon_papers_parts_read_quickly() -> None:
    files = sorted(PENTAGON_PAPERS.glob("*.txt"))
    assert len(files) == 48
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    started = time.process_time()
    documents = [document for path in files for document in read_path(path)]
    assert time.process_time() - started < megabytes  # under a second per MB (about 0.3 here)
    assert len({document.doc_id for document in documents}) == 48
    for document in documents:
        assert_well_formed(document)
        assert "NND Project Number" not in document.text
        assert len(document.pages) >= 10
