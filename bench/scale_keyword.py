"""The BM25 keyword index at archive scale, on synthetic text.

    nice python -m bench.scale_keyword [--sizes 100000 1000000] [--queries 200]

Passages are ~120 words drawn, seeded, from the vocabulary of the Pentagon Papers
with Zipf frequencies (the real text's own rank order, so "the" and "of" are as
common as in the archive and rare names are rare). Queries are 3-8 words from the
same distribution, like a user's question with its function words.

The index is built in one child process from batches of 4,096 passages, as
``Index`` builds it from SQLite: "peak MB" is that process's peak resident set
during the build minus before (the text generator's own memory is small and
its time is left out). It is loaded and searched in another: "RAM" is the
resident set after loading, and again after the queries (the index is
memory-mapped, so the pages a query reads come in then). Queries run one at a
time through ``KeywordIndex.search`` with the retriever's depth (100).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.child import run_child
from bench.common import PENTAGON_PAPERS, percentiles_ms, write_result

VOCABULARY = 50_000
WORDS = (80, 160)  # words per passage, uniform: ~120 on average
ZIPF_EXPONENT = 1.0
BATCH = 4096  # Store.iter_texts' batch
DEPTH = 100  # assistant.retrieval.retriever.CANDIDATES
SEED = 20260101
MODULE = "bench.scale_keyword"


def vocabulary() -> tuple[list[str], np.ndarray]:
    """The Pentagon Papers' commonest words, most frequent first, with Zipf probabilities."""
    counts: Counter[str] = Counter()
    for path in sorted(PENTAGON_PAPERS.glob("*.txt")):
        counts.update(re.findall(r"[a-z]+", path.read_text(errors="replace").lower()))
    words = [word for word, _ in counts.most_common(VOCABULARY)]
    weights = 1.0 / np.arange(1, len(words) + 1) ** ZIPF_EXPONENT
    return words, weights / weights.sum()


def passages(
    size: int, words: list[str], probabilities: np.ndarray
) -> Iterator[tuple[np.ndarray, list[str]]]:
    """``(ids, texts)`` batches of the synthetic archive, the same for every call."""
    lexicon = np.array(words, dtype=object)
    rng = np.random.default_rng(SEED)
    for start in range(0, size, BATCH):
        count = min(BATCH, size - start)
        lengths = rng.integers(WORDS[0], WORDS[1] + 1, count)
        drawn = lexicon[rng.choice(len(words), int(lengths.sum()), p=probabilities)]
        ends = np.cumsum(lengths)
        texts = [" ".join(drawn[end - n : end]) for end, n in zip(ends, lengths, strict=True)]
        yield np.arange(start, start + count, dtype=np.int64), texts


def queries(count: int) -> list[str]:
    words, probabilities = vocabulary()
    rng = np.random.default_rng(SEED + 1)
    picks = [rng.choice(len(words), rng.integers(3, 9), p=probabilities) for _ in range(count)]
    return [" ".join(words[i] for i in pick) for pick in picks]


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    """Start the peak resident set (VmHWM) again from the current one (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5")


def build(directory: Path, size: int) -> dict[str, Any]:
    import bm25s  # noqa: F401  (imported before the baseline: its memory is not the build's)
    import scipy.sparse  # noqa: F401

    from embeddings.keyword import KeywordIndex

    words, probabilities = vocabulary()
    generating = [0.0]

    def timed() -> Iterator[tuple[np.ndarray, list[str]]]:
        """The batches, with the time spent making them kept out of the build's."""
        batches = passages(size, words, probabilities)
        while True:
            begun = time.perf_counter()
            batch = next(batches, None)
            generating[0] += time.perf_counter() - begun
            if batch is None:
                return
            yield batch

    KeywordIndex.build(passages(10, words, probabilities))  # the stemmer, once
    _reset_peak()
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    index = KeywordIndex.build(timed())
    seconds = time.perf_counter() - started - generating[0]
    peak = _status_mb("VmHWM") - before
    index.save(directory)
    disk = sum(path.stat().st_size for path in directory.iterdir())
    return {
        "build_seconds": round(seconds, 1),
        "generate_seconds": round(generating[0], 1),
        "build_peak_mb": round(peak),
        "disk_mb": round(disk / 2**20, 1),
    }


def search(directory: Path, count: int) -> dict[str, Any]:
    from embeddings.keyword import KeywordIndex

    texts = queries(count)
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    index = KeywordIndex.load(directory)
    load_seconds = time.perf_counter() - started
    loaded = _status_mb("VmRSS") - before
    index.search(texts[0], DEPTH)  # the tokenizer's first call imports and compiles
    timings, hits = [], []
    for text in texts:
        begun = time.perf_counter()
        ids = index.search(text, DEPTH).ids
        timings.append(time.perf_counter() - begun)
        hits.append(len(ids))
    return {
        "load_seconds": round(load_seconds, 2),
        "rss_after_load_mb": round(loaded, 1),
        "rss_after_queries_mb": round(_status_mb("VmRSS") - before, 1),
        "ms": percentiles_ms(timings),
        "mean_hits": round(float(np.mean(hits)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--label", default="", help="name this run in the results (before/after)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the indexes here")
    parser.add_argument("--step", choices=["build", "search"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "build":
        print(json.dumps(build(args.dir, args.sizes[0])))
        return
    if args.step == "search":
        print(json.dumps(search(args.dir, args.queries)))
        return
    results = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for size in args.sizes:
            directory = Path(tmp) / str(size)
            step = ["--step", "build", "--dir", str(directory), "--sizes", str(size)]
            built = run_child(MODULE, *step, nice=True)
            step = ["--step", "search", "--dir", str(directory), "--queries", str(args.queries)]
            searched = run_child(MODULE, *step)
            result = {"passages": size, **built, **searched}
            print(json.dumps(result), file=sys.stderr)
            results.append(result)
    name = f"scale_keyword_{args.label}" if args.label else "scale_keyword"
    write_result(
        name,
        {
            "data": (
                f"{WORDS[0]}-{WORDS[1]} words per passage drawn from the {VOCABULARY} commonest "
                f"Pentagon Papers words, Zipf exponent {ZIPF_EXPONENT}, seeded"
            ),
            "queries": f"{args.queries} of 3-8 words from the same distribution, depth {DEPTH}",
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
