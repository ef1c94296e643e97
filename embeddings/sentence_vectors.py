"""Passage and sentence vectors, embedded once at ingest so that answering embeds no sentence.

An answer quotes the sentences of the best passages that are most similar to the
question. Embedding them at question time cost ~20 encodings per answer, and
embedding each on its own at ingest made ingest 2.8 times as slow. Instead the
forward pass that embeds a passage (with its document's title) also gives each of
its sentences, cut by :func:`corpus.sentences.passage_sentences` as answering cuts
them, a vector: the mean of the passage's token vectors over the sentence
(:meth:`~embeddings.encoder.Encoder.encode_with_spans`), which reads the sentence
in its context. A sentence in two overlapping passages takes its first passage's.

A passage or sentence embedded before (an unchanged document written again) is
taken from the store by its hash, not embedded twice; a sentence's hash is of its
passage's text and its place in it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from corpus.chunking import retrieval_text
from corpus.model import Document, Passage
from corpus.sentences import passage_sentences
from embeddings.encoder import Encoder
from embeddings.store import SentenceKey, SentenceVector, Store, text_hash

# Stored in the index's meta table: an index whose sentence vectors were made another way
# (each sentence embedded on its own) has them made again by its next ingest.
SCHEME_KEY = "sentence_vectors"
SCHEME = "in passage context"


@dataclass(frozen=True)
class PassageText:
    """What is embedded for one passage, and where its sentences are in it."""

    text: str  # the document's title, then the passage
    sentences: tuple[tuple[int, int], ...]  # document offsets
    offset: int  # add to a document offset for the offset in ``text``

    @classmethod
    def of(
        cls, document: Document, passage: Passage, skip: Collection[tuple[int, int]] = ()
    ) -> PassageText:
        """``passage`` of ``document``, less the sentences in ``skip``."""
        text = retrieval_text(document.title, passage.text)
        spans = passage_sentences(document.text, passage.char_start, passage.char_end)
        return cls(
            text=text,
            sentences=tuple(span for span in spans if span not in skip),
            offset=len(text) - len(passage.text) - passage.char_start,
        )

    @property
    def spans(self) -> list[tuple[int, int]]:
        """The sentences' offsets in ``text``."""
        return [(start + self.offset, end + self.offset) for start, end in self.sentences]

    def sentence_keys(self) -> list[bytes]:
        return [sentence_key(self.text, start, end) for start, end in self.spans]


def sentence_key(text: str, start: int, end: int) -> bytes:
    """The hash a sentence's vector is stored under: its passage's text and its place."""
    return text_hash(f"{start}:{end}\n{text}")


def passage_texts(document: Document, passages: Sequence[Passage]) -> list[PassageText]:
    """Each passage's text, with the sentences no earlier passage of the document has."""
    seen: set[tuple[int, int]] = set()
    texts = []
    for passage in passages:
        texts.append(PassageText.of(document, passage, seen))
        seen.update(texts[-1].sentences)
    return texts


def embed_passages(
    store: Store,
    encoder: Encoder,
    chunked: Sequence[tuple[Document, Sequence[Passage]]],
    *,
    check: Callable[[], None] = lambda: None,
) -> tuple[dict[bytes, np.ndarray], dict[str, list[SentenceVector]], int]:
    """The passages' vectors by text hash, the sentences' by document id, and how many
    passages were run through the model (the others came from the store).

    Call it before the transaction that writes the documents: replacing a document
    drops its stored vectors, which are the ones an unchanged text reuses.
    ``check`` raises if the run was interrupted; it is called after each batch.
    """
    texts = {document.doc_id: passage_texts(document, passages) for document, passages in chunked}
    every = [passage for passages in texts.values() for passage in passages]
    passages_known = store.cached_vectors(p.text for p in every)
    sentences_known = store.cached_sentence_vectors(k for p in every for k in p.sentence_keys())
    todo = {
        text_hash(p.text): p
        for p in every
        if text_hash(p.text) not in passages_known
        or any(key not in sentences_known for key in p.sentence_keys())
    }
    # Similar lengths in one call pad less.
    ordered = sorted(todo.items(), key=lambda item: len(item[1].text))
    for first in range(0, len(ordered), encoder.ingest_chunk):
        batch = [passage for _, passage in ordered[first : first + encoder.ingest_chunk]]
        vectors, sentences = encoder.encode_with_spans(
            [p.text for p in batch], [p.spans for p in batch]
        )
        for passage, vector, matrix in zip(batch, vectors, sentences, strict=True):
            passages_known.setdefault(text_hash(passage.text), vector)
            sentences_known.update(zip(passage.sentence_keys(), matrix, strict=True))
        check()
    by_document = {
        doc_id: [
            SentenceVector(start, end, key, sentences_known[key])
            for passage in passages
            for (start, end), key in zip(passage.sentences, passage.sentence_keys(), strict=True)
        ]
        for doc_id, passages in texts.items()
    }
    return passages_known, by_document, len(todo)


def with_missing_encoded(
    found: Mapping[SentenceKey, np.ndarray],
    sentences: Sequence[tuple[Document, Passage, int, int]],
    encoder: Encoder,
) -> np.ndarray:
    """The ``(len(sentences), d)`` vectors of ``(document, passage, start, end)``: those
    ``found`` in the store by ``(doc_id, start, end)``, the others (of an index ingested
    before sentence vectors) from their passages, encoded now as ingest would."""
    keys = [(document.doc_id, start, end) for document, _, start, end in sentences]
    missing: dict[tuple[str, int], PassageText] = {}
    for (document, passage, _, _), key in zip(sentences, keys, strict=True):
        if key not in found:
            missing.setdefault(
                (document.doc_id, passage.char_start), PassageText.of(document, passage)
            )
    passages = list(missing.values())
    _, matrices = encoder.encode_with_spans([p.text for p in passages], [p.spans for p in passages])
    encoded = {
        (doc_id, start, end): vector
        for (doc_id, _), passage, matrix in zip(missing, passages, matrices, strict=True)
        for (start, end), vector in zip(passage.sentences, matrix, strict=True)
    }
    return np.vstack([found[key] if key in found else encoded[key] for key in keys])
