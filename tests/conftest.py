"""Shared fixtures: the real model, and real indexes built once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import SAMPLE_ARCHIVE, Settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("sample") / "index")


@pytest.fixture(scope="session")
def sample_assistant(sample_settings: Settings) -> Iterator[Assistant]:
    """The bundled sample archive, indexed with the real model, FAISS and BM25."""
    assistant, report = Assistant.build(sample_settings, [SAMPLE_ARCHIVE], progress=False)
    assert report.ok, report.failed
    yield assistant
    assistant.index.close()
