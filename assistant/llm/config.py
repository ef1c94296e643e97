"""Which language model writes the answers, if any: settings from flags or the environment.

Off unless a base URL is given; then the assistant still retrieves and quotes as
always, and the model only phrases an answer from the quoted passages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from assistant.settings import SettingError, env_number

ENV_BASE_URL = "CABLES_LLM_BASE_URL"
ENV_MODEL = "CABLES_LLM_MODEL"
ENV_API_KEY = "CABLES_LLM_API_KEY"
ENV_TIMEOUT = "CABLES_LLM_TIMEOUT"
ENV_CONTEXT_TOKENS = "CABLES_LLM_CONTEXT_TOKENS"
ENV_ANSWER_TOKENS = "CABLES_LLM_ANSWER_TOKENS"
# Room for the instructions, the question and at least one passage.
MIN_PROMPT_TOKENS = 512


class LLMConfigError(SettingError):
    """A language-model setting is missing or malformed; the message names the fix."""


@dataclass(frozen=True)
class LLMConfig:
    """An OpenAI-compatible chat server: ``base_url`` ends where ``/chat/completions`` starts.

    ``timeout`` bounds each wait on the server (connecting, and between streamed
    chunks); ``context_tokens`` is the model's context window, of which
    ``answer_tokens`` are kept for the answer.
    """

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    context_tokens: int = 8192
    answer_tokens: int = 512

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise LLMConfigError(
                f"{ENV_BASE_URL} (--llm-base-url) must be an http(s) URL such as "
                f"http://127.0.0.1:8080/v1, got {self.base_url!r}"
            )
        if not self.model:
            raise LLMConfigError(
                f"{ENV_MODEL} (--llm-model) is not set: name the model that {self.base_url} serves"
            )
        if self.timeout <= 0:
            raise LLMConfigError(f"{ENV_TIMEOUT} must be a positive number of seconds")
        if self.answer_tokens <= 0:
            raise LLMConfigError(f"{ENV_ANSWER_TOKENS} must be a positive number of tokens")
        if self.context_tokens < self.answer_tokens + MIN_PROMPT_TOKENS:
            raise LLMConfigError(
                f"{ENV_CONTEXT_TOKENS}={self.context_tokens} leaves no room for the passages: "
                f"it must be at least {ENV_ANSWER_TOKENS} + {MIN_PROMPT_TOKENS} "
                f"= {self.answer_tokens + MIN_PROMPT_TOKENS}"
            )

    @property
    def chat_url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    @classmethod
    def from_env(
        cls,
        *,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> LLMConfig | None:
        """Flags first, then ``CABLES_LLM_*`` variables; ``None`` when no base URL is set."""
        base_url = base_url or environ.get(ENV_BASE_URL)
        if not base_url:
            return None
        return cls(
            base_url=base_url,
            model=model or environ.get(ENV_MODEL, ""),
            api_key=api_key or environ.get(ENV_API_KEY) or None,
            # The class attributes are the fields' defaults.
            timeout=env_number(environ, ENV_TIMEOUT, cls.timeout, error=LLMConfigError),
            context_tokens=env_number(
                environ, ENV_CONTEXT_TOKENS, cls.context_tokens, error=LLMConfigError
            ),
            answer_tokens=env_number(
                environ, ENV_ANSWER_TOKENS, cls.answer_tokens, error=LLMConfigError
            ),
        )
