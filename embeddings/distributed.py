"""Embedding on a Ray cluster: Ray Data ``map_batches`` with the encoder as an actor.

``RayEncoder`` is an ``Encoder`` whose ``encode_with_spans`` (what ingest calls)
ships the texts to a pool of actors, each holding one copy of the model, and returns
the vectors in input order; everything else in ingestion (chunking, the store, the indexes) runs
where it did. Point it at a cluster with ``address`` ("ray://head:10001" or
"auto" on a cluster node); with no address Ray starts on this machine.

Every worker node needs this project and the model installed (the same
``pip install`` as here); the driver only sends texts and receives vectors.
Ray itself is the optional ``ray`` extra, imported only here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from corpus.errors import CablesError
from embeddings.encoder import DEFAULT_MODEL, Backend, Encoder, Quantize

# Rows per actor call: large enough that the model batches well, small enough
# that every actor gets work on a modest run.
RAY_BATCH = 256
INSTALL_HINT = "pip install 'cable-assistant[ray]'"


class RayUnavailable(CablesError):
    """Ray is not installed, or the cluster cannot be reached or cannot run the workers."""


class _EncodeActor:
    """Loaded once per actor; Ray Data calls it with a batch of rows."""

    def __init__(self, model: str, **options: Any):
        self.encoder = Encoder(model, **options)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        # Spans travel flat, (start, end, start, end, ...), and so do their vectors.
        spans = [[tuple(pair) for pair in np.reshape(flat, (-1, 2))] for flat in batch["spans"]]
        vectors, span_vectors = self.encoder.encode_with_spans(
            [str(t) for t in batch["text"]], spans
        )
        return {
            "position": batch["position"],
            "vector": list(vectors),
            "span_vectors": [matrix.ravel() for matrix in span_vectors],
        }


class RayEncoder(Encoder):
    """An ``Encoder`` that encodes on a Ray cluster with ``workers`` model actors.

    Each actor runs the model with this encoder's ``backend`` and ``quantize``, so the
    vectors match those of a local ``Encoder`` with the same settings.
    """

    # One Ray Data run per ingest: each run starts its own actors and loads the model.
    ingest_chunk = sys.maxsize

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        address: str | None = None,
        workers: int = 1,
        batch_size: int | None = None,
        cpus_per_worker: float = 1.0,
        backend: Backend = "torch",
        quantize: Quantize | None = None,
    ):
        super().__init__(model, backend=backend, quantize=quantize, batch_size=batch_size)
        self.address = address
        self.workers = workers
        self.cpus_per_worker = cpus_per_worker

    def connect(self) -> Any:
        """Start or join Ray once and check the cluster can hold ``workers`` model actors.

        Called by ``encode_with_spans``; call it first to fail before any file is read.
        """
        try:
            import ray
        except ImportError as error:
            raise RayUnavailable(f"Ray is not installed: {INSTALL_HINT}") from error
        if not ray.is_initialized():
            where = self.address or "this machine"
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise RayUnavailable(
                    f"cannot start or reach Ray on {where}: {error} (is `ray start --head` "
                    "running there? with no address, Ray starts on this machine)"
                ) from error
        cpus = ray.cluster_resources().get("CPU", 0)
        if cpus < self.workers * self.cpus_per_worker:
            raise RayUnavailable(
                f"{self.workers} workers need {self.workers * self.cpus_per_worker:g} CPUs but "
                f"the Ray cluster has {cpus:g}: ask for fewer workers or add nodes"
            )
        return ray

    def encode_with_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        ray = self.connect()
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # ingest shows its own
        # Small runs still spread over every worker: no more rows per batch than that allows.
        batch_size = min(RAY_BATCH, -(-len(texts) // self.workers))
        dataset = ray.data.from_items(
            [
                {"position": i, "text": text, "spans": np.asarray(text_spans, np.int64).ravel()}
                for i, (text, text_spans) in enumerate(zip(texts, spans, strict=True))
            ],
            override_num_blocks=-(-len(texts) // batch_size),
        )
        encoded = dataset.map_batches(
            _EncodeActor,
            fn_constructor_kwargs={
                "model": self.name,
                "backend": self.backend,
                "quantize": self.quantize,
                "batch_size": self.batch_size,
            },
            batch_size=batch_size,
            batch_format="numpy",
            concurrency=self.workers,
            num_cpus=self.cpus_per_worker,
        )
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        span_vectors = [np.zeros((0, self.dimension), dtype=np.float32)] * len(texts)
        for batch in encoded.iter_batches(batch_size=RAY_BATCH, batch_format="numpy"):
            vectors[batch["position"]] = np.stack(batch["vector"])
            for position, flat in zip(batch["position"], batch["span_vectors"], strict=True):
                span_vectors[position] = np.reshape(flat, (-1, self.dimension))
        return vectors, span_vectors
