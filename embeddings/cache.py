"""Where Cable Assistant keeps files it can rebuild: ONNX exports, evaluation indexes."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$CABLES_CACHE``, or ``$XDG_CACHE_HOME/cable-assistant`` (``~/.cache/cable-assistant``)."""
    if configured := os.environ.get("CABLES_CACHE"):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cable-assistant"
