"""The BM25 keyword index (bm25s), keyed by passage id like the vector index.

Archive users search for file numbers and names ("POL 27 VIET S", "Montgomery")
that embeddings blur; BM25 finds them exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

# Lucene-style BM25 with an English stemmer, as in bm25s's published BEIR runs; the
# token pattern keeps one-character tokens so file numbers like "POL 27" stay findable.
_TOKEN_PATTERN = r"(?u)\b\w+\b"
_PARAMS = {"k1": 1.2, "b": 0.75, "method": "lucene"}


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(
        texts,
        lower=True,
        token_pattern=_TOKEN_PATTERN,
        stopwords="en",
        stemmer=_stemmer(),
        return_ids=False,
        show_progress=False,
    )


class KeywordIndex:
    """BM25 over passage texts; rebuilt whole after each change (bm25s has no updates)."""

    def __init__(self, bm25: Any, ids: np.ndarray):
        self._bm25 = bm25
        self._ids = ids
        self._position = {int(pid): i for i, pid in enumerate(ids)}

    @classmethod
    def build(cls, batches: Iterable[tuple[np.ndarray, list[str]]]) -> KeywordIndex:
        import bm25s

        all_ids: list[np.ndarray] = []
        tokens: list[list[str]] = []
        for ids, texts in batches:
            all_ids.append(ids)
            tokens += tokenize(texts)
        bm25 = bm25s.BM25(**_PARAMS)
        if tokens:
            bm25.index(tokens, show_progress=False)
        ids = np.concatenate(all_ids) if all_ids else np.zeros(0, dtype=np.int64)
        return cls(bm25 if tokens else None, ids)

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

    def search(
        self, query: str, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best-scoring passages as ``(scores, ids)``; zero scores are no match."""
        if self._bm25 is None:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        vocabulary = self._bm25.vocab_dict
        terms = [t for t in tokenize([query])[0] if t in vocabulary]
        if not terms:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores = self._bm25.get_scores(terms)
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            mask[[self._position[int(i)] for i in allowed if int(i) in self._position]] = True
            scores = np.where(mask, scores, 0.0)
        k = min(k, int(np.count_nonzero(scores)))
        if k == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return scores[top].astype(np.float32), self._ids[top]
