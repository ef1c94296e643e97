"""SciFact (BEIR test split) with every retriever, timed; appends the run to the results file.

    python -m bench.scifact [--cold] [BEIR_FOLDER]
    python -m bench.scifact --backends torch onnx-int8 [--distractors 1000] [BEIR_FOLDER]

``--cold`` builds the index in a fresh temporary cache (a first run); otherwise the
usual cache is used, so a second run shows what reuse costs. Each run is added to
bench/results/scifact.json next to the published scores it should reach.

``--backends`` scores dense and hybrid retrieval with each embedding backend on the
same corpus, into bench/results/scifact_backends.json: what int8 costs in quality.
With ``--distractors N`` the corpus is every document some test query is about plus
N others drawn at random (seed 0), to keep the encoding affordable.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from assistant.evaluation import evaluate
from assistant.evaluation.runner import default_cache_dir
from bench.batch_size import VARIANTS
from bench.common import RESULTS, write_result

SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "beir" / "scifact"
PUBLISHED = {
    "bm25": {"ndcg@10": 0.6789, "recall@100": 0.9253, "source": "Anserini flat BM25"},
    "dense": {"ndcg@10": 0.6451, "source": "all-MiniLM-L6-v2, MTEB"},
}
TARGETS = {"bm25": 0.675, "dense": 0.645, "hybrid": 0.72, "hybrid recall@100": 0.95}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=SCIFACT)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--backends", nargs="+", choices=list(VARIANTS))
    parser.add_argument("--distractors", type=int)
    args = parser.parse_args()
    if args.backends:
        compare_backends(args.folder, args.backends, distractors=args.distractors)
    else:
        score_retrievers(args.folder, cold=args.cold)


def score_retrievers(folder: Path, *, cold: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch) if cold else default_cache_dir()
        started = time.perf_counter()
        evaluation = evaluate(folder, retrievers=("bm25", "dense", "hybrid"), cache_dir=cache)
        total = time.perf_counter() - started
    ingest = evaluation.ingest
    seconds: dict[str, float] = {
        "total": round(total, 1),
        "index": round(evaluation.index_seconds, 1),
        **{r.retriever: round(r.seconds, 1) for r in evaluation.results},
    }
    run = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cache": "cold" if cold else "warm",
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "seconds": seconds,
        "passages_embedded": ingest.embedded if ingest else None,
        "documents": len(ingest.added + ingest.updated + ingest.unchanged) if ingest else None,
        "metrics": {
            r.retriever: {name: round(value, 4) for name, value in r.metrics.items()}
            for r in evaluation.results
        },
    }
    path = RESULTS / "scifact.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    result = {
        "benchmark": "scifact",
        "dataset": f"{folder} (test split, {len(evaluation.dataset.questions)} queries)",
        "published": PUBLISHED,
        "targets_ndcg@10": TARGETS,
        "runs": [*previous.get("runs", []), run],
    }
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(run, indent=2))


def compare_backends(folder: Path, variants: list[str], *, distractors: int | None) -> None:
    from assistant.evaluation.datasets import load_dataset
    from assistant.evaluation.runner import QueryVectors, beir_index, query_for, run
    from embeddings.encoder import Encoder

    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        if distractors is not None:
            folder = _subset(folder, Path(scratch) / "subset", distractors)
        dataset = load_dataset(folder)
        documents = sum(1 for _ in dataset.documents())
        queries = [query_for(q.question, dataset.history(q)) for q in dataset.questions]
        for variant in variants:
            backend, quantize = VARIANTS[variant]
            encoder = Encoder(backend=backend, quantize=quantize)
            encoder.encode(["warm-up"])
            started = time.perf_counter()
            # One cache folder per variant: an index holds the vectors of one backend only.
            assistant, report = beir_index(dataset, encoder, cache_dir=Path(scratch) / variant)
            seconds = time.perf_counter() - started
            asking = assistant.with_encoder(QueryVectors(encoder, queries))
            scores = {name: run(dataset, asking, name).metrics for name in ("dense", "hybrid")}
            assistant.close()
            results[variant] = {
                "index_seconds": round(seconds, 1),
                "passages": report.passages,
                "passages_per_second": round(report.passages / seconds, 2),
                **{
                    retriever: {name: round(value, 4) for name, value in metrics.items()}
                    for retriever, metrics in scores.items()
                },
            }
    write_result(
        "scifact_backends",
        {
            "dataset": f"{dataset.name} test split, {len(dataset.questions)} queries",
            "corpus": (
                "full"
                if distractors is None
                else f"every test-relevant document + {distractors} random others (seed 0)"
            ),
            "documents": documents,
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "variants": results,
        },
    )


def _subset(folder: Path, target: Path, distractors: int) -> Path:
    """A BEIR folder with the test queries, their documents and ``distractors`` others."""
    relevant = {
        line.split("\t")[1]
        for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]
        if line.strip()
    }
    lines = (folder / "corpus.jsonl").read_text().splitlines()
    others = [line for line in lines if json.loads(line)["_id"] not in relevant]
    chosen = set(random.Random(0).sample(others, min(distractors, len(others))))
    (target / "qrels").mkdir(parents=True)
    kept = [line for line in lines if line in chosen or json.loads(line)["_id"] in relevant]
    (target / "corpus.jsonl").write_text("\n".join(kept) + "\n")
    (target / "queries.jsonl").write_text((folder / "queries.jsonl").read_text())
    (target / "qrels" / "test.tsv").write_text((folder / "qrels" / "test.tsv").read_text())
    return target


if __name__ == "__main__":
    main()
