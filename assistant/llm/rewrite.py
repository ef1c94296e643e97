"""Follow-up questions made standalone by the language model.

The model resolves "he" and "that cable" better than the keyword heuristic of
:func:`assistant.answering.conversation.standalone_query`, which stays the fallback when the
model fails or replies with something that is not a query.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.conversation import bounded, standalone_query
from assistant.llm.client import ChatClient, GenerationFailed
from assistant.llm.prompt import strip_markers
from assistant.model import Turn

SYSTEM = """\
You rewrite the last question of a conversation about an archive of diplomatic \
documents as a standalone search query. Replace pronouns and references such as \
"he", "that cable" or "the same month" with what they stand for in the conversation. \
Reply with the query only, on one line, without explanation. If the question already \
stands alone, repeat it unchanged."""
QUERY_TOKENS = 96
MAX_QUERY_CHARS = 400
_TURN_CHARS = 600
_LABELS = ("query:", "standalone query:", "search query:", "rewritten question:")


def rewrite_query(client: ChatClient, question: str, history: Sequence[Turn]) -> str:
    """``question`` as a standalone query, or the heuristic's version if the model fails."""
    history = bounded(history)
    if not any(turn.role == "user" for turn in history):
        return question
    try:
        reply = client.complete(_messages(question, history), max_tokens=QUERY_TOKENS)
    except GenerationFailed:
        return standalone_query(question, history)
    return _query(reply) or standalone_query(question, history)


def _messages(question: str, history: Sequence[Turn]) -> list[dict[str, str]]:
    transcript = "\n".join(
        f"{turn.role.capitalize()}: {_clipped(strip_markers(turn.content))}" for turn in history
    )
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Conversation:\n{transcript}\n\nLast question: {question}"},
    ]


def _clipped(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _TURN_CHARS else text[: _TURN_CHARS - 1] + "…"


def _query(reply: str) -> str | None:
    """The first line of the reply without a label or quotes; None if it is no query."""
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return None
    query = lines[0]
    if query.lower().startswith(_LABELS):
        query = query.split(":", 1)[1].strip()
    query = query.strip("\"'“”‘’` ")
    return query if 0 < len(query) <= MAX_QUERY_CHARS else None
