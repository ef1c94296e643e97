"""Ingestion through Ray (a local cluster on this machine) equals the single-process path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import ray
from click.testing import CliRunner

from assistant.cli import cli
from corpus.chunking import ChunkSettings
from corpus.model import Document
from embeddings.distributed import RayEncoder
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.index import Index
from embeddings.ingest import ingest_documents

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
SOURCES = [FIXTURES / "seed_cable_1965-06-19.txt", FIXTURES / "notes"]
SENTENCES = [
    "Ambassador Taylor reported that the new government took office on June 19.",
    "The Soviet press relies on western wire services for news of Vietnam.",
    "Under Secretary Ball argued against committing more ground troops.",
    "General Westmoreland requested forty-four battalions.",
    "The file number POL 27 VIET S appears in the source note.",
]


@pytest.fixture(scope="module")
def local_cluster():
    # One Ray for the module: starting it takes seconds; `--ray` alone joins it.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _documents() -> list[Document]:
    return [
        Document(
            doc_id=f"doc/{i}",
            title=f"Cable {i}",
            # Long enough to make several passages; rotated so passages differ.
            text=" ".join(SENTENCES[i % 5 :] + SENTENCES[: i % 5]) * 6,
            collection="test",
        )
        for i in range(12)
    ]


def _ingest(path: Path, encoder: Encoder) -> Index:
    index = Index.open_or_create(
        path,
        model=DEFAULT_MODEL,
        chunking=ChunkSettings(max_tokens=60, overlap_tokens=10),
        dimension=lambda: encoder.dimension,
    )
    ingest_documents(_documents(), index, encoder, progress=False)
    return index


def test_ray_ingest_equals_single_process(tmp_path: Path, local_cluster: None) -> None:
    single = _ingest(tmp_path / "single", Encoder())
    distributed = _ingest(tmp_path / "ray", RayEncoder(workers=2, cpus_per_worker=1))
    assert single.store.count_passages() == distributed.store.count_passages() > 12
    assert_same_index(single, distributed)


def test_ray_ingest_embeds_with_the_quantization_asked(tmp_path: Path, local_cluster: None) -> None:
    single = _ingest(tmp_path / "single", Encoder(quantize="bf16"))
    distributed = _ingest(
        tmp_path / "ray", RayEncoder(workers=2, cpus_per_worker=1, quantize="bf16")
    )
    full = _ingest(tmp_path / "float32", Encoder())
    assert distributed.manifest.embedding == "torch-bf16"
    bf16, on_ray, float32 = (_vectors(index) for index in (single, distributed, full))
    # Batches differ between the two paths and bfloat16 rounds by batch shape: close, not equal.
    assert np.min(np.sum(on_ray * bf16, axis=1)) > 0.999
    assert np.max(np.abs(on_ray - float32)) > 1e-4  # the actors did not run float32


def _vectors(index: Index) -> np.ndarray:
    """Every stored vector, document by document in passage order."""
    ids = [p.id for doc_id in index.store.doc_ids() for p in index.store.document_passages(doc_id)]
    return index.exact_vectors(np.array(ids))


def assert_same_index(expected: Index, got: Index) -> None:
    """Same documents, same passages in order, vectors equal within float tolerance."""
    assert got.store.doc_ids() == expected.store.doc_ids()
    for doc_id in expected.store.doc_ids():
        ours = expected.store.document_passages(doc_id)
        theirs = got.store.document_passages(doc_id)
        assert [p.passage for p in theirs] == [p.passage for p in ours]
        our_vectors = expected.store.vectors([p.id for p in ours])
        their_vectors = got.store.vectors([p.id for p in theirs])
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(their_vectors[b.id], our_vectors[a.id], atol=1e-5)
    assert len(got.vectors) == len(expected.vectors)


def test_cli_ingest_on_ray_equals_plain_ingest(tmp_path: Path, local_cluster: None) -> None:
    paths = [str(path) for path in SOURCES]
    # float32 on both sides: the new-index default (--quantize auto) may pick bf16 here.
    same = ["--quantize", "none"]
    plain = CliRunner().invoke(cli, ["ingest", *paths, *same, "--index", str(tmp_path / "plain")])
    on_ray = CliRunner().invoke(
        cli,
        ["ingest", *paths, *same, "--index", str(tmp_path / "ray"), "--ray", "--workers", "2"],
    )
    assert plain.exit_code == 0, plain.output
    assert on_ray.exit_code == 0, on_ray.output
    assert "3 added" in on_ray.output
    assert_same_index(Index.open(tmp_path / "plain"), Index.open(tmp_path / "ray"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--workers", "2"], "--workers counts model copies on Ray: add --ray"),
        (["--ray", str(FIXTURES)], "put PATHS before --ray, or write --ray=ADDRESS"),
    ],
)
def test_cli_ray_options_are_checked(tmp_path: Path, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(
        cli, ["ingest", str(SOURCES[0]), "--index", str(tmp_path), *arguments]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "manifest.json").exists()


def test_cli_refuses_more_workers_than_the_cluster_has_cpus(
    tmp_path: Path, local_cluster: None
) -> None:
    result = CliRunner().invoke(
        cli, ["ingest", str(SOURCES[0]), "--index", str(tmp_path), "--ray", "--workers", "3"]
    )
    assert result.exit_code == 1
    assert "3 workers need 3 CPUs but the Ray cluster has 2" in result.output
    assert not (tmp_path / "manifest.json").exists()
