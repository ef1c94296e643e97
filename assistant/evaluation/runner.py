"""Run an evaluation set through the retrievers and score the document rankings.

Rankings are of documents, not passages: a document ranks by its best passage
(``max_per_doc=1``), so several passages of one document count once. Questions go
through the :class:`~assistant.service.Assistant`, as a user's do: a question file's
index is queried with the vectors of the backend and precision it was built with.

A BEIR folder is indexed into a cache directory named after the corpus's hash,
the model and the chunking; a second run finds every document unchanged and
embeds nothing.
"""

from __future__ import annotations

import hashlib
import os
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
from assistant.retrieval.retriever import RetrieverName
from assistant.service import Assistant
from assistant.settings import Settings
from corpus.chunking import ChunkSettings
from embeddings.cache import cache_dir, model_file_name
from embeddings.encoder import DEFAULT_MODEL, Encoder, embedding_label
from embeddings.ingest import IngestReport

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
    retriever: RetrieverName
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
    """Every retriever's result, how the index was obtained (built, cached or given), and
    the ``embedding`` the questions were encoded with ("torch", "torch-bf16", ...)."""

    dataset: Dataset
    index_dir: Path
    results: tuple[RetrieverResult, ...]
    ingest: IngestReport | None
    index_seconds: float
    embedding: str


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
    retrievers: Sequence[RetrieverName] = ("hybrid",),
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
    assistant, report = open_for(
        dataset, index_dir=index_dir, model=model, cache_dir=cache_dir, progress=progress
    )
    index_seconds = time.perf_counter() - started
    try:
        queries = [query_for(q.question, dataset.history(q)) for q in dataset.questions]
        asking = assistant.with_encoder(QueryVectors(assistant.encoder, queries))
        results = tuple(run(dataset, asking, name, k=k) for name in retrievers)
    finally:
        assistant.close()
    embedding = embedding_label(asking.encoder.backend, asking.encoder.quantize)
    return Evaluation(
        dataset, assistant.directory, results, report, index_seconds, embedding=embedding
    )


def open_for(
    dataset: Dataset,
    *,
    index_dir: Path | None = None,
    model: str = DEFAULT_MODEL,
    cache_dir: Path | None = None,
    progress: bool = False,
) -> tuple[Assistant, IngestReport | None]:
    """The assistant a dataset is asked of, and the ingest report if its index was built.

    A question file's index is opened as it is, with the model, backend and precision
    it was built with; a BEIR folder's is built (or brought up to date) with ``model``.
    """
    if dataset.is_beir:
        return beir_index(
            dataset, Encoder(model), cache_dir=cache_dir or default_cache_dir(), progress=progress
        )
    if index_dir is None:
        raise DatasetError(
            f"{dataset.path} is a question file: give the index to ask it of (--index)"
        )
    assistant = Assistant.open(Settings(index_dir=index_dir))
    _check_documents(dataset, assistant)
    return assistant, None


def run(
    dataset: Dataset, assistant: Assistant, retriever: RetrieverName, *, k: int = DEPTH
) -> RetrieverResult:
    """Ask every question of ``dataset`` and score the top ``k`` documents of each."""
    started = time.perf_counter()
    answers = [_ask(dataset, question, assistant, retriever, k) for question in dataset.questions]
    scores = score(
        {answer.id: answer.retrieved for answer in answers},
        {question.id: question.relevant for question in dataset.questions},
    )
    return RetrieverResult(
        dataset=dataset.name,
        retriever=retriever,
        metrics=scores.mean,
        per_question=tuple(answers),
        question_metrics=scores.per_question,
        seconds=time.perf_counter() - started,
    )


def _ask(
    dataset: Dataset, question: Question, assistant: Assistant, retriever: RetrieverName, k: int
) -> QuestionResult:
    query = query_for(question.question, dataset.history(question))
    hits = assistant.search(query, k=k, retriever=retriever, max_per_doc=1)
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
) -> tuple[Assistant, IngestReport]:
    """The index of a BEIR corpus, built on first use and brought up to date after."""
    chunking = chunking or ChunkSettings()
    model = encoder.name
    embedding = embedding_label(encoder.backend, encoder.quantize)
    settings = Settings(
        index_dir=cache_dir / cache_name(dataset, model, chunking, embedding),
        model=model,
        chunking=chunking,
        backend=encoder.backend,
        quantize=encoder.quantize,
    )
    assistant = Assistant.create(settings, encoder=encoder)
    return assistant, assistant.ingest_documents(dataset.documents(), progress=progress)


def cache_name(dataset: Dataset, model: str, chunking: ChunkSettings, embedding: str) -> str:
    """``<dataset>-<hash of corpus, model, chunking, backend>-<model>``: readable, never reused.

    ``embedding`` is the backend's label ("torch", "onnx-int8"): an index holds one's vectors.
    """
    key = hashlib.sha256(
        f"{dataset.fingerprint}\n{model}\n{chunking}\n{embedding}".encode()
    ).hexdigest()
    suffix = "" if embedding == "torch" else f"-{embedding}"
    return f"{dataset.name}-{key[:12]}-{model_file_name(model)}{suffix}"


def _check_documents(dataset: Dataset, assistant: Assistant) -> None:
    for question in dataset.questions:
        for doc_id in question.relevant:
            if assistant.document(doc_id) is None:
                raise DatasetError(
                    f"{dataset.path}: question {question.id!r} names document {doc_id!r}, which "
                    f"is not in the index at {assistant.directory}; check the id (`cables stats`) "
                    "or evaluate against the index it was written for"
                )
