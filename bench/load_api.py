"""The API under load: concurrent readers asking and searching, against a real server.

    python -m bench.load_api [--index DIR] [--clients 1,10,50] [--seconds 60] [--label L]

The server is uvicorn in its own process (one process, the API only, rate limit off;
``CABLES_WORKERS`` and ``CABLES_QUEUE`` from the environment) on a socket of 127.0.0.1.
Half the clients ask (``POST /api/ask``) and half search (``GET /api/search``); one client
alternates. Each is an asyncio task that sends its next request as soon as it has an
answer, and when refused with 503 waits the ``Retry-After`` it was given, as the widget
tells its reader to. Before the load, two fresh servers time the warm start: one answers
a question first, the other answers nine others and then that one, so the first and the
tenth answer are of the same question and neither is in a cache. Results go to
bench/results/load_api[_LABEL].json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.web.config import KEEP_ALIVE_SECONDS
from bench.common import percentiles, write_result
from bench.query_latency import QUERIES

if TYPE_CHECKING:
    from fastapi import FastAPI

STARTUP_SECONDS = 900  # the first start builds the sample index
FIRST = QUERIES[0]
# Nine other questions before FIRST on the second server: answerable, none of them FIRST.
OTHERS = [
    *QUERIES[1:],
    "What did Ball argue about the war?",
    "Why did the Chinese Embassy report on the Soviet press?",
]
SEARCHES = ["Soviet press", "Taylor new government", "battalions", "Rolling Thunder", "enclave"]


def app() -> FastAPI:
    """The server's app (``uvicorn --factory``): the index of ``$CABLES_INDEX``."""
    from assistant.settings import Settings
    from assistant.web.api import create_api
    from assistant.web.server import load_assistant

    return create_api(load_assistant(Settings()))


@contextmanager
def _server(index: Path | None) -> Iterator[tuple[str, float]]:
    """A fresh server; yields its URL and the seconds from launch to ready (``/healthz``)."""
    import httpx

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {**os.environ, "CABLES_RATE_LIMIT": "0"}
    if index:
        env["CABLES_INDEX"] = str(index)
    command = [
        sys.executable, "-m", "uvicorn", "bench.load_api:app", "--factory",
        "--fd", str(sock.fileno()), "--log-level", "warning",
        "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS),  # as `cables serve`
    ]  # fmt: skip
    started = time.perf_counter()
    server = subprocess.Popen(command, env=env, pass_fds=[sock.fileno()])
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server stopped while starting (exit {server.returncode})")
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not start within {STARTUP_SECONDS} s")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)  # polling for readiness, not a timing
        yield base_url, time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=60)
        sock.close()


def _ask_timed(base_url: str, question: str) -> float:
    import httpx

    started = time.perf_counter()
    response = httpx.post(f"{base_url}/api/ask", json={"question": question}, timeout=300)
    response.raise_for_status()
    return time.perf_counter() - started


def warm_start(index: Path | None) -> dict[str, Any]:
    with _server(index) as (base_url, ready_seconds):
        first = _ask_timed(base_url, FIRST)
    with _server(index) as (base_url, _):
        before = [_ask_timed(base_url, question) for question in OTHERS[:9]]
        tenth = _ask_timed(base_url, FIRST)
    return {
        "question": FIRST,
        "ready_seconds": round(ready_seconds, 2),
        "first_answer_seconds": round(first, 4),
        "tenth_answer_seconds": round(tenth, 4),
        "first_over_tenth": round(first / tenth, 2),
        "answers_2_to_9_seconds": [round(s, 4) for s in before[1:]],
    }


async def _client(
    http: Any, kinds: list[str], deadline: float, offset: int, result: dict[str, Any]
) -> None:
    i = offset
    while (now := time.monotonic()) < deadline:
        kind = kinds[i % len(kinds)]
        started = time.perf_counter()
        wait = 0.0
        try:
            if kind == "ask":
                response = await http.post("/api/ask", json={"question": QUERIES[i % len(QUERIES)]})
            else:
                response = await http.get(
                    "/api/search", params={"q": SEARCHES[i % len(SEARCHES)], "k": 10}
                )
            status = response.status_code
            if status == 503:
                wait = float(response.headers["Retry-After"])
            outcome = "ok" if status == 200 else "shed" if status == 503 else f"http {status}"
        except Exception as error:  # a benchmark counts every failure, whatever it is
            outcome = type(error).__name__
        elapsed = time.perf_counter() - started
        if outcome == "ok":
            result[kind].append(elapsed)
        elif outcome == "shed":
            result["shed"][kind] += 1
            result["shed_seconds"].append(elapsed)
        else:
            result["failures"][f"{kind}: {outcome}"] += 1
        if wait:
            await asyncio.sleep(min(wait, max(0.0, deadline - now)))  # as a polite reader does
        i += 1


async def _load(base_url: str, clients: int, seconds: float) -> dict[str, Any]:
    import httpx

    result: dict[str, Any] = {
        "ask": [],
        "search": [],
        "shed": Counter(),
        "shed_seconds": [],
        "failures": Counter(),
    }
    if clients == 1:
        roles = [["ask", "search"]]
    else:
        roles = [["ask"] if n % 2 == 0 else ["search"] for n in range(clients)]
    load_before = os.getloadavg()
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(_client(http, kinds, deadline, n, result) for n, kinds in enumerate(roles))
        )
        wall = time.monotonic() - started
    return {
        "clients": clients,
        "asking_clients": sum("ask" in kinds for kinds in roles),
        "wall_seconds": round(wall, 2),
        "answers_per_second": round(len(result["ask"]) / wall, 2),
        "searches_per_second": round(len(result["search"]) / wall, 2),
        "answer_latency_seconds": percentiles(result["ask"]) if result["ask"] else None,
        "search_latency_seconds": percentiles(result["search"]) if result["search"] else None,
        "shed_503": dict(result["shed"]),
        "shed_latency_seconds": (
            percentiles(result["shed_seconds"]) if result["shed_seconds"] else None
        ),
        "failures": sum(result["failures"].values()),
        "failures_by_kind": dict(result["failures"]),
        # Other work on the machine slows every run: the 1-, 5- and 15-minute load averages.
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    import httpx

    from assistant.web.config import ApiConfig

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, default=None, help="default: $CABLES_INDEX")
    parser.add_argument("--clients", default="1,10,50", help="concurrent clients, one run each")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each run")
    parser.add_argument("--label", default="", help="results/load_api_LABEL.json")
    parser.add_argument("--no-warm-start", action="store_true", help="skip the warm-start timing")
    args = parser.parse_args()
    config = ApiConfig.from_env()
    warm = None if args.no_warm_start else warm_start(args.index)
    with _server(args.index) as (base_url, _):
        for question in QUERIES:  # the same first requests in every invocation
            httpx.post(f"{base_url}/api/ask", json={"question": question}, timeout=300)
        runs = [
            asyncio.run(_load(base_url, int(clients), args.seconds))
            for clients in args.clients.split(",")
        ]
    write_result(
        "load_api" + (f"_{args.label}" if args.label else ""),
        {
            "server": "uvicorn, 1 process, API only, rate limit off, 127.0.0.1",
            "settings": {"CABLES_WORKERS": config.workers, "CABLES_QUEUE": config.queue},
            "torch_threads": _torch_threads(),
            "index": str(args.index or os.environ.get("CABLES_INDEX") or "default"),
            "mix": "half the clients ask, half search (one client: alternates)",
            "seconds_per_run": args.seconds,
            "warm_start": warm,
            "runs": runs,
        },
    )


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    main()
