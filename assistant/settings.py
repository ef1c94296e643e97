"""Where the index lives and how it is built: one frozen object made at the edge.

Also the one reader of numbers from the environment, shared by every edge's settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from corpus.chunking import ChunkSettings
from corpus.errors import CablesError
from embeddings.encoder import DEFAULT_MODEL, Backend, Quantize

SAMPLE_ARCHIVE = Path(__file__).resolve().parent.parent / "corpus" / "data"

_N = TypeVar("_N", int, float)


class SettingError(CablesError, ValueError):
    """A setting (a flag or a ``CABLES_*`` variable) that cannot be used; the message names
    it and the fix. A ValueError too, so that pydantic reports it on its field."""


def env_number(
    environ: Mapping[str, str],
    name: str,
    default: _N,
    *,
    error: type[SettingError] = SettingError,
) -> _N:
    """``environ[name]`` as a number of the type of ``default``; ``default`` if unset or blank."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    kind = type(default)
    try:
        return kind(raw)
    except ValueError:
        noun = "whole number" if kind is int else "number"
        raise error(f"{name}={raw!r} is not a {noun}, e.g. {name}={default}") from None


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
