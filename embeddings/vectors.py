"""FAISS behind add / remove / search / save / load: the only module that imports faiss.

Vectors are unit length, so inner product is cosine similarity. External ids are
the passages' database ids, so a hit leads straight back to its row.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import faiss


def _faiss() -> Any:
    import faiss

    return faiss


class VectorIndex:
    """An exact inner-product index keyed by passage id."""

    def __init__(self, index: faiss.Index):
        self._index = index

    @classmethod
    def create(cls, dimension: int) -> VectorIndex:
        faiss = _faiss()
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        return cls(_faiss().read_index(str(path)))

    def save(self, path: Path) -> None:
        """Write to ``path`` through a temporary file, so a crash never leaves half a file."""
        partial = path.with_name(path.name + ".partial")
        _faiss().write_index(self._index, str(partial))
        partial.replace(path)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(
        self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest passages as ``(scores, ids)``, optionally only among ``allowed`` ids.

        Restricting inside FAISS (an id selector) rather than filtering afterwards
        means a filtered query still gets ``k`` results when ``k`` exist.
        """
        faiss = _faiss()
        params = None
        if allowed is not None:
            if not len(allowed):
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
        scores, ids = self._index.search(
            np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1), k, params=params
        )
        found = ids[0] >= 0
        return scores[0][found], ids[0][found]
