"""The SQLite database of an index: documents, passages and their vectors.

The database is the source of truth. Vectors are kept here beside their passages,
so the FAISS and keyword files can always be rebuilt from it, and a passage whose
text has not changed is never embedded twice. This is the only module that
speaks SQL.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from corpus.chunking import retrieval_text
from corpus.model import Document, Passage, Span
from corpus.references import Reference as Mention
from embeddings.filters import Filters, date_bounds

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT,
    date_min TEXT,
    date_max TEXT,
    place TEXT,
    content_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    page TEXT,
    n_tokens INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_hash BLOB NOT NULL,  -- of the retrieval text: what was embedded
    vector BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS citable_keys (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS doc_references (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    key TEXT NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL
);
-- Each sentence of each passage, as answering quotes it (corpus.sentences.passage_sentences),
-- embedded once at ingest in its passage's context, so that answering embeds no sentence.
CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    text_hash BLOB NOT NULL,  -- of its passage's text and its place in it
    vector BLOB NOT NULL,
    -- A rowid table: its 1.5 KB vectors fit in their pages (WITHOUT ROWID puts each in
    -- an overflow page of its own: 2.4 times the disk).
    UNIQUE (doc_id, char_start, char_end)
);
CREATE INDEX IF NOT EXISTS sentences_hash ON sentences(text_hash);
CREATE INDEX IF NOT EXISTS citable_keys_key ON citable_keys(key);
CREATE INDEX IF NOT EXISTS doc_references_doc ON doc_references(doc_id);
CREATE INDEX IF NOT EXISTS doc_references_key ON doc_references(key);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id, ordinal);
CREATE INDEX IF NOT EXISTS passages_hash ON passages(text_hash);
"""


_PASSAGE_FIELDS = ("doc_id", "ordinal", "text", "char_start", "char_end", "page", "n_tokens")
_PASSAGE_COLUMNS = ", ".join(_PASSAGE_FIELDS)


def content_hash(document: Document) -> str:
    """Changes whenever the document's text or metadata changes (not when its file moves)."""
    fields = json.loads(_record(document))
    del fields["source_path"]
    metadata = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(metadata.encode() + document.text.encode()).hexdigest()


def text_hash(text: str) -> bytes:
    return hashlib.sha1(text.encode()).digest()


@dataclass(frozen=True)
class StoredPassage:
    """A passage as read back from the index, with its database id."""

    id: int
    passage: Passage


class SentenceVector(NamedTuple):
    """The vector of one sentence of a document, by its offsets in the document's text."""

    char_start: int
    char_end: int
    text_hash: bytes  # of what was embedded: its passage's text, and its place in it
    vector: np.ndarray


SentenceKey = tuple[str, int, int]  # doc_id, char_start, char_end


class Reference(NamedTuple):
    """A reference a document makes: its text, and the document it names if that is indexed."""

    text: str
    doc_id: str | None


@dataclass(frozen=True)
class CollectionStats:
    documents: int
    passages: int


