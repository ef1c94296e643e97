"""Sentence vectors embedded at ingest: answering looks them up instead of encoding them."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from assistant.answering.evidence import candidate_sentences
from assistant.service import Assistant
from assistant.settings import Settings
from bench.answer_encodings import CountingEncoder
from corpus.chunking import ChunkSettings
from corpus.model import Document, Passage
from corpus.sentences import passage_sentences
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.index import Index
from embeddings.ingest import ingest_documents, remove
from embeddings.sentence_vectors import document_sentences, sentence_text

# "How did X react" follows the thread of replies: a second search, the same query.
QUESTIONS = [
    "What did the embassy claim about Soviet press coverage of Vietnam?",
    "How did the Soviet Union respond to the Commonwealth prime ministers' mission?",
]


def test_passage_sentences_drop_list_markers_and_keep_offsets() -> None:
    text = "Intro line here.\n\n- First point is made. 2. Second point.\n(b) Third one"
    spans = passage_sentences(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == [
        "Intro line here.",
        "First point is made.",
        "Second point.\n(b) Third one",
    ]
    # A passage that starts mid-sentence has its own first sentence: the cut one.
    assert [text[s:e] for s, e in passage_sentences(text, 26, len(text))] == [
        "point is made.",
        "Second point.\n(b) Third one",
    ]


def test_document_sentences_are_distinct_across_overlapping_passages() -> None:
    text = "One sentence here. Two sentence here. Three sentence here."
    document = Document(doc_id="d", title="T", text=text, collection="c")
    passages = [
        Passage(doc_id="d", ordinal=0, text=text[:37], char_start=0, char_end=37, n_tokens=8),
        Passage(
            doc_id="d", ordinal=1, text=text[19:], char_start=19, char_end=len(text), n_tokens=8
        ),
    ]
    assert document_sentences(document, passages) == [(0, 18), (19, 37), (38, 58)]
    assert sentence_text(document, 19, 37) == "T\n\nTwo sentence here."


@pytest.fixture(scope="module")
def counting(sample_assistant: Assistant) -> CountingEncoder:
    return CountingEncoder(sample_assistant.encoder)


def test_stored_sentence_vectors_equal_fresh_encodings(sample_assistant: Assistant) -> None:
    index = sample_assistant.index
    documents = index.documents(index.doc_ids())
    keys = [
        (doc_id, start, end)
        for doc_id, document in documents.items()
        for start, end in document_sentences(
            document, [stored.passage for stored in index.store.document_passages(doc_id)]
        )
    ]
    stored = index.sentence_vectors(keys)
    assert set(stored) == set(keys)
    # Against fresh encodings of every tenth sentence: the text answering would encode.
    sample = keys[::10]
    fresh = sample_assistant.encoder.encode(
        [sentence_text(documents[doc_id], start, end) for doc_id, start, end in sample]
    )
    assert np.abs(np.vstack([stored[key] for key in sample]) - fresh).max() < 1e-5


@pytest.mark.parametrize("question", QUESTIONS)
def test_an_answer_encodes_only_its_query_once(
    sample_assistant: Assistant, counting: CountingEncoder, question: str
) -> None:
    assistant = sample_assistant.with_encoder(counting)
    counting.texts.clear()
    answer = assistant.ask(question)
    assert not answer.abstained
    assert counting.texts == [question]
    # Every sentence answering could weigh was stored at ingest.
    hits = assistant.search(question, k=8)
    keys = [(c.hit.document.doc_id, c.char_start, c.char_end) for c in candidate_sentences(hits)]
    assert len(assistant.index.sentence_vectors(keys)) == len(keys) > 0


@pytest.fixture
def old_index(small_index: Path, tmp_path: Path) -> Path:
    """A copy of the small index as built before sentence vectors: none stored."""
    copy = tmp_path / "index"
    shutil.copytree(small_index, copy, ignore=shutil.ignore_patterns("*-shm"))
    with sqlite3.connect(copy / "store.sqlite") as db:
        db.execute("DELETE FROM sentences")
    return copy


def test_an_index_without_sentence_vectors_scores_the_same_and_ingest_fills_them(
    sample_assistant: Assistant, small_index: Path, old_index: Path
) -> None:
    question = QUESTIONS[0]
    new = Assistant.open(Settings(index_dir=small_index))
    counting = CountingEncoder(sample_assistant.encoder)
    old = Assistant.open(Settings(index_dir=old_index)).with_encoder(counting)
    try:
        expected, found = new.ask(question), old.ask(question)
        # The query, then every candidate sentence: today's encodings give today's numbers.
        assert counting.texts[0] == question and len(counting.texts) > 10
        assert [(c.doc_id, c.char_start, c.char_end) for c in found.citations] == [
            (c.doc_id, c.char_start, c.char_end) for c in expected.citations
        ]
        scores = [c.score for c in found.citations]
        assert np.allclose(scores, [c.score for c in expected.citations], rtol=0, atol=1e-5)

        documents = old.index.documents(old.index.doc_ids())
        report = ingest_documents(documents.values(), old.index, counting, progress=False)
        assert report.embedded == 0 and sorted(report.updated) == sorted(documents)
        assert old.index.store.count_sentences() == new.index.store.count_sentences()
        after = CountingEncoder(sample_assistant.encoder)
        old.with_encoder(after).ask(question)
        assert after.texts == [question]
    finally:
        new.close()
        old.close()


def test_reingest_embeds_only_new_sentences_and_removal_deletes_them(tmp_path: Path) -> None:
    encoder = CountingEncoder(Encoder())
    index = Index.open_or_create(
        tmp_path / "index",
        model=DEFAULT_MODEL,
        chunking=ChunkSettings(),
        dimension=lambda: encoder.dimension,
    )
    text = "The embassy reported the press coverage. The minister said nothing of it."
    documents = [
        Document(doc_id=f"a/{i}", title=f"Cable {i}", text=text, collection="a") for i in (1, 2)
    ]
    ingest_documents(documents, index, encoder, progress=False)
    assert index.store.count_sentences() == 4
    changed = Document(
        doc_id="a/1", title="Cable 1", text=text + " A third sentence was added.", collection="a"
    )
    encoder.texts.clear()
    report = ingest_documents([changed, documents[1]], index, encoder, progress=False)
    assert report.updated == ["a/1"] and report.unchanged == ["a/2"]
    # The passage changed; of its sentences only the new one is embedded.
    assert encoder.texts == [f"Cable 1\n\n{changed.text}", "Cable 1\n\nA third sentence was added."]
    assert index.store.count_sentences() == 5
    assert remove(index, "a/1")
    assert index.store.count_sentences() == 2
    assert index.sentence_vectors([("a/1", 0, 40)]) == {}
    assert set(index.sentence_vectors([("a/2", 0, 40)])) == {("a/2", 0, 40)}
    index.close()
