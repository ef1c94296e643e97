"""A real OpenAI-compatible chat server on 127.0.0.1 that answers as each test scripts.

It speaks ``POST /v1/chat/completions``, whole or streamed (server-sent ``data:``
events ending in ``[DONE]``). A test sets ``script``: a function from the request
body to a :class:`Reply`. A reply can wait on a ``threading.Event`` (from
:meth:`FakeLLM.hold`) before answering, so a test can make the server too slow
without sleeping; :meth:`FakeLLM.close` releases every such event.

    with FakeLLM() as server:
        server.script = echo_passages
        ...  # point a client at server.base_url
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.service import Assistant

# Never hang a test run: a held reply gives up after this long even if nobody releases it.
HOLD_LIMIT = 30.0
_PASSAGE = re.compile(r'<passage id="(\d+)">\nSource: (.*?)\n(.*?)\n</passage>', re.DOTALL)


@dataclass(frozen=True)
class Reply:
    """What the server sends back.

    ``chunks`` are the streamed pieces (default: ``text`` cut after each space);
    ``body`` replaces the whole response body, for garbage; ``hold`` makes the server
    wait for the event after sending ``hold_after`` chunks (0: before anything).
    """

    text: str = ""
    status: int = 200
    chunks: Sequence[str] | None = None
    body: str | None = None
    hold: threading.Event | None = None
    hold_after: int = 0

    def pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return re.findall(r"\S+\s*|\s+", self.text)


Script = Callable[[dict[str, Any]], Reply]


def fixed(text: str, **options: Any) -> Script:
    return lambda request: Reply(text, **options)


def passages_seen(request: dict[str, Any]) -> list[tuple[int, str, str]]:
    """The numbered passages ``(number, source, text)`` in a request's last message."""
    content = request["messages"][-1]["content"]
    return [(int(n), source, text) for n, source, text in _PASSAGE.findall(content)]


def echo_passages(request: dict[str, Any]) -> Reply:
    """Cite every passage it saw, one sentence each made of that passage's first words."""
    sentences = [
        f"Passage {number} says {re.sub(r'[.!?]', '', ' '.join(text.split()[:12]))} [{number}]."
        for number, _, text in passages_seen(request)
    ]
    return Reply(" ".join(sentences))


def with_model(assistant: Assistant, server: FakeLLM, *, timeout: float = 30.0) -> Assistant:
    """The archive of ``assistant``, its answers written by the model ``server`` fakes."""
    from assistant.llm import LLMConfig, LLMGenerator
    from assistant.service import Assistant

    config = LLMConfig(server.base_url, "fake-model", timeout=timeout)
    return Assistant(assistant.index, assistant.encoder, generator=LLMGenerator(config))


class FakeLLM:
    def __init__(self) -> None:
        self.script: Script = fixed("")
        self.requests: list[dict[str, Any]] = []
        self._holds: list[threading.Event] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def hold(self) -> threading.Event:
        """An event a reply waits on; released by the test or, at the latest, by close()."""
        event = threading.Event()
        self._holds.append(event)
        return event

    def close(self) -> None:
        for event in self._holds:
            event.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=HOLD_LIMIT)

    def __enter__(self) -> FakeLLM:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append(request)
            reply = fake.script(request)
            try:
                if request.get("stream"):
                    self._stream(reply)
                else:
                    self._whole(reply, request)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as timeout tests intend

        def _whole(self, reply: Reply, request: dict[str, Any]) -> None:
            if reply.hold is not None:
                reply.hold.wait(HOLD_LIMIT)
            if reply.body is not None:
                payload = reply.body
            elif reply.status >= 400:
                payload = json.dumps({"error": {"message": reply.text, "type": "server_error"}})
            else:
                payload = json.dumps(_completion(request, reply.text))
            self._send(reply.status, "application/json", payload.encode())

        def _stream(self, reply: Reply) -> None:
            if reply.hold is not None and reply.hold_after == 0:
                reply.hold.wait(HOLD_LIMIT)
            if reply.status >= 400:
                error = {"error": {"message": reply.text, "type": "server_error"}}
                self._send(reply.status, "application/json", json.dumps(error).encode())
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            if reply.body is not None:
                self.wfile.write(reply.body.encode())
                return
            self._event({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
            for i, piece in enumerate(reply.pieces()):
                if reply.hold is not None and i == reply.hold_after > 0:
                    reply.hold.wait(HOLD_LIMIT)
                self._event({"choices": [{"index": 0, "delta": {"content": piece}}]})
            self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            self.wfile.write(b"data: [DONE]\n\n")

        def _event(self, chunk: dict[str, Any]) -> None:
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        def _send(self, status: int, content_type: str, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


def _completion(request: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": request.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
    }
