"""Ingestion through Ray (a local cluster on this machine) equals the single-process path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import ray

from corpus.chunking import ChunkSettings
from corpus.model import Document
from embeddings.distributed import RayEncoder
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.index import Index
from embeddings.ingest import ingest_documents

SENTENCES = [
    "Ambassador Taylor reported that the new government took office on June 19.",
    "The Soviet press relies on western wire services for news of Vietnam.",
    "Under Secretary Ball argued against committing more ground troops.",
    "General Westmoreland requested forty-four battalions.",
    "The file number POL 27 VIET S appears in the source note.",
]


@pytest.fixture(scope="module")
def local_cluster():
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
    for doc_id in single.store.doc_ids():
        expected = single.store.document_passages(doc_id)
        got = distributed.store.document_passages(doc_id)
        assert [p.passage for p in got] == [p.passage for p in expected]
        ours = single.store.vectors([p.id for p in expected])
        theirs = distributed.store.vectors([p.id for p in got])
        for a, b in zip(expected, got, strict=True):
            np.testing.assert_allclose(theirs[b.id], ours[a.id], atol=1e-5)
    assert len(distributed.vectors) == len(single.vectors)
