"""Chunking: offsets always point back into the document, budgets always hold."""

from __future__ import annotations

import itertools

import pytest

from corpus.chunking import ChunkSettings, chunk_document, tiktoken_counter
from corpus.model import Document
from corpus.sentences import sentence_spans

CABLE = (
    "The Soviet Revisionists continue to play both sides. Amb. Taylor met Gen. Thieu on "
    "June 17.\n\nThe U.S. position is firm. Deptel 2899 refers.\n\n"
)


def _doc(text: str) -> Document:
    return Document(doc_id="test/1", title="t", text=text, collection="test")


@pytest.mark.parametrize(
    "text",
    [
        "one",
        "A single sentence without a full stop",
        CABLE * 40,
        "word " * 2000,  # one enormous sentence
        "Ünïcödé quotes “here”. " * 300,
        "\n\n".join(["Short para."] * 200),
    ],
)
def test_passages_are_exact_slices_within_budget(text: str) -> None:
    document = _doc(text)
    settings = ChunkSettings(max_tokens=64, overlap_tokens=16)
    count = tiktoken_counter(settings.encoding)
    passages = chunk_document(document, settings)
    assert passages
    for ordinal, passage in enumerate(passages):
        assert document.text[passage.char_start : passage.char_end] == passage.text
        assert passage.ordinal == ordinal
        assert count([passage.text])[0] <= settings.max_tokens + 8  # joins may add a token
    covered = set()
    for passage in passages:
        covered.update(range(passage.char_start, passage.char_end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_consecutive_passages_overlap_within_a_paragraph() -> None:
    text = " ".join(f"Sentence number {i} talks about Vietnam policy." for i in range(60))
    passages = chunk_document(_doc(text), ChunkSettings(max_tokens=60, overlap_tokens=20))
    assert len(passages) > 3
    for first, second in itertools.pairwise(passages):
        assert second.char_start < first.char_end
        assert second.char_start > first.char_start


def test_model_limit_splits_passages_the_model_cannot_take_whole() -> None:
    text = " ".join(f"Sentence {i} here." for i in range(100))
    passages = chunk_document(
        _doc(text),
        ChunkSettings(max_tokens=200, overlap_tokens=0),
        model_limit=lambda texts: [len(t) <= 300 for t in texts],
    )
    assert all(len(p.text) <= 300 for p in passages)
    assert "".join(text[p.char_start : p.char_end] for p in passages).replace(
        " ", ""
    ) == text.replace(" ", "")


def test_empty_document_has_no_passages() -> None:
    assert chunk_document(_doc("   \n\n  ")) == []


def test_sentences_respect_abbreviations() -> None:
    text = "Amb. Taylor said no. The U.S. will act. See No. 4 of the list."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Amb. Taylor said no.",
        "The U.S. will act.",
        "See No. 4 of the list.",
    ]
