"""Where Cable Assistant keeps files it can rebuild: ONNX exports, evaluation indexes."""

from __future__ import annotations

import os
import re
from pathlib import Path


def cache_dir() -> Path:
    """``$CABLES_CACHE``, or ``$XDG_CACHE_HOME/cable-assistant`` (``~/.cache/cable-assistant``)."""
    if configured := os.environ.get("CABLES_CACHE"):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cable-assistant"


def model_file_name(model: str) -> str:
    """A model's hub name or path as a readable file-name part: its last component, with
    anything but letters, digits, ``.``, ``_`` and ``-`` made ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model.rstrip("/").rsplit("/", 1)[-1])
