"""Ranking metrics with ranx, over document-level rankings.

ranx orders a run by score; each ranking is handed over with strictly decreasing
synthetic scores so that ranx sees exactly our order, ties included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr@10", "hit@1", "hit@5", "hit@10")
# ranx's hit_rate@k is 1 for a query with any relevant document in its top k.
_RANX_NAMES = {name: name.replace("hit@", "hit_rate@") for name in METRICS}


@dataclass(frozen=True)
class Scores:
    """Metric means over the scored questions, and each question's own values."""

    mean: dict[str, float]
    per_question: dict[str, dict[str, float]]


def score(
    rankings: Mapping[str, Sequence[str]], relevant: Mapping[str, Mapping[str, int]]
) -> Scores:
    """``rankings`` (question id -> doc ids, best first) judged against ``relevant``.

    Only questions with at least one relevant document are scored; a question
    with an empty ranking scores 0.
    """
    judged = {qid: dict(docs) for qid, docs in relevant.items() if docs}
    if not judged:
        return Scores(dict.fromkeys(METRICS, 0.0), {})
    import warnings

    from ranx import Qrels, Run, evaluate

    run = {
        qid: {doc: float(len(docs) - rank) for rank, doc in enumerate(dict.fromkeys(docs))}
        for qid in judged
        if (docs := rankings.get(qid))
    }
    qrels = Qrels.from_dict(judged)
    # Questions that retrieved nothing get an empty ranking, so they count as misses.
    ranx_run = Run.from_dict(run).make_comparable(qrels)
    with warnings.catch_warnings():
        # ranx warns about a harmless uint64 -> int64 cast inside its numba kernels.
        warnings.simplefilter("ignore")
        evaluate(qrels, ranx_run, list(_RANX_NAMES.values()), return_mean=False)
    per_question = {
        qid: {name: float(ranx_run.scores[_RANX_NAMES[name]][qid]) for name in METRICS}
        for qid in judged
    }
    mean = {
        name: sum(q[name] for q in per_question.values()) / len(per_question) for name in METRICS
    }
    return Scores(mean, per_question)
