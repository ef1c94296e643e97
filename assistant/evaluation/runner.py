"""Run an evaluation set through the retrievers and score the document rankings.

Rankings are of documents, not passages: a document ranks by its best passage
(``max_per_doc=1``), so several passages of one document count once.

A BEIR folder is indexed into a cache directory named after the corpus's hash,
the model and the chunking; a second run finds every document unchanged and
embeds nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answering.conversation import standalone_query
from assistant.evaluation.datasets import Dataset, DatasetError, Question, load_dataset
from assistant.evaluation.metrics import score
from assistant.model import Turn
from assistant.retrieval.retriever import Mode, Retriever
from corpus.chunking import ChunkSettings
from embeddings.cache import cache_dir
from embeddings.encoder import DEFAULT_MODEL, Encoder, embedding_label
from embeddings.index import Index
from embeddings.ingest import IngestReport, ingest_documents

DEPTH = 100


def default_cache_dir() -> Path:
    """``$CABLES_EVAL_CACHE``, or ``eval`` in the project's cache folder (``cache_dir()``)."""
    configured = os.environ.get("CABLES_EVAL_CACHE")
    return Path(configured) if configured else cache_dir() / "eval"


@dataclass(frozen=True)
class QuestionResult:
    id: str
    question: str
    query_used: str
    retrieved: tuple[str, ...]
    relevant: tuple[str, ...]


@dataclass(frozen=True)
class RetrieverResult:
    """One retriever over one dataset: mean metrics, and what each question got."""

    dataset: str
    retriever: Mode
    metrics: dict[str, float]
    per_question: tuple[QuestionResult, ...]
    question_metrics: dict[str, dict[str, float]]
    seconds: float

    @property
    def n_questions(self) -> int:
        return len(self.per_question)

    def to_json(self) -> dict[str, Any]:
        """The documented ``cables eval --json`` shape, and nothing more."""
        return {
            "dataset": self.dataset,
            "retriever": self.retriever,
            "n_questions": self.n_questions,
            "metrics": {name: round(value, 4) for name, value in self.metrics.items()},
            "per_question": [
                {
                    "id": q.id,
                    "question": q.question,
                    "query_used": q.query_used,
                    "retrieved": list(q.retrieved),
                    "relevant": list(q.relevant),
                }
                for q in self.per_question
            ],
        }


@dataclass(frozen=True)
class Evaluation:
    """Every retriever's result, and how the index was obtained (built, cached or given)."""

    dataset: Dataset
    index_dir: Path
    results: tuple[RetrieverResult, ...]
    ingest: IngestReport | None
    index_seconds: float


def query_for(question: str, history: Sequence[str]) -> str:
    """What is searched for a question asked after ``history`` (earlier questions, oldest first).

    The one place the evaluation turns a follow-up into a query, the same way
    the assistant does in a conversation.
    """
    return standalone_query(question, [Turn("user", text) for text in history])


# Queries are a few tokens each: big batches suit them (small ones suit passages).
QUERY_BATCH = 64


class QueryVectors(Encoder):
    """``encoder`` with a run's queries encoded up front in batches, not one by one.

    Every retriever of the run asks for the same query vectors; a batch is several
    times faster than single queries on a CPU.
    """

    def __init__(self, encoder: Encoder, queries: Sequence[str]):
        super().__init__(
            encoder.name,
            backend=encoder.backend,
            quantize=encoder.quantize,
            batch_size=QUERY_BATCH,
            device=encoder.device,
        )
        self.__dict__["model"] = encoder.model
        unique = list(dict.fromkeys(queries))
        self._vectors = dict(zip(unique, self.encode(unique), strict=True))

    def encode_query(self, query: str) -> np.ndarray:
        vector = self._vectors.get(query)
        return vector if vector is not None else super().encode_query(query)


