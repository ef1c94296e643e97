"""FAISS behind add / remove / search / save / load: the only module that imports faiss.

Vectors are unit length, so inner product is cosine similarity. External ids are
the passages' database ids, so a hit leads straight back to its row.

The kind of index follows the archive's size (``kind_for``); the thresholds and
default ``nprobe`` come from ``bench/scale.py`` (see bench/README.md):

- ``flat``: exact search, 4·d bytes a vector. Below 100k passages it answers in a
  few milliseconds, so nothing approximate is worth its recall cost.
- ``ivf``: an inverted file with 8-bit scalar quantisation (d bytes a vector). From
  100k passages; at 1M it holds the index in under 1 GB with recall@10 ≥ 0.95.
- ``ivfpq``: inverted file with 4-bit "fast scan" product codes (48 bytes a
  vector), for millions of passages, where even one byte a dimension would not
  fit in RAM. Its codes alone find about two thirds of the true top 10, so a
  search given the exact vectors (the store's, read for the candidates only)
  re-scores ``RESCORE_FACTOR`` times as many candidates as it returns.
  8-bit PQ codes and an OPQ rotation were tried: training either took minutes
  even at 20k vectors on 2 cores.

HNSW is measured in the benchmark but not offered: it cannot remove vectors,
which every re-ingest of a changed document needs, and its graph adds memory.
Every kind supports ``remove``; the approximate kinds are trained on a sample of
the store's vectors when built, and are rebuilt when the archive outgrows them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from embeddings.ranked import Ranked

if TYPE_CHECKING:
    import faiss

Kind = Literal["flat", "ivf", "ivfpq"]
Batches = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]
# The exact float32 vectors of some passage ids, in the ids' order.
ExactVectors = Callable[[np.ndarray], np.ndarray]

IVF_FROM = 100_000
IVFPQ_FROM = 5_000_000
PQ_DIMENSIONS = 4  # per 4-bit subquantizer: 48 bytes for a 384-dimension vector
# Inverted lists probed per query, as a fraction of all lists: the benchmark's
# smallest setting with recall@10 ≥ 0.95 at 1M passages.
PROBE_FRACTION = 1 / 32
MIN_NPROBE = 16
TRAIN_PER_LIST = 50
# Candidates per result that an IVF-PQ search re-scores exactly (bench/scale.py).
RESCORE_FACTOR = 4


def _faiss() -> Any:
    import faiss

    return faiss


def kind_for(count: int) -> Kind:
    """The index kind for an archive of ``count`` passages."""
    if count >= IVFPQ_FROM:
        return "ivfpq"
    return "ivf" if count >= IVF_FROM else "flat"


def lists_for(count: int) -> int:
    """Inverted lists for ``count`` vectors: a power of two near 2·√n."""
    return int(2 ** round(math.log2(max(2 * math.sqrt(max(count, 1)), 256))))


def factory_string(kind: Kind, dimension: int, count: int) -> str:
    nlist = lists_for(count)
    if kind == "ivf":
        return f"IVF{nlist},SQ8"
    if kind == "ivfpq":
        subquantizers = dimension // PQ_DIMENSIONS if dimension % PQ_DIMENSIONS == 0 else dimension
        return f"IVF{nlist},PQ{subquantizers}x4fs"
    return "IDMap2,Flat"


class VectorIndex:
    """An inner-product index keyed by passage id, of any kind above."""

    def __init__(self, index: faiss.Index):
        self._index = index
        ivf = _inverted_file(index)
        self.kind: Kind = "flat" if ivf is None else _ivf_kind(ivf)
        self.nlist = int(ivf.nlist) if ivf is not None else 0
        self.nprobe = self.default_nprobe
        self.rescore = RESCORE_FACTOR

    @classmethod
    def create(cls, dimension: int, *, kind: Kind = "flat", count: int = 0) -> VectorIndex:
        """An empty index; the approximate kinds must be ``train``-ed before ``add``."""
        faiss = _faiss()
        return cls(
            faiss.index_factory(
                dimension, factory_string(kind, dimension, count), faiss.METRIC_INNER_PRODUCT
            )
        )

    @classmethod
    def build(
        cls, dimension: int, batches: Batches, count: int, *, kind: Kind | None = None
    ) -> VectorIndex:
        """An index of every ``(ids, vectors)`` batch, of the kind ``count`` calls for.

        ``batches`` is called once to draw the training sample and once to add,
        so the vectors never need to be in memory all at once.
        """
        kind = kind or kind_for(count)
        index = cls.create(dimension, kind=kind, count=count)
        if kind != "flat":
            index.train(_sample(batches(), count, TRAIN_PER_LIST * lists_for(count)))
        for ids, vectors in batches():
            index.add(ids, vectors)
        return index

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

    @property
    def default_nprobe(self) -> int:
        return min(self.nlist, max(MIN_NPROBE, round(self.nlist * PROBE_FRACTION)))

    def suits(self, count: int) -> bool:
        """Whether this index is still the right kind and size for ``count`` passages.

        An inverted file trained for far fewer vectors than it holds has long
        lists and slows down; one for far more wastes probes. Either is rebuilt.
        """
        if self.kind != kind_for(count):
            return False
        return self.kind == "flat" or lists_for(count) // 4 <= self.nlist <= lists_for(count) * 4

    def train(self, vectors: np.ndarray) -> None:
        self._index.train(np.ascontiguousarray(vectors, dtype=np.float32))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self._index.remove_ids(_faiss().IDSelectorBatch(np.asarray(ids, dtype=np.int64)))

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        allowed: np.ndarray | None = None,
        exact: ExactVectors | None = None,
    ) -> Ranked:
        """The ``k`` nearest passages, optionally only among ``allowed`` ids.

        Restricting inside FAISS (an id selector) rather than filtering afterwards
        means a filtered query still gets ``k`` results when ``k`` exist. An
        inverted file then probes more lists, in proportion to how much of the
        archive the filter excludes, so it still sees about as many candidates.
        Given ``exact``, an IVF-PQ index re-scores ``rescore`` times ``k`` candidates
        with their exact vectors; the other kinds' scores are close enough already.
        """
        if exact is None or self.kind != "ivfpq":
            return self._search(query, k, allowed)
        coarse = self._search(query, k * self.rescore, allowed)
        if not len(coarse.ids):
            return coarse
        scores = exact(coarse.ids) @ np.asarray(query, dtype=np.float32)
        best = np.argsort(-scores, kind="stable")[:k]
        return Ranked(coarse.ids[best], scores[best])

    def _search(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> Ranked:
        faiss = _faiss()
        queries = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        selector = None
        if allowed is not None:
            if not len(allowed):
                return Ranked.empty()
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        if self.kind == "flat":
            params = faiss.SearchParameters(sel=selector) if selector else None
            scores, ids = self._index.search(queries, k, params=params)
        else:
            nprobe = self.nprobe
            if allowed is not None:
                nprobe = math.ceil(nprobe * len(self) / max(len(allowed), 1))
            ivf_params = faiss.SearchParametersIVF(nprobe=min(nprobe, self.nlist))
            if selector is not None:
                ivf_params.sel = selector
            params = ivf_params
            if isinstance(self._index, faiss.IndexPreTransform):
                params = faiss.SearchParametersPreTransform(index_params=ivf_params)
            scores, ids = self._index.search(queries, k, params=params)
        found = ids[0] >= 0
        return Ranked(ids[0][found], scores[0][found])


def _inverted_file(index: Any) -> Any:
    try:
        return _faiss().extract_index_ivf(index)
    except RuntimeError:  # not an inverted file: the exact kind
        return None


def _ivf_kind(ivf: Any) -> Kind:
    faiss = _faiss()
    quantised = faiss.downcast_index(ivf)
    return "ivfpq" if isinstance(quantised, faiss.IndexIVFPQ | faiss.IndexIVFPQFastScan) else "ivf"


def _sample(batches: Iterable[tuple[np.ndarray, np.ndarray]], count: int, size: int) -> np.ndarray:
    """Every ``count // size``-th vector: an even sample, whatever order the archive is in."""
    step = max(1, count // max(size, 1))
    parts = []
    offset = 0
    for _, vectors in batches:
        parts.append(vectors[(-offset) % step :: step])
        offset += len(vectors)
    return np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)
