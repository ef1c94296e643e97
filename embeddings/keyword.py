"""The BM25 keyword index (bm25s), keyed by passage id like the vector index.

Archive users search for file numbers and names ("POL 27 VIET S", "Montgomery")
that embeddings blur; BM25 finds them exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.ranked import Ranked

# Lucene-style BM25 with an English stemmer, as in bm25s's published BEIR runs; the
# token pattern keeps one-character tokens so file numbers like "POL 27" stay findable.
_TOKEN_PATTERN = r"(?u)\b\w+\b"
_STOPWORDS = "en"  # bm25s's 33 Lucene words
_K1, _B = 1.2, 0.75
_PARAMS = {"k1": _K1, "b": _B, "method": "lucene"}
_SCORE_ROWS = 65_536  # passages scored per step: bounds the float64 temporaries


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _tokenize(texts: list[str], *, return_ids: bool, stopwords: Any = _STOPWORDS) -> Any:
    import bm25s

    return bm25s.tokenize(
        texts,
        lower=True,
        token_pattern=_TOKEN_PATTERN,
        stopwords=stopwords,
        stemmer=_stemmer(),
        return_ids=return_ids,
        show_progress=False,
    )


def tokenize(texts: list[str]) -> list[list[str]]:
    return _tokenize(texts, return_ids=False)


@cache
def _query_stopwords() -> list[str]:
    """Question and function words too ("what", "did", "how", "about"): bm25s's 179-word
    NLTK list, less the one-letter words that file numbers need ("POL 27 VIET S").

    Passages keep these words, so indexes built before stay valid. Measured with the
    product's chunking and ranking (bm25 mode, nDCG@10): SciFact 0.683 -> 0.688, the
    bundled archive's dev questions 0.829 -> 0.85; see bench/README.md.
    """
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_EN_PLUS

    return sorted({*STOPWORDS_EN, *(word for word in STOPWORDS_EN_PLUS if len(word) > 1)})


def query_terms(query: str) -> list[str]:
    """The terms of ``query`` that BM25 scores."""
    return _tokenize([query], return_ids=False, stopwords=_query_stopwords())[0]


class _Postings:
    """Term counts of every passage, added batch by batch as compact arrays.

    bm25s indexes lists of token lists held all at once (several GB of Python
    objects at a million passages); here each batch becomes the distinct terms of
    each passage and their counts, and the Python lists die with the batch.
    """

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.terms: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []
        self.distinct: list[np.ndarray] = []  # distinct terms per passage
        self.lengths: list[np.ndarray] = []  # tokens per passage

    def add(self, texts: list[str]) -> None:
        tokenized = _tokenize(texts, return_ids=True)
        to_global = np.empty(len(tokenized.vocab), dtype=np.int64)
        for token, local in tokenized.vocab.items():
            to_global[local] = self.vocabulary.setdefault(token, len(self.vocabulary))
        lengths = np.array([len(ids) for ids in tokenized.ids], dtype=np.int64)
        tokens = np.fromiter(chain.from_iterable(tokenized.ids), np.int64, int(lengths.sum()))
        # One key per (passage, term): np.unique sorts by passage, then term, and counts.
        keys = np.repeat(np.arange(len(texts), dtype=np.int64), lengths) << 32
        keys, counts = np.unique(keys | to_global[tokens], return_counts=True)
        self.terms.append((keys & 0xFFFFFFFF).astype(np.int32))
        self.counts.append(counts.astype(np.int32))
        self.distinct.append(np.bincount(keys >> 32, minlength=len(texts)))
        self.lengths.append(lengths)

    def bm25(self) -> Any:
        """A bm25s index with the scores ``bm25s.BM25.index`` would compute from the same tokens."""
        import bm25s
        import scipy.sparse as sp

        lengths = np.concatenate(self.lengths)
        terms = np.concatenate(self.terms)
        self.terms.clear()
        counts = np.concatenate(self.counts)
        self.counts.clear()
        indptr = np.concatenate([[0], np.cumsum(np.concatenate(self.distinct))])
        n_docs, average = len(lengths), float(lengths.mean())
        frequencies = np.bincount(terms, minlength=len(self.vocabulary))
        # Lucene's idf, rounded to float32 first as bm25s does.
        idf = np.log(1 + (n_docs - frequencies + 0.5) / (frequencies + 0.5)).astype(np.float32)
        scores = np.empty(len(terms), dtype=np.float32)
        for start in range(0, n_docs, _SCORE_ROWS):
            rows = slice(indptr[start], indptr[min(start + _SCORE_ROWS, n_docs)])
            tf = counts[rows].astype(np.float64)
            doc_length = np.repeat(
                lengths[start : start + _SCORE_ROWS],
                np.diff(indptr[start : start + _SCORE_ROWS + 1]),
            )
            scores[rows] = idf[terms[rows]] * (
                tf / (_K1 * (1 - _B + _B * doc_length / average) + tf)
            )
        del counts
        # bm25s keeps one column per term, the passages that contain it in order.
        matrix = sp.csr_matrix((scores, terms, indptr), shape=(n_docs, len(self.vocabulary)))
        del scores, terms
        matrix = matrix.tocsc()
        bm25 = bm25s.BM25(**_PARAMS)
        bm25.scores = {
            "data": matrix.data,
            "indices": matrix.indices,
            "indptr": matrix.indptr,
            "num_docs": n_docs,
        }
        bm25.vocab_dict = self.vocabulary
        bm25.unique_token_ids_set = set(self.vocabulary.values())
        bm25.nonoccurrence_array = None
        return bm25


class KeywordIndex:
    """BM25 over passage texts; rebuilt whole after each change (bm25s has no updates)."""

    def __init__(self, bm25: Any, ids: np.ndarray):
        self._bm25 = bm25
        self._ids = ids
        self._position = {int(pid): i for i, pid in enumerate(ids)}

    @classmethod
    def build(cls, batches: Iterable[tuple[np.ndarray, list[str]]]) -> KeywordIndex:
        """The index of ``(ids, texts)`` batches; memory grows with the postings, not the text."""
        postings = _Postings()
        all_ids: list[np.ndarray] = []
        for ids, texts in batches:
            all_ids.append(ids)
            postings.add(texts)
        if not all_ids or not sum(len(ids) for ids in all_ids):
            return cls(None, np.zeros(0, dtype=np.int64))
        return cls(postings.bm25(), np.concatenate(all_ids))

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        import bm25s

        ids = np.load(directory / "passage_ids.npy")
        bm25 = bm25s.BM25.load(str(directory), mmap=True, show_progress=False) if len(ids) else None
        return cls(bm25, ids)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(directory), show_progress=False)
        np.save(directory / "passage_ids.npy", self._ids)
        (directory / "params.json").write_text(json.dumps(_PARAMS))

    def __len__(self) -> int:
        return len(self._ids)

    def unknown(self, terms: Iterable[str]) -> list[str]:
        """The stemmed ``terms`` that no passage contains."""
        vocabulary = self._bm25.vocab_dict if self._bm25 is not None else {}
        return [term for term in terms if term not in vocabulary]

    def search(self, query: str, k: int, *, allowed: np.ndarray | None = None) -> Ranked:
        """The ``k`` best-scoring passages; zero scores are no match."""
        if self._bm25 is None:
            return Ranked.empty()
        vocabulary = self._bm25.vocab_dict
        terms = [t for t in query_terms(query) if t in vocabulary]
        if not terms:
            return Ranked.empty()
        scores = self._bm25.get_scores(terms)
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            mask[[self._position[int(i)] for i in allowed if int(i) in self._position]] = True
            scores = np.where(mask, scores, 0.0)
        k = min(k, int(np.count_nonzero(scores)))
        if k == 0:
            return Ranked.empty()
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return Ranked(self._ids[top], scores[top].astype(np.float32))
