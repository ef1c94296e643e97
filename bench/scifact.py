"""SciFact (BEIR test split) with every retriever, timed; appends the run to the results file.

    python -m bench.scifact [--cold] [BEIR_FOLDER]

``--cold`` builds the index in a fresh temporary cache (a first run); otherwise the
usual cache is used, so a second run shows what reuse costs. Each run is added to
bench/results/scifact.json next to the published scores it should reach.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from assistant.evaluation import evaluate
from assistant.evaluation.runner import default_cache_dir
from bench.common import RESULTS

SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "beir" / "scifact"
PUBLISHED = {
    "bm25": {"ndcg@10": 0.6789, "recall@100": 0.9253, "source": "Anserini flat BM25"},
    "dense": {"ndcg@10": 0.6451, "source": "all-MiniLM-L6-v2, MTEB"},
}
TARGETS = {"bm25": 0.675, "dense": 0.645, "hybrid": 0.72, "hybrid recall@100": 0.95}


def main() -> None:
    arguments = [a for a in sys.argv[1:] if a != "--cold"]
    cold = "--cold" in sys.argv
    folder = Path(arguments[0]) if arguments else SCIFACT
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch) if cold else default_cache_dir()
        started = time.perf_counter()
        evaluation = evaluate(folder, retrievers=("bm25", "dense", "hybrid"), cache_dir=cache)
        total = time.perf_counter() - started
    ingest = evaluation.ingest
    run = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cache": "cold" if cold else "warm",
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "seconds": {
            "total": round(total, 1),
            "index": round(evaluation.index_seconds, 1),
            **{r.retriever: round(r.seconds, 1) for r in evaluation.results},
        },
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


if __name__ == "__main__":
    main()
