"""An index directory: manifest, SQLite store, FAISS vectors and BM25 keywords together.

Layout::

    manifest.json        format version, model, embedding backend, dimension, chunking
    store.sqlite         documents, passages, vectors (the source of truth)
    vectors-<gen>.faiss  the FAISS index for store generation <gen>
    keyword-<gen>/       the BM25 index for store generation <gen>

A write commits the SQLite transaction first, then writes the derived files
for the new generation. A crash at any point leaves either the old generation
or the new one; derived files missing for the committed generation are rebuilt
from the store on open.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np

from corpus.chunking import ChunkSettings
from embeddings.encoder import Backend, Quantize, embedding_label
from embeddings.keyword import KeywordIndex
from embeddings.store import Store
from embeddings.vectors import VectorIndex

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class IndexUnusable(Exception):
    """The index cannot be used as asked; the message says why and what to do."""


class IndexMismatch(IndexUnusable):
    """The index was built with other settings than those asked for."""


class IndexMissing(IndexUnusable):
    """There is no index at the given location."""


@dataclass(frozen=True)
class Manifest:
    model: str
    dimension: int
    chunking: ChunkSettings
    format_version: int = FORMAT_VERSION
    created: str = ""
    # What ran the model: "torch" or "onnx", and "int8" if its weights were quantised.
    # Indexes written before these fields existed were built with torch.
    backend: Backend = "torch"
    quantize: Quantize | None = None

    @property
    def embedding(self) -> str:
        return embedding_label(self.backend, self.quantize)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        fields = json.loads(text)
        fields["chunking"] = ChunkSettings(**fields["chunking"])
        return cls(**fields)


def stored_manifest(directory: Path) -> Manifest | None:
    """The manifest of the index at ``directory``, without opening its store; None if none."""
    path = directory / MANIFEST
    return Manifest.from_json(path.read_text()) if path.exists() else None


class Index:
    """One index directory, opened for reading and writing."""

    def __init__(self, directory: Path, manifest: Manifest):
        self.directory = directory
        self.manifest = manifest
        self.store = Store(directory / "store.sqlite")

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, directory: Path, *, model: str | None = None) -> Index:
        """Open an existing index; ``model``, when given, must be the one it was built with."""
        path = directory / MANIFEST
        if not path.exists():
            raise IndexMissing(f"no index at {directory} (run `cables ingest` to build one)")
        manifest = Manifest.from_json(path.read_text())
        if manifest.format_version != FORMAT_VERSION:
            raise IndexMismatch(
                f"{path}: index format {manifest.format_version}, this version reads "
                f"{FORMAT_VERSION}; rebuild it with `cables ingest --index NEW_DIR`"
            )
        if model is not None and model != manifest.model:
            raise IndexMismatch(
                f"{directory} was built with model {manifest.model!r}, not {model!r}: vectors of "
                "different models cannot be compared; use that model or build a new index"
            )
        return cls(directory, manifest)

    @classmethod
    def open_or_create(
        cls, directory: Path, *, model: str, chunking: ChunkSettings, dimension: Callable[[], int]
    ) -> Index:
        """Open the index at ``directory`` for writing, or create an empty one there.

        ``dimension`` is called only to create, since knowing it means loading the model.
        An existing index must have been built with the same model and chunking.
        """
        if (directory / MANIFEST).exists():
            index = cls.open(directory, model=model)
            if chunking != index.manifest.chunking:
                raise IndexMismatch(
                    f"{directory} was built with chunking {index.manifest.chunking}, "
                    f"not {chunking}; build a new index to change it"
                )
            return index
        manifest = Manifest(
            model=model,
            dimension=dimension(),
            chunking=chunking,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        directory.mkdir(parents=True, exist_ok=True)
        index = cls(directory, manifest)
        index._write_manifest()
        return index

    def claim_embedding(self, *, backend: Backend, quantize: Quantize | None) -> None:
        """Check that new vectors from this backend may join the index's, before any is made.

        An index without passages takes the backend of its first ingest; one with
        passages refuses another, since vectors of two backends would mix in one
        ranking (and the embedding cache would hand out the wrong ones).
        """
        manifest = self.manifest
        if (backend, quantize) == (manifest.backend, manifest.quantize):
            return
        if self.store.count_passages() == 0:
            self.manifest = replace(manifest, backend=backend, quantize=quantize)
            self._write_manifest()
            return
        raise IndexMismatch(
            f"{self.directory} holds vectors made with backend {manifest.embedding!r}, not "
            f"{embedding_label(backend, quantize)!r}: vectors of different backends are not "
            f"mixed in one index; ingest with `--backend {manifest.backend}"
            + (f" --quantize {manifest.quantize}`" if manifest.quantize else "`")
            + " or into a new index (--index NEW_DIR)"
        )

    def _write_manifest(self) -> None:
        partial = self.directory / (MANIFEST + ".partial")
        partial.write_text(self.manifest.to_json())
        os.replace(partial, self.directory / MANIFEST)

    def close(self) -> None:
        self.store.close()

    # -- derived indexes ----------------------------------------------------------------------

    @cached_property
    def vectors(self) -> VectorIndex:
        path = self._vectors_path(self.store.generation)
        if path.exists():
            return VectorIndex.load(path)
        index = self._build_vectors()
        self._save_vectors(index)
        return index

    def exact_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored float32 vectors of passages ``ids``, in that order."""
        found = self.store.vectors(ids)
        return np.vstack([found[int(pid)] for pid in ids])

    def _build_vectors(self) -> VectorIndex:
        """A FAISS index of the kind the archive's size calls for, from the store's vectors."""
        return VectorIndex.build(
            self.manifest.dimension, self.store.iter_vectors, self.store.count_passages()
        )

    @cached_property
    def keywords(self) -> KeywordIndex:
        path = self._keyword_path(self.store.generation)
        if (path / "passage_ids.npy").exists():
            return KeywordIndex.load(path)
        index = KeywordIndex.build(self.store.iter_texts())
        self._save_keywords(index)
        return index

    def publish(self, vectors: VectorIndex, keywords: KeywordIndex) -> None:
        """Write the derived indexes of the just-committed generation and drop older ones.

        Vectors that the archive has outgrown (or shrunk out of) are rebuilt from the store.
        """
        if not vectors.suits(self.store.count_passages()):
            vectors = self._build_vectors()
        self._save_vectors(vectors)
        self._save_keywords(keywords)
        self.__dict__["vectors"] = vectors
        self.__dict__["keywords"] = keywords

    def _save_vectors(self, index: VectorIndex) -> None:
        generation = self.store.generation
        index.save(self._vectors_path(generation))
        for old in self.directory.glob("vectors-*.faiss"):
            if old != self._vectors_path(generation):
                old.unlink(missing_ok=True)

    def _save_keywords(self, index: KeywordIndex) -> None:
        generation = self.store.generation
        final = self._keyword_path(generation)
        partial = final.with_name(final.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        index.save(partial)
        shutil.rmtree(final, ignore_errors=True)
        partial.replace(final)
        for old in self.directory.glob("keyword-*"):
            if old != final:
                shutil.rmtree(old, ignore_errors=True)

    def _vectors_path(self, generation: int) -> Path:
        return self.directory / f"vectors-{generation}.faiss"

    def _keyword_path(self, generation: int) -> Path:
        return self.directory / f"keyword-{generation}"

    def size_on_disk(self) -> int:
        return sum(f.stat().st_size for f in self.directory.rglob("*") if f.is_file())
