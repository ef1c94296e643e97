"""An answer-level evaluation written out: a table of the numbers, one row per question."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.evaluation.answers import AnswerEvaluation, AnswerRow
from assistant.evaluation.report import cell

REPORT = "answers.md"
RESULTS = "answers.json"
SHARES = ("quoted", "cited", "false_abstention", "abstention_unanswerable")


def answer_table(evaluation: AnswerEvaluation) -> list[str]:
    metrics = evaluation.metrics
    return [
        "| questions | " + " | ".join(SHARES) + " | p50 s | p95 s |",
        "| ---: |" + " ---: |" * (len(SHARES) + 2),
        f"| {metrics['answerable']:.0f} + {metrics['unanswerable']:.0f} unanswerable | "
        + " | ".join(f"{metrics[name]:.3f}" for name in SHARES)
        + f" | {metrics['seconds_p50']:.3f} | {metrics['seconds_p95']:.3f} |",
    ]


def write_answer_report(evaluation: AnswerEvaluation, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    results = directory / RESULTS
    results.write_text(json.dumps(evaluation.to_json(), ensure_ascii=False, indent=2) + "\n")
    report = directory / REPORT
    report.write_text("\n".join(markdown(evaluation)) + "\n")
    return [report, results]


def markdown(evaluation: AnswerEvaluation) -> list[str]:
    rows = sorted(evaluation.rows, key=_failure_first)
    return [
        f"# Answer evaluation: {evaluation.dataset} ({evaluation.split or 'all'} split)",
        "",
        f"Index `{evaluation.index}` ({evaluation.embedding}), answers {evaluation.answering}. "
        "**quoted**: a quote overlaps a sentence that answers; **cited**: a relevant document "
        "is cited; shares over answerable questions, abstention over unanswerable ones.",
        "",
        *answer_table(evaluation),
        "",
        "## Per question (failures first)",
        "",
        "| id | type | verdict | cited | first quote |",
        "| --- | --- | --- | --- | --- |",
        *(_row(row) for row in rows),
    ]


def _verdict(row: AnswerRow) -> str:
    score = row.score
    if not score.answerable:
        return "abstained (right)" if score.abstained else "answered an unanswerable question"
    if score.abstained:
        return "false abstention"
    return "quoted" if score.quoted else "cited, not the answer" if score.cited else "wrong source"


def _failure_first(row: AnswerRow) -> tuple[bool, str]:
    score = row.score
    right = (score.quoted and not score.abstained) if score.answerable else score.abstained
    return right, row.id


def _row(row: AnswerRow) -> str:
    quote = row.quotes[0] if row.quotes else ""
    return (
        f"| {row.id} | {row.answer_type or ''} | {_verdict(row)} | "
        f"{cell(', '.join(row.cited_docs))} | {cell(quote)} |"
    )
