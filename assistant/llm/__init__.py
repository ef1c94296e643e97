"""An optional language model that writes answers from the retrieved passages.

Off unless configured (``CABLES_LLM_BASE_URL``); any OpenAI-compatible chat
server will do. Whatever the model writes is checked against the passages it
cites, and when it fails the assistant shows its extractive answer instead.
"""

from assistant.llm.answering import generate_stream
from assistant.llm.client import ChatClient, GenerationFailed
from assistant.llm.config import LLMConfig, LLMConfigError
from assistant.llm.generator import GeneratedAnswer, LLMGenerator

__all__ = [
    "ChatClient",
    "GeneratedAnswer",
    "GenerationFailed",
    "LLMConfig",
    "LLMConfigError",
    "LLMGenerator",
    "generate_stream",
]
