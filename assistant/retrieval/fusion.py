"""Fusing ranked lists and keeping one document from crowding the rest. Pure functions."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

Key = TypeVar("Key", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[int]], *, weights: Mapping[str, float], k: float = 60.0
) -> dict[int, float]:
    """Weighted RRF: each list adds ``weight / (k + rank)`` for every id it ranks (rank from 1)."""
    fused: dict[int, float] = {}
    for name, ids in rankings.items():
        weight = weights.get(name, 1.0)
        for rank, pid in enumerate(ids, start=1):
            fused[pid] = fused.get(pid, 0.0) + weight / (k + rank)
    return fused


def normalized_score_fusion(
    results: Mapping[str, tuple[np.ndarray, np.ndarray]], *, weights: Mapping[str, float]
) -> dict[int, float]:
    """Convex combination of per-query z-normalised scores.

    Unlike RRF this keeps how far ahead the best results are, which matters when
    one retriever is sure (an exact file number) and the other is not. An id that
    a list did not return gets that list's lowest score.
    """
    normalised: dict[str, dict[int, float]] = {}
    for name, (scores, ids) in results.items():
        if not len(ids):
            continue
        spread = float(np.std(scores)) or 1.0
        z = (scores - float(np.mean(scores))) / spread
        normalised[name] = {int(pid): float(s) for pid, s in zip(ids, z, strict=True)}
    everything = {pid for scores in normalised.values() for pid in scores}
    fused = dict.fromkeys(everything, 0.0)
    for name, scores in normalised.items():
        floor = min(scores.values())
        weight = weights.get(name, 1.0)
        for pid in everything:
            fused[pid] += weight * scores.get(pid, floor)
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
