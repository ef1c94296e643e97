"""Under load: model work in bounded lanes that shed at once with 503, and a warm start."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from browser import running_server
from fake_llm import FakeLLM, Reply, with_model

from assistant.service import Assistant
from assistant.settings import Settings
from assistant.web.admission import Busy, Lane
from assistant.web.api import create_api
from assistant.web.config import ApiConfig

SOVIET_PRESS = "What did the embassy claim about Soviet press coverage of Vietnam?"
ARCHIVE = "https://archive.example"


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def test_a_lane_queues_up_to_its_bound_then_sheds_with_the_backlog_wait() -> None:
    release = threading.Event()

    def held() -> str:
        release.wait(30)
        return "held"

    async def scenario() -> tuple[Lane, Busy, list[str], list[str]]:
        lane = Lane("answers", workers=1, queue=1)
        first = lane.run(held)
        second = lane.run(lambda: "queued")
        with pytest.raises(Busy) as refused:
            lane.run(lambda: "shed")
        release.set()
        done = [await first, await second]
        # Both have left the lane: it admits again.
        return lane, refused.value, done, [await lane.run(lambda: "later")]

    lane, refused, done, later = asyncio.run(scenario())
    assert done == ["held", "queued"] and later == ["later"]
    # Two jobs ahead, one worker, no service time measured yet (1 s assumed).
    assert refused.retry_after == 2
    assert str(refused) == (
        "the server is busy with other answers (running or waiting: 2); try again in 2 s"
    )
    assert lane.pending == 0 and lane.service_seconds is not None


def test_retry_after_is_the_backlog_over_the_workers() -> None:
    lane = Lane("answers", workers=2, queue=8)
    lane.pending, lane.service_seconds = 10, 0.7
    assert lane.retry_after() == 4  # 10 jobs x 0.7 s / 2 workers = 3.5 s
    assert lane.expected_wait() == pytest.approx(3.15)  # 9 ahead of a new one
    lane.pending = 0
    assert (lane.retry_after(), lane.expected_wait()) == (1, 0)  # never "retry at once"


def test_a_lane_sheds_before_its_queue_is_full_when_the_wait_would_be_long() -> None:
    release = threading.Event()

    async def scenario() -> tuple[list[str], int]:
        lane = Lane("answers", workers=1, queue=8, max_wait=1.5)
        lane.service_seconds = 1.0  # as measured: one job takes a second
        admitted = [lane.run(lambda: release.wait(30) and "first"), lane.run(lambda: "second")]
        with pytest.raises(Busy):
            lane.run(lambda: "third")  # two ahead of it: 2 s > 1.5 s, though 7 places are free
        pending = lane.pending
        release.set()
        return [await job for job in admitted], pending

    assert asyncio.run(scenario()) == (["first", "second"], 2)


def test_a_stream_runs_in_the_lane_and_ends_with_its_error() -> None:
    def failing() -> Generator[int, None, None]:
        yield 1
        raise ValueError("the model went away")

    async def scenario() -> tuple[list[int], list[int], str, int]:
        lane = Lane("answers", workers=1, queue=0)
        whole = [item async for item in lane.stream(lambda: (n for n in [1, 2, 3]))]
        seen: list[int] = []
        with pytest.raises(ValueError) as raised:
            async for item in lane.stream(failing):
                seen.append(item)
        return whole, seen, str(raised.value), lane.pending

    assert asyncio.run(scenario()) == ([1, 2, 3], [1], "the model went away", 0)


def test_a_stream_whose_reader_leaves_stops_its_worker() -> None:
    closed = threading.Event()

    def endless() -> Generator[int, None, None]:
        try:
            yield from itertools.count()
        finally:
            closed.set()

    async def scenario() -> tuple[int, bool]:
        lane = Lane("answers", workers=1, queue=0)
        stream = lane.stream(endless)
        first = await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]
        # Waited for with the loop still running: its closing would end the worker anyway.
        stopped = await asyncio.to_thread(closed.wait, 10)
        return first, stopped

    assert asyncio.run(scenario()) == (0, True), "the worker went on producing for nobody"


def test_a_busy_server_sheds_answers_at_once_and_still_serves_searches(
    sample_assistant: Assistant, fake_llm: FakeLLM
) -> None:
    """One worker, no queue: while a real answer waits on a slow model, the next is refused."""
    writing, hold = threading.Event(), fake_llm.hold()

    def slow(request: dict[str, Any]) -> Reply:
        writing.set()
        return Reply("The press was silent [1].", hold=hold)

    fake_llm.script = slow
    config = ApiConfig(cors_origins=(ARCHIVE,), rate_per_minute=0, workers=1, queue=0)
    app = create_api(with_model(sample_assistant, fake_llm), config=config)
    origin = {"Origin": ARCHIVE}
    with (
        running_server(app) as base_url,
        httpx.Client(base_url=base_url, timeout=60, headers=origin) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        first = pool.submit(client.post, "/api/ask", json={"question": SOVIET_PRESS})
        assert writing.wait(30), "the first answer never reached the model"
        refused = client.post("/api/ask", json={"question": "Who was Taylor?"})
        streamed = client.post("/api/ask/stream", json={"question": "Who was Taylor?"})
        found = client.get("/api/search", params={"q": "Soviet press", "k": 1})
        hold.set()
        answered = first.result(timeout=60)
        after = client.post("/api/ask", json={"question": SOVIET_PRESS})
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.json() == {
        "error": "the server is busy with other answers (running or waiting: 1); try again in 1 s"
    }
    # The widget on the archive's page can read the refusal and when to retry.
    assert refused.headers["Access-Control-Allow-Origin"] == ARCHIVE
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]
    # A stream is refused before it begins, with the same JSON.
    assert streamed.status_code == 503 and streamed.json() == refused.json()
    assert streamed.headers["content-type"] == "application/json"
    # Searches have their own workers: an answer in progress does not hold them up.
    assert found.status_code == 200 and found.json()["hits"]
    assert answered.status_code == 200 and answered.json()["mode"] == "generated"
    assert after.status_code == 200  # the worker is free again


def test_the_server_listens_only_once_the_model_and_index_are_loaded(
    sample_assistant: Assistant, sample_settings: Settings
) -> None:
    cold = Assistant.open(sample_settings)
    try:
        assert "model" not in vars(cold.encoder)
        assert not {"vectors", "keywords"} & set(vars(cold.index))
        with running_server(create_api(cold, config=ApiConfig(rate_per_minute=0))) as base_url:
            # Ready: nothing is left for the first question to load.
            assert "model" in vars(cold.encoder)
            assert {"vectors", "keywords"} <= set(vars(cold.index))
            assert httpx.get(f"{base_url}/healthz").json()["status"] == "ok"
    finally:
        cold.close()
