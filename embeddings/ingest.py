"""Files into the index: read, chunk, embed what is new, then commit atomically.

Re-ingesting an unchanged document does no work; a changed one replaces its
passages, and only passages whose text is new are embedded. Nothing reaches the
index until everything has been read and embedded, so a failure or Ctrl-C in
the middle leaves the previous index as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus.chunking import (
    ChunkSettings,
    TokenCounter,
    chunk_document,
    retrieval_text,
    tiktoken_counter,
)
from corpus.model import Document, Passage
from corpus.readers import ReaderError, iter_source_files, read_path
from corpus.references import citable_keys, find_references
from embeddings.encoder import Encoder
from embeddings.index import Index
from embeddings.interrupts import interrupt_guard
from embeddings.keyword import KeywordIndex
from embeddings.store import content_hash, text_hash


@dataclass(frozen=True)
class FileFailure:
    path: str
    reason: str


@dataclass
class IngestReport:
    """What one ingest run did, for the CLI to print."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    # READMEs and licences found in folders and left out; named on their own, they are read.
    skipped: list[str] = field(default_factory=list)
    passages: int = 0
    embedded: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def read_documents(paths: Iterable[Path], report: IngestReport) -> list[Document]:
    """Every readable document under ``paths``; unreadable files go into ``report.failed``."""
    documents: dict[str, Document] = {}
    skipped: list[Path] = []
    try:
        files = list(iter_source_files(paths, skipped=skipped))
    except ReaderError as error:
        report.failed.append(FileFailure(error.path, error.reason))
        return []
    report.skipped += map(str, skipped)
    for path in files:
        try:
            for document in read_path(path):
                if document.doc_id in documents:
                    raise ReaderError(
                        str(path),
                        f"document id {document.doc_id!r} already read from "
                        f"{documents[document.doc_id].source_path}",
                    )
                documents[document.doc_id] = document
        except ReaderError as error:
            report.failed.append(FileFailure(error.path, error.reason))
    return list(documents.values())


def ingest(
    paths: Iterable[Path], index: Index, encoder: Encoder, *, progress: bool = True
) -> IngestReport:
    """Read every file under ``paths`` and bring the index up to date with them."""
    started = time.perf_counter()
    report = IngestReport()
    documents = read_documents(paths, report)
    ingest_documents(documents, index, encoder, report=report, progress=progress)
    report.seconds = time.perf_counter() - started
    return report


def ingest_documents(
    documents: Iterable[Document],
    index: Index,
    encoder: Encoder,
    *,
    report: IngestReport | None = None,
    progress: bool = True,
) -> IngestReport:
    """Add new documents, replace changed ones, skip unchanged ones, in one commit.

    Raises :class:`~embeddings.index.IndexMismatch` if the index's vectors were made
    by another backend than ``encoder``'s: the store's vectors, reused for unchanged
    passage texts, are only valid for the backend that made them.
    """
    started = time.perf_counter()
    report = report or IngestReport()
    index.claim_embedding(backend=encoder.backend, quantize=encoder.quantize)
    changed = []
    for document in documents:
        stored = index.store.document_hash(document.doc_id)
        if stored == content_hash(document):
            report.unchanged.append(document.doc_id)
        else:
            (report.updated if stored else report.added).append(document.doc_id)
            changed.append(document)
    if changed:
        with interrupt_guard() as check_interrupt:
            _write(index, encoder, changed, report, progress=progress, check=check_interrupt)
    report.seconds = time.perf_counter() - started
    return report


def remove(index: Index, doc_id: str) -> bool:
    """Delete one document from every part of the index; False if it was not there."""
    if index.store.document_hash(doc_id) is None:
        return False
    vectors = index.vectors
    index.store.begin()
    try:
        ids = index.store.delete_document(doc_id)
        index.store.commit()
    except BaseException:
        index.store.rollback()
        raise
    vectors.remove(np.array(ids, dtype=np.int64))
    index.publish(vectors, KeywordIndex.build(index.store.iter_texts()))
    return True


def _write(
    index: Index,
    encoder: Encoder,
    documents: list[Document],
    report: IngestReport,
    *,
    progress: bool,
    check: Callable[[], None],
) -> None:
    """Embed and commit ``documents``; ``check`` raises if the run was interrupted."""
    settings = index.manifest.chunking
    count = tiktoken_counter(settings.encoding)
    chunked = [(doc, passages_for(doc, settings, count, encoder)) for doc in documents]
    texts = [retrieval_text(doc.title, p.text) for doc, passages in chunked for p in passages]
    vectors_by_hash = _embed(index, encoder, texts, report, progress, check)
    check()
    vectors = index.vectors
    removed: list[int] = []
    added_ids: list[int] = []
    added_vectors: list[np.ndarray] = []
    index.store.begin()
    try:
        for document, passages in chunked:
            removed += index.store.delete_document(document.doc_id)
            matrix = _stack(
                [
                    vectors_by_hash[text_hash(retrieval_text(document.title, p.text))]
                    for p in passages
                ],
                encoder,
            )
            added_ids += index.store.put_document(
                document,
                passages,
                matrix,
                references=find_references(document),
                keys=citable_keys(document),
            )
            added_vectors.append(matrix)
        index.store.commit()
    except BaseException:
        index.store.rollback()
        raise
    vectors.remove(np.array(removed, dtype=np.int64))
    vectors.add(np.array(added_ids, dtype=np.int64), np.vstack(added_vectors))
    index.publish(vectors, KeywordIndex.build(index.store.iter_texts()))
    report.passages = len(added_ids)


def passages_for(
    document: Document, settings: ChunkSettings, count: TokenCounter, encoder: Encoder
) -> list[Passage]:
    """The passages an ingest cuts ``document`` into: each fits ``encoder``'s model with
    its title, as it is embedded."""

    def fits(texts: Sequence[str]) -> list[bool]:
        return encoder.fits([retrieval_text(document.title, text) for text in texts])

    return chunk_document(document, settings, count_tokens=count, model_limit=fits)


def _embed(
    index: Index,
    encoder: Encoder,
    texts: list[str],
    report: IngestReport,
    progress: bool,
    check: Callable[[], None],
) -> dict[bytes, np.ndarray]:
    """Vectors for every distinct text, reusing those the index already has."""
    from tqdm import tqdm

    # Keyed by text alone: claim_embedding made sure the index holds this backend's vectors.
    known = index.store.cached_vectors(texts)
    todo = list({text_hash(t): t for t in texts if text_hash(t) not in known}.items())
    # Similar lengths in one batch pad less; sorting the whole run beats sorting per batch.
    todo.sort(key=lambda item: len(item[1]))
    with tqdm(
        total=len(todo), unit="passage", desc="Embedding", disable=not progress or not todo
    ) as bar:
        for start in range(0, len(todo), encoder.ingest_chunk):
            batch = todo[start : start + encoder.ingest_chunk]
            for (key, _), vector in zip(batch, encoder.encode([t for _, t in batch]), strict=True):
                known[key] = vector
            bar.update(len(batch))
            check()
    report.embedded = len(todo)
    return known


def _stack(vectors: list[np.ndarray], encoder: Encoder) -> np.ndarray:
    if not vectors:
        return np.zeros((0, encoder.dimension), dtype=np.float32)
    return np.vstack(vectors).astype(np.float32)
