"""Ingest in batches: a SIGKILL loses at most the batch in flight, a re-run embeds only
the rest, and a reader keeps one whole generation until the next is published."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval.retriever import Retriever
from corpus.chunking import ChunkSettings
from corpus.model import Document
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.index import Index
from embeddings.ingest import ingest_documents
from embeddings.store import Store

PLACES = ["Saigon", "Hue", "Da Nang", "Vientiane", "Bangkok", "Phnom Penh"]
SUBJECTS = ["rice harvest", "road convoy", "province chief", "radio station", "river patrol"]
REPORT = re.compile(
    r"(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) failed; "
    r"(\d+) passages written, (\d+) embedded"
)


def _cable(number: int) -> dict[str, str]:
    """A short cable of its own words: no two share a passage text."""
    place, subject = PLACES[number % len(PLACES)], SUBJECTS[number % len(SUBJECTS)]
    return {
        "id": f"cable/{number:03d}",
        "title": f"Telegram {number} from {place}",
        "date": f"1965-{1 + number % 12:02d}-{1 + number % 28:02d}",
        "text": (
            f"Telegram number {number} reports on the {subject} near {place}. "
            f"The officer counted {number * 7 + 3} trucks and {number + 11} boats on day {number}. "
            f"Codeword {_word(number)} marks this report for the files."
        ),
    }


def _word(number: int) -> str:
    """A made-up word BM25 finds in one cable only."""
    return "zq" + "".join("abcdefghij"[int(d)] for d in f"{number:03d}")


def _write_corpus(path: Path, numbers: range) -> Path:
    path.write_text("".join(json.dumps(_cable(n)) + "\n" for n in numbers))
    return path


def _command(corpus: Path, index: Path, *, batch: int, quantize: str | None = "none") -> list[str]:
    """``cables ingest``; float32 unless told (``None``: the default, auto)."""
    options = ["--quantize", quantize] if quantize else []
    return [
        *(sys.executable, "-m", "assistant", "ingest", str(corpus)),
        *("--index", str(index), "--batch", str(batch), *options),
    ]


@contextmanager
def _child(command: list[str]) -> Iterator[subprocess.Popen[str]]:
    """``cables`` in a child whose stdout the test reads line by line as it is printed."""
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)
        assert child.stdout is not None
        child.stdout.close()


def _wait_for_batch(child: subprocess.Popen[str], number: int) -> list[str]:
    """Read the child's stdout until it says batch ``number`` committed; the lines read."""
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        lines.append(line)
        if line.startswith(f"batch {number} committed:"):
            return lines
    raise AssertionError(f"the ingest ended before batch {number}: {''.join(lines)}")


def _run(command: list[str]) -> tuple[int, ...]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    found = REPORT.search(result.stdout)
    assert found, result.stdout
    return tuple(map(int, found.groups()))


def _contents(directory: Path) -> dict[str, list[tuple[tuple[object, ...], np.ndarray]]]:
    """Every document's passages (fields and vector), read from a closed index's store."""
    store = Store(directory / "store.sqlite")
    try:
        return {
            doc_id: [
                (
                    (p.passage.ordinal, p.passage.text, p.passage.char_start, p.passage.char_end),
                    store.vectors([p.id])[p.id],
                )
                for p in store.document_passages(doc_id)
            ]
            for doc_id in store.doc_ids()
        }
    finally:
        store.close()


def test_a_killed_ingest_keeps_its_batches_and_the_rerun_embeds_only_the_rest(
    tmp_path: Path,
) -> None:
    corpus = _write_corpus(tmp_path / "cables.jsonl", range(48))
    killed = _command(corpus, tmp_path / "resumed", batch=4)
    with _child(killed) as child:
        _wait_for_batch(child, 3)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    kept = _contents(tmp_path / "resumed")
    assert 12 <= len(kept) < 48  # three batches of 4 or more, and not all of them
    assert not list((tmp_path / "resumed").glob("keyword-*"))  # nothing was published

    added, updated, unchanged, failed, written, embedded = _run(killed)
    clean = _command(corpus, tmp_path / "clean", batch=1000)
    assert _run(clean)[:5] == (48, 0, 0, 0, written + sum(map(len, kept.values())))
    expected = _contents(tmp_path / "clean")
    rest = {doc_id for doc_id in expected if doc_id not in kept}
    assert (added, updated, unchanged, failed) == (len(rest), 0, len(kept), 0)
    assert embedded == written == sum(len(expected[doc_id]) for doc_id in rest)

    resumed = _contents(tmp_path / "resumed")
    assert resumed.keys() == expected.keys()
    for doc_id, passages in expected.items():
        assert [fields for fields, _ in resumed[doc_id]] == [fields for fields, _ in passages]
        for (_, vector), (_, clean_vector) in zip(resumed[doc_id], passages, strict=True):
            np.testing.assert_allclose(vector, clean_vector, atol=1e-5)
    index = Index.open(tmp_path / "resumed")
    assert len(index.vectors) == len(index.keywords) == sum(map(len, expected.values()))
    assert index.stats().documents == 48


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def _documents(numbers: range) -> list[Document]:
    return [
        Document(doc_id=c["id"], title=c["title"], text=c["text"], collection="cable")
        for c in map(_cable, numbers)
    ]


