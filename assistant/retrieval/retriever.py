"""Query in, ranked passages out: dense, keyword (BM25) or hybrid retrieval with filters."""

from __future__ import annotations

from typing import Literal

import numpy as np

from assistant.model import Hit
from assistant.retrieval.fusion import diversify, normalized_score_fusion, top
from corpus.model import Passage
from embeddings.encoder import Encoder
from embeddings.filters import Filters
from embeddings.index import Index

Mode = Literal["dense", "bm25", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")

# Measured on SciFact and the development question set (see README, "Retrieval quality").
HYBRID_WEIGHTS = {"dense": 1.0, "bm25": 1.0}
CANDIDATES = 100


class Retriever:
    def __init__(self, index: Index, encoder: Encoder):
        self.index = index
        self.encoder = encoder

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        max_per_doc: int | None = 3,
        depth: int = CANDIDATES,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``, at most ``max_per_doc`` from one document."""
        if mode not in MODES:
            raise ValueError(f"unknown retriever {mode!r}; choose one of {', '.join(MODES)}")
        allowed = None
        if filters is not None and filters.active:
            allowed = self.index.store.matching_passage_ids(filters)
        query_vector = self.encoder.encode_query(query)
        depth = max(depth, k * (max_per_doc or 1) * 3)
        results = {}
        if mode in ("dense", "hybrid"):
            results["dense"] = self.index.vectors.search(
                query_vector, depth, allowed=allowed, exact=self.index.exact_vectors
            )
        if mode in ("bm25", "hybrid"):
            results["bm25"] = self.index.keywords.search(query, depth, allowed=allowed)
        if mode == "hybrid":
            fused = normalized_score_fusion(results, weights=HYBRID_WEIGHTS)
        else:
            scores, ids = results[mode]
            fused = {int(pid): float(s) for pid, s in zip(ids, scores, strict=True)}
        ordered = top(fused, len(fused))
        passages = self.index.store.passages(ordered)
        if max_per_doc:
            ordered = diversify(ordered, lambda pid: passages[pid].doc_id, per_group=max_per_doc)
        chosen = ordered[:k]
        return self._hits(chosen, fused, passages, query_vector)

    def _hits(
        self,
        ids: list[int],
        scores: dict[int, float],
        passages: dict[int, Passage],
        query_vector: np.ndarray,
    ) -> list[Hit]:
        vectors = self.index.store.vectors(ids)
        documents = self.index.store.documents(passages[pid].doc_id for pid in ids)
        return [
            Hit(
                passage_id=pid,
                passage=passages[pid],
                document=documents[passages[pid].doc_id],
                score=scores[pid],
                similarity=float(vectors[pid] @ query_vector),
            )
            for pid in ids
        ]
