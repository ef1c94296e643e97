"""Answer-level evaluation: scoring answers, and the check CI runs on the bundled archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.evaluation.answer_scores import Support, locate, score_answer, summary
from assistant.evaluation.answers import evaluate_answers
from assistant.model import Answer, Citation
from assistant.service import Assistant

ANSWER_CHECK = Path(__file__).parent / "fixtures" / "eval" / "answer_check.jsonl"
# The answer-level check's thresholds, a little under what the bundled archive scored on it
# (0.875 quoted, 0.917 cited, 0.042 false abstention, 0.6 abstention; README "Answer quality").
QUOTED_AT_LEAST = 0.79
CITED_AT_LEAST = 0.87
FALSE_ABSTENTION_AT_MOST = 0.09
ABSTENTION_AT_LEAST = 0.6


def _citation(doc_id: str, start: int, end: int) -> Citation:
    return Citation(
        ref=1, doc_id=doc_id, collection="C", title="T", date=None, place=None,
        archive_ref=None, url=None, citation="", quote="q", char_start=start, char_end=end,
        passage="p", passage_start=0, page=None, score=1.0,
    )  # fmt: skip


def _answer(*citations: Citation, abstained: bool = False) -> Answer:
    return Answer(question="q", paragraphs=(), abstained=abstained, citations=citations)


def test_answer_scores() -> None:
    support = locate("d7", "I recommend", "Thus: I recommend a trial.")
    assert support == Support("d7", 6, 17)
    with pytest.raises(ValueError, match="not in d7"):
        locate("d7", "absent", "Thus: I recommend a trial.")
    quoting, elsewhere = _answer(_citation("d7", 0, 8)), _answer(_citation("d7", 17, 25))
    abstained = _answer(abstained=True)
    scores = [
        score_answer(quoting, relevant=["d7"], supports=[support]),
        score_answer(elsewhere, relevant=["d7"], supports=[support]),
        score_answer(abstained, relevant=["d7"], supports=[support]),
        score_answer(abstained, relevant=[], supports=[]),
        score_answer(quoting, relevant=[], supports=[]),
    ]
    assert [(s.quoted, s.cited, s.false_abstention) for s in scores[:3]] == [
        (True, True, False),
        (False, True, False),
        (False, False, True),
    ]
    assert summary(scores) == {
        "quoted": 0.3333,
        "cited": 0.6667,
        "false_abstention": 0.3333,
        "abstention_unanswerable": 0.5,
        "answerable": 3,
        "unanswerable": 2,
    }


def test_answers_quote_what_answers(sample_assistant: Assistant) -> None:
    """The answer-level check: a change that makes answers quote worse fails the build."""
    evaluation = evaluate_answers(ANSWER_CHECK, sample_assistant)
    metrics = evaluation.metrics
    assert (metrics["answerable"], metrics["unanswerable"]) == (24, 5)
    failing = [row.id for row in evaluation.rows if row.score.answerable and not row.score.quoted]
    assert metrics["quoted"] >= QUOTED_AT_LEAST, failing
    assert metrics["cited"] >= CITED_AT_LEAST
    assert metrics["false_abstention"] <= FALSE_ABSTENTION_AT_MOST
    assert metrics["abstention_unanswerable"] >= ABSTENTION_AT_LEAST


def test_cables_eval_answers_prints_the_table(sample_assistant: Assistant, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "eval", str(ANSWER_CHECK), "--answers", "--index", str(sample_assistant.directory),
            "--report", str(tmp_path), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["metrics"]["answerable"] == 24
    assert {row["id"] for row in printed["per_question"]} == {
        json.loads(line)["id"] for line in ANSWER_CHECK.read_text().splitlines()
    }
    report = (tmp_path / "answers.md").read_text()
    assert "| quoted | cited | false_abstention | abstention_unanswerable |" in report
