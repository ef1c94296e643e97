"""The answer-level question set and the harder archive: checked against the documents, no model.

corpus/eval/answer_questions.jsonl holds questions whose supporting spans must be exact text of
the documents as the readers produce them, so a reader change that alters the text shows up here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assistant.evaluation.datasets import load_questions
from corpus.readers import read_path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "corpus" / "eval" / "answer_questions.jsonl"
BUNDLED = ROOT / "corpus" / "data"
DISTRACTORS = ROOT / "corpus" / "eval" / "distractors"

ANSWER_TYPES = {"who", "what", "when", "where", "how", "how_many", "why", "relation", "yes_no"}
FIELDS = {
    "id",
    "question",
    "relevant_docs",
    "extra_relevant_docs",
    "supporting_spans",
    "answer_type",
    "answerable",
    "follows",
    "split",
    "tags",
}
BALL = "What did Ball advise the President in June 1965?"
WESTMORELAND = "How many American troops did Westmoreland ask for?"


def _texts(folder: Path) -> dict[str, str]:
    return {doc.doc_id: doc.text for path in sorted(folder.iterdir()) for doc in read_path(path)}


@pytest.fixture(scope="module")
def bundled() -> dict[str, str]:
    return _texts(BUNDLED)


@pytest.fixture(scope="module")
def distractors() -> dict[str, str]:
    return _texts(DISTRACTORS)


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_every_line_is_a_question_with_known_fields(records: list[dict[str, Any]]) -> None:
    for record in records:
        assert isinstance(record, dict)
        assert set(record) <= FIELDS, record["id"]
        assert isinstance(record["question"], str) and record["question"].endswith("?"), record
        assert isinstance(record["relevant_docs"], list), record["id"]
        assert isinstance(record["supporting_spans"], list), record["id"]
        assert record["answer_type"] in ANSWER_TYPES, record["id"]
        assert record["split"] in {"dev", "test"}, record["id"]
        assert isinstance(record.get("tags", []), list), record["id"]


def test_the_product_loader_reads_the_file() -> None:
    dataset = load_questions(QUESTIONS)
    assert len(dataset.questions) == len(QUESTIONS.read_text(encoding="utf-8").splitlines())


def test_ids_are_unique_and_follow_ups_name_an_earlier_question_of_the_same_split(
    records: list[dict[str, Any]],
) -> None:
    ids = [record["id"] for record in records]
    assert len(ids) == len(set(ids))
    by_id: dict[str, dict[str, Any]] = {}
    for record in records:
        if "follows" in record:
            earlier = by_id.get(record["follows"])
            assert earlier is not None, f"{record['id']} follows a later or unknown id"
            assert earlier["split"] == record["split"], record["id"]
        by_id[record["id"]] = record


def test_relevant_documents_exist_in_the_archive_they_are_marked_for(
    records: list[dict[str, Any]], bundled: dict[str, str], distractors: dict[str, str]
) -> None:
    for record in records:
        assert set(record["relevant_docs"]) <= set(bundled), record["id"]
        assert set(record.get("extra_relevant_docs", [])) <= set(distractors), record["id"]


def test_every_span_is_exact_text_of_a_relevant_document(
    records: list[dict[str, Any]], bundled: dict[str, str], distractors: dict[str, str]
) -> None:
    texts = bundled | distractors
    for record in records:
        relevant = set(record["relevant_docs"]) | set(record.get("extra_relevant_docs", []))
        for span in record["supporting_spans"]:
            assert span["doc_id"] in relevant, (record["id"], span["doc_id"])
            assert span["text"].strip() == span["text"] and span["text"], record["id"]
            assert span["text"] in texts[span["doc_id"]], (record["id"], span["text"][:80])
        # one span at least for every document counted as relevant
        assert {span["doc_id"] for span in record["supporting_spans"]} == relevant, record["id"]


def test_unanswerable_questions_have_no_documents_and_no_spans(
    records: list[dict[str, Any]],
) -> None:
    for record in records:
        if record.get("answerable", True):
            assert record["relevant_docs"], record["id"]
        else:
            assert record["relevant_docs"] == [], record["id"]
            assert record["supporting_spans"] == [], record["id"]
            assert "extra_relevant_docs" not in record, record["id"]


def test_questions_are_worded_apart_from_the_documents(
    records: list[dict[str, Any]], bundled: dict[str, str], distractors: dict[str, str]
) -> None:
    texts = list((bundled | distractors).values())
    for record in records:
        asked = record["question"].rstrip("?")
        assert not any(asked in text for text in texts), record["id"]


def test_sizes_and_a_stratified_split(records: list[dict[str, Any]]) -> None:
    answerable = [r for r in records if r["relevant_docs"]]
    unanswerable = [r for r in records if not r["relevant_docs"]]
    assert len(answerable) >= 110
    assert len(unanswerable) >= 25
    dev = sum(r["split"] == "dev" for r in records)
    assert 0.55 <= dev / len(records) <= 0.65
    for group in (answerable, unanswerable):
        assert {r["split"] for r in group} == {"dev", "test"}
    by_type = Counter((r["answer_type"], r["split"]) for r in answerable)
    for answer_type in {r["answer_type"] for r in answerable}:
        assert by_type[answer_type, "dev"] >= by_type[answer_type, "test"] >= 1, answer_type
    covered = {doc for r in answerable for doc in r["relevant_docs"]}
    assert len(covered) == 18, "every document of the bundled archive has questions"


def test_the_issue_examples_point_at_the_answering_sentences(
    records: list[dict[str, Any]],
) -> None:
    by_question = {r["question"]: r for r in records}
    ball = by_question[BALL]
    assert ball["relevant_docs"] == ["frus1964-68v03/d7"]
    assert any("100,000—but no more" in span["text"] for span in ball["supporting_spans"])
    westmoreland = by_question[WESTMORELAND]
    assert westmoreland["answer_type"] == "how_many"
    assert all(re.search(r"\d|two|nine", s["text"]) for s in westmoreland["supporting_spans"])


def test_the_harder_archive_adds_other_parts_only(
    bundled: dict[str, str], distractors: dict[str, str]
) -> None:
    files = sorted(DISTRACTORS.iterdir())
    assert 4 <= len(files) <= 6
    size = sum(path.stat().st_size for path in files)
    assert 2_000_000 <= size <= 4_000_000
    assert all(doc_id.startswith("pentagon-papers/") for doc_id in distractors)
    assert not set(distractors) & set(bundled)
