"""Ingestion throughput on Pentagon Papers parts, against the bare model on the same passages.

    python -m bench.ingest_throughput [--parts 3] [--runs 3]

Each run ingests into a fresh index in a child process, so its peak memory is its own.
The bare-model baseline encodes exactly the passages the pipeline produced, in the
same process run, so the ratio shows the pipeline's overhead. Each run also ingests
the same files with the LangChain + FAISS pipeline of bench.langchain_baseline, run
by run in turn, so both ratios come from one invocation under the same load.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import PENTAGON_PAPERS, median, write_result

DEFAULT_PARTS = ["IV-C-5", "IV-C-6-a", "IV-C-3"]


def part_files(names: list[str]) -> list[Path]:
    return [next(PENTAGON_PAPERS.glob(f"Pentagon-Papers-Part-{n}*.txt")) for n in names]


def run_once(files: list[Path]) -> dict[str, float]:
    from assistant.service import Assistant
    from assistant.settings import Settings
    from corpus.chunking import retrieval_text

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        assistant, report = Assistant.build(Settings(index_dir=Path(tmp)), files, progress=False)
        seconds = time.perf_counter() - started
        store = assistant.index.store
        # What the pipeline embedded: each passage with its document's title.
        passages = [
            retrieval_text(document.title, p.passage.text)
            for doc_id in report.added
            if (document := store.document(doc_id))
            for p in store.document_passages(doc_id)
        ]
        encoder = assistant.encoder
        encoder.encode(passages[:64])  # warm-up, as the pipeline's model was warm after load
        bare_started = time.perf_counter()
        encoder.encode(passages)
        bare_seconds = time.perf_counter() - bare_started
    return {
        "documents": len(report.added),
        "passages": report.passages,
        "seconds": seconds,
        "bare_encode_seconds": bare_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", nargs="+", default=DEFAULT_PARTS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    files = part_files(args.parts)
    if args.once:
        print(json.dumps(run_once(files)))
        return
    from bench.langchain_baseline import run_in_child

    runs, langchain_runs = [], []
    for _ in range(args.runs):
        child = subprocess.run(
            [sys.executable, "-m", "bench.ingest_throughput", "--once", "--parts", *args.parts],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
        langchain_runs.append(run_in_child(args.parts))
    passages = runs[0]["passages"]
    seconds = median([r["seconds"] for r in runs])
    bare = median([r["bare_encode_seconds"] for r in runs])
    langchain_seconds = median([r["seconds"] for r in langchain_runs])
    langchain_rate = langchain_runs[0]["passages"] / langchain_seconds
    write_result(
        "ingest_throughput",
        {
            "parts": args.parts,
            "documents": runs[0]["documents"],
            "passages": passages,
            "runs": runs,
            "median_seconds": seconds,
            "documents_per_second": round(runs[0]["documents"] / seconds, 3),
            "passages_per_second": round(passages / seconds, 2),
            "bare_model_passages_per_second": round(passages / bare, 2),
            "pipeline_vs_bare_model": round(bare / seconds, 3),
            "peak_rss_mb": median([r["peak_rss_mb"] for r in runs]),
            "langchain_runs": langchain_runs,
            "langchain_passages_per_second": round(langchain_rate, 2),
            "pipeline_vs_langchain": round(passages / seconds / langchain_rate, 3),
        },
    )


if __name__ == "__main__":
    main()
