"""A client for OpenAI-compatible ``/chat/completions`` servers, whole or streamed.

Every way the server can fail (no answer in time, refused connection, an HTTP
error, a reply that is not a chat completion) becomes one exception,
:class:`GenerationFailed`, whose ``reason`` anyone may read (it is shown in answers, so it names no
address and repeats nothing the server said) and whose ``detail`` is for the
operator's log; the assistant then falls back to its extractive answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from assistant.llm.config import LLMConfig

Message = dict[str, str]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": ...}``."""

_SSE_DATA = "data:"
_SSE_DONE = "[DONE]"
_ERROR_SNIPPET = 200


class GenerationFailed(Exception):
    """The language model gave no usable answer; ``reason`` says why, in a few words."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason} ({detail})" if detail else reason)
        self.reason = reason
        self.detail = detail


class ChatClient:
    def __init__(self, config: LLMConfig):
        self.config = config
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._http = httpx.Client(timeout=config.timeout, headers=headers)

    def complete(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float = 0.0
    ) -> str:
        """The model's whole reply ("" when it says nothing)."""
        with self._failures():
            response = self._http.post(
                self.config.chat_url, json=self._body(messages, max_tokens, temperature)
            )
            self._check(response)
            try:
                content = response.json()["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                raise GenerationFailed("the server's reply is not a chat completion") from None
        return content if isinstance(content, str) else ""

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float = 0.0
    ) -> Iterator[str]:
        """The reply in the pieces the server sends (server-sent ``data:`` events)."""
        body = self._body(messages, max_tokens, temperature, stream=True)
        with (
            self._failures(),
            self._http.stream("POST", self.config.chat_url, json=body) as response,
        ):
            if response.status_code >= 400:
                response.read()
                self._check(response)
            for line in response.iter_lines():
                if not line.startswith(_SSE_DATA):
                    continue  # comments, event names, keep-alives, blank separators
                data = line[len(_SSE_DATA) :].strip()
                if data == _SSE_DONE:
                    return
                if piece := _delta(data):
                    yield piece
        # A stream cut off before [DONE] may have lost the end of the answer.
        raise GenerationFailed("the server closed the stream before the answer ended")

    def close(self) -> None:
        self._http.close()

    def _body(
        self, messages: Sequence[Message], max_tokens: int, temperature: float, stream: bool = False
    ) -> dict[str, Any]:
        return {
            "model": self.config.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }

    def _check(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            detail = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            detail = response.text
        detail = " ".join(str(detail).split())[:_ERROR_SNIPPET]
        raise GenerationFailed(
            f"the model server answered HTTP {response.status_code}",
            f"{self.config.chat_url}" + (f": {detail}" if detail else ""),
        )

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """Turn httpx's exceptions into :class:`GenerationFailed` with a readable reason."""
        try:
            yield
        except httpx.TimeoutException as error:
            raise GenerationFailed(f"no reply within {self.config.timeout:g} s") from error
        except httpx.ConnectError as error:
            raise GenerationFailed(
                "cannot connect to the model server", self.config.base_url
            ) from error
        except httpx.HTTPError as error:
            raise GenerationFailed(
                "the connection to the model server failed", f"{self.config.base_url}: {error}"
            ) from error


def _delta(data: str) -> str:
    """The text in one streamed chunk; a chunk that is not JSON means the stream is garbage."""
    try:
        chunk = json.loads(data)
    except ValueError:
        raise GenerationFailed("the server streamed something that is not JSON") from None
    if not isinstance(chunk, dict):
        raise GenerationFailed("the server streamed something that is not a chat completion")
    if "error" in chunk:
        message = chunk["error"].get("message") if isinstance(chunk["error"], dict) else None
        raise GenerationFailed("the model server reported an error", str(message or chunk["error"]))
    try:
        content = chunk["choices"][0]["delta"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""  # role-only or usage-only chunks carry no text
    return content if isinstance(content, str) else ""
