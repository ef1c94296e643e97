"""Fit the sentence ranker's weights on the dev split; report them and the test split.

    python -m bench.fit_sentence_ranker [--index DIR] [--questions FILE] [--C 0.1]

For every answerable question with supporting spans, the candidate sentences an answer
could quote (``Assistant.evidence_candidates``, the query made standalone from the
questions it follows, searched in the question's dates as an answer is) are labelled:
does the sentence overlap a supporting span? A logistic regression (balanced classes, features
standardised) is fit on the dev split only; the weights, in the features' own units,
go into ``assistant.answering.sentence_ranker.WEIGHTS`` and ``INTERCEPT`` by hand.
Reported per split, for the weights in use and for the new fit: how often the best
candidate answers (top-1), how often one of the best three does (top-3), and how often
any candidate does (the most any ranking can reach). Results go to
bench/results/sentence_ranker.json.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bench.common import write_result

QUESTIONS = Path(__file__).resolve().parent.parent / "corpus" / "eval" / "answer_questions.jsonl"

Labelled = list[tuple[np.ndarray, np.ndarray]]


def labelled(index: Path, questions: Path, split: str) -> Labelled:
    """Per question: the candidates' feature rows, and which of them answer."""
    from assistant.answering.conversation import standalone_query
    from assistant.evaluation.answer_scores import locate
    from assistant.evaluation.datasets import load_questions
    from assistant.model import Turn
    from assistant.service import Assistant
    from assistant.settings import Settings

    assistant = Assistant.open(Settings(index_dir=index))
    dataset = load_questions(questions).in_split(split)
    found = []
    for question in dataset.questions:
        if not question.answerable or not question.supporting:
            continue
        turns = [Turn("user", earlier) for earlier in dataset.history(question)]
        query = standalone_query(question.question, turns)
        _, filters, _ = assistant.question_search(question.question, query)
        candidates, rows = assistant.evidence_candidates(query, filters=filters)
        supports = [
            locate(span.doc_id, span.text, document.text)
            for span in question.supporting
            if (document := assistant.index.document(span.doc_id)) is not None
        ]
        answers = np.array(
            [
                any(s.overlaps(c.hit.document.doc_id, c.char_start, c.char_end) for s in supports)
                for c in candidates
            ]
        )
        found.append((rows, answers))
    assistant.close()
    return found


def ranking(
    questions: Labelled, score: Callable[[np.ndarray], Sequence[float]]
) -> dict[str, float]:
    top1 = top3 = reachable = 0
    for rows, answers in questions:
        if not len(rows):
            continue
        order = np.argsort(-np.asarray(score(rows)))
        top1 += bool(answers[order[0]])
        top3 += bool(answers[order[:3]].any())
        reachable += bool(answers.any())
    share = {"top1": top1, "top3": top3, "any_candidate": reachable}
    return {name: round(count / len(questions), 3) for name, count in share.items()}


def fit(questions: Labelled, c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    rows = np.vstack([r for r, _ in questions if len(r)])
    answers = np.concatenate([a for r, a in questions if len(r)])
    mean, scale = rows.mean(axis=0), rows.std(axis=0) + 1e-9
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit((rows - mean) / scale, answers)
    weights = model.coef_[0] / scale
    return weights, float(model.intercept_[0] - (weights * mean).sum())


def main() -> None:
    from assistant.answering.sentence_ranker import FEATURES, answer_probabilities
    from assistant.settings import default_index_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, default=default_index_dir())
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--C", type=float, default=0.1, help="Inverse regularisation strength.")
    args = parser.parse_args()
    dev = labelled(args.index, args.questions, "dev")
    test = labelled(args.index, args.questions, "test")
    weights, intercept = fit(dev, args.C)
    result = {
        "index": str(args.index),
        "questions": str(args.questions),
        "C": args.C,
        "fit": {
            "weights": dict(zip(FEATURES, np.round(weights, 3).tolist(), strict=True)),
            "intercept": round(intercept, 3),
        },
        "in_use": {
            split: ranking(questions, answer_probabilities)
            for split, questions in (("dev", dev), ("test", test))
        },
        "new_fit": {
            split: ranking(questions, lambda rows: rows @ weights + intercept)
            for split, questions in (("dev", dev), ("test", test))
        },
        "questions_per_split": {"dev": len(dev), "test": len(test)},
    }
    write_result("sentence_ranker", result)


if __name__ == "__main__":
    main()
