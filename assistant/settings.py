"""Where the index lives and how it is built: one frozen object made at the edge."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from corpus.chunking import ChunkSettings
from embeddings.encoder import DEFAULT_MODEL, Backend, Quantize

SAMPLE_ARCHIVE = Path(__file__).resolve().parent.parent / "corpus" / "data"


def default_index_dir() -> Path:
    """``$CABLES_INDEX``, or ``~/.cable-assistant/index``."""
    configured = os.environ.get("CABLES_INDEX")
    return Path(configured) if configured else Path.home() / ".cable-assistant" / "index"


def default_model() -> str:
    """``$CABLES_MODEL``, or the packaged all-MiniLM-L6-v2."""
    return os.environ.get("CABLES_MODEL") or DEFAULT_MODEL


@dataclass(frozen=True)
class Settings:
    index_dir: Path = field(default_factory=default_index_dir)
    model: str = field(default_factory=default_model)
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    # How a new index's vectors are made; an existing index keeps the backend it was built with.
    backend: Backend = "torch"
    quantize: Quantize | None = None
