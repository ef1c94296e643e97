"""The JSON API: real model and index, a real uvicorn server where the network matters."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser import running_server
from fake_llm import FakeLLM, Reply, echo_passages, with_model
from fastapi.testclient import TestClient
from httpx_sse import connect_sse

from assistant.service import Assistant
from assistant.settings import Settings
from assistant.web.api import DATE_PATTERN, INTERNAL_ERROR, MAX_QUESTION_CHARS, create_api
from assistant.web.config import KEEP_ALIVE_SECONDS, ApiConfig, ConfigError
from assistant.web.ratelimit import RateLimiter

SEED_CABLE = "wilson/PRC-FMA-109-03654-02"
SOVIET_PRESS = "What did the embassy claim about Soviet press coverage of Vietnam?"
ARCHIVE = "https://archive.example"
TEMPLATES = {"Wilson Center Digital Archive": ARCHIVE + "/doc/{doc_id}"}
HIT_KEYS = {
    "doc_id",
    "title",
    "date",
    "place",
    "passage",
    "char_start",
    "char_end",
    "page",
    "score",
    "similarity",
    "link",
}


@pytest.fixture(scope="module")
def client(sample_assistant: Assistant) -> TestClient:
    config = ApiConfig(cors_origins=(ARCHIVE,), rate_per_minute=0, url_templates=TEMPLATES)
    return TestClient(create_api(sample_assistant, config=config))


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@contextmanager
def _served(assistant: Assistant) -> Iterator[httpx.Client]:
    """A client of the API on a real server of 127.0.0.1."""
    config = ApiConfig(rate_per_minute=0, url_templates=TEMPLATES)
    with (
        running_server(create_api(assistant, config=config)) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        yield client


def _refused(response: httpx.Response, field: str) -> None:
    """A 422 whose ``fields`` list only ``field``, which the message names first."""
    assert response.status_code == 422
    assert [item["field"] for item in response.json()["fields"]] == [field]
    assert response.json()["error"].startswith(f"{field}: ")


def _events(client: httpx.Client, body: dict[str, Any]) -> list[tuple[str, Any]]:
    """The server-sent events ``(name, data)`` of ``POST /api/ask/stream``, in order."""
    with connect_sse(client, "POST", "/api/ask/stream", json=body) as source:
        assert source.response.status_code == 200
        assert source.response.headers["Cache-Control"] == "no-cache"
        assert source.response.headers["X-Accel-Buffering"] == "no"
        return [(event.event, json.loads(event.data)) for event in source.iter_sse()]


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n "}, "question"),
        ({"question": "x" * (MAX_QUESTION_CHARS + 1)}, "question"),
        ({}, "question"),
        ({"question": "Soviet press", "filters": {"date_from": "June 1965"}}, "filters.date_from"),
        ({"question": "Soviet press", "filters": {"date_to": "1965-13"}}, "filters.date_to"),
        (
            {"question": "Soviet press", "filters": {"date_from": "1965-07", "date_to": "1965-06"}},
            "filters",
        ),
        ({"question": "Soviet press", "filters": {"from": "1965"}}, "filters.from"),
        ({"question": "Soviet press", "k": 0}, "k"),
        ({"question": "Soviet press", "k": 21}, "k"),
        ({"question": "Soviet press", "retriever": "magic"}, "retriever"),
        (
            {"question": "Soviet press", "history": [{"role": "bot", "content": "hi"}]},
            "history.0.role",
        ),
        (
            {"question": "Soviet press", "history": [{"role": "user", "content": "x"}] * 21},
            "history",
        ),
        ({"question": "Soviet press", "questions": "typo"}, "questions"),
    ],
)
def test_ask_rejects_bad_requests_naming_the_field(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    _refused(client.post(path, json=body), field)


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_a_body_that_is_not_json_is_400(client: TestClient, path: str) -> None:
    response = client.post(
        path, content=b"{question: 1", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "body: not valid JSON",
        "fields": [{"field": "body", "message": "not valid JSON"}],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": "Soviet press", "k": "8"}, "k"),
        ({"question": "Soviet press", "k": True}, "k"),
        ({"question": "x" + " " * MAX_QUESTION_CHARS}, "question"),
        ({"question": "Soviet press", "filters": {"place": "x" + " " * 200}}, "filters.place"),
        ({"question": "Soviet press", "filters": {"date_from": " 1965"}}, "filters.date_from"),
    ],
)
def test_ask_checks_the_body_as_its_schema_states(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    """No coercion, and bounds on the text as sent: what the schema rejects is rejected."""
    _refused(client.post("/api/ask", json=body), field)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/api/ask", "POST"),
        ("PUT", "/api/ask/stream", "POST"),
        ("DELETE", "/api/search", "GET"),
        ("TRACE", "/api/documents/frus1964-68v03/d7", "GET"),
        ("PATCH", "/healthz", "GET"),
    ],
)
def test_undeclared_methods_are_405_with_allow(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert response.json() == {"error": f"{method} is not allowed here; use {allow}"}


def test_every_status_a_route_returns_is_documented_with_the_error_schema(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    statuses = {
        ("/api/ask", "post"): {"200", "400", "422", "429", "500", "503"},
        ("/api/ask/stream", "post"): {"200", "400", "422", "429", "500", "503"},
        ("/api/search", "get"): {"200", "422", "429", "500", "503"},
        ("/api/documents/{doc_id}", "get"): {"200", "404", "422", "429", "500", "503"},
        ("/healthz", "get"): {"200", "500"},
    }
    for (path, method), expected in statuses.items():
        responses = schema["paths"][path][method]["responses"]
        assert set(responses) == expected, path
        for status in expected - {"200"}:
            content = responses[status]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/ErrorOut"}, (path, status)
            if status in ("429", "503"):
                assert responses[status]["headers"]["Retry-After"]["required"] is True
    error = schema["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"] and set(error["properties"]) == {"error", "fields"}
    dates = {
        p["name"]: p["schema"]["anyOf"][0]["pattern"]
        for p in schema["paths"]["/api/search"]["get"]["parameters"]
        if p["name"].startswith("date_")
    }
    assert dates == {"date_from": DATE_PATTERN, "date_to": DATE_PATTERN}


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("1965", True),
        ("1965-06", True),
        ("1965-06-30", True),
        ("", True),  # an empty form field: no bound
        ("1965-13", False),
        ("1965-06-32", False),
        ("65-06", False),
        ("1965/06", False),
        ("June 1965", False),
        ("1965-06-18T10:00", False),
    ],
)
def test_dates_are_accepted_exactly_when_they_match_the_declared_pattern(
    client: TestClient, value: str, accepted: bool
) -> None:
    response = client.get("/api/search", params={"q": "Taylor", "k": 1, "date_to": value})
    assert bool(re.search(DATE_PATTERN, value)) is accepted
    if accepted:
        assert response.status_code == 200
    else:
        _refused(response, "date_to")
        assert "give YYYY, YYYY-MM or YYYY-MM-DD" in response.json()["error"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": " "}, "q"),
        ({"q": "Taylor", "k": 51}, "k"),
        ({"q": "Taylor", "per_doc": -1}, "per_doc"),
        ({"q": "Taylor", "retriever": "magic"}, "retriever"),
        ({"q": "Taylor", "date_to": "yesterday"}, "date_to"),
        ({"q": "Taylor", "date_form": "1965"}, "date_form"),
    ],
)
def test_search_rejects_bad_parameters_naming_them(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    _refused(client.get("/api/search", params=params), field)


def test_question_at_the_limit_is_accepted(client: TestClient) -> None:
    question = ("What did the Soviet press report? " * 40)[:MAX_QUESTION_CHARS]
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200
    assert response.json()["question"] == question.strip()


def test_document_by_id_with_slashes(client: TestClient) -> None:
    response = client.get("/api/documents/frus1964-68v03/d7")
    assert response.status_code == 200
    document = response.json()
    assert document["doc_id"] == "frus1964-68v03/d7"
    assert document["date"] == "1965-06-18"
    assert document["place"] == "Washington"
    assert "Keeping the Power of Decision" in document["text"]
    assert document["link"] == "https://history.state.gov/historicaldocuments/frus1964-68v03/d7"


def test_unknown_document_is_404(client: TestClient) -> None:
    response = client.get("/api/documents/frus1964-68v03/d999")
    assert response.status_code == 404
    assert response.json() == {"error": "no document 'frus1964-68v03/d999' in the archive"}


def test_search_applies_filters_and_keeps_the_cli_shape(client: TestClient) -> None:
    response = client.get(
        "/api/search",
        params={
            "q": "Taylor reports on the new government",
            "k": 5,
            "date_from": "1965-06-18",
            "collection": "FRUS 1964-1968, Volume III",
        },
    )
    assert response.status_code == 200
    found = response.json()
    assert found["query"] == "Taylor reports on the new government"
    assert len(found["hits"]) == 5
    for hit in found["hits"]:
        assert set(hit) == HIT_KEYS
        assert hit["doc_id"].startswith("frus1964-68v03/") and hit["date"] >= "1965-06-18"


def test_ask_passes_the_history_for_follow_up_questions(client: TestClient) -> None:
    history = [
        {"role": "user", "content": "What did the Chinese Embassy in Moscow report?"},
        {"role": "assistant", "content": "The Soviet press is reporting ..."},
    ]
    response = client.post(
        "/api/ask", json={"question": "And what about the peace talks?", "history": history}
    )
    assert response.status_code == 200
    used = response.json()["query_used"]
    assert used.startswith("And what about the peace talks? (") and "Moscow" in used


def test_a_three_turn_conversation_passes_its_history(client: TestClient) -> None:
    history: list[dict[str, str]] = []
    answers = []
    for question in (
        "What did Taylor report about the new government in Saigon?",
        "What did he think of its Cabinet?",
        "And how did Washington react?",
    ):
        response = client.post("/api/ask", json={"question": question, "history": history})
        assert response.status_code == 200
        answer = response.json()
        assert not answer["abstained"] and answer["citations"]
        answers.append(answer)
        history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer["answer"]},
        ]
    assert all("Taylor" in answer["query_used"] for answer in answers[1:])
    # Taylor's telegram of June 22 (FRUS III, Document 12) judges the new Cabinet.
    assert "frus1964-68v03/d12" in {c["doc_id"] for c in answers[1]["citations"]}


def test_ask_over_the_network_cites_the_seed_cable(sample_assistant: Assistant) -> None:
    with _served(sample_assistant) as client:
        response = client.post("/api/ask", json={"question": SOVIET_PRESS})
        assert response.status_code == 200
        answer = response.json()
        assert {"question", "answer", "abstained", "citations", "closest", "query_used"} <= set(
            answer
        )
        assert not answer["abstained"] and answer["mode"] == "extractive"
        # Without a language model, the stream is that same answer alone.
        assert _events(client, {"question": SOVIET_PRESS}) == [("answer", answer)]
        cited = [c for c in answer["citations"] if c["doc_id"] == SEED_CABLE]
        assert cited and "Soviet press" in " ".join(c["quote"] for c in cited)
        document = client.get(f"/api/documents/{SEED_CABLE}").json()
        for citation in cited:
            assert (
                document["text"][citation["char_start"] : citation["char_end"]] == citation["quote"]
            )
            assert citation["link"] == f"{ARCHIVE}/doc/{SEED_CABLE}"
            assert f"[{citation['ref']}]" in answer["answer"]


def test_stream_sends_the_model_text_as_it_comes_then_the_answer(
    sample_assistant: Assistant, fake_llm: FakeLLM
) -> None:
    fake_llm.script = echo_passages
    with _served(with_model(sample_assistant, fake_llm)) as client:
        *deltas, (last, answer) = _events(client, {"question": SOVIET_PRESS})
        assert last == "answer"
        assert answer == client.post("/api/ask", json={"question": SOVIET_PRESS}).json()
    written = echo_passages(fake_llm.requests[0]).text
    assert len(deltas) > 10 and {name for name, _ in deltas} == {"delta"}
    assert "".join(data["text"] for _, data in deltas) == written
    assert answer["mode"] == "generated" and answer["warnings"] == []
    assert answer["answer"] == written.strip()
    cited = [c for c in answer["citations"] if c["doc_id"] == SEED_CABLE]
    assert cited and cited[0]["link"] == f"{ARCHIVE}/doc/{SEED_CABLE}"


@pytest.mark.parametrize(
    ("reply", "streamed", "reason"),
    [
        (lambda fake: Reply("Never sent [1].", hold=fake.hold()), [], "no reply within 0.3 s"),
        (
            lambda fake: Reply("The press was silent [1].", hold=fake.hold(), hold_after=2),
            ["The ", "press "],
            "no reply within 0.3 s",
        ),
        (lambda fake: Reply(body="data: {broken\n\n"), [], "not JSON"),
        (lambda fake: Reply(status=500, text="model crashed"), [], "HTTP 500"),
    ],
    ids=["silent", "stalls", "garbage", "crashes"],
)
def test_stream_falls_back_to_the_quotes_when_the_model_fails(
    sample_assistant: Assistant,
    fake_llm: FakeLLM,
    reply: Callable[[FakeLLM], Reply],
    streamed: list[str],
    reason: str,
) -> None:
    failing = reply(fake_llm)
    fake_llm.script = lambda request: failing
    with _served(with_model(sample_assistant, fake_llm, timeout=0.3)) as client:
        *deltas, (last, answer) = _events(client, {"question": SOVIET_PRESS})
    assert [(name, data["text"]) for name, data in deltas] == [("delta", t) for t in streamed]
    assert last == "answer" and answer["mode"] == "fallback"
    assert answer["answer"] == sample_assistant.ask(SOVIET_PRESS).text
    [warning] = answer["warnings"]
    assert warning.startswith("The language model did not answer (") and reason in warning
    assert "127.0.0.1" not in warning and "model crashed" not in warning  # for the log only


def test_rate_limit_answers_429_with_retry_after(sample_assistant: Assistant) -> None:
    config = ApiConfig(cors_origins=(ARCHIVE,), rate_per_minute=2, burst=2)
    client = TestClient(create_api(sample_assistant, config=config))
    origin = {"Origin": ARCHIVE}
    statuses = [client.get("/api/documents/frus1964-68v03/d7").status_code for _ in range(2)]
    assert statuses == [200, 200]
    refused = client.get("/api/documents/frus1964-68v03/d7", headers=origin)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert refused.json()["error"].startswith("too many requests: at most 2 a minute")
    streamed = client.post("/api/ask/stream", json={"question": SOVIET_PRESS}, headers=origin)
    assert streamed.status_code == 429 and streamed.json()["error"].startswith("too many")
    # The widget on the archive's page can read the refusal and when to retry.
    assert refused.headers["Access-Control-Allow-Origin"] == ARCHIVE
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]
    assert client.get("/healthz").status_code == 200


def test_token_bucket_refills_at_the_configured_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(60, burst=3, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(1.0)
    assert limiter.take("b") == 0.0  # another client has its own bucket
    now[0] = 2.5
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, pytest.approx(0.5)]


def test_cors_allows_only_the_configured_origins(client: TestClient) -> None:
    allowed = client.get("/healthz", headers={"Origin": ARCHIVE})
    assert allowed.headers["Access-Control-Allow-Origin"] == ARCHIVE
    other = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
    for path in ("/api/ask", "/api/ask/stream"):
        preflight = client.options(
            path,
            headers={
                "Origin": ARCHIVE,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Origin"] == ARCHIVE
    refused = client.options(
        "/api/ask",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 400


def test_widget_script_and_docs_are_served(client: TestClient) -> None:
    widget = client.get("/widget.js")
    assert widget.status_code == 200
    assert widget.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in widget.text and "innerHTML" not in widget.text
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/ask",
        "/api/ask/stream",
        "/api/search",
        "/api/documents/{doc_id}",
        "/healthz",
    } <= set(paths)
    streaming = paths["/api/ask/stream"]["post"]
    assert "text/event-stream" in streaming["responses"]["200"]["content"]
    assert "`delta`" in streaming["description"] and "`answer`" in streaming["description"]


def test_unexpected_failure_is_logged_and_hidden_from_the_client(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "notes.jsonl"
    source.write_text('{"id": "n1", "title": "Note", "text": "The harbour was closed."}\n')
    assistant, report = Assistant.build(
        Settings(index_dir=tmp_path / "index"), [source], progress=False
    )
    assert report.ok
    client = TestClient(create_api(assistant, config=ApiConfig(cors_origins=(ARCHIVE,))))
    assistant.index.close()  # a real failure: the database is gone from under the server
    with caplog.at_level(logging.ERROR, logger="assistant.web"):
        response = client.get("/api/documents/n1", headers={"Origin": ARCHIVE})
        # Once a stream has begun its status is sent: the failure is its last event.
        events = _events(client, {"question": "Why was the harbour closed?"})
    assert response.status_code == 500
    assert response.json() == {"error": INTERNAL_ERROR}
    for secret in ("Traceback", "sqlite", "closed database", 'File "', str(tmp_path)):
        assert secret not in response.text
    assert response.headers["Access-Control-Allow-Origin"] == ARCHIVE
    assert events == [("error", {"error": INTERNAL_ERROR})]
    records = [r for r in caplog.records if r.name.startswith("assistant.web.")]
    assert [r.getMessage() for r in records] == [
        "GET /api/documents/n1 failed",
        "POST /api/ask/stream failed",
    ]
    assert all(record.exc_info for record in records)


def test_config_from_the_environment() -> None:
    config = ApiConfig.from_env(
        {
            "CABLES_CORS_ORIGINS": "https://archive.example/, http://localhost:8000",
            "CABLES_RATE_LIMIT": "12",
            "CABLES_URL_TEMPLATES": '{"FRUS": "https://a.example/doc/{doc_id}"}',
        }
    )
    assert config.cors_origins == ("https://archive.example", "http://localhost:8000")
    assert (config.rate_per_minute, config.burst) == (12, 10)
    assert (config.workers, config.queue) == (len(os.sched_getaffinity(0)), 16)
    assert ApiConfig.from_env({"CABLES_WORKERS": "3", "CABLES_QUEUE": "0"}).workers == 3
    assert ApiConfig.from_env({"CABLES_WORKERS": "3", "CABLES_QUEUE": "0"}).queue == 0
    assert (
        config.link("FRUS", "frus1964-68v03/d7 x", None)
        == "https://a.example/doc/frus1964-68v03/d7%20x"
    )
    assert config.link("Other", "d1", "https://source.example/d1") == "https://source.example/d1"
    assert config.link("Other", "d1", "javascript:alert(1)") is None
    assert ApiConfig.from_env({}) == ApiConfig()


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"CABLES_CORS_ORIGINS": "archive.example"}, "'archive.example' is not an origin"),
        ({"CABLES_CORS_ORIGINS": "https://archive.example/page"}, "is not an origin"),
        ({"CABLES_RATE_LIMIT": "lots"}, "CABLES_RATE_LIMIT='lots'"),
        ({"CABLES_RATE_LIMIT": "-1"}, "rate limit -1/minute"),
        ({"CABLES_URL_TEMPLATES": "{nope"}, "CABLES_URL_TEMPLATES is not JSON"),
        ({"CABLES_URL_TEMPLATES": '["x"]'}, "CABLES_URL_TEMPLATES must map"),
        ({"CABLES_URL_TEMPLATES": '{"FRUS": "https://a.example/doc"}'}, "containing {doc_id}"),
        ({"CABLES_WORKERS": "many"}, "CABLES_WORKERS='many' is not a whole number"),
        ({"CABLES_WORKERS": "0"}, "give 1 or more workers (CABLES_WORKERS)"),
        ({"CABLES_QUEUE": "-1"}, "a queue of 0 or more (CABLES_QUEUE)"),
    ],
)
def test_bad_config_names_the_setting(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        ApiConfig.from_env(environ)
    assert named in str(raised.value)


UVICORN_KEEP_ALIVE_SECONDS = 5  # uvicorn's default


def test_an_idle_connection_stays_open_past_a_retry_after_wait(sample_assistant: Assistant) -> None:
    """Under load, readers told "Retry-After: 5" came back on their connection just as the
    server (uvicorn's 5 s default) closed it: a read error. The server now keeps it open."""
    assert KEEP_ALIVE_SECONDS > 60
    config = ApiConfig(rate_per_minute=0)
    limits = httpx.Limits(keepalive_expiry=KEEP_ALIVE_SECONDS)  # the client keeps it too
    with (
        running_server(create_api(sample_assistant, config=config)) as base_url,
        httpx.Client(base_url=base_url, limits=limits) as client,
    ):
        first = client.get("/healthz")
        first_port = _client_port(first)
        time.sleep(UVICORN_KEEP_ALIVE_SECONDS + 1)  # the idle time under test, not a wait
        second = client.get("/healthz")
        # One connection, reused: had the server closed it, httpx would have opened another.
        assert _client_port(second) == first_port
    assert first.status_code == second.status_code == 200


def _client_port(response: httpx.Response) -> int:
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


@pytest.mark.slow
def test_full_app_serves_api_and_widget_beside_the_chat(sample_assistant: Assistant) -> None:
    from assistant.web.server import build_app

    with running_server(build_app(sample_assistant)) as base_url:
        assert httpx.get(f"{base_url}/widget.js").status_code == 200
        assert httpx.get(f"{base_url}/docs").status_code == 200
        found = httpx.get(
            f"{base_url}/api/search", params={"q": "Soviet press", "k": 1}, timeout=60
        )
        assert found.status_code == 200 and found.json()["hits"][0]["doc_id"] == SEED_CABLE
        chat = httpx.get(f"{base_url}/", timeout=30)
        assert chat.status_code == 200 and "gradio" in chat.text.lower()
        # The chat mounted at / does not swallow the API's paths: undeclared methods are 405.
        for method, path in [("TRACE", "/api/ask"), ("PUT", f"/api/documents/{SEED_CABLE}")]:
            refused = httpx.request(method, f"{base_url}{path}")
            assert (refused.status_code, refused.headers.get("Allow")) == (
                405,
                "POST" if path == "/api/ask" else "GET",
            )
