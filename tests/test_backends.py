"""Reduced-precision embeddings (int8 ONNX, bf16 torch) against float32 torch vectors:
recorded in the index, reopened with the same backend, never mixed."""

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
from corpus.chunking import ChunkSettings, retrieval_text
from embeddings.cpu import Processor, processor
from embeddings.encoder import CPU_BATCH_BF16, Backend, Encoder, Quantize, QuantizeOption
from embeddings.index import (
    MANIFEST,
    EmbeddingConflict,
    IndexMismatch,
    Manifest,
    choose_embedding,
    fastest_embedding,
)

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


# Each variant, and the least cosine its vectors keep to float32 torch vectors.
REDUCED = {"onnx-int8": ("onnx", "int8", 0.98), "torch-bf16": ("torch", "bf16", 0.999)}


@pytest.fixture(scope="module")
def int8_index(onnx_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("int8-index"), "onnx", "int8")


@pytest.fixture(scope="module")
def bf16_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("bf16-index"), "torch", "bf16")


@pytest.fixture(params=list(REDUCED))
def reduced(request: pytest.FixtureRequest) -> tuple[Path, str]:
    """An index made with one reduced-precision variant, and the variant's name."""
    fixture = "int8_index" if request.param == "onnx-int8" else "bf16_index"
    return request.getfixturevalue(fixture), request.param


def _build(directory: Path, backend: Backend, quantize: Quantize) -> Path:
    settings = Settings(index_dir=directory, backend=backend, quantize=quantize)
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


def test_manifest_records_the_backend(reduced: tuple[Path, str]) -> None:
    directory, variant = reduced
    manifest = json.loads((directory / MANIFEST).read_text())
    assert (manifest["backend"], manifest["quantize"]) == REDUCED[variant][:2]


def test_vectors_are_unit_float32_and_close_to_torch(reduced: tuple[Path, str]) -> None:
    directory, variant = reduced
    texts, vectors = _stored(directory)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * Encoder().encode(texts)).sum(axis=1)
    # Close, yet not float32's own vectors: the reduced precision really ran.
    assert 0.99999 > cosines.min() > REDUCED[variant][2], cosines.min()


def test_reopening_queries_with_the_index_backend(reduced: tuple[Path, str]) -> None:
    directory, variant = reduced
    assistant = Assistant.open(Settings(index_dir=directory))  # settings say torch
    try:
        encoder = assistant.encoder
        assert (encoder.backend, encoder.quantize) == REDUCED[variant][:2]
        hits = assistant.search("Soviet press relies on western wire services", retriever="dense")
        assert hits
        query = encoder.encode_query("Soviet press")
        assert query.dtype == np.float32 and abs(np.linalg.norm(query) - 1) < 1e-5
    finally:
        assistant.index.close()


def test_another_backend_is_refused_and_the_index_left_alone(reduced: tuple[Path, str]) -> None:
    directory, variant = reduced
    backend, quantize, _ = REDUCED[variant]
    before = (directory / MANIFEST).read_text()
    with pytest.raises(IndexMismatch, match=rf"--backend {backend} --quantize {quantize}"):
        Assistant.build(Settings(index_dir=directory), SOURCES, progress=False)
    with pytest.raises(IndexMismatch, match=rf"'{variant}', not '{backend}'"):
        Assistant.build(Settings(index_dir=directory, backend=backend), SOURCES, progress=False)
    assert (directory / MANIFEST).read_text() == before


def test_bf16_batches_are_larger_on_a_cpu() -> None:
    assert Encoder(quantize="bf16").batch_size == CPU_BATCH_BF16 > Encoder().batch_size


def test_the_processor_flags_say_whether_bf16_is_fast() -> None:
    assert Processor("old", frozenset({"avx2", "fma"})).has_bf16 is False
    assert Processor("sapphire rapids", frozenset({"avx2", "amx_bf16"})).has_bf16 is True
    assert Processor("zen 4", frozenset({"avx512_bf16"})).has_bf16 is True
    assert Processor("unknown", None).has_bf16 is None
    assert Processor("ice lake", frozenset({"avx512_vnni"})).has_int8 is True
    assert Processor("old", frozenset({"avx2", "fma"})).has_int8 is False
    assert Processor("unknown", None).has_int8 is None
    here = processor()
    assert here.name and (here.flags is None or "fpu" in here.flags)


def test_bf16_on_a_processor_without_bf16_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The one stand-in here: this machine has AMX, and a CPU without bf16 cannot be had.
    monkeypatch.setattr("embeddings.cpu.processor", lambda: Processor("old", frozenset({"avx2"})))
    with caplog.at_level("WARNING", logger="embeddings.encoder"):
        assert Encoder(quantize="bf16").encode(["a cable"]).shape == (1, 384)
    assert "this processor (old) has no bfloat16 instructions" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="embeddings.encoder"):
        Encoder().encode(["a cable"])
    assert "bfloat16" not in caplog.text


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
    ("backend", "quantize"),
    [("torch", "int8"), ("onnx", "bf16"), ("onnx", "int4"), ("tensorflow", None)],
)
def test_encoder_refuses_unknown_combinations(backend: str, quantize: str | None) -> None:
    with pytest.raises(ValueError, match="backend"):
        Encoder(backend=backend, quantize=quantize)  # type: ignore[arg-type]


_INT8 = Manifest("m", 384, ChunkSettings(), backend="onnx", quantize="int8")
_AVX2 = Processor("avx2 only", frozenset({"avx2", "fma"}))


