"""Errors of the embedding model, shared by its backends (embeddings/encoder.py, onnx_model.py)."""

from corpus.errors import CablesError


class ModelNotAvailable(CablesError):
    """The embedding model could not be loaded from disk or a model hub."""
