"""A sentence-transformers model run by ONNX Runtime, exported from its local weights.

sentence-transformers' own ONNX backend goes through optimum, whose releases pin
transformers below the version this project needs (gradio 6 needs a newer
huggingface-hub than those allow). Exporting the transformer with ``torch.onnx`` and
pooling in numpy needs only ``onnxruntime`` and ``onnx``: the ``fast`` extra.

The exported files are cached per model under :func:`cache_dir`; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.cache import cache_dir, model_file_name
from embeddings.errors import ModelNotAvailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

INSTALL_HINT = 'install the fast extra: pip install "cable-assistant[fast]"'
_POOLINGS = ("mean", "cls")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Eager attention exports as plain MatMul/Softmax, which ONNX Runtime fuses into its
# Attention kernel; the SDPA graph is not fused.
_EAGER = {"attn_implementation": "eager"}
# Part of the cache key: a new version re-exports (2: attention fused before int8).
_EXPORT_VERSION = 2


class OnnxUnsupported(ModelNotAvailable):
    """The model cannot run on the ONNX backend; the message says what to do instead."""


class OnnxModel:
    """The parts of ``SentenceTransformer`` that :class:`~embeddings.encoder.Encoder` uses."""

    def __init__(self, location: str, *, quantize: str | None = None):
        try:
            import onnxruntime
        except ImportError as error:
            raise OnnxUnsupported(f"the onnx backend needs onnxruntime: {INSTALL_HINT}") from error
        from sentence_transformers import SentenceTransformer

        # The torch model is loaded once for its tokenizer and configuration (and to
        # export it the first time), then dropped.
        model = SentenceTransformer(location, device="cpu", model_kwargs=_EAGER)
        self.pooling = _pooling(model, location)
        self.tokenizer = model.tokenizer
        dimension, max_length = model.get_embedding_dimension(), model.max_seq_length
        if dimension is None or max_length is None:
            raise OnnxUnsupported(
                f"{location}: the model states no embedding dimension or input length, "
                "which the onnx backend needs; use --backend torch"
            )
        self.max_seq_length = int(max_length)
        self._dimension = int(dimension)
        path = exported(model, location, quantize=quantize)
        self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def get_embedding_dimension(self) -> int:
        return self._dimension

    def encode(
        self,
        texts: list[str],
        *,
        batch_size: int,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        """Float32 vectors, not normalised, in input order; batches are cut from texts
        sorted by length."""
        vectors = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for rows, hidden, mask in self._batches(texts, batch_size, progress=show_progress_bar):
            vectors[rows] = self._pool(hidden, mask)
        return vectors

    def token_vectors(
        self, texts: list[str], *, batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As :meth:`encode`, and each text's token vectors (special tokens included)."""
        vectors = np.zeros((len(texts), self._dimension), dtype=np.float32)
        tokens: list[np.ndarray] = [np.zeros((0, self._dimension), dtype=np.float32)] * len(texts)
        for rows, hidden, mask in self._batches(texts, batch_size):
            vectors[rows] = self._pool(hidden, mask)
            for row, states, real in zip(rows, hidden, mask.astype(bool), strict=True):
                tokens[row] = states[real]
        return vectors, tokens

    def _batches(
        self, texts: list[str], batch_size: int, *, progress: bool = False
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Batches cut from ``texts`` sorted by length: each one's rows in ``texts``, last
        hidden states and attention mask."""
        from tqdm import tqdm

        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in tqdm(range(0, len(texts), batch_size), desc="Batches", disable=not progress):
            rows = order[start : start + batch_size]
            yield rows, *self._hidden([texts[i] for i in rows])

    def _hidden(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The last hidden states of a padded batch and its attention mask."""
        encoded = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_seq_length,
            return_tensors="np",
        )
        feed = {name: encoded[name].astype(np.int64) for name in self.inputs}
        (tokens,) = self.session.run(["last_hidden_state"], feed)
        return tokens, encoded["attention_mask"]

    def _pool(self, tokens: np.ndarray, attention: np.ndarray) -> np.ndarray:
        if self.pooling == "cls":
            return tokens[:, 0]
        mask = attention[..., None].astype(np.float32)
        return (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)


def exported(model: SentenceTransformer, location: str, *, quantize: str | None) -> Path:
    """The cached ONNX file of ``model`` (int8 when ``quantize``), exported on first use."""
    folder = cache_dir() / "onnx" / _cache_name(location)
    fp32 = folder / "model.onnx"
    if not fp32.exists():
        folder.mkdir(parents=True, exist_ok=True)
        _atomic(fp32, lambda partial: _export(model, partial))
    if quantize is None:
        return fp32
    int8 = folder / "model-int8.onnx"
    if not int8.exists():
        transformer: Any = model[0]
        config = transformer.auto_model.config
        # 0 lets the optimizer guess, for configs that name these otherwise.
        shape = (getattr(config, "num_attention_heads", 0), getattr(config, "hidden_size", 0))
        _atomic(int8, lambda partial: _quantize(fp32, partial, *shape))
    return int8


def _cache_name(location: str) -> str:
    """Readable, and new whenever the model's files change."""
    stamp = [location, f"export {_EXPORT_VERSION}"]
    path = Path(location)
    if path.is_dir():
        stamp += [
            f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in sorted(path.iterdir())
        ]
    key = hashlib.sha256("\n".join(stamp).encode()).hexdigest()[:12]
    return f"{model_file_name(location)}-{key}"


def _atomic(final: Path, write: Any) -> None:
    """Write through a private partial file, so concurrent first uses never see half a file."""
    partial = final.with_name(f"{final.name}.{os.getpid()}.partial")
    try:
        write(partial)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def _export(model: SentenceTransformer, path: Path) -> None:
    import torch

    first: Any = model[0]
    transformer = first.auto_model.eval()
    sample = model.tokenizer(
        ["an example", "a second example text"], padding=True, return_tensors="pt"
    )
    names = [name for name in _INPUTS if name in sample]

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.transformer(**dict(zip(names, inputs, strict=True))).last_hidden_state

    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(),
            tuple(sample[name] for name in names),
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: axes for name in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )


def _quantize(fp32: Path, path: Path, num_heads: int, hidden_size: int) -> None:
    """Fuse the transformer's operators, then quantise its weights to int8 per channel.

    Dynamic quantisation needs no calibration data: activations are quantised per batch.
    """
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    fused = path.with_name(path.name + ".fused")
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.ERROR)  # onnxruntime's "consider pre-processing", logged on root
        # Given the shape, the optimizer fuses attention into one operator, which int8
        # then covers too: 1.1-1.2x faster than leaving it to the graph optimisations.
        optimize_model(
            str(fp32), model_type="bert", opt_level=1, num_heads=num_heads, hidden_size=hidden_size
        ).save_model_to_file(str(fused))
        quantize_dynamic(
            str(fused),
            str(path),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": 1},  # fused ops have no inferred float type
        )
    finally:
        root.setLevel(level)
        fused.unlink(missing_ok=True)


def _pooling(model: SentenceTransformer, location: str) -> str:
    modules: list[Any] = list(model)
    config = modules[1].get_config_dict() if len(modules) > 1 else {}
    pooling = config.get("pooling_mode")
    tail = {type(m).__name__ for m in modules[2:]}
    if not hasattr(modules[0], "auto_model") or pooling not in _POOLINGS or tail - {"Normalize"}:
        raise OnnxUnsupported(
            f"{location}: the onnx backend runs a transformer with mean or CLS pooling, "
            f"not {[type(m).__name__ for m in modules]}; use --backend torch"
        )
    return str(pooling)
