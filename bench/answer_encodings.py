"""Texts encoded per answer, with sentence vectors stored at ingest and without, and their cost.

    nice python -m bench.answer_encodings [--runs 3] [--index DIR]

Ingest: the bundled sample archive into a fresh index ``--runs`` times with sentence
vectors and as many times without (alternately, so both see the same machine load;
"without" embeds the passages alone, storing no sentence vectors): median seconds,
and bytes on disk.

Answers: every question of corpus/eval/dev_questions.jsonl and answer_questions.jsonl
(with the questions it follows as history), asked twice on the index with sentence
vectors (the last one built, or ``--index DIR``): "before" with its sentence vectors
ignored (answering encodes the candidates' passages for them, as on an index built
without) and query vectors not cached; "after" as it is.
``--runs 0`` skips the ingest part. Each answer gets a fresh encoder (the model shared), so
it is counted and timed cold: texts encoded per answer, and seconds per answer as a
multiple of one query encoding, timed in the same run for the same question.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from unittest import mock

import numpy as np

from bench.common import median, percentiles, write_result
from corpus.model import Document, Passage
from embeddings.encoder import Encoder
from embeddings.index import Index
from embeddings.sentence_vectors import passage_texts
from embeddings.store import SentenceKey, SentenceVector, Store, text_hash

QUESTION_FILES = ("dev_questions.jsonl", "answer_questions.jsonl")


class CountingEncoder(Encoder):
    """The real encoder (``encoder``'s loaded model), keeping every text it encodes."""

    def __init__(self, encoder: Encoder):
        super().__init__(
            encoder.name,
            backend=encoder.backend,
            quantize=encoder.quantize,
            batch_size=encoder.batch_size,
            device=encoder.device,
        )
        self.__dict__["model"] = encoder.model
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.texts += texts
        return super().encode(texts, progress=progress)

    def encode_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.texts += texts
        return super().encode_with_spans(texts, spans)


class UncachedQueries(CountingEncoder):
    """As before the query cache: every ask for a query's vector encodes it."""

    def encode_query(self, query: str) -> np.ndarray:
        return self.encode([query])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--index", type=Path, default=None)
    args = parser.parse_args()
    encoder = Encoder()
    encoder.encode(["load the model before timing"])
    with tempfile.TemporaryDirectory() as scratch:
        ingests, built = (
            _ingest_runs(Path(scratch), encoder, args.runs) if args.runs else ({}, None)
        )
        answers = _answer_runs(args.index or built, encoder)
    write_result(
        "answer_encodings",
        {
            "model": encoder.name,
            "batch_size": encoder.batch_size,
            "ingest": ingests,
            "answers": answers,
        },
    )


def _ingest_runs(scratch: Path, encoder: Encoder, runs: int) -> tuple[dict[str, object], Path]:
    """Median ingest seconds and size, with sentence vectors and without; an index with."""
    from assistant.service import Assistant
    from assistant.settings import SAMPLE_ARCHIVE, Settings

    seconds: dict[str, list[float]] = {"with": [], "without": []}
    sizes: dict[str, int] = {}
    counts: dict[str, dict[str, int]] = {}
    indexes: dict[str, Path] = {}
    for run in range(runs):
        for kind in seconds:
            directory = scratch / f"{kind}-{run}"
            started = time.perf_counter()
            old_ingest = mock.patch("embeddings.ingest.embed_passages", _no_sentences)
            with old_ingest if kind == "without" else contextlib.nullcontext():
                assistant, report = Assistant.build(
                    Settings(index_dir=directory), [SAMPLE_ARCHIVE], progress=False, encoder=encoder
                )
            seconds[kind].append(time.perf_counter() - started)
            assert report.ok, report.failed
            counts[kind] = {
                "passages": assistant.index.stats().passages,
                "sentences": assistant.index.count_sentences(),
            }
            assistant.close()
            sizes[kind] = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
            indexes[kind] = directory
    medians = {kind: median(samples) for kind, samples in seconds.items()}
    return {
        "runs": runs,
        **{
            kind: {"seconds_median": medians[kind], "seconds": samples, "bytes": sizes[kind]}
            | counts[kind]
            for kind, samples in seconds.items()
        },
        "time_ratio": round(medians["with"] / medians["without"], 3),
        "extra_bytes": sizes["with"] - sizes["without"],
    }, indexes["with"]


def _no_sentences(
    store: Store,
    encoder: Encoder,
    chunked: Sequence[tuple[Document, Sequence[Passage]]],
    **_: object,
) -> tuple[dict[bytes, np.ndarray], dict[str, list[SentenceVector]], int]:
    """The ingest as it was before sentence vectors: the passages' vectors alone."""
    texts = {text_hash(p.text): p.text for d, ps in chunked for p in passage_texts(d, ps)}
    known = store.cached_vectors(texts.values())
    todo = sorted((t for key, t in texts.items() if key not in known), key=len)
    known.update(
        (text_hash(t), vector) for t, vector in zip(todo, encoder.encode(todo), strict=True)
    )
    return known, {document.doc_id: [] for document, _ in chunked}, len(todo)


class WithoutSentenceVectors(Index):
    """The index as answering saw it before sentence vectors: none stored."""

    def sentence_vectors(self, keys: Iterable[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        return {}


def _answer_runs(directory: Path | None, encoder: Encoder) -> dict[str, object]:
    from assistant.evaluation.datasets import load_questions
    from assistant.model import Turn
    from assistant.service import Assistant
    from assistant.settings import Settings

    eval_dir = Path(__file__).resolve().parent.parent / "corpus" / "eval"
    asked: dict[tuple[str, tuple[str, ...]], None] = {}
    for name in QUESTION_FILES:
        dataset = load_questions(eval_dir / name)
        for record in dataset.questions:
            asked[(record.question, tuple(dataset.history(record)))] = None
    assert directory is not None, "give --index DIR or --runs 1 or more"
    after = Assistant.open(Settings(index_dir=directory))
    before = Assistant(WithoutSentenceVectors.open(directory), after.encoder)
    assistants = {"before": before, "after": after}
    for assistant in assistants.values():  # load the indexes before timing
        assistant.with_encoder(CountingEncoder(encoder)).ask("Warm-up: what did Ball advise?")
    wrappers = {"before": UncachedQueries, "after": CountingEncoder}
    encoded: dict[str, list[float]] = {name: [] for name in assistants}
    seconds: dict[str, list[float]] = {name: [] for name in assistants}
    query_seconds: list[float] = []
    load = os.getloadavg()[0]
    for question, history in asked:
        turns = [Turn("user", text) for text in history]
        for name, assistant in assistants.items():
            counting = wrappers[name](encoder)
            started = time.perf_counter()
            assistant.with_encoder(counting).ask(question, history=turns)
            seconds[name].append(time.perf_counter() - started)
            encoded[name].append(len(counting.texts))
        started = time.perf_counter()
        encoder.encode([question])
        query_seconds.append(time.perf_counter() - started)
    counts = {"passages": after.index.stats().passages, "sentences": after.index.count_sentences()}
    for assistant in assistants.values():
        assistant.close()
    one_query = float(np.median(query_seconds))
    return {
        "index": str(directory),
        **counts,
        "questions": len(asked),
        "load_average_1m": [round(load, 2), round(os.getloadavg()[0], 2)],
        "query_encoding_seconds_median": round(one_query, 5),
        **{
            name: {
                "texts_encoded": percentiles(encoded[name]) | {"max": max(encoded[name])},
                "seconds": percentiles(seconds[name]),
                "in_query_encodings": percentiles([s / one_query for s in seconds[name]]),
            }
            for name in assistants
        },
    }


if __name__ == "__main__":
    main()
