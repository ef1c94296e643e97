"""Calibrate abstention on the development question set.

    python -m bench.calibrate_abstention [--questions FILE] [--split dev] [--index DIR]

For each question (made standalone from the conversation it follows): the best
cosine similarity of a retrieved passage, and the share of its terms that the
retrieved passages contain (see ``assistant.answering.abstention``). A grid search picks the
pair of thresholds with the best balanced accuracy between answerable and
unanswerable questions, preferring lower thresholds on ties (refusing an
answerable question costs the user more than a weak quote, which is still a quote).
Results go to bench/results/abstention.json (with the trade-off curve: for each
coverage threshold at the chosen similarity, the share of answerable questions refused
and of unanswerable ones refused); the values in use are
``assistant.answering.abstention.CALIBRATED``. Choose them on the dev split only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import write_result

DEV_QUESTIONS = Path(__file__).resolve().parent.parent / "corpus" / "eval" / "dev_questions.jsonl"
SIMILARITY_GRID = [round(0.20 + 0.01 * i, 2) for i in range(41)]
COVERAGE_GRID = [round(0.40 + 0.05 * i, 2) for i in range(13)]

Scored = list[tuple[str, bool, float, float]]


def signals(questions: list[dict], index: Path | None) -> Scored:
    from assistant.answering.conversation import standalone_query
    from assistant.model import Turn
    from assistant.settings import Settings
    from assistant.web.server import load_assistant

    assistant = load_assistant(Settings(index_dir=index) if index else Settings())
    by_id = {q["id"]: q for q in questions}
    scored = []
    for question in questions:
        earlier = by_id.get(question.get("follows", ""))
        history = [Turn("user", earlier["question"])] if earlier else []
        query = standalone_query(question["question"], history)
        hits = assistant.search(query, k=8)
        similarity, coverage = assistant.abstention_signals(query, hits) if hits else (0.0, 0.0)
        answerable = question.get("answerable", bool(question.get("relevant_docs")))
        scored.append((question["id"], answerable, similarity, coverage))
    return scored


def balanced_accuracy(scored: Scored, similarity: float, coverage: float) -> float:
    answers = [s >= similarity and c >= coverage for _, _, s, c in scored]
    positives = [a for a, (_, ok, _, _) in zip(answers, scored, strict=True) if ok]
    negatives = [not a for a, (_, ok, _, _) in zip(answers, scored, strict=True) if not ok]
    recall = sum(positives) / max(len(positives), 1)
    specificity = sum(negatives) / max(len(negatives), 1)
    return (recall + specificity) / 2


def refusals(scored: Scored, similarity: float, coverage: float) -> dict[str, float]:
    """Shares refused: of the answerable questions (false abstention), of the others."""
    refused = [(ok, s < similarity or c < coverage) for _, ok, s, c in scored]
    answerable = [r for ok, r in refused if ok]
    unanswerable = [r for ok, r in refused if not ok]
    return {
        "coverage": coverage,
        "false_abstention": round(sum(answerable) / max(len(answerable), 1), 3),
        "abstention_unanswerable": round(sum(unanswerable) / max(len(unanswerable), 1), 3),
    }


def calibrate(scored: Scored) -> tuple[float, float, float]:
    """``(similarity, coverage, balanced accuracy)`` of the best, lowest thresholds."""
    grid = [(s, c) for s in SIMILARITY_GRID for c in COVERAGE_GRID]
    best = max(grid, key=lambda pair: (balanced_accuracy(scored, *pair), -pair[0], -pair[1]))
    return best[0], best[1], round(balanced_accuracy(scored, *best), 3)


def main() -> None:
    from assistant.answering.abstention import CALIBRATED

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS)
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--split", help="only the questions of this split (dev, test)")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line]
    if args.split:
        questions = [q for q in questions if q.get("split", args.split) == args.split]
    scored = signals(questions, args.index)
    similarity, coverage, accuracy = calibrate(scored)
    in_use = (CALIBRATED.similarity, CALIBRATED.coverage)
    write_result(
        "abstention",
        {
            "questions": args.questions.name,
            "split": args.split or "all",
            "answerable": sum(ok for _, ok, _, _ in scored),
            "unanswerable": sum(not ok for _, ok, _, _ in scored),
            "calibrated": {"similarity": similarity, "coverage": coverage},
            "balanced_accuracy": accuracy,
            "in_use": {"similarity": in_use[0], "coverage": in_use[1]},
            "balanced_accuracy_in_use": round(balanced_accuracy(scored, *in_use), 3),
            "similarity_only": round(
                max(balanced_accuracy(scored, s, 0) for s in SIMILARITY_GRID), 3
            ),
            "curve": [refusals(scored, in_use[0], c) for c in COVERAGE_GRID],
            "per_question": [
                {"id": qid, "answerable": ok, "similarity": round(s, 4), "coverage": round(c, 3)}
                for qid, ok, s, c in scored
            ],
        },
    )


if __name__ == "__main__":
    main()
