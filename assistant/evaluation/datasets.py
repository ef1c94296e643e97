"""Evaluation sets from disk: a BEIR folder (its own corpus) or a question file (an index's).

A BEIR folder holds ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv``.
A question file is JSON Lines, one question a line::

    {"id": "q7", "question": "...", "relevant_docs": ["frus1964-68v03/d7"],
     "follows": "q6", "answerable": true}

``follows`` names an earlier question of the same file, whose text is the
conversation history of this one; ``answerable`` defaults to whether any
document is relevant. For answer-level evaluation a question also gives
``supporting_spans`` (``[{"doc_id", "text"}]``: the exact sentences that answer it),
``answer_type``, ``split`` ("dev" or "test") and ``extra_relevant_docs``: documents
of a larger archive (the distractors) that answer it too, relevant only where the
index holds them.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from corpus.errors import CablesError
from corpus.model import Document

BEIR_FILES = ("corpus.jsonl", "queries.jsonl")


class DatasetError(CablesError, ValueError):
    """An evaluation set that cannot be read; the message names the file, line and fix."""


@dataclass(frozen=True)
class SupportingSpan:
    """Exact text of a relevant document that answers the question."""

    doc_id: str
    text: str


@dataclass(frozen=True)
class Question:
    """One evaluation question; ``relevant`` maps document ids to graded relevance (> 0)."""

    id: str
    question: str
    relevant: dict[str, int] = field(default_factory=dict, hash=False)
    follows: str | None = None
    answerable: bool = True
    supporting: tuple[SupportingSpan, ...] = ()
    answer_type: str | None = None
    split: str | None = None
    extra_relevant: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    """Questions, and for a BEIR folder the corpus they are asked of.

    ``fingerprint`` changes whenever the corpus file does, so an index cached
    under it is never reused for another corpus.
    """

    name: str
    path: Path
    questions: tuple[Question, ...]
    corpus: Path | None = None
    fingerprint: str = ""

    @property
    def is_beir(self) -> bool:
        return self.corpus is not None

    def documents(self) -> Iterator[Document]:
        """The BEIR corpus as Documents: ``_id`` is the doc id, title and text as given."""
        if self.corpus is None:
            return
        for number, record in _json_lines(self.corpus):
            try:
                yield Document(
                    doc_id=str(record["_id"]),
                    title=str(record.get("title") or ""),
                    text=str(record["text"]),
                    collection=self.name,
                    source_path=str(self.corpus),
                )
            except KeyError as missing:
                raise DatasetError(f"{self.corpus}:{number}: no {missing} field") from None

    def in_split(self, split: str | None) -> Dataset:
        """Only the questions of ``split`` (those without a split are in every one)."""
        if split in (None, "all"):
            return self
        kept = tuple(q for q in self.questions if q.split in (None, split))
        if not kept:
            raise DatasetError(f"{self.path}: no question has split {split!r}")
        return replace(self, questions=kept)

    def for_archive(self, doc_ids: Collection[str]) -> Dataset:
        """The questions with their ``extra_relevant`` documents that ``doc_ids`` holds."""
        questions = tuple(
            replace(q, relevant={**q.relevant, **dict.fromkeys(held, 1)})
            if (held := [d for d in q.extra_relevant if d in doc_ids])
            else q
            for q in self.questions
        )
        return replace(self, questions=questions)

    def history(self, question: Question) -> list[str]:
        """The earlier questions ``question`` follows, oldest first."""
        by_id = {q.id: q for q in self.questions}
        chain: list[str] = []
        current = question
        while current.follows is not None:
            current = by_id[current.follows]
            chain.append(current.question)
        return chain[::-1]


def load_dataset(path: Path, *, split: str = "test") -> Dataset:
    """A BEIR folder or a question file, whichever ``path`` is."""
    path = Path(path)
    if path.is_dir():
        return load_beir(path, split=split)
    if path.is_file():
        return load_questions(path)
    raise DatasetError(f"{path}: no such file or folder")


def load_beir(folder: Path, *, split: str = "test") -> Dataset:
    """The queries of ``split`` that have at least one relevant document, in qrels order."""
    missing = [
        name for name in (*BEIR_FILES, f"qrels/{split}.tsv") if not (folder / name).is_file()
    ]
    if missing:
        raise DatasetError(
            f"{folder} is not a BEIR folder: {', '.join(missing)} missing "
            "(expected corpus.jsonl, queries.jsonl and qrels/<split>.tsv)"
        )
    texts = {
        str(record["_id"]): str(record["text"])
        for _, record in _json_lines(folder / "queries.jsonl")
    }
    relevant = _qrels(folder / "qrels" / f"{split}.tsv")
    unknown = [qid for qid in relevant if qid not in texts]
    if unknown:
        raise DatasetError(
            f"{folder}/qrels/{split}.tsv: query {unknown[0]!r} is not in queries.jsonl"
        )
    questions = tuple(Question(qid, texts[qid], docs) for qid, docs in relevant.items())
    corpus = folder / "corpus.jsonl"
    return Dataset(
        name=folder.name,
        path=folder,
        questions=questions,
        corpus=corpus,
        fingerprint=_file_hash(corpus),
    )


def load_questions(path: Path) -> Dataset:
    """A question file; every ``follows`` must name a question earlier in the file."""
    questions: list[Question] = []
    seen: set[str] = set()
    for number, record in _json_lines(path):
        where = f"{path}:{number}"
        question = _question(record, where)
        if question.id in seen:
            raise DatasetError(f"{where}: id {question.id!r} is used twice; ids must be unique")
        if question.follows is not None and question.follows not in seen:
            raise DatasetError(
                f"{where}: follows {question.follows!r}, which is not an earlier question's id"
            )
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise DatasetError(f"{path}: no questions")
    return Dataset(name=path.stem, path=path, questions=tuple(questions))


def _question(record: dict[str, Any], where: str) -> Question:
    for name in ("id", "question", "relevant_docs"):
        if name not in record:
            raise DatasetError(
                f"{where}: no {name!r} field (each line needs id, question, relevant_docs)"
            )
    docs = record["relevant_docs"]
    if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
        raise DatasetError(f"{where}: relevant_docs must be a list of document ids (strings)")
    answerable = record.get("answerable", bool(docs))
    if answerable != bool(docs):
        raise DatasetError(
            f"{where}: answerable is {answerable} but relevant_docs is "
            f"{'empty' if not docs else 'not empty'}; an unanswerable question has no relevant_docs"
        )
    follows = record.get("follows")
    extra = record.get("extra_relevant_docs", [])
    if not isinstance(extra, list) or not all(isinstance(d, str) for d in extra):
        raise DatasetError(f"{where}: extra_relevant_docs must be a list of document ids")
    return Question(
        id=str(record["id"]),
        question=str(record["question"]),
        relevant=dict.fromkeys(docs, 1),
        follows=str(follows) if follows is not None else None,
        answerable=answerable,
        supporting=_supporting(record.get("supporting_spans", []), {*docs, *extra}, where),
        answer_type=record.get("answer_type"),
        split=record.get("split"),
        extra_relevant=tuple(extra),
    )


def _supporting(spans: Any, relevant: set[str], where: str) -> tuple[SupportingSpan, ...]:
    if not isinstance(spans, list):
        raise DatasetError(f"{where}: supporting_spans must be a list of {{doc_id, text}}")
    found = []
    for span in spans:
        if not isinstance(span, dict) or not {"doc_id", "text"} <= span.keys():
            raise DatasetError(f"{where}: each supporting span needs doc_id and text")
        if span["doc_id"] not in relevant:
            raise DatasetError(
                f"{where}: supporting span in {span['doc_id']!r}, which is not a relevant document"
            )
        found.append(SupportingSpan(str(span["doc_id"]), str(span["text"])))
    return tuple(found)


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{path}:{number}: not JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise DatasetError(f"{path}:{number}: expected a JSON object")
            yield number, record


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    """Relevant documents per query; judgments of 0 (not relevant) are dropped."""
    relevant: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as rows:
        reader = csv.reader(rows, delimiter="\t")
        for number, row in enumerate(reader, start=1):
            if number == 1 and row[:1] == ["query-id"]:
                continue
            if len(row) != 3:
                raise DatasetError(f"{path}:{number}: expected query-id, corpus-id and score")
            qid, doc_id, score = row
            try:
                grade = int(score)
            except ValueError:
                raise DatasetError(f"{path}:{number}: score {score!r} is not an integer") from None
            if grade > 0:
                relevant.setdefault(qid, {})[doc_id] = grade
    return relevant


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
