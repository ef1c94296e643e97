"""Evaluation sets from disk: a BEIR folder (its own corpus) or a question file (an index's).

A BEIR folder holds ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv``.
A question file is JSON Lines, one question a line::

    {"id": "q7", "question": "...", "relevant_docs": ["frus1964-68v03/d7"],
     "follows": "q6", "answerable": true}

``follows`` names an earlier question of the same file, whose text is the
conversation history of this one; ``answerable`` defaults to whether any
document is relevant.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.model import Document

BEIR_FILES = ("corpus.jsonl", "queries.jsonl")


class DatasetError(ValueError):
    """An evaluation set that cannot be read; the message names the file, line and fix."""


@dataclass(frozen=True)
class Question:
    """One evaluation question; ``relevant`` maps document ids to graded relevance (> 0)."""

    id: str
    question: str
    relevant: dict[str, int] = field(default_factory=dict, hash=False)
    follows: str | None = None
    answerable: bool = True


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
    return Question(
        id=str(record["id"]),
        question=str(record["question"]),
        relevant=dict.fromkeys(docs, 1),
        follows=str(follows) if follows is not None else None,
        answerable=answerable,
    )


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