@pytest.mark.parametrize(
    ("built", "backend", "quantize", "chosen"),
    [
        (None, None, None, ("torch", None)),  # a new index: the fastest here, float32 torch
        (_INT8, None, None, ("onnx", "int8")),  # no options: the index's own
        (_INT8, "torch", None, ("torch", None)),  # told (the index then refuses it)
        (None, None, "int8", ("onnx", "int8")),  # a quantisation brings its backend
        (_INT8, None, "bf16", ("torch", "bf16")),
        (None, "onnx", "int8", ("onnx", "int8")),
    ],
)
def test_the_embedding_is_the_options_else_the_index_own(
    built: Manifest | None,
    backend: Backend | None,
    quantize: Quantize | None,
    chosen: tuple[Backend, Quantize | None],
) -> None:
    assert choose_embedding(built, backend, quantize, cpu=_AVX2) == chosen


_ZEN4 = Processor("zen 4", frozenset({"avx2", "avx512_bf16", "avx512_vnni"}))
_ICE_LAKE = Processor("ice lake", frozenset({"avx2", "avx512_vnni"}))


@pytest.mark.parametrize(
    ("cpu", "backend", "onnx_installed", "chosen"),
    [
        (_ZEN4, None, True, ("torch", "bf16")),  # bf16 first where the CPU multiplies it
        (_ICE_LAKE, None, True, ("onnx", "int8")),  # else int8 with VNNI ...
        (_ICE_LAKE, None, False, ("torch", None)),  # ... if the fast extra is installed
        (_AVX2, None, True, ("torch", None)),
        (Processor("unknown", None), None, True, ("torch", None)),
        (_ZEN4, "onnx", False, ("onnx", "int8")),  # told the backend: its fastest
        (_ICE_LAKE, "torch", True, ("torch", None)),
        (_AVX2, "onnx", True, ("onnx", None)),
    ],
)
def test_the_fastest_embedding_follows_the_processor(
    cpu: Processor,
    backend: Backend | None,
    onnx_installed: bool,
    chosen: tuple[Backend, Quantize | None],
) -> None:
    assert fastest_embedding(cpu, backend=backend, onnx_installed=onnx_installed) == chosen


@pytest.mark.parametrize(
    ("built", "backend", "quantize", "chosen"),
    [
        (None, None, "auto", ("torch", "bf16")),  # a new index: the fastest on this CPU
        (None, "torch", None, ("torch", "bf16")),
        (_INT8, None, "auto", ("onnx", "int8")),  # an existing index keeps its own
        (None, None, "none", ("torch", None)),  # none: float32
        (None, "onnx", "none", ("onnx", None)),
        (_INT8, None, "none", ("onnx", None)),  # (which the index then refuses)
    ],
)
def test_auto_is_the_index_own_or_the_fastest_and_none_is_float32(
    built: Manifest | None,
    backend: Backend | None,
    quantize: QuantizeOption,
    chosen: tuple[Backend, Quantize | None],
) -> None:
    assert choose_embedding(built, backend, quantize, cpu=_ZEN4) == chosen


def test_cli_says_what_a_new_index_embeds_with(tmp_path: Path) -> None:
    """--quantize auto (the default) on this machine: the line names the choice and why."""
    result = CliRunner().invoke(cli, ["ingest", "--index", str(tmp_path / "auto"), str(SOURCES[0])])
    assert result.exit_code == 0, result.output
    manifest = Manifest.from_json((tmp_path / "auto" / MANIFEST).read_text())
    assert (manifest.backend, manifest.quantize) == choose_embedding(None, None, None)
    assert f"new index: embedding with {manifest.embedding} (--quantize auto on " in result.output
    told = CliRunner().invoke(
        cli, ["ingest", "--quantize", "none", "--index", str(tmp_path / "f32"), str(SOURCES[0])]
    )
    assert "new index: embedding with torch" in told.output.splitlines()
    again = CliRunner().invoke(cli, ["ingest", "--index", str(tmp_path / "f32"), str(SOURCES[1])])
    assert again.exit_code == 0 and "new index" not in again.output
    assert Manifest.from_json((tmp_path / "f32" / MANIFEST).read_text()).embedding == "torch"


def test_a_quantization_on_another_backend_is_a_conflict() -> None:
    with pytest.raises(EmbeddingConflict, match="use --backend onnx, or leave --backend out"):
        choose_embedding(None, "torch", "int8")


def test_cli_refuses_a_quantization_on_another_backend(tmp_path: Path) -> None:
    options = ["--quantize", "bf16", "--backend", "onnx"]
    result = CliRunner().invoke(
        cli, ["ingest", *options, "--index", str(tmp_path), str(SOURCES[0])]
    )
    assert result.exit_code == 2
    assert "use --backend torch, or leave --backend out" in result.output
    assert not (tmp_path / MANIFEST).exists()


def test_cli_ingests_with_the_index_own_embedding_unless_told(
    onnx_cache: Path, tmp_path: Path
) -> None:
    def ingest(*options: str) -> str:
        result = CliRunner().invoke(cli, ["ingest", *options, "--index", str(tmp_path)])
        assert result.exit_code == 0, result.output
        return Manifest.from_json((tmp_path / MANIFEST).read_text()).embedding

    assert ingest("--quantize", "int8", str(SOURCES[0])) == "onnx-int8"  # int8 brings onnx
    assert ingest(str(SOURCES[1])) == "onnx-int8"  # no options: the index's own
    refused = CliRunner().invoke(
        cli, ["ingest", "--backend", "torch", "--index", str(tmp_path), str(SOURCES[1])]
    )
    assert refused.exit_code != 0 and "--backend onnx --quantize int8" in refused.output
    stats = CliRunner().invoke(cli, ["stats", "--index", str(tmp_path)])
    assert "(384 dimensions; onnx, int8 weights)" in stats.output
