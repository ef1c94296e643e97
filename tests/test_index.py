"""The index directory: FAISS against brute force, incremental and atomic ingestion."""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from corpus.chunking import ChunkSettings, retrieval_text
from corpus.model import Document
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.filters import FilterError, Filters
from embeddings.index import Index, IndexMismatch, IndexMissing
from embeddings.ingest import ingest_documents, remove
from embeddings.interrupts import interrupt_guard
from embeddings.vectors import VectorIndex

TEXTS = {
    "a/1": (
        "Embassy Moscow",
        "1965-06-19",
        "The Soviet press still relies on western wire services.",
    ),
    "a/2": (
        "Saigon",
        "1965-06-17",
        "Ambassador Taylor reported that the Thieu-Ky government took office.",
    ),
    "b/1": (
        "Washington",
        "1965-06",
        "Under Secretary Ball argued against committing ground troops.",
    ),
    "b/2": ("Washington", None, "The file number POL 27 VIET S appears in the source note."),
}


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def _documents() -> list[Document]:
    return [
        Document(
            doc_id=doc_id,
            title=f"Document {doc_id}",
            text=text,
            collection=doc_id[0],
            place=place,
            date=date,
        )
        for doc_id, (place, date, text) in TEXTS.items()
    ]


def _index(path: Path, encoder: Encoder) -> Index:
    return Index.open_or_create(
        path, model=DEFAULT_MODEL, chunking=ChunkSettings(), dimension=lambda: encoder.dimension
    )


def test_flat_index_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(1000, 1500)
    index = VectorIndex.create(32)
    index.add(ids, vectors)
    query = vectors[3]
    _scores, found = index.search(query, 10)
    expected = ids[np.argsort(-(vectors @ query))[:10]]
    assert found.tolist() == expected.tolist()
    allowed = ids[::7]
    _, filtered = index.search(query, 10, allowed=allowed)
    assert len(filtered) == 10 and set(filtered) <= set(allowed.tolist())


def test_incremental_ingest_embeds_only_what_changed(tmp_path: Path, encoder: Encoder) -> None:
    index = _index(tmp_path / "index", encoder)
    first = ingest_documents(_documents(), index, encoder, progress=False)
    assert sorted(first.added) == sorted(TEXTS) and first.embedded == 4
    again = ingest_documents(_documents(), index, encoder, progress=False)
    assert sorted(again.unchanged) == sorted(TEXTS) and again.embedded == 0

    changed = dataclasses.replace(_documents()[0], text=TEXTS["a/1"][2] + " New sentence added.")
    update = ingest_documents([changed], index, encoder, progress=False)
    assert update.updated == ["a/1"] and update.embedded == 1
    assert index.store.count_passages() == 4
    reopened = Index.open(tmp_path / "index")
    assert len(reopened.vectors) == 4 and len(reopened.keywords) == 4
    assert reopened.store.document("a/1").text.endswith("New sentence added.")


def test_remove_deletes_from_every_part(tmp_path: Path, encoder: Encoder) -> None:
    index = _index(tmp_path / "index", encoder)
    ingest_documents(_documents(), index, encoder, progress=False)
    assert remove(index, "b/2")
    assert not remove(index, "b/2")
    reopened = Index.open(tmp_path / "index")
    assert reopened.store.document("b/2") is None
    assert len(reopened.vectors) == 3
    _, ids = reopened.keywords.search("POL 27 VIET S", 10)
    assert not any(p.doc_id == "b/2" for p in reopened.store.passages(ids).values())


def test_exact_vectors_come_from_the_store_in_the_order_asked(
    tmp_path: Path, encoder: Encoder
) -> None:
    index = _index(tmp_path / "index", encoder)
    ingest_documents(_documents(), index, encoder, progress=False)
    _, ids = index.vectors.search(encoder.encode_query("Soviet press"), 4)
    wanted = ids[::-1]
    texts = [
        retrieval_text(f"Document {p.doc_id}", p.text)
        for p in map(index.store.passages(wanted).get, wanted.tolist())
    ]
    np.testing.assert_allclose(index.exact_vectors(wanted), encoder.encode(texts), atol=1e-6)


def test_derived_files_are_rebuilt_when_missing(tmp_path: Path, encoder: Encoder) -> None:
    index = _index(tmp_path / "index", encoder)
    ingest_documents(_documents(), index, encoder, progress=False)
    for path in (tmp_path / "index").glob("vectors-*.faiss"):
        path.unlink()
    reopened = Index.open(tmp_path / "index")
    assert len(reopened.vectors) == 4


def test_filters_apply_inside_retrieval(tmp_path: Path, encoder: Encoder) -> None:
    index = _index(tmp_path / "index", encoder)
    ingest_documents(_documents(), index, encoder, progress=False)
    store = index.store
    docs = lambda f: {p.doc_id for p in store.passages(store.matching_passage_ids(f)).values()}  # noqa: E731
    assert docs(Filters(collections=("b",))) == {"b/1", "b/2"}
    assert docs(Filters(date_from="1965-06-18")) == {"a/1", "b/1"}  # June 1965 overlaps
    assert docs(Filters(date_from="1965-06-01", date_to="1965-06-17")) == {"a/2", "b/1"}
    assert docs(Filters(place="moscow")) == {"a/1"}
    assert docs(Filters(doc_id_prefix="a/")) == {"a/1", "a/2"}
    with pytest.raises(FilterError, match="date_from"):
        Filters(date_from="June 1965")


def test_opening_with_another_model_is_an_error(tmp_path: Path, encoder: Encoder) -> None:
    _index(tmp_path / "index", encoder)
    with pytest.raises(IndexMismatch, match="all-MiniLM-L6-v2"):
        Index.open(tmp_path / "index", model="sentence-transformers/all-mpnet-base-v2")
    with pytest.raises(IndexMissing, match="cables ingest"):
        Index.open(tmp_path / "elsewhere")


@pytest.fixture
def python_sigint() -> Iterator[None]:
    """Python's own Ctrl-C handler, as in a program started from a terminal; a suite run
    in the background inherits SIGINT ignored, which the guard rightly leaves alone."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("python_sigint")
def test_a_ctrl_c_lost_in_a_finalizer_is_raised_again_at_the_next_check() -> None:
    with interrupt_guard() as check:
        # What happens to the KeyboardInterrupt inside a __del__: printed, then dropped.
        with contextlib.suppress(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            check()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("python_sigint")
def test_the_interrupt_guard_leaves_other_threads_and_handlers_alone() -> None:
    handlers = []

    def in_a_server_thread() -> None:  # where signal.signal would raise ValueError
        with interrupt_guard() as check:
            check()
            handlers.append(signal.getsignal(signal.SIGINT))

    worker = threading.Thread(target=in_a_server_thread)
    worker.start()
    worker.join()
    assert handlers == [signal.default_int_handler]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupt_guard():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
