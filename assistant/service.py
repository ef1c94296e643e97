"""The assistant as one object: open an index once, then search and ask."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from assistant.answering.abstention import CALIBRATED, named_terms, should_abstain, term_coverage
from assistant.answering.chronology import (
    asks_what_followed,
    dates_in_question,
    is_about_change,
    sort_key,
)
from assistant.answering.compose import abstain, compose
from assistant.answering.conversation import bounded, standalone_query
from assistant.answering.evidence import (
    Candidate,
    candidate_sentences,
    score_candidates,
    select_evidence,
)
from assistant.model import Answer, Evidence, Hit, Turn
from assistant.retrieval.retriever import Mode, Retriever
from assistant.settings import Settings
from corpus.chunking import retrieval_text
from embeddings.encoder import Encoder
from embeddings.filters import Filters
from embeddings.index import Index
from embeddings.ingest import IngestReport, ingest
from embeddings.keyword import tokenize

if TYPE_CHECKING:
    from assistant.llm import LLMGenerator

EVIDENCE_PASSAGES = 5
THREAD_SOURCES = 3


class Assistant:
    """Retrieval and quoted answers; with a ``generator``, a language model phrases them."""

    def __init__(self, index: Index, encoder: Encoder, *, generator: LLMGenerator | None = None):
        self.index = index
        self.encoder = encoder
        self.retriever = Retriever(index, encoder)
        self.generator = generator

    @classmethod
    def open(cls, settings: Settings, *, generator: LLMGenerator | None = None) -> Assistant:
        index = Index.open(settings.index_dir, model=settings.model)
        manifest = index.manifest
        encoder = Encoder(manifest.model, backend=manifest.backend, quantize=manifest.quantize)
        return cls(index, encoder, generator=generator)

    @classmethod
    def build(
        cls,
        settings: Settings,
        paths: Sequence[Path],
        *,
        progress: bool = True,
        generator: LLMGenerator | None = None,
        encoder: Encoder | None = None,
    ) -> tuple[Assistant, IngestReport]:
        """Open (or create) the index and ingest ``paths`` into it.

        ``encoder`` replaces the in-process model for embedding (a
        :class:`~embeddings.distributed.RayEncoder`, say); queries still use the
        settings' model, which must be the same.
        """
        encoder = encoder or Encoder(
            settings.model, backend=settings.backend, quantize=settings.quantize
        )
        index = Index.open_or_create(
            settings.index_dir,
            model=settings.model,
            chunking=settings.chunking,
            dimension=lambda: encoder.dimension,
        )
        report = ingest(paths, index, encoder, progress=progress)
        return cls(index, encoder, generator=generator), report

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        max_per_doc: int | None = 3,
        sort: Literal["score", "date"] = "score",
    ) -> list[Hit]:
        """The ``k`` best passages; ``sort="date"`` lists those same passages oldest first."""
        hits = self.retriever.search(
            query, k=k, mode=mode, filters=filters, max_per_doc=max_per_doc
        )
        if sort == "date":
            hits.sort(key=lambda hit: sort_key(hit.document.date))
        return hits

    def ask(
        self,
        question: str,
        *,
        k: int = 8,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Answer ``question`` in the conversation ``history`` (earlier turns, oldest first).

        Dates named in the question ("between June 13 and 23, 1965") restrict the
        search unless ``filters`` already set dates. With a language model, the
        model writes the answer from the passages; if it fails, the quotes stand
        and the answer's ``warnings`` say so.
        """
        *_, answer = self.ask_stream(question, k=k, mode=mode, filters=filters, history=history)
        assert isinstance(answer, Answer)  # the stream always ends with it
        return answer

    def ask_stream(
        self,
        question: str,
        *,
        k: int = 8,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        history: Sequence[Turn] = (),
    ) -> Iterator[str | Answer]:
        """As :meth:`ask`, but first the answer's text as the language model writes it.

        The last item is always the :class:`Answer`, whose text (verified) replaces
        the streamed one; without a model, or when the archive holds no evidence,
        it is the only item.
        """
        turns = bounded(history)
        extractive, hits, notes = self._extractive(question, k, mode, filters, turns)
        if self.generator is None:
            yield extractive
            return
        from assistant.llm import generate_stream

        yield from generate_stream(self.generator, extractive, hits, history=turns, notes=notes)

    def _extractive(
        self,
        question: str,
        k: int,
        mode: Mode,
        filters: Filters | None,
        turns: Sequence[Turn],
    ) -> tuple[Answer, list[Hit], tuple[str, ...]]:
        """The quoted answer, the passages it drew on and the notes about the search."""
        if self.generator is not None:
            query = self.generator.standalone_query(question, turns)
        else:
            query = standalone_query(question, turns)
        filters, notes = _with_question_dates(question, filters or Filters())
        hits = self.search(query, k=k, mode=mode, filters=filters)
        replies: dict[str, list[int]] = {}
        if hits and asks_what_followed(question):
            hits, replies = self._follow_threads(query, hits, mode)
        if not hits or should_abstain(*self.abstention_signals(query, hits)):
            return abstain(question, hits, query_used=query, notes=notes), hits, notes
        candidates = candidate_sentences(hits[:EVIDENCE_PASSAGES])
        evidence = self._evidence(query, candidates, replies) if candidates else []
        if not evidence:
            return abstain(question, hits, query_used=query, notes=notes), hits, notes
        answer = compose(
            question,
            evidence,
            query_used=query,
            chronological=is_about_change(question),
            notes=notes,
        )
        return answer, hits, notes

    def abstention_signals(self, query: str, hits: Sequence[Hit]) -> tuple[float, float]:
        """The best passage's similarity, and how much of the query the passages cover."""
        texts = [retrieval_text(hit.document.title, hit.passage.text) for hit in hits]
        passage_terms = {term for terms in tokenize(texts) for term in terms}
        coverage = term_coverage(tokenize([named_terms(query)])[0], passage_terms)
        return max(hit.similarity for hit in hits), coverage

    def _follow_threads(
        self, query: str, hits: list[Hit], mode: Mode
    ) -> tuple[list[Hit], dict[str, list[int]]]:
        """Bring the documents that answered the best hits right after the best one;
        the hits, and for each reply found where its body refers to what it answers.

        A reply is a document that refers to one of the best hits and is not older than
        it (an editor's "see Document 7" in an earlier paper is not an answer). Replies
        to the best document come forward even when they rank among the best already;
        replies to the others only when they do not.
        """
        store = self.index.store
        documents = {hit.document.doc_id: hit.document for hit in hits[:THREAD_SOURCES]}
        top, *others = documents
        referring = {doc_id: store.referenced_by(doc_id) for doc_id in documents}
        known = store.documents({reply for replies in referring.values() for reply in replies})

        def replies_to(doc_id: str) -> set[str]:
            since = sort_key(documents[doc_id].date)
            return {
                reply
                for reply in referring[doc_id]
                if reply in known and sort_key(known[reply].date) >= since
            }

        later = replies_to(top) | ({r for doc in others for r in replies_to(doc)} - set(others))
        later.discard(top)
        if not later:
            return hits, {}
        replies = self.search(
            query, k=THREAD_SOURCES, mode=mode, filters=Filters(doc_ids=tuple(later))
        )
        moved = {reply.passage_id for reply in replies}
        followed = [hits[0], *replies, *(hit for hit in hits[1:] if hit.passage_id not in moved)]
        # A reference in a footnote ("2. Document 7.") counts where its mark stands.
        mentions = {
            reply: sorted(
                {
                    known[reply].in_body(offset)
                    for doc_id in documents
                    if reply in referring[doc_id]
                    for offset in store.mentions(reply, doc_id)
                }
            )
            for reply in {hit.document.doc_id for hit in replies}
        }
        return followed, mentions

    def _evidence(
        self, query: str, candidates: list[Candidate], replies: Mapping[str, Collection[int]]
    ) -> list[Evidence]:
        texts = [c.text for c in candidates]
        # Each sentence is judged with its document's title, as passages are retrieved.
        in_context = [retrieval_text(c.hit.document.title, c.text) for c in candidates]
        similarities = self.encoder.encode(in_context) @ self.encoder.encode_query(query)
        scores = score_candidates(
            candidates,
            np.asarray(similarities).tolist(),
            set(tokenize([query])[0]),
            [set(terms) for terms in tokenize(texts)],
        )
        return select_evidence(
            candidates, scores, min_score=CALIBRATED.similarity * 0.7, required=replies
        )


def _with_question_dates(question: str, filters: Filters) -> tuple[Filters, tuple[str, ...]]:
    if filters.date_from or filters.date_to or not (asked := dates_in_question(question)):
        return filters, ()
    span = " to ".join(dict.fromkeys(d for d in (asked.date_from, asked.date_to) if d))
    bound = "from " if asked.date_to is None else "up to " if asked.date_from is None else ""
    note = f"Only documents dated {bound}{span} were searched, as the question asks."
    return replace(filters, date_from=asked.date_from, date_to=asked.date_to), (note,)
