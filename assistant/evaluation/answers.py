"""Answer-level evaluation: ask each question through the door and score the answer.

Retrieval can put the right document first while the answer quotes the wrong
sentence of it; this is measured where the user meets it. Follow-ups are asked
with the earlier questions and their answers as the conversation.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.answer_scores import AnswerScore, Support, locate, score_answer, summary
from assistant.evaluation.datasets import Dataset, DatasetError, Question, load_questions
from assistant.model import Answer, Turn
from assistant.retrieval.retriever import RetrieverName
from assistant.service import Assistant
from embeddings.encoder import embedding_label

QUOTE_CHARS = 160


@dataclass(frozen=True)
class AnswerRow:
    """One question's answer, scored, with what it quoted."""

    id: str
    question: str
    answer_type: str | None
    split: str | None
    score: AnswerScore
    seconds: float
    query_used: str
    cited_docs: tuple[str, ...]
    quotes: tuple[str, ...]
    relevant: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "answer_type": self.answer_type,
            "split": self.split,
            "answerable": self.score.answerable,
            "abstained": self.score.abstained,
            "quoted": self.score.quoted,
            "cited": self.score.cited,
            "false_abstention": self.score.false_abstention,
            "seconds": round(self.seconds, 4),
            "query_used": self.query_used,
            "cited_docs": list(self.cited_docs),
            "quotes": list(self.quotes),
            "relevant": list(self.relevant),
        }


@dataclass(frozen=True)
class AnswerEvaluation:
    dataset: str
    index: Path
    embedding: str
    answering: str  # "extractive", or the language model that wrote the answers
    split: str | None
    rows: tuple[AnswerRow, ...]

    @property
    def metrics(self) -> dict[str, float]:
        seconds = sorted(row.seconds for row in self.rows)
        return {
            **summary([row.score for row in self.rows]),
            "seconds_p50": round(statistics.median(seconds), 4) if seconds else 0.0,
            "seconds_p95": round(seconds[int(0.95 * (len(seconds) - 1))], 4) if seconds else 0.0,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "index": str(self.index),
            "embedding": self.embedding,
            "answering": self.answering,
            "split": self.split or "all",
            "metrics": self.metrics,
            "per_question": [row.to_json() for row in self.rows],
        }


def evaluate_answers(
    path: Path,
    assistant: Assistant,
    *,
    split: str | None = None,
    retriever: RetrieverName = "hybrid",
    answering: str = "extractive",
    progress: bool = False,
) -> AnswerEvaluation:
    """Ask every question of the file at ``path`` (those of ``split``) and score the answers."""
    dataset = load_questions(path).in_split(split)
    dataset = dataset.for_archive(
        {d for q in dataset.questions for d in q.extra_relevant if assistant.document(d)}
    )
    supports = _supports(dataset, assistant)
    answers: dict[str, Answer] = {}
    rows = []
    from tqdm import tqdm

    for question in tqdm(
        dataset.questions, desc="Answering", unit="question", disable=not progress
    ):
        started = time.perf_counter()
        answer = assistant.ask(
            question.question, retriever=retriever, history=_history(dataset, question, answers)
        )
        seconds = time.perf_counter() - started
        answers[question.id] = answer
        rows.append(_row(question, answer, supports[question.id], seconds))
    return AnswerEvaluation(
        dataset=dataset.name,
        index=assistant.directory,
        embedding=embedding_label(assistant.encoder.backend, assistant.encoder.quantize),
        answering=answering,
        split=split,
        rows=tuple(rows),
    )


def _supports(dataset: Dataset, assistant: Assistant) -> dict[str, list[Support]]:
    """Each question's supporting spans located in the index's documents."""
    found: dict[str, list[Support]] = {}
    for question in dataset.questions:
        found[question.id] = []
        for span in question.supporting:
            record = assistant.document(span.doc_id)
            if record is None:
                if span.doc_id in question.extra_relevant:
                    continue  # a distractor document this archive does not hold
                raise DatasetError(
                    f"{dataset.path}: question {question.id!r} quotes {span.doc_id!r}, which is "
                    f"not in the index at {assistant.directory}"
                )
            try:
                found[question.id].append(locate(span.doc_id, span.text, record.document.text))
            except ValueError as error:
                raise DatasetError(f"{dataset.path}: question {question.id!r}: {error}") from None
    return found


def _history(dataset: Dataset, question: Question, answers: dict[str, Answer]) -> list[Turn]:
    """The conversation before a follow-up: each earlier question and the answer it got."""
    by_id = {q.id: q for q in dataset.questions}
    chain = []
    current = question
    while current.follows is not None and current.follows in by_id:
        current = by_id[current.follows]
        chain.append(current)
    turns = []
    for earlier in reversed(chain):
        turns.append(Turn("user", earlier.question))
        if earlier.id in answers:
            turns.append(Turn("assistant", answers[earlier.id].text))
    return turns


def _row(
    question: Question, answer: Answer, supports: Sequence[Support], seconds: float
) -> AnswerRow:
    return AnswerRow(
        id=question.id,
        question=question.question,
        answer_type=question.answer_type,
        split=question.split,
        score=score_answer(answer, relevant=question.relevant, supports=supports),
        seconds=seconds,
        query_used=answer.query_used,
        cited_docs=tuple(dict.fromkeys(c.doc_id for c in answer.citations)),
        quotes=tuple(c.quote[:QUOTE_CHARS] for c in answer.citations),
        relevant=tuple(question.relevant),
    )
