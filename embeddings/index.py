"""An index directory: manifest, SQLite store, FAISS vectors and BM25 keywords together.

Layout::

    manifest.json        format version, model, embedding backend, dimension, chunking
    store.sqlite         documents, passages, vectors (the source of truth)
    vectors-<gen>.faiss  the FAISS index for store generation <gen>
    keyword-<gen>/       the BM25 index for store generation <gen>

A write commits the SQLite transaction first, then writes the derived files
for the new generation. A crash at any point leaves either the old generation
or the new one; derived files missing for the committed generation are rebuilt
from the store on open. An ingest commits a generation per batch and publishes
the derived files once, at its end; a reader keeps the generation it loaded
(a read snapshot of the store beside that generation's files) until a newer
one is published, then moves to it (:meth:`Index.refresh`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np

from corpus.chunking import ChunkSettings
from corpus.errors import CablesError
from corpus.model import Document, Passage
from embeddings.cpu import Processor, processor
from embeddings.encoder import (
    QUANTIZATION_BACKEND,
    Backend,
    Encoder,
    Quantize,
    QuantizeOption,
    embedding_label,
)
from embeddings.filters import Filters
from embeddings.keyword import KeywordIndex
from embeddings.store import CollectionStats, Reference, SentenceKey, Store
from embeddings.vectors import VectorIndex

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


# Documents an index keeps in memory, the most recently read (see Index.documents).
DOCUMENT_CACHE = 64


class IndexUnusable(CablesError):
    """The index cannot be used as asked; the message says why and what to do."""


class IndexMismatch(IndexUnusable):
    """The index was built with other settings than those asked for."""


class IndexMissing(IndexUnusable):
    """There is no index at the given location."""


class EmbeddingConflict(CablesError):
    """A backend and a quantisation that cannot run together were both asked for."""


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


def choose_embedding(
    built: Manifest | None,
    backend: Backend | None,
    quantize: QuantizeOption | None,
    *,
    cpu: Processor | None = None,
) -> tuple[Backend, Quantize | None]:
    """What to embed with, from the options and the index as it was ``built`` (None: new).

    A quantisation brings its backend ("none": float32 on the backend asked for). Without
    one, or with "auto", an existing index keeps its own and a new one gets
    :func:`fastest_embedding` on ``cpu`` (default: this machine's processor).
    """
    if quantize is None or quantize == "auto":
        if built is not None:
            return (built.backend, built.quantize) if backend is None else (backend, None)
        return fastest_embedding(cpu or processor(), backend=backend)
    if quantize == "none":
        return backend or (built.backend if built else "torch"), None
    needed = QUANTIZATION_BACKEND[quantize]
    if backend not in (None, needed):
        raise EmbeddingConflict(
            f"--quantize {quantize} runs on the {needed} backend: "
            f"use --backend {needed}, or leave --backend out"
        )
    return needed, quantize


def fastest_embedding(
    cpu: Processor, *, backend: Backend | None = None, onnx_installed: bool | None = None
) -> tuple[Backend, Quantize | None]:
    """The fastest embedding that keeps retrieval quality on ``cpu``, on ``backend`` if given.

    bfloat16 where the processor multiplies it (AVX512-BF16, AMX), else int8 ONNX where
    it has int8 dot products (VNNI, AMX) and onnxruntime is installed, else float32.
    Measured on SciFact, each costs less than 0.005 nDCG@10 (bench/README.md).
    """
    if backend in (None, "torch") and cpu.has_bf16:
        return "torch", "bf16"
    if onnx_installed is None:
        onnx_installed = importlib.util.find_spec("onnxruntime") is not None
    if backend in (None, "onnx") and cpu.has_int8 and (backend == "onnx" or onnx_installed):
        return "onnx", "int8"
    return backend or "torch", None


@dataclass(frozen=True)
class IndexStats:
    """What an index holds and how it was built: ``cables stats``."""

    directory: Path
    collections: dict[str, CollectionStats]
    withheld: dict[str, int]  # withheld or illegible spans, per document that has any
    model: str
    dimension: int
    backend: Backend
    quantize: Quantize | None
    chunking: ChunkSettings
    bytes_on_disk: int
    generation: int

    @property
    def documents(self) -> int:
        return sum(c.documents for c in self.collections.values())

    @property
    def passages(self) -> int:
        return sum(c.passages for c in self.collections.values())

    def to_json(self) -> dict[str, object]:
        """The JSON shape of ``cables stats --json``."""
        return {
            "index": str(self.directory),
            "documents": self.documents,
            "passages": self.passages,
            "collections": {name: asdict(c) for name, c in self.collections.items()},
            "model": self.model,
            "dimension": self.dimension,
            "backend": self.backend,
            "quantize": self.quantize,
            "chunking": asdict(self.chunking),
            "withheld": self.withheld,
            "bytes_on_disk": self.bytes_on_disk,
        }


class Index:
    """One index directory, opened for reading and writing."""

    def __init__(self, directory: Path, manifest: Manifest):
        self.directory = directory
        self.manifest = manifest
        self.store = Store(directory / "store.sqlite")
        self._seen: int | None = None  # the directory's mtime at the last refresh
        self._moving = threading.RLock()  # one thread at a time changes the generation read
        self._cached_documents: dict[str, Document] = {}
        self._cached_generation = -1
        self._snapshot_taken = False

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

    def encoder(self) -> Encoder:
        """The encoder for queries of this index: its model, on the backend and at the
        precision its vectors were made with (other vectors would rank slightly off)."""
        manifest = self.manifest
        return Encoder(manifest.model, backend=manifest.backend, quantize=manifest.quantize)

    # -- reading ------------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """The store's generation: it grows by one with every committed write."""
        return self.store.generation

    def document(self, doc_id: str) -> Document | None:
        return self.documents([doc_id]).get(doc_id)

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        """The indexed documents among ``doc_ids``, by id.

        The last :data:`DOCUMENT_CACHE` read stay in memory for the generation they were
        read in: every search turns its passages into hits with their documents, and a
        long report read from SQLite for every question costs more than the search.
        """
        wanted = set(doc_ids)
        generation = self.generation
        with self._moving:
            if self._cached_generation != generation:
                self._cached_documents.clear()
                self._cached_generation = generation
            found = {d: self._cached_documents[d] for d in wanted if d in self._cached_documents}
        read = self.store.documents(wanted - found.keys())
        with self._moving:
            if self._cached_generation == generation:
                self._cached_documents.update(read)
                while len(self._cached_documents) > DOCUMENT_CACHE:
                    del self._cached_documents[next(iter(self._cached_documents))]
        return found | read

    def headings(self) -> list[Document]:
        """Every document's title, date, sender and other fields, without its text."""
        return self.store.headings()

    def doc_ids(self) -> list[str]:
        """Every document id, sorted."""
        return self.store.doc_ids()

    def passages(self, ids: Iterable[int]) -> dict[int, Passage]:
        """The passages with these ids, by id."""
        return self.store.passages(ids)

    def passage_doc_ids(self, ids: Iterable[int]) -> dict[int, str]:
        """The document of each of these passages, by passage id (no text is read)."""
        return self.store.passage_doc_ids(ids)

    def matching_passage_ids(self, filters: Filters) -> np.ndarray:
        """Ids of the passages whose documents pass ``filters``."""
        return self.store.matching_passage_ids(filters)

    def references(self, doc_id: str) -> list[Reference]:
        """The references ``doc_id`` makes, with the indexed document each names, if any."""
        return self.store.references(doc_id)

    def referenced_by(self, doc_id: str) -> list[str]:
        """The documents whose references resolve to ``doc_id``."""
        return self.store.referenced_by(doc_id)

    def mentions(self, doc_id: str, target: str) -> list[int]:
        """Where in ``doc_id``'s text its references to the document ``target`` start."""
        return self.store.mentions(doc_id, target)

    def stats(self) -> IndexStats:
        manifest = self.manifest
        return IndexStats(
            directory=self.directory,
            collections=self.store.stats(),
            withheld=self.store.withheld_counts(),
            model=manifest.model,
            dimension=manifest.dimension,
            backend=manifest.backend,
            quantize=manifest.quantize,
            chunking=manifest.chunking,
            bytes_on_disk=self.size_on_disk(),
            generation=self.generation,
        )

    # -- derived indexes ----------------------------------------------------------------------

    def refresh(self) -> bool:
        """Move to a newer generation another process published; True if there was one.

        A search calls it first: one stat of the directory while nothing changed. The
        FAISS and BM25 files of the generation loaded are read beside a snapshot of the
        store at that generation, so the batches an ingest commits stay out of sight
        until it publishes the files of its last one.
        """
        seen = self.directory.stat().st_mtime_ns
        if seen == self._seen:
            return False
        with self._moving:
            self._seen = seen
            if self._published() <= self.generation:
                return False
            self._read_newest()
            return True

    def _read_newest(self) -> None:
        """Read the store's current generation from now on, and its derived files."""
        self.store.snapshot()
        self._snapshot_taken = True
        self.__dict__.pop("vectors", None)
        self.__dict__.pop("keywords", None)

    def _published(self) -> int:
        """The newest generation whose FAISS and BM25 files are both written; -1 if none."""
        generations = (int(path.stem.partition("-")[2]) for path in self._vectors_files())
        return max(
            (g for g in generations if (self._keyword_path(g) / "passage_ids.npy").exists()),
            default=-1,
        )

    def _loaded_generation(self) -> int:
        """The generation the derived files are loaded for: a snapshot's, once one is taken."""
        with self._moving:
            if not self._snapshot_taken:
                self._read_newest()
            return self.store.generation

    @cached_property
    def vectors(self) -> VectorIndex:
        path = self._vectors_path(self._loaded_generation())
        if path.exists():
            return VectorIndex.load(path)
        index = self._build_vectors()
        self._save_vectors(index)
        return index

    def exact_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored float32 vectors of passages ``ids``, in that order."""
        found = self.store.vectors(ids)
        return np.vstack([found[int(pid)] for pid in ids])

    def count_sentences(self) -> int:
        """Sentences with a vector stored at ingest."""
        return self.store.count_sentences()

    def sentence_vectors(self, keys: Iterable[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        """The vectors embedded at ingest for these sentences ``(doc_id, char_start, char_end)``
        (:mod:`embeddings.sentence_vectors`), by key; those not stored are left out."""
        return self.store.sentence_vectors(keys)

    def _build_vectors(self) -> VectorIndex:
        """A FAISS index of the kind the archive's size calls for, from the store's vectors."""
        return VectorIndex.build(
            self.manifest.dimension, self.store.iter_vectors, self.store.count_passages()
        )

    @cached_property
    def keywords(self) -> KeywordIndex:
        path = self._keyword_path(self._loaded_generation())
        if (path / "passage_ids.npy").exists():
            return KeywordIndex.load(path)
        index = KeywordIndex.build(self.store.iter_texts())
        self._save_keywords(index)
        return index

    def publish(self, vectors: VectorIndex, keywords: KeywordIndex) -> None:
        """Write the derived indexes of the just-committed generation and drop older ones.

        Vectors that the archive has outgrown (or shrunk out of) are rebuilt from the store.
        Readers move to the new generation once both are written (the BM25 folder last).
        """
        if not vectors.suits(self.store.count_passages()):
            vectors = self._build_vectors()
        self._save_vectors(vectors)
        self._save_keywords(keywords)
        self.__dict__["vectors"] = vectors
        self.__dict__["keywords"] = keywords
        generation = self.store.generation
        for old in self._vectors_files():
            if old != self._vectors_path(generation):
                old.unlink(missing_ok=True)
        for old in self.directory.glob("keyword-*"):
            if old != self._keyword_path(generation):
                shutil.rmtree(old, ignore_errors=True)

    def publish_pending(self) -> None:
        """Publish the derived files of a generation committed but never published (an
        ingest killed between its last commit and the end of its publication)."""
        if max(self._published(), 0) < self.store.generation:
            self.publish(self.vectors, KeywordIndex.build(self.store.iter_texts()))

    def _save_vectors(self, index: VectorIndex) -> None:
        index.save(self._vectors_path(self.store.generation))

    def _save_keywords(self, index: KeywordIndex) -> None:
        generation = self.store.generation
        final = self._keyword_path(generation)
        partial = final.with_name(final.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        index.save(partial)
        shutil.rmtree(final, ignore_errors=True)
        partial.replace(final)

    def _vectors_files(self) -> Iterable[Path]:
        return self.directory.glob("vectors-*.faiss")

    def _vectors_path(self, generation: int) -> Path:
        return self.directory / f"vectors-{generation}.faiss"

    def _keyword_path(self, generation: int) -> Path:
        return self.directory / f"keyword-{generation}"

    def size_on_disk(self) -> int:
        return sum(f.stat().st_size for f in self.directory.rglob("*") if f.is_file())
