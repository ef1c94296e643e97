"""Vector indexes at archive scale, on synthetic data (BM25: ``bench.scale_keyword``).

    nice python -m bench.scale [--sizes 100000 1000000] [--queries 200]

Vectors are a seeded mixture of Gaussians in 384 dimensions (the model's), made
unit length: real embeddings cluster by topic, and uniformly random unit vectors
are a pathological case for inverted files. Queries come from the same mixture.
Recall@10 is measured against exact search on the same vectors.

Each index is built in one child process and searched in another, so the memory
reported is what loading that index costs (resident set before and after
loading), not the data generator's. Queries run one at a time, as a user's do,
through ``VectorIndex.search``, the product's own code path.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.child import run_child
from bench.common import percentiles_ms, write_result

MODULE = "bench.scale"

DIMENSION = 384
PASSAGES_PER_TOPIC = 500  # a bigger archive covers more topics
SPREAD = 0.5  # spread along the leading shared direction, relative to a unit centre
DIRECTIONS = 48
NOISE = 0.1  # isotropic noise in all dimensions
BATCH = 50_000
NPROBES = [8, 16, 32, 64]
RESCORE = [0, 2, 4, 10]  # IVF-PQ candidates per result re-scored exactly; 0: none
EF_SEARCH = [32, 64, 128]
KINDS = ["flat", "ivf", "ivfpq", "hnsw"]
HNSW_UP_TO = 200_000  # HNSW builds take too long on 2 cores beyond this


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _mixture(
    rng: np.random.Generator, centers: np.ndarray, basis: np.ndarray, n: int
) -> np.ndarray:
    """Points around random centres, spread mostly along a few shared directions.

    Sentence embeddings vary along far fewer directions than they have
    dimensions; isotropic noise in all 384 would make every neighbour equally far.
    """
    points = centers[rng.integers(0, len(centers), n)]
    scales = SPREAD / np.sqrt(np.arange(1, len(basis) + 1))
    points += (rng.normal(size=(n, len(basis))) * scales).astype(np.float32) @ basis
    points += rng.normal(scale=NOISE / np.sqrt(DIMENSION), size=points.shape).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points


def make_data(directory: Path, size: int, queries: int) -> None:
    """base.npy, queries.npy and the exact top-10 ids gt.npy, written batch by batch."""
    import faiss

    rng = np.random.default_rng(20260101)
    centers = rng.normal(size=(max(size // PASSAGES_PER_TOPIC, 1), DIMENSION)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    basis = np.linalg.qr(rng.normal(size=(DIMENSION, DIRECTIONS)))[0].T.astype(np.float32)
    base = np.lib.format.open_memmap(
        directory / "base.npy", mode="w+", dtype=np.float32, shape=(size, DIMENSION)
    )
    for start in range(0, size, BATCH):
        base[start : start + BATCH] = _mixture(rng, centers, basis, min(BATCH, size - start))
    base.flush()
    query_vectors = _mixture(rng, centers, basis, queries)
    exact = faiss.IndexFlatIP(DIMENSION)
    exact.add(np.asarray(base))
    _, truth = exact.search(query_vectors, 10)
    np.save(directory / "queries.npy", query_vectors)
    np.save(directory / "gt.npy", truth)


def _batches(base: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, len(base), BATCH):
        chunk = np.asarray(base[start : start + BATCH])
        yield np.arange(start, start + len(chunk), dtype=np.int64), chunk


def build(directory: Path, kind: str) -> dict[str, Any]:
    """Build one index from base.npy and save it; returns build time and file size."""
    import faiss

    from embeddings.vectors import VectorIndex

    base = np.load(directory / "base.npy", mmap_mode="r")
    started = time.perf_counter()
    if kind == "hnsw":
        index = faiss.index_factory(DIMENSION, "IDMap,HNSW32,Flat", faiss.METRIC_INNER_PRODUCT)
        for ids, vectors in _batches(base):
            index.add_with_ids(vectors, ids)
        seconds = time.perf_counter() - started
        faiss.write_index(index, str(directory / f"{kind}.faiss"))
    else:
        vector_index = VectorIndex.build(
            DIMENSION,
            lambda: _batches(base),
            len(base),
            kind=kind,  # type: ignore[arg-type]
        )
        seconds = time.perf_counter() - started
        vector_index.save(directory / f"{kind}.faiss")
    path = directory / f"{kind}.faiss"
    return {"build_seconds": round(seconds, 2), "file_mb": round(path.stat().st_size / 2**20, 1)}


def search(directory: Path, kind: str) -> dict[str, Any]:
    """Load one index and time single queries at each search setting."""
    import faiss

    from embeddings.vectors import RESCORE_FACTOR, VectorIndex

    queries = np.load(directory / "queries.npy")
    truth = np.load(directory / "gt.npy")
    before = rss_mb()
    started = time.perf_counter()
    index = VectorIndex.load(directory / f"{kind}.faiss")
    load_seconds = time.perf_counter() - started
    memory = rss_mb() - before
    # The exact vectors an IVF-PQ search re-scores with: the product reads them from SQLite.
    base = np.load(directory / "base.npy", mmap_mode="r")
    settings: list[tuple[str, int, int]] = [("exact", 0, 0)]
    if kind in ("ivf", "ivfpq"):
        factors = RESCORE if kind == "ivfpq" else [0]
        probes = sorted({*NPROBES, index.default_nprobe})
        settings = [("nprobe", n, factor) for n in probes for factor in factors]
    elif kind == "hnsw":
        settings = [("efSearch", ef, 0) for ef in EF_SEARCH]
    runs = []
    for name, value, factor in settings:
        if name == "nprobe":
            index.nprobe = value
        elif name == "efSearch":
            faiss.ParameterSpace().set_index_parameter(index._index, "efSearch", value)
        index.rescore = factor
        exact = (lambda ids: np.asarray(base[ids])) if factor else None
        timings, found = [], []
        for query in queries:
            begun = time.perf_counter()
            ids = index.search(query, 10, exact=exact).ids
            timings.append(time.perf_counter() - begun)
            found.append(ids)
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
        runs.append(
            {
                name: value,
                "rescore": factor,
                "default": name == "nprobe"
                and value == index.default_nprobe
                and factor == (RESCORE_FACTOR if kind == "ivfpq" else 0),
                "recall_at_10": round(float(recall), 4),
                "ms": percentiles_ms(timings),
            }
        )
    return {
        "index_rss_mb": round(memory, 1),
        "load_seconds": round(load_seconds, 2),
        "nlist": index.nlist,
        "searches": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--kinds", nargs="+", default=KINDS, choices=KINDS)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--label", help="results/scale_vectors_LABEL.json")
    parser.add_argument("--workdir", type=Path, default=None, help="keep data and indexes here")
    parser.add_argument("--step", choices=["data", "build", "search"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "data":
        make_data(args.dir, args.sizes[0], args.queries)
        print(json.dumps({}))
        return
    if args.step:
        step = build if args.step == "build" else search
        print(json.dumps(step(args.dir, args.kind)))
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        results = []
        for size in args.sizes:
            directory = Path(tmp) / str(size)
            directory.mkdir()
            started = time.perf_counter()
            run_child(
                MODULE,
                "--step",
                "data",
                "--dir",
                str(directory),
                "--sizes",
                str(size),
                "--queries",
                str(args.queries),
                nice=True,
            )
            print(f"{size}: data in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            for kind in args.kinds:
                if kind == "hnsw" and size > HNSW_UP_TO:
                    continue
                building = ["--step", "build", "--dir", str(directory), "--kind", kind]
                built = run_child(MODULE, *building, nice=True)
                searched = run_child(
                    MODULE, "--step", "search", "--dir", str(directory), "--kind", kind
                )
                result = {"passages": size, "kind": kind, **built, **searched}
                print(json.dumps(result), file=sys.stderr)
                results.append(result)
                (directory / f"{kind}.faiss").unlink()
    write_result(
        f"scale_vectors_{args.label}" if args.label else "scale_vectors",
        {
            "data": (
                f"mixture of one Gaussian per {PASSAGES_PER_TOPIC} passages in {DIMENSION} "
                f"dims, spread along {DIRECTIONS} shared directions, unit length, seeded"
            ),
            "queries": args.queries,
            "k": 10,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
