"""Fusion, ordering and diversification on hand-made ranked lists: pure, no model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.retrieval.fusion import diversify, normalized_score_fusion, scores_by_id, top
from bench.tune_fusion import reciprocal_rank_fusion
from embeddings.ranked import Ranked


def _ranked(ids: list[int], scores: list[float]) -> Ranked:
    return Ranked(np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float32))


def test_score_fusion_adds_weighted_z_scores_and_floors_what_a_list_missed() -> None:
    dense = _ranked([1, 2, 3], [0.9, 0.6, 0.3])  # z: +√1.5, 0, -√1.5
    bm25 = _ranked([3, 4], [10.0, 2.0])  # z: +1, -1
    fused = normalized_score_fusion({"dense": dense, "bm25": bm25}, weights={"bm25": 0.5})
    root = math.sqrt(1.5)
    assert fused == pytest.approx(
        {1: root - 0.5, 2: 0.0 - 0.5, 3: -root + 0.5, 4: -root - 0.5}, abs=1e-6
    )
    assert top(fused, 4) == [1, 2, 3, 4]


def test_score_fusion_skips_empty_lists_and_survives_equal_scores() -> None:
    fused = normalized_score_fusion(
        {"dense": Ranked.empty(), "bm25": _ranked([7, 8], [3.0, 3.0])}, weights={}
    )
    assert fused == {7: 0.0, 8: 0.0}
    assert normalized_score_fusion({"dense": Ranked.empty()}, weights={}) == {}


def test_one_list_keeps_its_own_scores_in_order() -> None:
    scores = scores_by_id(_ranked([5, 2, 9], [0.5, 0.25, 0.125]))
    assert scores == {5: 0.5, 2: 0.25, 9: 0.125} and list(scores) == [5, 2, 9]


def test_top_orders_best_first_and_ties_keep_insertion_order() -> None:
    scores = {"a": 1.0, "b": 2.0, "c": 2.0, "d": 0.0}
    assert top(scores, 3) == ["b", "c", "a"]
    assert top(scores, 10) == ["b", "c", "a", "d"]
    assert top({}, 3) == []


@pytest.mark.parametrize(
    ("per_group", "kept"), [(1, [1, 3, 6]), (2, [1, 2, 3, 5, 6]), (3, [1, 2, 3, 4, 5, 6])]
)
def test_diversify_keeps_order_and_at_most_per_group(per_group: int, kept: list[int]) -> None:
    document = {1: "x", 2: "x", 3: "y", 4: "x", 5: "y", 6: "z"}
    assert diversify([1, 2, 3, 4, 5, 6], document.__getitem__, per_group=per_group) == kept
    assert diversify([], document.__getitem__, per_group=per_group) == []


def test_reciprocal_rank_fusion_of_the_benchmark() -> None:
    fused = reciprocal_rank_fusion({"a": [1, 2], "b": [2, 3]}, weights={"b": 2.0}, k=10)
    assert fused == pytest.approx({1: 1 / 11, 2: 1 / 12 + 2 / 11, 3: 2 / 12})
