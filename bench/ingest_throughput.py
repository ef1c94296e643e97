"""Ingestion throughput per embedding backend, against the bare model and LangChain.

    python -m bench.ingest_throughput [--parts IV-C-5] [--runs 3] [--variants auto torch onnx-int8]

``auto`` is the variant ``cables ingest`` chooses for a new index on this processor
(``--quantize auto``, the default); the result file records which one it was.

For each variant (``torch``, ``torch-bf16``, ``onnx``, ``onnx-int8``) a run ingests the
files into a fresh index in a child process (read, chunk, embed, SQLite, FAISS,
BM25), then encodes exactly the passages it produced with the bare model of the
same backend, in the same process ("warm": every input shape has been seen once).
Another child loads the bare model, cuts the same passages and encodes them
once ("cold", as the pipeline meets them; the model's kernels are prepared per
input shape the first time, which costs bfloat16 on AMX most). Each run also
ingests the same files with the LangChain + FAISS pipeline of
bench.langchain_baseline (torch, its default): once before the first run and after
each run, so each run is compared with the LangChain runs on either side of it
(their mean rate), under the same load. Ratios are taken within each run, then
their median over runs is reported, by wall clock and by CPU time (the process's
threads; on a shared machine the wall clock also counts waiting for a core). Model load
(and the first ONNX export) is excluded, and so are importing the index libraries
and loading the token counter (``setup_seconds``, reported), as LangChain's run
imports its libraries before its timing starts.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench.batch_size import VARIANTS, passages
from bench.batch_size import run_once as run_bare
from bench.child import DEFAULT_PARTS, part_files, run_child
from bench.common import Timer, median, write_result


def run_once(files: list[Path], variant: str) -> dict[str, float]:
    from assistant.service import Assistant
    from assistant.settings import Settings
    from embeddings.encoder import Encoder

    backend, quantize = VARIANTS[variant]
    encoder = Encoder(backend=backend, quantize=quantize)
    encoder.encode(["warm-up"])  # loads the model, outside the timing
    setup_seconds = _set_up()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp), backend=backend, quantize=quantize)
        with Timer() as timer:
            assistant, report = Assistant.build(settings, files, progress=False, encoder=encoder)
        assistant.close()
        # What the pipeline embedded: each passage with its document's title, cut again.
        texts = passages(files, encoder)
        if len(texts) != report.passages:
            raise RuntimeError(f"{variant}: {len(texts)} passages cut again, not {report.passages}")
        bare_started = time.perf_counter()
        encoder.encode(texts)
        bare_seconds = time.perf_counter() - bare_started
    return {
        "documents": len(report.added),
        "passages": report.passages,
        "seconds": timer.seconds,
        "cpu_seconds": timer.cpu_seconds,
        "bare_encode_seconds": bare_seconds,
        "setup_seconds": setup_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _set_up() -> float:
    """Import the index libraries and load the token counter, as LangChain's run imports its
    own before its timing starts; how long that took (paid once per process)."""
    started = time.perf_counter()
    import bm25s  # noqa: F401  (imports numba, which ranx brings, for its search backend)
    import faiss  # noqa: F401

    from corpus.chunking import tiktoken_counter

    tiktoken_counter()(["warm-up"])
    return time.perf_counter() - started


def summary(runs: list[dict[str, Any]], langchain_runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of rates, and medians of the ratios taken run by run (load changes between runs).

    Run ``i`` is compared with the LangChain runs just before and after it
    (``langchain_runs[i]`` and ``[i + 1]``), by wall clock and by CPU time.
    """
    passages = runs[0]["passages"]
    seconds = median([r["seconds"] for r in runs])
    bare = median([r["bare_encode_seconds"] for r in runs])
    cold = median([r["cold_bare_encode_seconds"] for r in runs])
    return {
        "passages": passages,
        "median_seconds": seconds,
        "passages_per_second": round(passages / seconds, 2),
        "bare_model_passages_per_second": round(passages / bare, 2),
        "cold_bare_model_passages_per_second": round(passages / cold, 2),
        "pipeline_vs_bare_model": median([r["bare_encode_seconds"] / r["seconds"] for r in runs]),
        "pipeline_vs_cold_bare_model": median(
            [r["cold_bare_encode_seconds"] / r["seconds"] for r in runs]
        ),
        "pipeline_vs_langchain": _vs_langchain(runs, langchain_runs, "seconds"),
        "pipeline_vs_langchain_cpu": _vs_langchain(runs, langchain_runs, "cpu_seconds"),
        "files_per_second_vs_langchain": _vs_langchain(
            runs, langchain_runs, "seconds", per_passage=False
        ),
        "files_per_second_vs_langchain_cpu": _vs_langchain(
            runs, langchain_runs, "cpu_seconds", per_passage=False
        ),
        "pipeline_vs_cold_bare_model_cpu": median(
            [r["cold_bare_encode_cpu_seconds"] / r["cpu_seconds"] for r in runs]
        ),
        "peak_rss_mb": median([r["peak_rss_mb"] for r in runs]),
        "setup_seconds": median([r["setup_seconds"] for r in runs]),
        "runs": runs,
    }


