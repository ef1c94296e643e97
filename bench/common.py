"""Helpers shared by the benchmark scripts: timing statistics and result files."""

from __future__ import annotations

import json
import platform
import resource
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
PENTAGON_PAPERS = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pentagon-papers"
)


def percentiles(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples)
    return {
        "p50": round(float(np.percentile(values, 50)), 4),
        "p95": round(float(np.percentile(values, 95)), 4),
        "n": len(samples),
    }


class Timer:
    """Wall-clock and CPU seconds (this process's threads, user + system) of a block.

    On a machine shared with other jobs the wall clock also counts the time the
    process waited for a core; CPU time does not, so the two together tell a slower
    pipeline from a busier machine.
    """

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), _cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._wall
        self.cpu_seconds = _cpu_seconds() - self._cpu


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """:func:`percentiles` of timings in seconds, given in milliseconds."""
    return {k: round(v * 1000, 2) if k != "n" else v for k, v in percentiles(seconds).items()}


def median(samples: list[float]) -> float:
    return round(statistics.median(samples), 4)


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    result = {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": _cpus(), "python": platform.python_version(), **_processor()},
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return path


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _processor() -> dict[str, Any]:
    """The CPU's name and the vector extensions that decide int8 and bf16 speed."""
    from embeddings.cpu import processor

    cpu = processor()
    wanted = ["avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "avx512_bf16", "amx_bf16"]
    return {
        "processor": cpu.name,
        "cpu_flags": [flag for flag in wanted if cpu.flags and flag in cpu.flags],
    }
