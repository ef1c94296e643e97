"""A generated answer as an :class:`Answer`, or the extractive one when generation fails.

Each passage the model cites becomes a :class:`Citation` numbered as in the prompt;
its quote is the passage's sentence that best matches the claims citing it, an
exact stretch of the document like every other quote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace

from assistant.answering.compose import citation_for, disagreements_among, withheld_note
from assistant.answering.evidence import candidate_sentences
from assistant.llm.client import GenerationFailed
from assistant.llm.generator import GeneratedAnswer, LLMGenerator
from assistant.model import Answer, Citation, Evidence, Hit, Turn
from corpus.sentences import sentence_spans
from embeddings.keyword import tokenize

logger = logging.getLogger(__name__)

FALLBACK = "The language model did not answer ({reason}); showing the extractive answer."


def generate_stream(
    generator: LLMGenerator,
    extractive: Answer,
    hits: Sequence[Hit],
    *,
    history: Sequence[Turn] = (),
    notes: Sequence[str] = (),
) -> Iterator[str | Answer]:
    """Text as the model writes it, then the model's verified :class:`Answer`.

    If the model fails, the last item is ``extractive`` with a warning; an abstention
    stands (the model is only asked when the archive has evidence).
    """
    if extractive.abstained:
        yield extractive
        return
    try:
        for item in generator.stream(extractive.question, hits, history=history):
            yield item if isinstance(item, str) else generated_answer(extractive, item, notes=notes)
    except GenerationFailed as error:
        yield fell_back(extractive, error)


def fell_back(extractive: Answer, error: GenerationFailed) -> Answer:
    logger.warning("language model failed, answering extractively: %s", error)
    warning = FALLBACK.format(reason=error.reason)
    return replace(extractive, mode="fallback", warnings=(*extractive.warnings, warning))


def generated_answer(
    extractive: Answer, generated: GeneratedAnswer, *, notes: Sequence[str] = ()
) -> Answer:
    citations = [_citation(ref, generated) for ref in generated.cited]
    gaps = [
        note
        for ref, citation in zip(generated.cited, citations, strict=True)
        if (note := withheld_note(generated.passages[ref - 1], citation.char_start))
    ]
    conflicts, said = disagreements_among(citations)
    return Answer(
        question=extractive.question,
        paragraphs=(generated.paragraph, *said),
        abstained=False,
        citations=tuple(citations),
        query_used=extractive.query_used,
        notes=(*notes, *dict.fromkeys(gaps)),
        mode="generated",
        warnings=generated.warnings,
        disagreements=conflicts,
    )


def _citation(ref: int, generated: GeneratedAnswer) -> Citation:
    hit = generated.passages[ref - 1]
    claims = [set(terms) for terms in tokenize([c.text for c in generated.claims if ref in c.refs])]
    spans = [(c.char_start, c.char_end) for c in candidate_sentences([hit])] or sentence_spans(
        hit.document.text, hit.passage.char_start, hit.passage.char_end
    )
    text = hit.document.text
    sentences = [set(terms) for terms in tokenize([text[s:e] for s, e in spans])]
    scores = [max((len(c & s) / len(c) if c else 0.0) for c in claims) for s in sentences]
    best = max(range(len(spans)), key=lambda i: scores[i])
    start, end = spans[best]
    return citation_for(ref, Evidence(hit, start, end, text[start:end], scores[best]))
