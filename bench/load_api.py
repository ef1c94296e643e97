"""Load on `POST /api/ask`: concurrent clients against a real server, throughput and latency.

    python -m bench.load_api [--index DIR] [--clients 1,4,16] [--seconds 20]

The server is uvicorn in its own process (one worker, the API only, rate limit off)
on a socket of 127.0.0.1; each client is an asyncio task that asks the next question
as soon as it has its answer. Results go to bench/results/load_api.json.
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import percentiles, write_result
from bench.query_latency import QUERIES

if TYPE_CHECKING:
    from fastapi import FastAPI

STARTUP_SECONDS = 900  # the first start builds the sample index


def app() -> FastAPI:
    """The server's app (``uvicorn --factory``): the index of ``$CABLES_INDEX``, no rate limit."""
    from app import load_assistant
    from assistant.settings import Settings
    from assistant.web.api import create_api
    from assistant.web.config import ApiConfig

    return create_api(load_assistant(Settings()), config=ApiConfig(rate_per_minute=0))


async def _client(http: Any, url: str, deadline: float, offset: int, result: dict) -> None:
    i = offset
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            response = await http.post(url, json={"question": QUERIES[i % len(QUERIES)]})
            kind = "ok" if response.status_code == 200 else f"http {response.status_code}"
        except Exception as error:  # a benchmark counts every failure, whatever it is
            kind = type(error).__name__
        elapsed = time.perf_counter() - started
        if kind == "ok":
            result["latencies"].append(elapsed)
        else:
            result["errors"][kind] += 1
        i += 1


async def _load(base_url: str, clients: int, seconds: float) -> dict[str, Any]:
    import httpx

    result: dict[str, Any] = {"latencies": [], "errors": Counter()}
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(_client(http, f"{base_url}/api/ask", deadline, n, result) for n in range(clients))
        )
        wall = time.monotonic() - started
    answered = len(result["latencies"])
    return {
        "clients": clients,
        "wall_seconds": round(wall, 2),
        "answered": answered,
        "throughput_per_second": round(answered / wall, 2),
        "latency_seconds": percentiles(result["latencies"]) if answered else None,
        "errors": sum(result["errors"].values()),
        "errors_by_kind": dict(result["errors"]),
    }


def _start_server(index: Path | None) -> tuple[subprocess.Popen, str, socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    env = {**os.environ, "CABLES_RATE_LIMIT": "0"}
    if index:
        env["CABLES_INDEX"] = str(index)
    command = [
        sys.executable, "-m", "uvicorn", "bench.load_api:app", "--factory",
        "--fd", str(sock.fileno()), "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, pass_fds=[sock.fileno()])
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}", sock


def _wait_until_ready(server: subprocess.Popen, base_url: str) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped while starting (exit status {server.returncode})")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not start within {STARTUP_SECONDS} s")


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, default=None, help="default: $CABLES_INDEX")
    parser.add_argument("--clients", default="1,4,16", help="concurrent clients, one run each")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each run")
    args = parser.parse_args()
    server, base_url, sock = _start_server(args.index)
    try:
        _wait_until_ready(server, base_url)
        for question in QUERIES:  # load the model and the indexes before timing
            httpx.post(f"{base_url}/api/ask", json={"question": question}, timeout=300)
        load_before = os.getloadavg()[0]
        runs = [
            asyncio.run(_load(base_url, int(clients), args.seconds))
            for clients in args.clients.split(",")
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
        sock.close()
    write_result(
        "load_api",
        {
            "endpoint": "POST /api/ask",
            "server": "uvicorn, 1 process, API only, rate limit off, 127.0.0.1",
            "index": str(args.index or os.environ.get("CABLES_INDEX") or "default"),
            "questions": QUERIES,
            "seconds_per_run": args.seconds,
            # Other work on the machine slows every run: the 1-minute load before and after.
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