def _index(directory: Path, encoder: Encoder) -> Index:
    return Index.open_or_create(
        directory,
        model=DEFAULT_MODEL,
        chunking=ChunkSettings(),
        dimension=lambda: encoder.dimension,
    )


def _built(directory: Path, encoder: Encoder) -> None:
    """An index of four cables, written and closed."""
    index = _index(directory, encoder)
    ingest_documents(_documents(range(4)), index, encoder, progress=False)
    index.close()


def test_an_open_index_keeps_its_generation_while_another_process_ingests_then_moves(
    tmp_path: Path, encoder: Encoder
) -> None:
    _built(tmp_path / "index", encoder)
    reader = Index.open(tmp_path / "index")
    retriever = Retriever(reader, encoder)

    def found(number: int) -> list[str]:
        hits = retriever.search(_word(number), k=3, retriever="bm25", max_per_doc=1)
        return [hit.document.doc_id for hit in hits]

    assert found(2) == ["cable/002"] and found(30) == []
    before = (reader.generation, reader.doc_ids(), reader.stats().passages)
    corpus = _write_corpus(tmp_path / "more.jsonl", range(4, 40))
    # The index's own embedding, float32: what the default (auto) keeps for an existing index.
    with _child(_command(corpus, tmp_path / "index", batch=3, quantize=None)) as child:
        _wait_for_batch(child, 2)
        child.send_signal(signal.SIGSTOP)  # two batches committed, nothing published
        try:
            assert _committed_generation(tmp_path / "index") >= before[0] + 2
            assert not reader.refresh()
            assert found(30) == [] and found(5) == [] and found(2) == ["cable/002"]
            assert (reader.generation, reader.doc_ids(), reader.stats().passages) == before
        finally:
            child.send_signal(signal.SIGCONT)
        assert child.wait(timeout=900) == 0
    assert found(30) == ["cable/030"] and found(5) == ["cable/005"]
    assert reader.generation == _committed_generation(tmp_path / "index")
    assert len(reader.doc_ids()) == 40 == len(reader.keywords) == len(reader.vectors)


def _committed_generation(directory: Path) -> int:
    with sqlite3.connect(directory / "store.sqlite") as db:
        return int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])


def test_batches_commit_one_generation_each_and_publish_once(
    tmp_path: Path, encoder: Encoder
) -> None:
    index = _index(tmp_path / "index", encoder)
    report = ingest_documents(_documents(range(7)), index, encoder, progress=False, batch=3)
    assert (index.generation, report.passages, report.embedded) == (3, 7, 7)  # 3 + 3 + 1
    derived = [*(tmp_path / "index").glob("vectors-*"), *(tmp_path / "index").glob("keyword-*")]
    assert sorted(path.name for path in derived) == ["keyword-3", "vectors-3.faiss"]


def test_a_generation_committed_but_not_published_is_published_by_the_next_run(
    tmp_path: Path, encoder: Encoder
) -> None:
    _built(tmp_path / "index", encoder)
    # As after a kill between the last commit and the end of the publication:
    for path in (tmp_path / "index").glob("keyword-*/passage_ids.npy"):
        path.unlink()
    again = _index(tmp_path / "index", encoder)
    report = ingest_documents(_documents(range(4)), again, encoder, progress=False)
    assert len(report.unchanged) == 4 and report.embedded == 0
    assert (tmp_path / "index" / f"keyword-{again.generation}" / "passage_ids.npy").exists()


def test_a_store_snapshot_reads_one_generation_until_the_next(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    reader, writer = Store(path), Store(path)
    with writer.transaction():
        writer.set_meta("note", "first")
    assert reader.snapshot() == 1
    with writer.transaction():
        writer.set_meta("note", "second")
    assert (reader.generation, reader.get_meta("note")) == (1, "first")
    assert reader.snapshot() == 2 and reader.get_meta("note") == "second"
    with reader.transaction():  # a write ends the snapshot first
        reader.set_meta("note", "third")
    assert (writer.generation, writer.get_meta("note")) == (3, "third")
    reader.close()
    writer.close()
