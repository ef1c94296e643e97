"""Answers written by a language model from numbered passages, then verified."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from assistant.llm.client import ChatClient, GenerationFailed
from assistant.llm.config import LLMConfig
from assistant.llm.prompt import NO_ANSWER, Prompt, build_prompt
from assistant.llm.rewrite import rewrite_query
from assistant.llm.verify import Claim, verify
from assistant.model import Hit, Paragraph, Turn
from corpus.chunking import retrieval_text


@dataclass(frozen=True)
class GeneratedAnswer:
    """The verified paragraph; its refs point into ``passages`` (numbered from 1)."""

    paragraph: Paragraph
    passages: tuple[Hit, ...]
    claims: tuple[Claim, ...]
    warnings: tuple[str, ...] = ()

    @property
    def cited(self) -> tuple[int, ...]:
        return tuple(sorted({ref for claim in self.claims for ref in claim.refs}))


class LLMGenerator:
    def __init__(self, config: LLMConfig, *, client: ChatClient | None = None):
        self.config = config
        self.client = client or ChatClient(config)

    def stream(
        self, question: str, hits: Sequence[Hit], *, history: Sequence[Turn] = ()
    ) -> Iterator[str | GeneratedAnswer]:
        """The reply's text as it arrives, then the verified :class:`GeneratedAnswer`;
        raises :class:`GenerationFailed` if there is none.

        The verified text may differ from the streamed one (a bad marker or an
        uncited sentence removed); a display shows the final text when it comes.
        """
        prompt = self._prompt(question, hits, history)
        pieces: list[str] = []
        for piece in self.client.stream(prompt.messages, max_tokens=self.config.answer_tokens):
            pieces.append(piece)
            yield piece
        yield _verified("".join(pieces), prompt)

    def standalone_query(self, question: str, history: Sequence[Turn]) -> str:
        """A follow-up question rewritten by the model to stand alone (heuristic on failure)."""
        return rewrite_query(self.client, question, history)

    def close(self) -> None:
        self.client.close()

    def _prompt(self, question: str, hits: Sequence[Hit], history: Sequence[Turn]) -> Prompt:
        if not hits:
            raise GenerationFailed("there were no passages to answer from")
        try:
            return build_prompt(
                question,
                hits,
                history=history,
                context_tokens=self.config.context_tokens,
                answer_tokens=self.config.answer_tokens,
            )
        except ValueError as error:
            raise GenerationFailed(str(error)) from None


def _verified(reply: str, prompt: Prompt) -> GeneratedAnswer:
    if not reply.strip():
        raise GenerationFailed("the model returned no text")
    if reply.strip().rstrip(".").upper() == NO_ANSWER:
        raise GenerationFailed("the model found no answer in the passages")
    passages = [retrieval_text(hit.document.title, hit.passage.text) for hit in prompt.passages]
    checked = verify(reply, passages)
    if not checked.claims:
        raise GenerationFailed("the model's answer cites none of the passages")
    return GeneratedAnswer(checked.paragraph, prompt.passages, checked.claims, checked.warnings)
