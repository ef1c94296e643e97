"""Sentence vectors embedded at ingest, in their passage's forward pass: answering looks
them up instead of encoding them."""

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
from embeddings.encoder import DEFAULT_MODEL, Encoder, pool_spans
from embeddings.index import Index
from embeddings.ingest import ingest_documents, remove
from embeddings.sentence_vectors import SCHEME, SCHEME_KEY, PassageText, passage_texts

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


def test_passage_texts_place_each_distinct_sentence_in_its_first_passage() -> None:
    text = "One sentence here. Two sentence here. Three sentence here."
    document = Document(doc_id="d", title="T", text=text, collection="c")
    passages = [
        Passage(doc_id="d", ordinal=0, text=text[:37], char_start=0, char_end=37, n_tokens=8),
        Passage(
            doc_id="d", ordinal=1, text=text[19:], char_start=19, char_end=len(text), n_tokens=8
        ),
    ]
    first, second = passage_texts(document, passages)
    assert first == PassageText(
        text="T\n\nOne sentence here. Two sentence here.", sentences=((0, 18), (19, 37)), offset=3
    )
    # "Two sentence here." is in both passages: it has the first one's vector.
    assert second.sentences == ((38, 58),) and second.spans == [(22, 42)]
    assert second.text[22:42] == "Three sentence here."
    assert first.sentence_keys() != second.sentence_keys()


def test_pool_spans_averages_the_tokens_a_span_overlaps() -> None:
    tokens = np.array([[9.0, 9.0], [3.0, 0.0], [0.0, 4.0], [1.0, 1.0], [9.0, 9.0]])
    # A special token (no characters) first and last; "ab" "cd" " e" as tokens 1-3.
    offsets = np.array([[0, 0], [0, 2], [2, 4], [4, 6], [0, 0]])
    vectors = pool_spans(tokens, offsets, [(0, 2), (1, 3), (5, 6), (7, 9)])
    expected = [
        [1.0, 0.0],  # token 1 alone
        [0.6, 0.8],  # tokens 1 and 2, a character of each: (1.5, 2) normalised
        [np.sqrt(0.5), np.sqrt(0.5)],
        [0.0, 0.0],  # past the text: no token
    ]
    assert vectors.dtype == np.float32
    assert np.allclose(vectors, expected, rtol=0, atol=1e-7)


@pytest.fixture(scope="module")
def counting(sample_assistant: Assistant) -> CountingEncoder:
    return CountingEncoder(sample_assistant.encoder)


def test_stored_vectors_equal_fresh_encodings_of_their_passages(
    sample_assistant: Assistant,
) -> None:
    index, encoder = sample_assistant.index, sample_assistant.encoder
    documents = index.documents(index.doc_ids())
    passages = [
        (document, text)
        for doc_id, document in documents.items()
        for text in passage_texts(
            document, [stored.passage for stored in index.store.document_passages(doc_id)]
        )
    ]
    keys = [(document.doc_id, *span) for document, text in passages for span in text.sentences]
    stored = index.sentence_vectors(keys)
    assert set(stored) == set(keys)
    # Every fifth passage, encoded again: its vector as encode() gives it, and its sentences'.
    sample = passages[::5]
    vectors, sentences = encoder.encode_with_spans(
        [text.text for _, text in sample], [text.spans for _, text in sample]
    )
    assert np.abs(vectors - encoder.encode([text.text for _, text in sample])).max() < 2e-2
    fresh = np.vstack([matrix for matrix in sentences if len(matrix)])
    expected = [stored[(d.doc_id, *span)] for d, text in sample for span in text.sentences]
    assert np.abs(np.vstack(expected) - fresh).max() < 2e-2
    # Read in its passage, a sentence is not the sentence alone.
    _, text = sample[0]
    start, end = text.spans[0]
    alone = encoder.encode([text.text[start:end]])[0]
    assert float(alone @ sentences[0][0]) < 0.99


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
        db.execute("DELETE FROM meta WHERE key = ?", (SCHEME_KEY,))
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
        # The query, then the candidates' passages: today's encodings give today's numbers.
        assert counting.texts[0] == question and len(counting.texts) > 2
        titles = tuple(f"{d.title}\n\n" for d in old.index.documents(old.index.doc_ids()).values())
        assert all(text.startswith(titles) for text in counting.texts[1:])
        assert [(c.doc_id, c.char_start, c.char_end) for c in found.citations] == [
            (c.doc_id, c.char_start, c.char_end) for c in expected.citations
        ]
        scores = [c.score for c in found.citations]
        assert np.allclose(scores, [c.score for c in expected.citations], rtol=0, atol=1e-5)

        documents = old.index.documents(old.index.doc_ids())
        passages = old.index.stats().passages
        # An ingest of some of the documents makes their sentence vectors: not yet all.
        seed = documents.pop(next(iter(documents)))
        ingest_documents([seed], old.index, counting, progress=False)
        assert old.index.store.get_meta(SCHEME_KEY) is None
        # All of them, and the index is up to date: its passages' vectors come from the store.
        report = ingest_documents([seed, *documents.values()], old.index, counting, progress=False)
        assert sorted(report.updated) == sorted([seed.doc_id, *documents])
        assert 0 < report.embedded < passages  # the seed cable's were made in the first run
        assert old.index.store.get_meta(SCHEME_KEY) == SCHEME
        assert old.index.store.count_sentences() == new.index.store.count_sentences()
        assert ingest_documents([seed], old.index, counting, progress=False).unchanged
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
    # The passage changed: it is embedded again, and its sentences with it.
    assert encoder.texts == [f"Cable 1\n\n{changed.text}"]
    assert index.store.count_sentences() == 5
    assert remove(index, "a/1")
    assert index.store.count_sentences() == 2
    assert index.sentence_vectors([("a/1", 0, 40)]) == {}
    assert set(index.sentence_vectors([("a/2", 0, 40)])) == {("a/2", 0, 40)}
    index.close()
