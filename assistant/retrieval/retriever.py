"""Query in, ranked passages out: dense, keyword (BM25) or hybrid retrieval with filters."""

from __future__ import annotations

from typing import Literal

import numpy as np

from assistant.model import Hit
from assistant.retrieval.fusion import diversify, normalized_score_fusion, scores_by_id, top
from corpus.model import Passage
from embeddings.encoder import Encoder
from embeddings.filters import Filters
from embeddings.index import Index
from embeddings.ranked import Ranked

RetrieverName = Literal["dense", "bm25", "hybrid"]
RETRIEVERS: tuple[RetrieverName, ...] = ("dense", "bm25", "hybrid")

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
        retriever: RetrieverName = "hybrid",
        filters: Filters | None = None,
        max_per_doc: int | None = 3,
        depth: int = CANDIDATES,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``, at most ``max_per_doc`` from one document."""
        if retriever not in RETRIEVERS:
            raise ValueError(
                f"unknown retriever {retriever!r}; choose one of {', '.join(RETRIEVERS)}"
            )
        self.index.refresh()  # a generation another process published since the last search
        allowed = None
        if filters is not None and filters.active:
            allowed = self.index.matching_passage_ids(filters)
        query_vector = self.encoder.encode_query(query)
        depth = max(depth, k * (max_per_doc or 1) * 3)
        results: dict[str, Ranked] = {}
        if retriever in ("dense", "hybrid"):
            results["dense"] = self.index.vectors.search(
                query_vector, depth, allowed=allowed, exact=self.index.exact_vectors
            )
        if retriever in ("bm25", "hybrid"):
            results["bm25"] = self.index.keywords.search(query, depth, allowed=allowed)
        if retriever == "hybrid":
            fused = normalized_score_fusion(results, weights=HYBRID_WEIGHTS)
        else:
            fused = scores_by_id(results[retriever])
        ordered = top(fused, len(fused))
        if max_per_doc:
            # Only the documents of the candidates are read to diversify; the text only of
            # the passages chosen.
            doc_ids = self.index.passage_doc_ids(ordered)
            ordered = diversify(ordered, doc_ids.__getitem__, per_group=max_per_doc)
        chosen = ordered[:k]
        return self._hits(chosen, fused, self.index.passages(chosen), query_vector)

    def _hits(
        self,
        ids: list[int],
        scores: dict[int, float],
        passages: dict[int, Passage],
        query_vector: np.ndarray,
    ) -> list[Hit]:
        if not ids:
            return []
        vectors = self.index.exact_vectors(np.array(ids, dtype=np.int64))
        documents = self.index.documents(passages[pid].doc_id for pid in ids)
        return [
            Hit(
                passage_id=pid,
                passage=passages[pid],
                document=documents[passages[pid].doc_id],
                score=scores[pid],
                similarity=float(vector @ query_vector),
            )
            for pid, vector in zip(ids, vectors, strict=True)
        ]
