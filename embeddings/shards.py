"""Several vector indexes searched as one: the merge step of sharded search.

An archive too large for one machine's RAM is split by passage id into shards,
each a ``VectorIndex`` of its own. A query goes to every shard, each returns its
own top ``k``, and the global top ``k`` is among those: a passage outside its
shard's top ``k`` has ``k`` better passages in that shard alone.

Here the shards live in one process, which makes the interface real and tested.
Across machines each shard sits behind a small search service on its node (the
same ``search(query, k, allowed=, exact=)`` call) and only ``merge`` runs on the node
that answers the user; see bench/README.md, "Past one machine".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from embeddings.vectors import ExactVectors, VectorIndex


def merge(
    results: Sequence[tuple[np.ndarray, np.ndarray]], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best ``(scores, ids)`` of several shards' results, best first.

    Ties keep shard order, so the merge is deterministic.
    """
    if not results:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores = np.concatenate([np.asarray(s, dtype=np.float32) for s, _ in results])
    ids = np.concatenate([np.asarray(i, dtype=np.int64) for _, i in results])
    order = np.argsort(-scores, kind="stable")[:k]
    return scores[order], ids[order]


class ShardedVectorIndex:
    """``VectorIndex`` shards behind the same add / remove / search interface.

    A passage lives in shard ``id % len(shards)``, so ids alone route writes and
    shards stay about equal in size.
    """

    def __init__(self, shards: Sequence[VectorIndex]):
        if not shards:
            raise ValueError("a sharded index needs at least one shard")
        self.shards = list(shards)

    def __len__(self) -> int:
        return sum(len(shard) for shard in self.shards)

    @property
    def dimension(self) -> int:
        return self.shards[0].dimension

    def _owner(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(ids, dtype=np.int64) % len(self.shards)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        owner = self._owner(ids)
        for number, shard in enumerate(self.shards):
            mine = owner == number
            shard.add(ids[mine], vectors[mine])

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        owner = self._owner(ids)
        for number, shard in enumerate(self.shards):
            shard.remove(ids[owner == number])

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        allowed: np.ndarray | None = None,
        exact: ExactVectors | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest passages over all shards, as ``VectorIndex.search`` gives them
        (IVF-PQ shards re-score their candidates with ``exact`` vectors, if given)."""
        results = []
        for number, shard in enumerate(self.shards):
            mine = None
            if allowed is not None:
                allowed = np.asarray(allowed, dtype=np.int64)
                mine = allowed[self._owner(allowed) == number]
                if not len(mine):
                    continue
            results.append(shard.search(query, k, allowed=mine, exact=exact))
        return merge(results, k)
