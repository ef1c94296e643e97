"""Embedding on a Ray cluster: Ray Data ``map_batches`` with the encoder as an actor.

``RayEncoder`` is an ``Encoder`` whose ``encode`` ships the texts to a pool of
actors, each holding one copy of the model, and returns the vectors in input
order; everything else in ingestion (chunking, the store, the indexes) runs
where it did. Point it at a cluster with ``address`` ("ray://head:10001" or
"auto" on a cluster node); with no address Ray starts on this machine.

Every worker node needs this project and the model installed (the same
``pip install`` as here); the driver only sends texts and receives vectors.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from embeddings.encoder import DEFAULT_MODEL, Encoder

# Rows per actor call: large enough that the model batches well, small enough
# that every actor gets work on a modest run.
RAY_BATCH = 256


class _EncodeActor:
    """Loaded once per actor; Ray Data calls it with a batch of rows."""

    def __init__(self, model: str, batch_size: int):
        self.encoder = Encoder(model, batch_size=batch_size)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.encoder.encode([str(t) for t in batch["text"]])
        return {"position": batch["position"], "vector": list(vectors)}


class RayEncoder(Encoder):
    """An ``Encoder`` that encodes on a Ray cluster with ``workers`` model actors."""

    # One Ray Data run per ingest: each run starts its own actors and loads the model.
    ingest_chunk = sys.maxsize

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        address: str | None = None,
        workers: int = 1,
        batch_size: int = 64,
        cpus_per_worker: float = 1.0,
    ):
        super().__init__(model, batch_size=batch_size)
        self.address = address
        self.workers = workers
        self.cpus_per_worker = cpus_per_worker

    def _ray(self) -> Any:
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
        return ray

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ray = self._ray()
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = progress
        # Small runs still spread over every worker: no more rows per batch than that allows.
        batch_size = min(RAY_BATCH, -(-len(texts) // self.workers))
        dataset = ray.data.from_items(
            [{"position": i, "text": text} for i, text in enumerate(texts)],
            override_num_blocks=-(-len(texts) // batch_size),
        )
        encoded = dataset.map_batches(
            _EncodeActor,
            fn_constructor_kwargs={"model": self.name, "batch_size": self.batch_size},
            batch_size=batch_size,
            batch_format="numpy",
            concurrency=self.workers,
            num_cpus=self.cpus_per_worker,
        )
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for batch in encoded.iter_batches(batch_size=RAY_BATCH, batch_format="numpy"):
            vectors[batch["position"]] = np.stack(batch["vector"])
        return vectors
