"""Embedding backends: an int8 ONNX index against torch vectors, recorded, reopened, never mixed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.service import Assistant
from assistant.settings import Settings
from corpus.chunking import retrieval_text
from embeddings.encoder import Encoder
from embeddings.index import MANIFEST, IndexMismatch, Manifest

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
SOURCES = [FIXTURES / "seed_cable_1965-06-19.txt", FIXTURES / "frus-extracts.jsonl"]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The exported ONNX files go to a private cache, as on a machine that never had them."""
    pytest.importorskip(
        "onnxruntime", reason='the onnx backend needs the fast extra: pip install -e ".[fast]"'
    )
    folder = tmp_path_factory.mktemp("onnx-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CABLES_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def int8_index(onnx_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("int8-index")
    settings = Settings(index_dir=directory, backend="onnx", quantize="int8")
    assistant, report = Assistant.build(settings, SOURCES, progress=False)
    assert report.ok and report.passages > 0
    assistant.index.close()
    return directory


def _stored(directory: Path) -> tuple[list[str], np.ndarray]:
    """Every passage's embedded text and its stored vector, from a reopened index."""
    assistant = Assistant.open(Settings(index_dir=directory))
    store = assistant.index.store
    texts, vectors = [], []
    for doc_id in store.doc_ids():
        document = store.document(doc_id)
        assert document is not None
        for stored in store.document_passages(doc_id):
            texts.append(retrieval_text(document.title, stored.passage.text))
            vectors.append(store.vectors([stored.id])[stored.id])
    assistant.index.close()
    return texts, np.vstack(vectors)


def test_manifest_records_the_backend(int8_index: Path) -> None:
    manifest = json.loads((int8_index / MANIFEST).read_text())
    assert (manifest["backend"], manifest["quantize"]) == ("onnx", "int8")


def test_int8_vectors_are_unit_float32_and_close_to_torch(int8_index: Path) -> None:
    texts, vectors = _stored(int8_index)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * Encoder().encode(texts)).sum(axis=1)
    assert cosines.min() > 0.98, cosines.min()


def test_reopening_queries_with_the_index_backend(int8_index: Path) -> None:
    assistant = Assistant.open(Settings(index_dir=int8_index))  # settings say torch
    try:
        assert (assistant.encoder.backend, assistant.encoder.quantize) == ("onnx", "int8")
        hits = assistant.search("Soviet press relies on western wire services", mode="dense")
        assert hits
        query = assistant.encoder.encode_query("Soviet press")
        assert query.dtype == np.float32 and abs(np.linalg.norm(query) - 1) < 1e-5
    finally:
        assistant.index.close()


def test_another_backend_is_refused_and_the_index_left_alone(int8_index: Path) -> None:
    before = (int8_index / MANIFEST).read_text()
    with pytest.raises(IndexMismatch, match=r"--backend onnx --quantize int8"):
        Assistant.build(Settings(index_dir=int8_index), SOURCES, progress=False)
    with pytest.raises(IndexMismatch, match=r"'onnx-int8', not 'onnx'"):
        Assistant.build(Settings(index_dir=int8_index, backend="onnx"), SOURCES, progress=False)
    assert (int8_index / MANIFEST).read_text() == before


def test_the_export_is_cached(int8_index: Path, onnx_cache: Path) -> None:
    files = sorted(onnx_cache.rglob("*.onnx"))
    assert [f.name for f in files] == ["model-int8.onnx", "model.onnx"]
    stamps = [f.stat().st_mtime_ns for f in files]
    Encoder(backend="onnx", quantize="int8").encode(["again"])
    assert [f.stat().st_mtime_ns for f in files] == stamps
    assert not list(onnx_cache.rglob("*.partial"))


def test_an_empty_index_takes_the_backend_of_its_first_ingest(
    onnx_cache: Path, tmp_path: Path
) -> None:
    Assistant.build(Settings(index_dir=tmp_path), [], progress=False)  # torch, no passages
    settings = Settings(index_dir=tmp_path, backend="onnx", quantize="int8")
    assistant, report = Assistant.build(settings, SOURCES[:1], progress=False)
    assistant.index.close()
    assert report.passages > 0
    manifest = Manifest.from_json((tmp_path / MANIFEST).read_text())
    assert manifest.embedding == "onnx-int8"


def test_a_manifest_from_before_backends_reads_as_torch() -> None:
    old = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "dimension": 384,
        "chunking": {"max_tokens": 160, "overlap_tokens": 32, "encoding": "x", "min_tokens": 24},
        "format_version": 1,
        "created": "2026-01-01T00:00:00+00:00",
    }
    manifest = Manifest.from_json(json.dumps(old))
    assert (manifest.backend, manifest.quantize, manifest.embedding) == ("torch", None, "torch")


@pytest.mark.parametrize(
    ("backend", "quantize"), [("torch", "int8"), ("onnx", "int4"), ("tensorflow", None)]
)
def test_encoder_refuses_unknown_combinations(backend: str, quantize: str | None) -> None:
    with pytest.raises(ValueError, match="backend"):
        Encoder(backend=backend, quantize=quantize)  # type: ignore[arg-type]


def test_cli_quantize_needs_onnx(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["ingest", "--quantize", "int8", "--index", str(tmp_path), str(SOURCES[0])]
    )
    assert result.exit_code == 2
    assert "--backend onnx" in result.output
    assert not (tmp_path / MANIFEST).exists()
