"""`cables eval`: a tiny real SciFact subset and question files, with the real model and ranx.

The nDCG@10 floors sit just below the values measured on the fixture, so a change
that hurts retrieval fails the build.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.evaluation import DatasetError, Evaluation, evaluate, load_dataset, query_for
from assistant.evaluation.metrics import METRICS, score
from assistant.evaluation.report import write_report
from assistant.evaluation.runner import open_for
from assistant.service import Assistant
from assistant.settings import SAMPLE_ARCHIVE, Settings
from embeddings.encoder import Encoder

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
SCIFACT = FIXTURES / "scifact"
QUESTIONS = FIXTURES / "archive_questions.jsonl"
DEV_QUESTIONS = Path(__file__).parent.parent / "corpus" / "eval" / "dev_questions.jsonl"

# Measured nDCG@10 on the fixture: bm25 0.624, dense 0.819, hybrid 0.682 (BM25's statistics
# from 30 documents are poor, so here hybrid trails dense; on all of SciFact it leads both).
NDCG_FLOOR = {"bm25": 0.60, "dense": 0.79, "hybrid": 0.66}
# Measured 0.855 with hybrid on the development questions.
DEV_HYBRID_NDCG_FLOOR = 0.83

RESULT_KEYS = {"dataset", "retriever", "n_questions", "metrics", "per_question"}
QUESTION_KEYS = {"id", "question", "query_used", "retrieved", "relevant"}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eval-cache")


@pytest.fixture(scope="module")
def first_run(cache_dir: Path) -> Evaluation:
    return evaluate(SCIFACT, retrievers=("bm25", "dense", "hybrid"), cache_dir=cache_dir)


def test_fixture_scores_stay_above_their_floors(first_run: Evaluation) -> None:
    ndcg = {r.retriever: r.metrics["ndcg@10"] for r in first_run.results}
    assert all(ndcg[mode] >= floor for mode, floor in NDCG_FLOOR.items()), ndcg
    hybrid = next(r for r in first_run.results if r.retriever == "hybrid")
    assert hybrid.metrics["recall@100"] == 1.0


def test_json_has_exactly_the_documented_shape(first_run: Evaluation) -> None:
    result = json.loads(json.dumps(first_run.results[0].to_json()))
    assert set(result) == RESULT_KEYS
    assert result["dataset"] == "scifact"
    assert result["retriever"] == "bm25"
    assert set(result["metrics"]) == set(METRICS)
    assert result["n_questions"] == len(result["per_question"]) == 8
    for question in result["per_question"]:
        assert set(question) == QUESTION_KEYS
        assert question["query_used"] == question["question"]
        assert question["relevant"]
        assert len(question["retrieved"]) == len(set(question["retrieved"])) > 0


def test_second_run_reuses_the_cached_index(first_run: Evaluation, cache_dir: Path) -> None:
    assert first_run.ingest is not None and first_run.ingest.embedded > 0
    second = evaluate(SCIFACT, retrievers=("hybrid",), cache_dir=cache_dir)
    assert second.ingest is not None
    assert second.ingest.embedded == 0
    assert len(second.ingest.unchanged) == len(first_run.ingest.added)
    assert second.index_dir == first_run.index_dir
    hybrid = next(r for r in first_run.results if r.retriever == "hybrid")
    assert second.results[0].to_json() == hybrid.to_json()


def test_hit_at_k_counts_documents_not_passages() -> None:
    # Five passages of "a" ahead of "f" are one document: "f" is the second document.
    passages = score({"q": ["a", "a", "a", "a", "a", "f"]}, {"q": {"f": 1}})
    assert passages.per_question["q"]["hit@1"] == 0.0
    assert passages.per_question["q"]["hit@5"] == 1.0
    documents = score({"q": ["a", "b", "c", "d", "e", "f"]}, {"q": {"f": 1}})
    assert documents.per_question["q"]["hit@5"] == 0.0
    assert documents.per_question["q"]["hit@10"] == 1.0
    # Any one relevant document is enough; questions without any are not scored.
    two = score({"q": ["x", "b"], "none": ["x"]}, {"q": {"a": 1, "b": 1}, "none": {}})
    assert two.mean["hit@1"] == 0.0 and two.mean["hit@5"] == 1.0
    assert two.mean["recall@10"] == 0.5
    assert set(two.per_question) == {"q"}


def test_question_file_is_asked_of_an_existing_index(
    sample_assistant: Assistant, sample_settings: Settings, tmp_path: Path
) -> None:
    evaluation = evaluate(
        QUESTIONS, retrievers=("hybrid",), k=10, index_dir=sample_settings.index_dir
    )
    assert evaluation.ingest is None
    result = evaluation.results[0].to_json()
    assert result["dataset"] == "archive_questions"
    assert result["n_questions"] == 6
    by_id = {q["id"]: q for q in result["per_question"]}
    # The follow-up is searched with its earlier question's subject.
    assert by_id["a3"]["query_used"] != by_id["a3"]["question"]
    assert "Ball" in by_id["a3"]["query_used"]
    assert by_id["a6"]["relevant"] == []
    assert all(len(q["retrieved"]) == len(set(q["retrieved"])) <= 10 for q in by_id.values())
    assert result["metrics"]["hit@10"] == 1.0
    written = write_report(evaluation, tmp_path / "report")
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| hybrid |" in report and "a3" in report
    assert (tmp_path / "report" / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(written) == 3


def test_development_questions_match_the_bundled_archive(
    sample_assistant: Assistant, sample_settings: Settings
) -> None:
    dataset = load_dataset(DEV_QUESTIONS)
    questions = dataset.questions
    assert len([q for q in questions if q.answerable]) >= 30
    assert len([q for q in questions if not q.answerable]) >= 8
    assert any(len(q.relevant) == 2 for q in questions)
    assert any(q.follows for q in questions)
    # Every relevant id is in the archive (evaluate checks and raises otherwise).
    evaluation = evaluate(
        DEV_QUESTIONS, retrievers=("hybrid",), index_dir=sample_settings.index_dir
    )
    assert evaluation.results[0].metrics["ndcg@10"] >= DEV_HYBRID_NDCG_FLOOR


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"id": "1", "question": "q"}'], "no 'relevant_docs' field"),
        (['{"id": "1", "question": "q", "relevant_docs": "d1"}'], "must be a list"),
        (['{"id": "1", "question": "q", "relevant_docs": [], "follows": "0"}'], "not an earlier"),
        (
            ['{"id": "1", "question": "q", "relevant_docs": ["d"], "answerable": false}'],
            "answerable",
        ),
        (['{"id": "1", "question": "q", "relevant_docs": []}'] * 2, "used twice"),
        (["not json"], "not JSON"),
    ],
)
def test_malformed_question_files_name_the_line(
    tmp_path: Path, lines: list[str], message: str
) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=message) as error:
        load_dataset(path)
    assert f"{path}:" in str(error.value)


def test_unknown_relevant_document_is_an_error(
    sample_assistant: Assistant, sample_settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "typo.jsonl"
    path.write_text('{"id": "1", "question": "q", "relevant_docs": ["frus1964-68v03/d99"]}\n')
    with pytest.raises(DatasetError, match="frus1964-68v03/d99"):
        evaluate(path, index_dir=sample_settings.index_dir)


def test_follow_up_query_carries_the_earlier_question() -> None:
    assert query_for("What was the enclave strategy?", []) == "What was the enclave strategy?"
    query = query_for("Who opposed it?", ["What was Taylor's enclave strategy?"])
    assert query.startswith("Who opposed it?") and "enclave" in query


def test_cli_compares_retrievers_and_writes_a_report(
    first_run: Evaluation, cache_dir: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "eval",
            str(SCIFACT),
            "--retriever",
            "all",
            "--json",
            "--report",
            str(report),
            "--cache-dir",
            str(cache_dir),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout)
    assert [r["retriever"] for r in results] == ["dense", "bm25", "hybrid"]
    assert "0 passages embedded" in result.stderr
    expected = {r.retriever: r.to_json() for r in first_run.results}
    assert all(r == expected[r["retriever"]] for r in results)
    assert sorted(p.name for p in report.iterdir()) == ["metrics.png", "report.md", "results.json"]


def test_a_bf16_index_is_evaluated_with_bf16_query_vectors(tmp_path: Path) -> None:
    index = tmp_path / "bf16"
    seed = SAMPLE_ARCHIVE / "seed_cable_1965-06-19.txt"
    command = ["ingest", str(seed), "--quantize", "bf16", "--index", str(index)]
    built = subprocess.run(
        [sys.executable, "-m", "assistant", *command],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    question = "What did the embassy claim about Soviet press coverage of Vietnam?"
    path = tmp_path / "questions.jsonl"
    line = {"id": "1", "question": question, "relevant_docs": ["wilson/PRC-FMA-109-03654-02"]}
    path.write_text(json.dumps(line) + "\n")
    evaluation = evaluate(path, retrievers=("dense",), k=5, index_dir=index)
    assert evaluation.embedding == "torch-bf16"
    assert evaluation.results[0].metrics["hit@1"] == 1.0
    # The evaluation's door encodes queries as the index's passages were: bf16, not float32.
    assistant, report = open_for(load_dataset(path), index_dir=index)
    try:
        used = assistant.encoder.encode_query(question)
    finally:
        assistant.close()
    assert report is None
    assert np.array_equal(used, Encoder(quantize="bf16").encode_query(question))
    assert not np.allclose(used, Encoder().encode_query(question), atol=1e-4)
