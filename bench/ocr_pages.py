"""OCR of scanned pages: one page at a time with Tesseract's own threads, or two at once.

    python -m bench.ocr_pages [--runs 3]   # -> results/ocr_pages.json

The pages are the legible pages of tests/fixtures/pdf/pentagon-scan.pdf (typed Pentagon
Papers text), rendered at the reader's DPI by its own code, each recognised ``--copies``
times. "sequential" runs ``tesseract`` on one page after another with its default threads
(OpenMP, up to 4); "parallel" runs ``corpus.readers.ocr``'s way: WORKERS pages at once,
one thread each. Medians of wall seconds over runs, both ways in each run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import write_result
from corpus.readers import ocr

SCAN = Path(__file__).parent.parent / "tests" / "fixtures" / "pdf" / "pentagon-scan.pdf"


def tesseract(image: bytes, *, one_thread: bool) -> None:
    env = dict(os.environ)
    env.pop("OMP_THREAD_LIMIT", None)
    if one_thread:
        env["OMP_THREAD_LIMIT"] = "1"
    command = ["tesseract", "stdin", "stdout", "-l", ocr.LANGUAGE, "--psm", "4"]
    command += ["--dpi", str(ocr.DPI), "tsv"]
    subprocess.run(command, input=image, capture_output=True, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--copies", type=int, default=2)
    args = parser.parse_args()
    data = SCAN.read_bytes()
    images = list(ocr._render(SCAN, data, [0, 1])) * args.copies
    timings: dict[str, list[float]] = {"sequential": [], "parallel": []}
    for _ in range(args.runs):
        started = time.perf_counter()
        for image in images:
            tesseract(image, one_thread=False)
        timings["sequential"].append(time.perf_counter() - started)
        started = time.perf_counter()
        with ThreadPoolExecutor(ocr.WORKERS) as pool:
            list(pool.map(lambda image: tesseract(image, one_thread=True), images))
        timings["parallel"].append(time.perf_counter() - started)
    medians = {way: round(statistics.median(seconds), 2) for way, seconds in timings.items()}
    write_result(
        "ocr_pages",
        {
            "pages": len(images),
            "dpi": ocr.DPI,
            "workers": ocr.WORKERS,
            "seconds": timings,
            "median_seconds": medians,
            "parallel_speedup": round(medians["sequential"] / medians["parallel"], 2),
            "load_average": os.getloadavg(),
        },
    )


if __name__ == "__main__":
    main()
