"""Shared fixtures: the real model, and real indexes built once per test session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import SAMPLE_ARCHIVE, Settings
from corpus.readers import read_path

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


@pytest.fixture(scope="session")
def disagreeing_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """Two real excerpts that disagree: Bundy's cable of June 16, 1965 (FRUS III, Document
    4) puts the ground force at 13 battalions, the Pentagon Papers at 15."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("disagreement") / "index")
    assistant, report = Assistant.build(settings, [FIXTURES / "disagreement"], progress=False)
    assert report.ok, report.failed
    yield assistant
    assistant.index.close()


@pytest.fixture(scope="session")
def small_index(sample_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the seed cable and FRUS (17 documents), for tests that change a copy.

    It is the sample index less the Pentagon Papers: the same model, chunking and
    passages as an ingest of the two files, without embedding them a second time.
    """
    index = tmp_path_factory.mktemp("small") / "index"
    # The SQLite WAL is copied with the database; its shared-memory index is rebuilt on open.
    shutil.copytree(sample_assistant.directory, index, ignore=shutil.ignore_patterns("*-shm"))
    small = Assistant.open(Settings(index_dir=index))
    for document in read_path(SAMPLE_ARCHIVE / "Pentagon-Papers-Part-IV-C-5.txt"):
        assert small.remove(document.doc_id)
    small.close()
    return index
