"""Files into the index: read, chunk, embed what is new, and commit in batches.

Re-ingesting an unchanged document does no work; a changed one replaces its
passages, and only passages whose text is new are embedded. Documents are
committed in batches of whole documents (:data:`BATCH_PASSAGES`), each batch one
SQLite transaction, so a failure, Ctrl-C, SIGKILL or power loss loses at most the
batch in flight: running the same ingest again finds the committed documents
unchanged and their vectors stored, and embeds only the rest. The FAISS and BM25
files are published once, after the last batch; until then a reader keeps the
generation it had (see :meth:`embeddings.index.Index.refresh`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
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
from embeddings.sentence_vectors import SCHEME, SCHEME_KEY, embed_passages
from embeddings.store import content_hash, text_hash
from embeddings.vectors import VectorIndex

# Passages per commit, in whole documents (a longer document is a batch of its own): what
# a kill can lose, some 10-25 s of embedding on 2 cores; a commit costs a few milliseconds.
BATCH_PASSAGES = 1000


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
    paths: Iterable[Path],
    index: Index,
    encoder: Encoder,
    *,
    progress: bool = True,
    batch: int = BATCH_PASSAGES,
) -> IngestReport:
    """Read every file under ``paths`` and bring the index up to date with them."""
    started = time.perf_counter()
    report = IngestReport()
    documents = read_documents(paths, report)
    ingest_documents(documents, index, encoder, report=report, progress=progress, batch=batch)
    report.seconds = time.perf_counter() - started
    return report


def ingest_documents(
    documents: Iterable[Document],
    index: Index,
    encoder: Encoder,
    *,
    report: IngestReport | None = None,
    progress: bool = True,
    batch: int = BATCH_PASSAGES,
) -> IngestReport:
    """Add new documents, replace changed ones, skip unchanged ones, committing a batch
    of about ``batch`` passages at a time; ``progress`` shows a bar and a line per batch.

    Raises :class:`~embeddings.index.IndexMismatch` if the index's vectors were made
    by another backend than ``encoder``'s: the store's vectors, reused for unchanged
    passage texts, are only valid for the backend that made them.
    """
    started = time.perf_counter()
    report = report or IngestReport()
    index.claim_embedding(backend=encoder.backend, quantize=encoder.quantize)
    stale = _sentence_vectors_stale(index)
    changed = []
    for document in documents:
        stored = index.store.document_hash(document.doc_id)
        if stored == content_hash(document) and not stale:
            report.unchanged.append(document.doc_id)
        else:
            (report.updated if stored else report.added).append(document.doc_id)
            changed.append(document)
    if changed:
        with interrupt_guard() as check_interrupt:
            _write(index, encoder, changed, report, progress, check_interrupt, batch)
    else:
        index.publish_pending()  # a run killed after its last batch committed
    if stale and set(index.doc_ids()) <= {document.doc_id for document in changed}:
        index.store.commit_meta(SCHEME_KEY, SCHEME)
    report.seconds = time.perf_counter() - started
    return report


def _sentence_vectors_stale(index: Index) -> bool:
    """Whether the index's sentence vectors were made otherwise (:mod:`embeddings.sentence_vectors`)
    or not at all: then every document is written again, its passages' vectors from the
    store, its sentences' from the model. An empty index is up to date: what it will
    hold is made as it is now (marked at once, so a killed first ingest resumes)."""
    if index.store.get_meta(SCHEME_KEY) == SCHEME:
        return False
    if index.store.count_passages() == 0:
        index.store.commit_meta(SCHEME_KEY, SCHEME)
        return False
    return True


def remove(index: Index, doc_id: str) -> bool:
    """Delete one document from every part of the index; False if it was not there."""
    if index.store.document_hash(doc_id) is None:
        return False
    vectors = index.vectors
    with index.store.transaction():
        ids = index.store.delete_document(doc_id)
    vectors.remove(np.array(ids, dtype=np.int64))
    index.publish(vectors, KeywordIndex.build(index.store.iter_texts()))
    return True


def _write(
    index: Index,
    encoder: Encoder,
    documents: list[Document],
    report: IngestReport,
    progress: bool,
    check: Callable[[], None],
    batch: int,
) -> None:
    """Embed and commit ``documents`` batch by batch, then publish the derived files;
    ``check`` raises if the run was interrupted."""
    from tqdm import tqdm

    settings = index.manifest.chunking
    count = tiktoken_counter(settings.encoding)
    vectors = index.vectors  # kept up to date in memory, batch by batch; written at the end
    batches = _batches(documents, lambda doc: passages_for(doc, settings, count, encoder), batch)
    with tqdm(total=len(documents), unit="document", desc="Ingesting", disable=not progress) as bar:
        for number, chunked in enumerate(batches, 1):
            written = _commit(index, encoder, chunked, vectors, report, check)
            bar.update(len(chunked))
            bar.set_postfix(batches=number)
            if progress:
                bar.write(
                    f"batch {number} committed: {len(chunked)} documents, {written} passages "
                    f"(generation {index.generation})"
                )
    index.publish(vectors, KeywordIndex.build(index.store.iter_texts()))


Chunked = list[tuple[Document, list[Passage]]]


def _batches(
    documents: Iterable[Document], cut: Callable[[Document], list[Passage]], size: int
) -> Iterator[Chunked]:
    """Whole documents with their passages, about ``size`` passages at a time."""
    chunked: Chunked = []
    passages = 0
    for document in documents:
        chunked.append((document, cut(document)))
        passages += max(1, len(chunked[-1][1]))
        if passages >= size:
            yield chunked
            chunked, passages = [], 0
    if chunked:
        yield chunked


def _commit(
    index: Index,
    encoder: Encoder,
    chunked: Chunked,
    vectors: VectorIndex,
    report: IngestReport,
    check: Callable[[], None],
) -> int:
    """Embed one batch and commit it as one generation; returns the passages written."""
    vectors_by_hash, sentences, embedded = embed_passages(
        index.store, encoder, chunked, check=check
    )
    report.embedded += embedded
    check()
    removed: list[int] = []
    added_ids: list[int] = []
    added_vectors: list[np.ndarray] = []
    with index.store.transaction():
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
                sentences=sentences[document.doc_id],
            )
            added_vectors.append(matrix)
    vectors.remove(np.array(removed, dtype=np.int64))
    vectors.add(np.array(added_ids, dtype=np.int64), np.vstack(added_vectors))
    report.passages += len(added_ids)
    return len(added_ids)


def passages_for(
    document: Document, settings: ChunkSettings, count: TokenCounter, encoder: Encoder
) -> list[Passage]:
    """The passages an ingest cuts ``document`` into: each fits ``encoder``'s model with
    its title, as it is embedded."""

    def fits(texts: Sequence[str]) -> list[bool]:
        return encoder.fits([retrieval_text(document.title, text) for text in texts])

    return chunk_document(document, settings, count_tokens=count, model_limit=fits)


def _stack(vectors: list[np.ndarray], encoder: Encoder) -> np.ndarray:
    if not vectors:
        return np.zeros((0, encoder.dimension), dtype=np.float32)
    return np.vstack(vectors).astype(np.float32)