class Store:
    """Documents and passages of one index in one SQLite file."""

    def __init__(self, path: Path):
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block's writes as one transaction, committed as the next generation.

        Any exception, Ctrl-C included, rolls every write of the block back and is
        raised again; the generation moves only when the block completes.
        """
        self._end_snapshot()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.set_meta("generation", str(self.generation + 1))
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def snapshot(self) -> int:
        """Read one generation from now on, and return it.

        Until the next snapshot or write on this connection, every read sees the store as
        it is now, whatever other processes commit meanwhile (a WAL read transaction):
        a server keeps the generation whose FAISS and BM25 files it serves while an
        ingest commits batches. The write-ahead log grows until the snapshot ends.
        """
        self._end_snapshot()
        self._db.execute("BEGIN")
        return self.generation  # the first read fixes the snapshot

    def _end_snapshot(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def commit_meta(self, key: str, value: str) -> None:
        """Commit one meta value on its own, outside a transaction (no new generation);
        a read snapshot of this connection ends first."""
        self._end_snapshot()
        self.set_meta(key, value)

    # -- writes ---------------------------------------------------------------------------------

    def put_document(
        self,
        document: Document,
        passages: list[Passage],
        vectors: np.ndarray,
        *,
        references: Sequence[Mention] = (),
        keys: Sequence[str] = (),
        sentences: Sequence[SentenceVector] = (),
    ) -> list[int]:
        """Insert or replace a document with its passages (and the vectors of their
        ``sentences``); returns the new passage ids.

        ``references`` are the document's mentions of others; ``keys`` what others
        call it by. They are matched when read, so a reference resolves as soon as
        the document it names is ingested, whichever comes first.
        """
        self.delete_document(document.doc_id)
        date_min, date_max = date_bounds(document.date) if document.date else (None, None)
        self._db.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                document.doc_id,
                document.collection,
                document.title,
                document.date,
                date_min,
                date_max,
                document.place,
                content_hash(document),
                _record(document),
                document.text,
            ),
        )
        self._db.executemany(
            "INSERT INTO citable_keys VALUES (?, ?)", [(document.doc_id, key) for key in keys]
        )
        self._db.executemany(
            "INSERT INTO doc_references VALUES (?, ?, ?, ?, ?)",
            [(document.doc_id, r.text, r.key, r.char_start, r.char_end) for r in references],
        )
        self._db.executemany(
            "INSERT INTO sentences VALUES (?, ?, ?, ?, ?)",
            [
                (document.doc_id, s.char_start, s.char_end, s.text_hash, _blob(s.vector))
                for s in sentences
            ],
        )
        ids = []
        for passage, vector in zip(passages, vectors, strict=True):
            cursor = self._db.execute(
                "INSERT INTO passages (doc_id, ordinal, char_start, char_end, page, n_tokens, text,"
                " text_hash, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    passage.doc_id,
                    passage.ordinal,
                    passage.char_start,
                    passage.char_end,
                    passage.page,
                    passage.n_tokens,
                    passage.text,
                    text_hash(retrieval_text(document.title, passage.text)),
                    _blob(vector),
                ),
            )
            ids.append(int(cursor.lastrowid or 0))
        return ids

    def delete_document(self, doc_id: str) -> list[int]:
        """Delete a document and its passages; returns the ids of the passages removed."""
        ids = [
            row["id"]
            for row in self._db.execute("SELECT id FROM passages WHERE doc_id = ?", (doc_id,))
        ]
        self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        return ids

    # -- reads ----------------------------------------------------------------------------------

    def document_hash(self, doc_id: str) -> str | None:
        row = self._db.execute(
            "SELECT content_hash FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return row["content_hash"] if row else None

    def cached_vectors(self, texts: Iterable[str]) -> dict[bytes, np.ndarray]:
        """Vectors already computed for any of these passage texts, by text hash."""
        rows = self._select_in(
            "SELECT text_hash, vector FROM passages", "text_hash", {text_hash(t) for t in texts}
        )
        return {row["text_hash"]: _vector(row) for row in rows}

    def cached_sentence_vectors(self, hashes: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        """Vectors already computed for any of these sentence text hashes."""
        rows = self._select_in("SELECT text_hash, vector FROM sentences", "text_hash", set(hashes))
        return {row["text_hash"]: _vector(row) for row in rows}

    def sentence_vectors(self, keys: Iterable[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        """The stored vectors of these sentences, by key; a sentence not stored is left out."""
        wanted = list(dict.fromkeys(keys))
        found: dict[SentenceKey, np.ndarray] = {}
        for i in range(0, len(wanted), 300):
            batch = wanted[i : i + 300]
            rows = self._db.execute(
                "SELECT doc_id, char_start, char_end, vector FROM sentences"
                " WHERE (doc_id, char_start, char_end) IN"
                f" (VALUES {','.join(['(?, ?, ?)'] * len(batch))})",
                [value for key in batch for value in key],
            )
            for row in rows:
                found[(row["doc_id"], row["char_start"], row["char_end"])] = _vector(row)
        return found

    def count_sentences(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) AS n FROM sentences").fetchone()["n"])

    def vectors(self, ids: Iterable[int]) -> dict[int, np.ndarray]:
        rows = self._select_in("SELECT id, vector FROM passages", "id", map(int, ids))
        return {row["id"]: _vector(row) for row in rows}

    def document(self, doc_id: str) -> Document | None:
        row = self._db.execute(
            "SELECT record, text FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return _document(row["record"], row["text"]) if row else None

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        return {doc_id: doc for doc_id in set(doc_ids) if (doc := self.document(doc_id))}

    def headings(self) -> list[Document]:
        """Every document's fields without its text (``text`` is empty), by id."""
        rows = self._db.execute("SELECT record FROM documents ORDER BY doc_id")
        return [_document(row["record"], "") for row in rows]

    def doc_ids(self) -> list[str]:
        rows = self._db.execute("SELECT doc_id FROM documents ORDER BY doc_id")
        return [row["doc_id"] for row in rows]

    def passages(self, ids: Iterable[int]) -> dict[int, Passage]:
        rows = self._select_in(f"SELECT id, {_PASSAGE_COLUMNS} FROM passages", "id", map(int, ids))
        return {row["id"]: _passage(row) for row in rows}

    def passage_doc_ids(self, ids: Iterable[int]) -> dict[int, str]:
        rows = self._select_in("SELECT id, doc_id FROM passages", "id", map(int, ids))
        return {row["id"]: row["doc_id"] for row in rows}

    def _select_in(
        self, select: str, column: str, values: Iterable[object]
    ) -> Iterator[sqlite3.Row]:
        """Rows of ``select`` whose ``column`` is one of ``values``, in batches SQLite accepts."""
        wanted = list(values)
        for i in range(0, len(wanted), 500):
            batch = wanted[i : i + 500]
            marks = ",".join("?" * len(batch))
            yield from self._db.execute(f"{select} WHERE {column} IN ({marks})", batch)

    def document_passages(self, doc_id: str) -> list[StoredPassage]:
        rows = self._db.execute(
            f"SELECT id, {_PASSAGE_COLUMNS} FROM passages WHERE doc_id = ? ORDER BY ordinal",
            (doc_id,),
        )
        return [StoredPassage(row["id"], _passage(row)) for row in rows]

    def iter_vectors(self, batch: int = 4096) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All ``(ids, vectors)`` in id order, a batch at a time."""
        cursor = self._db.execute("SELECT id, vector FROM passages ORDER BY id")
        while rows := cursor.fetchmany(batch):
            ids = np.array([row["id"] for row in rows], dtype=np.int64)
            yield ids, np.vstack([_vector(row) for row in rows])

    def iter_texts(self, batch: int = 4096) -> Iterator[tuple[np.ndarray, list[str]]]:
        """All ``(ids, retrieval texts)`` of passages in id order, a batch at a time."""
        cursor = self._db.execute(
            "SELECT p.id, d.title, p.text FROM passages p JOIN documents d USING (doc_id)"
            " ORDER BY p.id"
        )
        while rows := cursor.fetchmany(batch):
            ids = np.array([row["id"] for row in rows], dtype=np.int64)
            yield ids, [retrieval_text(row["title"], row["text"]) for row in rows]

    def matching_passage_ids(self, filters: Filters) -> np.ndarray:
        """Ids of the passages whose documents pass ``filters``."""
        clauses, params = _filter_sql(filters)
        where = " AND ".join(clauses) or "1"
        # Each document's record is read once, not once per passage.
        rows = self._db.execute(
            "SELECT p.id FROM passages p WHERE p.doc_id IN"
            f" (SELECT d.doc_id FROM documents d WHERE {where})",
            params,
        )
        return np.array([row["id"] for row in rows], dtype=np.int64)

    def references(self, doc_id: str) -> list[Reference]:
        """Each distinct reference the document makes, in the order it first makes them."""
        rows = self._db.execute(
            "SELECT r.text, MIN(k.doc_id) AS target FROM doc_references r"
            " LEFT JOIN citable_keys k ON k.key = r.key AND k.doc_id != r.doc_id"
            " WHERE r.doc_id = ? GROUP BY r.text, r.key ORDER BY MIN(r.char_start)",
            (doc_id,),
        )
        return [Reference(row["text"], row["target"]) for row in rows]

    def mentions(self, doc_id: str, target: str) -> list[int]:
        """Where in ``doc_id``'s text its references to the document ``target`` start."""
        rows = self._db.execute(
            "SELECT r.char_start FROM doc_references r JOIN citable_keys k ON k.key = r.key"
            " WHERE r.doc_id = ? AND k.doc_id = ? ORDER BY r.char_start",
            (doc_id, target),
        )
        return [row["char_start"] for row in rows]

    def referenced_by(self, doc_id: str) -> list[str]:
        """The documents whose references resolve to ``doc_id``."""
        rows = self._db.execute(
            "SELECT DISTINCT r.doc_id FROM doc_references r JOIN citable_keys k ON k.key = r.key"
            " WHERE k.doc_id = ? AND r.doc_id != ? ORDER BY r.doc_id",
            (doc_id, doc_id),
        )
        return [row["doc_id"] for row in rows]

    def stats(self) -> dict[str, CollectionStats]:
        """Documents and passages per collection, by collection name."""
        rows = self._db.execute(
            "SELECT d.collection, COUNT(DISTINCT d.doc_id) AS documents, COUNT(p.id) AS passages"
            " FROM documents d LEFT JOIN passages p USING (doc_id)"
            " GROUP BY d.collection ORDER BY d.collection"
        )
        return {
            row["collection"]: CollectionStats(row["documents"], row["passages"]) for row in rows
        }

    def withheld_counts(self) -> dict[str, int]:
        """Withheld or illegible spans per document, for the documents that have any."""
        rows = self._db.execute(
            "SELECT doc_id, json_array_length(record, '$.withheld') AS n FROM documents"
            " WHERE n > 0 ORDER BY doc_id"
        )
        return {row["doc_id"]: row["n"] for row in rows}

    def count_passages(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) AS n FROM passages").fetchone()["n"])


