"""The bare model's encode rate by batch size, per embedding backend.

    python -m bench.batch_size [--runs 3] [--sizes 1 2 4 8 16 32 64] [--variants torch onnx-int8]

Encodes the passages the product cuts from Pentagon Papers IV.C.5 (title +
passage, as ingest embeds them) with ``Encoder(batch_size=...)``, one child process
per measurement (model load and a warm-up excluded). Sizes and variants take turns
within each run; every rate is also divided by the same run's rate at batch 64 (the
old default), and the medians over runs are reported in
results/batch_size.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.child import DEFAULT_PARTS, part_files, run_child
from bench.common import Timer, median, write_result

if TYPE_CHECKING:
    from embeddings.encoder import Backend, Encoder, Quantize

BASELINE = 64
# The embedding backends the benchmarks compare: name -> (backend, quantisation).
VARIANTS: dict[str, tuple[Backend, Quantize | None]] = {
    "torch": ("torch", None),
    "torch-bf16": ("torch", "bf16"),
    "onnx": ("onnx", None),
    "onnx-int8": ("onnx", "int8"),
}


def passages(files: list[Path], encoder: Encoder) -> list[str]:
    """Each passage of the files as ingest embeds it: with its document's title."""
    from corpus.chunking import ChunkSettings, retrieval_text, tiktoken_counter
    from corpus.readers import read_path
    from embeddings.ingest import passages_for

    settings = ChunkSettings()
    count = tiktoken_counter(settings.encoding)
    return [
        retrieval_text(document.title, passage.text)
        for path in files
        for document in read_path(path)
        for passage in passages_for(document, settings, count, encoder)
    ]


def run_once(
    parts: list[str], variant: str, batch_size: int | None, *, cold: bool = False
) -> dict[str, float]:
    """One encode of every passage of ``parts`` by the bare model of ``variant``.

    Before the timing the model loads and encodes one batch of the passages; ``cold``
    encodes one short text instead, so that the timed encode meets the passages'
    shapes for the first time, as an ingest does.
    """
    from embeddings.encoder import Encoder

    backend, quantize = VARIANTS[variant]
    encoder = Encoder(backend=backend, quantize=quantize, batch_size=batch_size)
    texts = passages(part_files(parts), encoder)
    encoder.encode(["warm-up"] if cold else texts[: encoder.batch_size])
    with Timer() as timer:
        encoder.encode(texts)
    return {"passages": len(texts), "seconds": timer.seconds, "cpu_seconds": timer.cpu_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", nargs="+", default=DEFAULT_PARTS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 2, 4, 8, 16, 32, 64])
    parser.add_argument(
        "--variants", nargs="+", choices=list(VARIANTS), default=["torch", "onnx-int8"]
    )
    parser.add_argument("--once", nargs=2, metavar=("VARIANT", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        variant, batch = args.once
        print(json.dumps(run_once(args.parts, variant, int(batch))))
        return
    sizes = sorted({*args.sizes, BASELINE})
    rates: dict[str, dict[int, list[float]]] = {v: {s: [] for s in sizes} for v in args.variants}
    for _ in range(args.runs):
        for variant in args.variants:
            for size in sizes:
                once = ["--once", variant, str(size), "--parts", *args.parts]
                measured = run_child("bench.batch_size", *once)
                rates[variant][size].append(measured["passages"] / measured["seconds"])
    write_result("batch_size", {"parts": args.parts, "variants": _summary(rates)})


def _summary(rates: dict[str, dict[int, list[float]]]) -> dict[str, Any]:
    return {
        variant: {
            str(size): {
                "passages_per_second": median(runs),
                "vs_batch_64": median(
                    [rate / base for rate, base in zip(runs, by_size[BASELINE], strict=True)]
                ),
                "runs": [round(rate, 2) for rate in runs],
            }
            for size, runs in by_size.items()
        }
        for variant, by_size in rates.items()
    }


if __name__ == "__main__":
    main()
