"""Sentence vectors, embedded once at ingest so that answering embeds no sentence.

An answer quotes the sentences of the best passages that are most similar to the
question, each sentence embedded with its document's title as passages are.
Embedding them at question time cost ~20 encodings per answer. Instead every
sentence of every passage, cut by :func:`corpus.sentences.passage_sentences` as
answering cuts it, is embedded when its document is ingested and stored under its
offsets; a title and sentence embedded before (an unchanged document written
again) is taken from the store by its text hash, not embedded twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from corpus.chunking import retrieval_text
from corpus.model import Document, Passage
from corpus.sentences import passage_sentences
from embeddings.encoder import Encoder
from embeddings.store import SentenceKey, SentenceVector, Store, text_hash


def document_sentences(document: Document, passages: Sequence[Passage]) -> list[tuple[int, int]]:
    """Each distinct sentence of the passages as ``(start, end)`` offsets, in passage order."""
    spans = (
        span
        for passage in passages
        for span in passage_sentences(document.text, passage.char_start, passage.char_end)
    )
    return list(dict.fromkeys(spans))


def sentence_text(document: Document, start: int, end: int) -> str:
    """What is embedded for a sentence: its document's title, then the sentence."""
    return retrieval_text(document.title, document.text[start:end])


def embed_sentences(
    store: Store,
    encoder: Encoder,
    chunked: Sequence[tuple[Document, Sequence[Passage]]],
    *,
    progress: bool = False,
    check: Callable[[], None] = lambda: None,
) -> dict[str, list[SentenceVector]]:
    """The vectors of the sentences of each document's passages, by document id.

    Call it before the transaction that writes the documents: replacing a document
    drops its stored sentences, which are the ones an unchanged text reuses.
    ``check`` raises if the run was interrupted; it is called after each batch.
    """
    from tqdm import tqdm

    rows = {
        document.doc_id: [
            (start, end, text_hash(text), text)
            for start, end in document_sentences(document, passages)
            for text in [sentence_text(document, start, end)]
        ]
        for document, passages in chunked
    }
    texts = {key: text for sentences in rows.values() for _, _, key, text in sentences}
    known = store.cached_sentence_vectors(texts)
    # Similar lengths in one batch pad less.
    todo = sorted((item for item in texts.items() if item[0] not in known), key=lambda i: len(i[1]))
    with tqdm(
        total=len(todo),
        unit="sentence",
        desc="Embedding sentences",
        disable=not progress or not todo,
    ) as bar:
        for first in range(0, len(todo), encoder.ingest_chunk):
            batch = todo[first : first + encoder.ingest_chunk]
            vectors = encoder.encode([text for _, text in batch])
            known.update(zip((key for key, _ in batch), vectors, strict=True))
            bar.update(len(batch))
            check()
    return {
        doc_id: [SentenceVector(start, end, key, known[key]) for start, end, key, _ in sentences]
        for doc_id, sentences in rows.items()
    }


def with_missing_encoded(
    found: Mapping[SentenceKey, np.ndarray],
    keys: Sequence[SentenceKey],
    texts: Sequence[str],
    encoder: Encoder,
) -> np.ndarray:
    """The ``(len(keys), d)`` vectors of sentences ``keys``: those ``found`` in the store,
    the others (of an index ingested before sentence vectors) encoded from ``texts`` now."""
    missing = [i for i, key in enumerate(keys) if key not in found]
    encoded = dict(zip(missing, encoder.encode([texts[i] for i in missing]), strict=True))
    return np.vstack([found[key] if key in found else encoded[i] for i, key in enumerate(keys)])