def _filter_sql(filters: Filters) -> tuple[list[str], list[str | int]]:
    clauses: list[str] = []
    params: list[str | int] = []
    if filters.date_from or filters.date_to:
        low = date_bounds(filters.date_from)[0] if filters.date_from else "0"
        high = date_bounds(filters.date_to)[1] if filters.date_to else "9"
        dated = "(d.date_max >= ? AND d.date_min <= ?)"
        if filters.undated:
            # A partial ISO date sorts before its completions, so the period's start
            # compares as is; "~" sorts after every digit, completing its end.
            period = "json_extract(d.record, '$.extra.period')"
            start, end = (
                f"substr({period}, 1, instr({period}, '/') - 1)",
                f"substr({period}, instr({period}, '/') + 1)",
            )
            clauses.append(
                f"({dated} OR (d.date_min IS NULL AND ({period} IS NULL"
                f" OR ({end} || '~' >= ? AND {start} <= ?))))"
            )
            params += [low, high, low, high]
        else:
            clauses.append(dated)
            params += [low, high]
    if filters.collections:
        clauses.append(f"d.collection IN ({','.join('?' * len(filters.collections))})")
        params.extend(filters.collections)
    if filters.place:
        clauses.append("d.place LIKE ? COLLATE NOCASE")
        params.append(f"%{filters.place}%")
    if filters.doc_ids:
        clauses.append(f"d.doc_id IN ({','.join('?' * len(filters.doc_ids))})")
        params.extend(filters.doc_ids)
    if filters.doc_id_prefix:
        clauses.append("substr(d.doc_id, 1, ?) = ?")
        params += [len(filters.doc_id_prefix), filters.doc_id_prefix]
    return clauses, params


def _passage(row: sqlite3.Row) -> Passage:
    return Passage(**{name: row[name] for name in _PASSAGE_FIELDS})


def _vector(row: sqlite3.Row) -> np.ndarray:
    return np.frombuffer(row["vector"], dtype=np.float32)


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


_SPANS = ("pages", "notes", "withheld")


def _record(document: Document) -> str:
    fields = asdict(document)
    del fields["text"]
    # A span's unset optional fields are left out, so that adding one to Span does not
    # change the content hash (and force a re-ingest) of every document without it.
    for name in _SPANS:
        fields[name] = [
            {key: value for key, value in span.items() if value is not None}
            for span in fields[name]
        ]
    return json.dumps(fields, sort_keys=True, ensure_ascii=False)


def _document(record: str, text: str) -> Document:
    fields = json.loads(record)
    for name in _SPANS:
        fields[name] = tuple(Span(**span) for span in fields.get(name, ()))
    return Document(text=text, **fields)
