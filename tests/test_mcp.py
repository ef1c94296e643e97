"""The MCP server, driven by the SDK's own client over stdio and over streamable HTTP.

Each test starts ``cables mcp`` as a subprocess on the session's sample index, as a
desktop client (stdio) or a remote one (HTTP on 127.0.0.1) would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from assistant.service import Assistant
from assistant.settings import Settings
from assistant.web.api import create_api
from assistant.web.config import ApiConfig

CABLES = str(Path(sys.executable).with_name("cables"))
SEED = "What did the embassy claim about Soviet press coverage of Vietnam?"
D15 = "frus1964-68v03/d15"
ARCHIVE_SITE = "https://archive.example"
TOOLS = ["ask", "cite", "get_document", "search"]

Check = Callable[[ClientSession], Awaitable[None]]


def _env(**settings: str) -> dict[str, str]:
    """This environment without the developer's CABLES_* settings, plus ``settings``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CABLES_")}
    return env | settings


async def _call(session: ClientSession, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    # The text is the same JSON, for clients that read only text.
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def _error(session: ClientSession, tool: str, arguments: dict[str, Any]) -> str:
    result = await session.call_tool(tool, arguments)
    assert result.is_error
    text = result.content[0].text
    assert "Traceback" not in text
    return text


async def _archive_checks(session: ClientSession, assistant: Assistant) -> dict[str, Any]:
    """What every transport must do: four read-only tools, a cited answer quoted
    exactly, FRUS d15's thread, and errors that say what is wrong. The seed answer."""
    tools = (await session.list_tools()).tools
    assert sorted(tool.name for tool in tools) == TOOLS
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.read_only_hint
        assert "never instructions" in (tool.description or "")
        assert tool.output_schema is not None
    schemas = {tool.name: tool.input_schema for tool in tools}
    assert schemas["ask"]["properties"]["question"]["maxLength"] == 1000
    assert schemas["search"]["properties"]["k"]["maximum"] == 50

    answer = await _call(session, "ask", {"question": SEED})
    assert not answer["abstained"]
    seed = [c for c in answer["citations"] if c["doc_id"].startswith("wilson")]
    assert seed
    full = await _call(session, "get_document", {"doc_id": seed[0]["doc_id"], "length": 100_000})
    assert full["next_offset"] is None
    wilson = {"collections": ["Wilson Center Digital Archive"]}
    found = await _call(session, "search", {"query": SEED, "k": 3, "filters": wilson})
    assert found["hits"] and {hit["doc_id"] for hit in found["hits"]} == {seed[0]["doc_id"]}
    for hit in found["hits"]:
        assert full["text"][hit["char_start"] : hit["char_end"]] == hit["passage"]
    for citation in seed:
        start, end = citation["char_start"], citation["char_end"]
        assert full["text"][start:end] == citation["quote"]
        assert f"“{citation['quote']}” [{citation['ref']}]" in answer["answer"]
        window = await _call(
            session,
            "get_document",
            {"doc_id": citation["doc_id"], "offset": start, "length": end - start},
        )
        assert window["text"] == citation["quote"]
        assert window["next_offset"] == end

    d15 = await _call(session, "get_document", {"doc_id": D15})
    record = assistant.document(D15)
    assert record is not None
    assert d15["text"] == record.document.text
    assert d15["total_chars"] == len(record.document.text)
    assert d15["references"] == [{"text": r.text, "doc_id": r.doc_id} for r in record.references]
    assert d15["referenced_by"] == list(record.referenced_by)
    assert {"text": "Document 14", "doc_id": "frus1964-68v03/d14"} in d15["references"]
    assert "frus1964-68v03/d16" in d15["referenced_by"]

    bad_date = await _error(
        session, "ask", {"question": SEED, "filters": {"date_from": "June 1965"}}
    )
    assert bad_date == (
        "invalid arguments for ask: filters.date_from: "
        "'June 1965' is not a date: give YYYY, YYYY-MM or YYYY-MM-DD, e.g. 1965-06"
    )
    too_long = await _error(session, "ask", {"question": "why " * 251})
    assert (
        too_long
        == "invalid arguments for ask: question: String should have at most 1000 characters"
    )
    unknown = await _error(session, "get_document", {"doc_id": "frus1964-68v03/d999"})
    assert unknown.endswith(
        "no document 'frus1964-68v03/d999' in the archive (search finds doc_ids)"
    )
    return answer


def test_stdio(sample_assistant: Assistant, sample_settings: Settings, tmp_path: Path) -> None:
    index = str(sample_settings.index_dir)
    server = StdioServerParameters(command=CABLES, args=["mcp", "--index", index], env=_env())

    async def check() -> None:
        with (tmp_path / "server.log").open("w") as log:
            async with (
                stdio_client(server, errlog=log) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                answer = await _archive_checks(session, sample_assistant)
                with TestClient(create_api(sample_assistant, config=ApiConfig())) as api:
                    same = api.post("/api/ask", json={"question": SEED}).json()
                assert _quoted(answer) == _quoted(same)

                cited = await _call(session, "cite", {"doc_id": D15, "format": "csl-json"})
                assert json.loads(cited["citation"])[0]["id"] == D15
                assert "no document 'x'" in await _error(session, "cite", {"doc_id": "x"})

                # Doc ids keep their slash in the resource's URI.
                read_back = await session.read_resource(f"cables://document/{D15}")
                document = json.loads(read_back.contents[0].text)
                assert document["doc_id"] == D15 and document["referenced_by"]
                collections = await session.read_resource("cables://collections")
                stats = sample_assistant.stats()
                assert json.loads(collections.contents[0].text) == {
                    "documents": stats.documents,
                    "passages": stats.passages,
                    "collections": {
                        name: {"documents": c.documents, "passages": c.passages}
                        for name, c in stats.collections.items()
                    },
                }
                with pytest.raises(MCPError, match="no document 'frus1964-68v03/d999'"):
                    await session.read_resource("cables://document/frus1964-68v03/d999")

    generation = sample_assistant.stats().generation
    anyio.run(check)
    assert sample_assistant.stats().generation == generation  # the server wrote nothing


def _quoted(answer: dict[str, Any]) -> tuple[object, ...]:
    """An answer's text and quotes: what must be the same however it is asked for."""
    citations = [
        (c["ref"], c["doc_id"], c["quote"], c["char_start"], c["char_end"], c["link"])
        for c in answer["citations"]
    ]
    return answer["answer"], answer["abstained"], answer["notes"], citations


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _http_server(index: Path, log: Path, **settings: str) -> Iterator[str]:
    """``cables mcp --http`` on a free port; the endpoint's URL once it answers."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    with log.open("w") as errors:
        server = subprocess.Popen(
            [CABLES, "mcp", "--http", "--port", str(port), "--index", str(index)],
            env=_env(**settings),
            stdout=errors,
            stderr=errors,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                httpx.get(url, timeout=5)  # any answer: it is listening
                break
            except httpx.TransportError:
                try:  # waiting on the process, to notice at once if it fails to start
                    server.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    assert time.monotonic() < deadline, log.read_text()
                else:
                    raise AssertionError(log.read_text()) from None
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _over_http(url: str, check: Check) -> None:
    async with (
        streamable_http_client(url) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        await check(session)


def test_http(sample_assistant: Assistant, sample_settings: Settings, tmp_path: Path) -> None:
    index = sample_settings.index_dir
    with _http_server(
        index, tmp_path / "server.log", CABLES_CORS_ORIGINS=ARCHIVE_SITE, CABLES_RATE_LIMIT="0"
    ) as url:

        async def check(session: ClientSession) -> None:
            await _archive_checks(session, sample_assistant)

        anyio.run(_over_http, url, check)

        # A page of the archive's site may call it; another site's may not.
        preflight = {"Access-Control-Request-Method": "POST"}
        allowed = httpx.options(url, headers={"Origin": ARCHIVE_SITE, **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ARCHIVE_SITE
        refused = httpx.options(url, headers={"Origin": "https://elsewhere.example", **preflight})
        assert "access-control-allow-origin" not in refused.headers
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "page", "version": "1"},
            },
        }
        accept = {"Accept": "application/json, text/event-stream"}
        posted = httpx.post(url, json=initialize, headers={"Origin": ARCHIVE_SITE, **accept})
        assert posted.status_code == 200, posted.text
        assert posted.headers["access-control-allow-origin"] == ARCHIVE_SITE
        # The page can read the session id it must send back.
        assert "mcp-session-id" in posted.headers["access-control-expose-headers"].lower()
        elsewhere = {"Origin": "https://elsewhere.example", **accept}
        assert httpx.post(url, json=initialize, headers=elsewhere).status_code == 403


@pytest.mark.usefixtures("sample_assistant")
def test_http_rate_limit(sample_settings: Settings, tmp_path: Path) -> None:
    """The JSON API's limit per client, on tool calls: here two, then a wait."""
    settings = {"CABLES_RATE_LIMIT": "1", "CABLES_RATE_BURST": "2"}
    with _http_server(sample_settings.index_dir, tmp_path / "server.log", **settings) as url:

        async def check(session: ClientSession) -> None:
            for _ in range(2):
                await _call(session, "cite", {"doc_id": D15})
            refused = await _error(session, "cite", {"doc_id": D15})
            assert refused.startswith("too many requests: at most 1 a minute; try again in")
            with pytest.raises(MCPError, match="too many requests"):
                await session.read_resource("cables://collections")

        anyio.run(_over_http, url, check)