def _vs_langchain(
    runs: list[dict[str, Any]],
    langchain_runs: list[dict[str, Any]],
    seconds: str,
    *,
    per_passage: bool = True,
) -> float:
    """The median over runs of each run's rate by ``seconds`` (wall or CPU) divided by
    LangChain's around it: the mean of the LangChain runs before and after it.

    The rate is passages per second, or with ``per_passage=False`` the files per second:
    LangChain cuts the same files into more, shorter passages (800 characters) than the
    pipeline does, so per passage it is credited for work the pipeline does in fewer.
    """

    def rate(run: dict[str, Any]) -> float:
        return (run["passages"] if per_passage else 1) / run[seconds]

    around = [(rate(before) + rate(after)) / 2 for before, after in pairwise(langchain_runs)]
    return median([rate(run) / mean for run, mean in zip(runs, around, strict=True)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", nargs="+", default=DEFAULT_PARTS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--variants", nargs="+", choices=["auto", *VARIANTS], default=list(VARIANTS)
    )
    parser.add_argument("--label", help="results/ingest_throughput_LABEL.json")
    parser.add_argument("--once", metavar="VARIANT", help=argparse.SUPPRESS)
    parser.add_argument("--bare", metavar="VARIANT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        print(json.dumps(run_once(part_files(args.parts), args.once)))
        return
    if args.bare:
        print(json.dumps(run_bare(args.parts, args.bare, None, cold=True)))
        return
    from bench.langchain_baseline import run_in_child
    from embeddings.encoder import embedding_label
    from embeddings.index import choose_embedding

    auto = embedding_label(*choose_embedding(None, None, None))
    variants = list(dict.fromkeys(auto if v == "auto" else v for v in args.variants))
    runs: dict[str, list[dict[str, Any]]] = {variant: [] for variant in variants}
    langchain_runs = [run_in_child(args.parts)]
    for _ in range(args.runs):
        for variant in variants:
            run = run_child("bench.ingest_throughput", "--once", variant, "--parts", *args.parts)
            bare = run_child("bench.ingest_throughput", "--bare", variant, "--parts", *args.parts)
            if bare["passages"] != run["passages"]:
                raise RuntimeError(f"{variant}: bare model cut {bare['passages']} passages")
            runs[variant].append(
                {
                    **run,
                    "cold_bare_encode_seconds": bare["seconds"],
                    "cold_bare_encode_cpu_seconds": bare["cpu_seconds"],
                }
            )
        langchain_runs.append(run_in_child(args.parts))
    langchain_seconds = median([r["seconds"] for r in langchain_runs])
    langchain_rate = langchain_runs[0]["passages"] / langchain_seconds
    write_result(
        f"ingest_throughput_{args.label}" if args.label else "ingest_throughput",
        {
            "parts": args.parts,
            "documents": next(iter(runs.values()))[0]["documents"],
            "auto": auto,  # what --quantize auto chose here
            "variants": {variant: summary(r, langchain_runs) for variant, r in runs.items()},
            "langchain_passages": langchain_runs[0]["passages"],
            "langchain_passages_per_second": round(langchain_rate, 2),
            "langchain_runs": langchain_runs,
        },
    )


if __name__ == "__main__":
    main()
