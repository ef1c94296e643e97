"""BM25 with and without the long query stopword list, on SciFact and the dev questions.

    nice python -m bench.query_stopwords [--index DIR]   # -> results/bm25_query_stopwords.json

"before" drops from queries only bm25s's 33 "en" words, as from passages; "after"
is the shipped ``embeddings.keyword._query_stopwords``. Passages and indexes are
the same in both. SciFact needs no model run: its passages are chunked as an
ingest would (the tokenizer only, for the model's length limit) and ranked as the
bm25 retriever ranks them (best passage per document). The dev questions are asked
of the sample index at DIR (built there if missing), bm25 and hybrid.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import embeddings.keyword as keyword
from assistant.evaluation.datasets import load_beir, load_questions
from assistant.evaluation.metrics import score
from assistant.evaluation.runner import query_for, run
from bench.common import write_result
from bench.scifact import SCIFACT

DEV_QUESTIONS = Path(__file__).resolve().parent.parent / "corpus" / "eval" / "dev_questions.jsonl"
VARIANTS: dict[str, Callable[[], Any]] = {
    "before": lambda: "en",
    "after": keyword._query_stopwords,
}


def _use_stopwords(stopwords: Callable[[], Any]) -> None:
    """Make the keyword index drop these words from queries: the variant being measured."""
    keyword._query_stopwords = stopwords  # type: ignore[assignment]


def scifact() -> dict[str, Any]:
    from corpus.chunking import ChunkSettings, retrieval_text, tiktoken_counter
    from embeddings.encoder import Encoder
    from embeddings.ingest import passages_for

    dataset = load_beir(SCIFACT)
    settings, encoder = ChunkSettings(), Encoder()
    count = tiktoken_counter(settings.encoding)
    texts, owners = [], []
    for doc in dataset.documents():
        for passage in passages_for(doc, settings, count, encoder):
            texts.append(retrieval_text(doc.title, passage.text))
            owners.append(doc.doc_id)
    ids = np.arange(len(texts))
    index = keyword.KeywordIndex.build([(ids, texts)])
    relevant = {q.id: q.relevant for q in dataset.questions}
    results = {}
    for name, stopwords in VARIANTS.items():
        _use_stopwords(stopwords)
        rankings = {}
        for question in dataset.questions:
            query = query_for(question.question, dataset.history(question))
            found = index.search(query, 300).ids
            rankings[question.id] = list(dict.fromkeys(owners[i] for i in found))[:100]
        results[name] = {k: round(v, 4) for k, v in score(rankings, relevant).mean.items()}
    return {"passages": len(texts), **results}


def dev_questions(index_dir: Path) -> dict[str, Any]:
    from assistant.settings import Settings
    from assistant.web.server import load_assistant

    assistant = load_assistant(Settings(index_dir=index_dir))
    dataset = load_questions(DEV_QUESTIONS)
    results = {}
    for name, stopwords in VARIANTS.items():
        _use_stopwords(stopwords)
        results[name] = {
            retriever: {
                k: round(v, 4) for k, v in run(dataset, assistant, retriever).metrics.items()
            }
            for retriever in ("bm25", "hybrid")
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, required=True, help="sample index (built if missing)")
    args = parser.parse_args()
    try:
        results = {"scifact_test_bm25": scifact(), "dev_questions": dev_questions(args.index)}
    finally:
        _use_stopwords(VARIANTS["after"])
    write_result(
        "bm25_query_stopwords",
        {
            "before": "queries lose bm25s's 33 'en' stopwords, as passages do",
            "after": "queries also lose bm25s's 'en_plus' (NLTK) words longer than one letter",
            **results,
        },
    )


if __name__ == "__main__":
    main()
