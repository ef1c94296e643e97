"""What IVF-PQ re-scoring costs on the product's path: exact vectors read from SQLite by id.

    nice python -m bench.rescore_reads [--sizes 100000 1000000] [--reads 40 400 1200]

An IVF-PQ search re-scores its candidates with their exact vectors, which
``Index.exact_vectors`` reads from the index's SQLite store for those ids only
(bench.scale times the search with the vectors in a memory-mapped file). This
fills a real index store with synthetic passages (Pentagon Papers text cut to the
product's passage length, seeded random unit vectors, documents of 500 passages,
written with ``Store.put_document`` as ingest writes them), then, in a fresh
process, times ``Index.exact_vectors`` for random id sets of each size: 40 is one
search's k = 10 × 4, 400–1,200 what the retriever asks for when it ranks 100–300
candidates. The operating system's file cache is warm (the store was just
written), as on a server that has been answering; a cold disk adds its seek time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.child import part_files, run_child
from bench.common import percentiles_ms, write_result

MODULE = "bench.rescore_reads"
DIMENSION = 384
PASSAGES_PER_DOCUMENT = 500
PASSAGE_CHARACTERS = 900  # about the product's 160 tokens of OCR text
REPEATS = 200


def fill(directory: Path, size: int) -> dict[str, Any]:
    """An index directory whose store holds ``size`` synthetic passages."""
    from corpus.chunking import ChunkSettings
    from corpus.model import Document, Passage
    from embeddings.index import Index

    text = part_files(["IV-C-5"])[0].read_text(encoding="utf-8")
    rng = np.random.default_rng(0)
    index = Index.open_or_create(
        directory, model="synthetic", chunking=ChunkSettings(), dimension=lambda: DIMENSION
    )
    started = time.perf_counter()
    with index.store.transaction():
        for number, first in enumerate(range(0, size, PASSAGES_PER_DOCUMENT)):
            count = min(PASSAGES_PER_DOCUMENT, size - first)
            starts = [
                (first + i) * PASSAGE_CHARACTERS % (len(text) - PASSAGE_CHARACTERS)
                for i in range(count)
            ]
            pieces = [text[s : s + PASSAGE_CHARACTERS] for s in starts]
            body = "".join(pieces)
            doc_id = f"synthetic/{number}"
            passages = [
                Passage(doc_id, i, piece, i * PASSAGE_CHARACTERS, (i + 1) * PASSAGE_CHARACTERS)
                for i, piece in enumerate(pieces)
            ]
            vectors = rng.standard_normal((count, DIMENSION), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            document = Document(doc_id, f"Synthetic document {number}", body, "synthetic")
            index.store.put_document(document, passages, vectors)
    seconds = time.perf_counter() - started
    index.close()
    database = directory / "store.sqlite"
    return {
        "fill_seconds": round(seconds, 1),
        "store_mb": round(database.stat().st_size / 2**20, 1),
    }


def read(directory: Path, size: int, counts: list[int]) -> dict[str, Any]:
    """Time ``Index.exact_vectors`` for random id sets of each count."""
    from embeddings.filters import Filters
    from embeddings.index import Index

    index = Index.open(directory)
    ids = index.matching_passage_ids(Filters())
    if len(ids) != size:
        raise RuntimeError(f"{directory}: {len(ids)} passages, expected {size}")
    rng = np.random.default_rng(1)
    results = {}
    for count in counts:
        timings = []
        for _ in range(REPEATS):
            wanted = rng.choice(ids, size=count, replace=False)
            started = time.perf_counter()
            vectors = index.exact_vectors(wanted)
            timings.append(time.perf_counter() - started)
            if vectors.shape != (count, DIMENSION):
                raise RuntimeError(f"read {vectors.shape} for {count} ids")
        results[str(count)] = percentiles_ms(timings)
    return {"ms": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--reads", nargs="+", type=int, default=[40, 400, 1200])
    parser.add_argument("--workdir", type=Path, default=None, help="where the stores are written")
    parser.add_argument("--step", choices=["fill", "read"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "fill":
        print(json.dumps(fill(args.dir, args.sizes[0])))
        return
    if args.step == "read":
        print(json.dumps(read(args.dir, args.sizes[0], args.reads)))
        return
    results = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            step = ["--dir", tmp, "--sizes", str(size)]
            filled = run_child(MODULE, "--step", "fill", *step, nice=True)
            reads = [str(count) for count in args.reads]
            timed = run_child(MODULE, "--step", "read", *step, "--reads", *reads)
            result = {"passages": size, **filled, **timed}
            print(json.dumps(result), file=sys.stderr)
            results.append(result)
    write_result(
        "rescore_reads",
        {
            "passage_characters": PASSAGE_CHARACTERS,
            "repeats": REPEATS,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
