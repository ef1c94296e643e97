"""Latency of `search` (each retriever) and `ask` on the sample index: p50/p95 over queries.

    nice python -m bench.query_latency [--index DIR] [--repeat 5]

The index is built from the bundled sample archive if DIR holds none. The model
and the indexes are loaded before timing; every call runs in this process, one at
a time, as the CLI and the web app make them.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.common import percentiles, write_result

QUERIES = [
    "What did the embassy claim about Soviet press coverage of Vietnam?",
    "What did Taylor report about the new government?",
    "How many battalions did Westmoreland request?",
    "POL 27 VIET S",
    "Rolling Thunder",
    "Ball's memorandum on keeping the power of decision",
    "enclave strategy versus search and destroy",
    "Commonwealth Prime Ministers peace mission",
]


def main() -> None:
    from assistant.retrieval.retriever import RETRIEVERS
    from assistant.settings import Settings
    from assistant.web.server import load_assistant

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(index_dir=args.index) if args.index else Settings()
    assistant = load_assistant(settings)
    assistant.ask(QUERIES[0])  # load the model and the indexes before timing
    calls: dict[str, Callable[[str], object]] = {
        **{f"search {name}": partial(assistant.search, retriever=name) for name in RETRIEVERS},
        "ask": assistant.ask,
    }
    timings: dict[str, list[float]] = {name: [] for name in calls}
    load = os.getloadavg()[0]
    for _ in range(args.repeat):
        for query in QUERIES:
            for name, call in calls.items():
                started = time.perf_counter()
                call(query)
                timings[name].append(time.perf_counter() - started)
    write_result(
        "query_latency",
        {
            "index": str(settings.index_dir),
            "passages": assistant.index.stats().passages,
            "queries": len(QUERIES),
            "load_average_1m": [round(load, 2), round(os.getloadavg()[0], 2)],
            "seconds": {name: percentiles(samples) for name, samples in timings.items()},
        },
    )


if __name__ == "__main__":
    main()