def evaluate(
    path: Path,
    *,
    retrievers: Sequence[Mode] = ("hybrid",),
    k: int = DEPTH,
    index_dir: Path | None = None,
    model: str = DEFAULT_MODEL,
    cache_dir: Path | None = None,
    split: str = "test",
    progress: bool = False,
) -> Evaluation:
    """Evaluate ``retrievers`` on the BEIR folder or question file at ``path``.

    A question file is asked of the existing index at ``index_dir``; a BEIR
    folder gets its own index under ``cache_dir`` (built with ``model``).
    """
    dataset = load_dataset(path, split=split)
    started = time.perf_counter()
    report = None
    if dataset.is_beir:
        encoder = Encoder(model)
        index, report = beir_index(
            dataset, encoder, cache_dir=cache_dir or default_cache_dir(), progress=progress
        )
    elif index_dir is None:
        raise DatasetError(f"{path} is a question file: give the index to ask it of (--index)")
    else:
        index = Index.open(index_dir)
        _check_documents(dataset, index)
        encoder = Encoder(index.manifest.model)
    index_seconds = time.perf_counter() - started
    try:
        queries = [query_for(q.question, dataset.history(q)) for q in dataset.questions]
        retriever = Retriever(index, QueryVectors(encoder, queries))
        results = tuple(run(dataset, retriever, mode, k=k) for mode in retrievers)
    finally:
        index.close()
    return Evaluation(dataset, index.directory, results, report, index_seconds)


def run(dataset: Dataset, retriever: Retriever, mode: Mode, *, k: int = DEPTH) -> RetrieverResult:
    """Ask every question of ``dataset`` and score the top ``k`` documents of each."""
    started = time.perf_counter()
    answers = [_ask(dataset, question, retriever, mode, k) for question in dataset.questions]
    scores = score(
        {answer.id: answer.retrieved for answer in answers},
        {question.id: question.relevant for question in dataset.questions},
    )
    return RetrieverResult(
        dataset=dataset.name,
        retriever=mode,
        metrics=scores.mean,
        per_question=tuple(answers),
        question_metrics=scores.per_question,
        seconds=time.perf_counter() - started,
    )


def _ask(
    dataset: Dataset, question: Question, retriever: Retriever, mode: Mode, k: int
) -> QuestionResult:
    query = query_for(question.question, dataset.history(question))
    hits = retriever.search(query, k=k, mode=mode, max_per_doc=1)
    return QuestionResult(
        id=question.id,
        question=question.question,
        query_used=query,
        retrieved=tuple(hit.document.doc_id for hit in hits),
        relevant=tuple(question.relevant),
    )


def beir_index(
    dataset: Dataset,
    encoder: Encoder,
    *,
    chunking: ChunkSettings | None = None,
    cache_dir: Path,
    progress: bool = False,
) -> tuple[Index, IngestReport]:
    """The index of a BEIR corpus, built on first use and brought up to date after."""
    chunking = chunking or ChunkSettings()
    model = encoder.name
    embedding = embedding_label(encoder.backend, encoder.quantize)
    index = Index.open_or_create(
        cache_dir / cache_name(dataset, model, chunking, embedding),
        model=model,
        chunking=chunking,
        dimension=lambda: encoder.dimension,
    )
    report = ingest_documents(dataset.documents(), index, encoder, progress=progress)
    return index, report


def cache_name(dataset: Dataset, model: str, chunking: ChunkSettings, embedding: str) -> str:
    """``<dataset>-<hash of corpus, model, chunking, backend>-<model>``: readable, never reused.

    ``embedding`` is the backend's label ("torch", "onnx-int8"): an index holds one's vectors.
    """
    key = hashlib.sha256(
        f"{dataset.fingerprint}\n{model}\n{chunking}\n{embedding}".encode()
    ).hexdigest()
    model_name = re.sub(r"[^A-Za-z0-9._-]+", "_", model.rstrip("/").rsplit("/", 1)[-1])
    suffix = "" if embedding == "torch" else f"-{embedding}"
    return f"{dataset.name}-{key[:12]}-{model_name}{suffix}"


def _check_documents(dataset: Dataset, index: Index) -> None:
    known = set(index.store.doc_ids())
    for question in dataset.questions:
        for doc_id in question.relevant:
            if doc_id not in known:
                raise DatasetError(
                    f"{dataset.path}: question {question.id!r} names document {doc_id!r}, which "
                    f"is not in the index at {index.directory}; check the id (`cables stats`) "
                    "or evaluate against the index it was written for"
                )
