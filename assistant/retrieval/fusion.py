"""Fusing ranked lists and keeping one document from crowding the rest. Pure functions."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from embeddings.ranked import Ranked

Key = TypeVar("Key", bound=Hashable)


def scores_by_id(ranked: Ranked) -> dict[int, float]:
    """One list's scores by passage id, in its order."""
    return {int(pid): float(s) for pid, s in zip(ranked.ids, ranked.scores, strict=True)}


def normalized_score_fusion(
    results: Mapping[str, Ranked], *, weights: Mapping[str, float]
) -> dict[int, float]:
    """Convex combination of per-query z-normalised scores.

    Unlike reciprocal rank fusion this keeps how far ahead the best results are,
    which matters when one retriever is sure (an exact file number) and the other
    is not (bench/tune_fusion.py compares the two). An id that a list did not
    return gets that list's lowest score.
    """
    normalised: dict[str, dict[int, float]] = {}
    for name, (ids, scores) in results.items():
        if not len(ids):
            continue
        spread = float(np.std(scores)) or 1.0
        z = (scores - float(np.mean(scores))) / spread
        normalised[name] = {int(pid): float(s) for pid, s in zip(ids, z, strict=True)}
    everything = {pid for by_id in normalised.values() for pid in by_id}
    fused = dict.fromkeys(everything, 0.0)
    for name, by_id in normalised.items():
        floor = min(by_id.values())
        weight = weights.get(name, 1.0)
        for pid in everything:
            fused[pid] += weight * by_id.get(pid, floor)
    return fused


def top(scores: Mapping[Key, float], n: int) -> list[Key]:
    """The ``n`` best keys, best first; ties keep insertion order."""
    return sorted(scores, key=lambda key: -scores[key])[:n]


def diversify(ordered: Sequence[Key], group: Callable[[Key], str], *, per_group: int) -> list[Key]:
    """Keep the order but at most ``per_group`` items of each group (e.g. of one document)."""
    seen: dict[str, int] = {}
    kept = []
    for item in ordered:
        name = group(item)
        if seen.get(name, 0) < per_group:
            kept.append(item)
            seen[name] = seen.get(name, 0) + 1
    return kept
