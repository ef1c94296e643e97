"""The assistant as one object, the one door of every edge (CLI, web, evaluation, MCP):
open an index once, then search, ask, read documents, cite them, ingest and remove."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from assistant.answering.abstention import (
    QUESTION_TERMS,
    missing_years,
    named_terms,
    should_abstain,
    term_coverage,
    unknown_names,
)
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
    select_evidence,
)
from assistant.answering.sentence_ranker import (
    FEATURES,
    QuestionTerms,
    answer_probabilities,
    asked_kind,
    features,
    sender_and_recipient,
    subject,
)
from assistant.formats.exports import citation
from assistant.model import Answer, DocumentRecord, Hit, Turn
from assistant.retrieval.retriever import Retriever, RetrieverName
from assistant.retrieval.threads import follow_threads
from assistant.settings import Settings
from corpus.chunking import retrieval_text, tiktoken_counter
from corpus.citation import human_date
from corpus.model import Document
from embeddings.encoder import Encoder
from embeddings.filters import Filters
from embeddings.index import Index, IndexStats
from embeddings.ingest import BATCH_PASSAGES, IngestReport, ingest, ingest_documents, remove
from embeddings.keyword import tokenize
from embeddings.sentence_vectors import with_missing_encoded

if TYPE_CHECKING:
    from assistant.formats.exports import CitationFormat
    from assistant.llm import LLMGenerator


# Evidence is drawn from more passages than an answer lists (their query vector is cached):
# the sentence that answers is often in a document's second or third best passage, and no
# document gives more than three, so a long study leaves room for the short cables.
EVIDENCE_POOL = 20
EVIDENCE_PER_DOCUMENT = 3
EVIDENCE_PASSAGES = 12
# A question about what someone said ("What did Ball advise ...") also draws on the best
# passages of the documents that person sent, one from each, up to this many: a short memo
# of theirs may rank below a long study that tells of it.
SPEAKER_PASSAGES = 3
# The least probability (sentence_ranker) at which a sentence is quoted at all.
MIN_ANSWER_PROBABILITY = 0.15


class Assistant:
    """Retrieval and quoted answers; with a ``generator``, a language model phrases them."""

    def __init__(self, index: Index, encoder: Encoder, *, generator: LLMGenerator | None = None):
        self.index = index
        self.encoder = encoder
        self.retriever = Retriever(index, encoder)
        self.generator = generator
        # Each document's sender as keyword terms, for the index generation they were read in.
        self._senders: tuple[int, dict[str, frozenset[str]]] = (-1, {})

    @classmethod
    def open(cls, settings: Settings, *, generator: LLMGenerator | None = None) -> Assistant:
        """The index at ``settings.index_dir``; queries are encoded as its passages were.

        The index decides the model, backend and precision: the settings' choice of them
        is for a new index (:meth:`create`).
        """
        index = Index.open(settings.index_dir)
        return cls(index, index.encoder(), generator=generator)

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        generator: LLMGenerator | None = None,
        encoder: Encoder | None = None,
    ) -> Assistant:
        """Open the index for writing, or create an empty one, embedding with ``encoder``
        (default: the settings' model, backend and precision).

        ``encoder`` replaces the in-process model (a
        :class:`~embeddings.distributed.RayEncoder`, say); it must be the settings' model.
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
        batch: int = BATCH_PASSAGES,
    ) -> tuple[Assistant, IngestReport]:
        """:meth:`create`, then :meth:`ingest` ``paths``."""
        assistant = cls.create(settings, generator=generator, encoder=encoder)
        return assistant, assistant.ingest(paths, progress=progress, batch=batch)

    def ingest(
        self, paths: Iterable[Path], *, progress: bool = True, batch: int = BATCH_PASSAGES
    ) -> IngestReport:
        """Add or update the documents of the files and folders ``paths``, committing
        about ``batch`` passages at a time (an interrupted ingest resumes from there)."""
        return ingest(paths, self.index, self.encoder, progress=progress, batch=batch)

    def ingest_documents(
        self, documents: Iterable[Document], *, progress: bool = True
    ) -> IngestReport:
        """Add or update ``documents`` already read (a BEIR corpus, say)."""
        return ingest_documents(documents, self.index, self.encoder, progress=progress)

    def remove(self, doc_id: str) -> bool:
        """Delete a document from every part of the index; False if it was not there."""
        return remove(self.index, doc_id)

    def with_encoder(self, encoder: Encoder) -> Assistant:
        """The same index and generator, with queries encoded by ``encoder`` (the same model's:
        the evaluation's, say, with its questions encoded in batches up front)."""
        return Assistant(self.index, encoder, generator=self.generator)

    def close(self) -> None:
        self.index.close()

    def warm_up(self) -> None:
        """Load what the first question would (the model, FAISS, BM25, the stored sentence
        vectors, the conversation's token counter) and rank one query's evidence, so that a
        server's first reader waits no longer than the tenth."""
        tiktoken_counter()
        self.evidence_candidates("warm up")

    @property
    def directory(self) -> Path:
        return self.index.directory

    @property
    def generation(self) -> int:
        """The index's generation: one more with every committed write."""
        return self.index.generation

    def document(self, doc_id: str) -> DocumentRecord | None:
        """The document with its thread: what it refers to and what refers to it."""
        document = self.index.document(doc_id)
        if document is None:
            return None
        return DocumentRecord(
            document,
            references=tuple(self.index.references(doc_id)),
            referenced_by=tuple(self.index.referenced_by(doc_id)),
        )

    def cite(self, doc_id: str, format: CitationFormat = "chicago") -> str | None:
        """The document's citation as text: a Chicago footnote, CSL-JSON or BibTeX."""
        document = self.index.document(doc_id)
        return None if document is None else citation(document, format)

    def stats(self) -> IndexStats:
        """Documents and passages per collection, the model and how it runs, size on disk."""
        return self.index.stats()

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        retriever: RetrieverName = "hybrid",
        filters: Filters | None = None,
        max_per_doc: int | None = 3,
        sort: Literal["score", "date"] = "score",
    ) -> list[Hit]:
        """The ``k`` best passages; ``sort="date"`` lists those same passages oldest first."""
        hits = self.retriever.search(
            query, k=k, retriever=retriever, filters=filters, max_per_doc=max_per_doc
        )
        if sort == "date":
            hits.sort(key=lambda hit: sort_key(hit.document.date))
        return hits

    def ask(
        self,
        question: str,
        *,
        k: int = 8,
        retriever: RetrieverName = "hybrid",
        filters: Filters | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Answer ``question`` in the conversation ``history`` (earlier turns, oldest first).

        Dates named in the question ("between June 13 and 23, 1965") restrict the
        search unless ``filters`` already set dates. With a language model, the
        model writes the answer from the passages; if it fails, the quotes stand
        and the answer's ``warnings`` say so.
        """
        *_, answer = self.ask_stream(
            question, k=k, retriever=retriever, filters=filters, history=history
        )
        assert isinstance(answer, Answer)  # the stream always ends with it
        return answer

    def ask_stream(
        self,
        question: str,
        *,
        k: int = 8,
        retriever: RetrieverName = "hybrid",
        filters: Filters | None = None,
        history: Sequence[Turn] = (),
    ) -> Iterator[str | Answer]:
        """As :meth:`ask`, but first the answer's text as the language model writes it.

        The last item is always the :class:`Answer`, whose text (verified) replaces
        the streamed one; without a model, or when the archive holds no evidence,
        it is the only item.
        """
        turns = bounded(history)
        extractive, hits, notes = self._extractive(question, k, retriever, filters, turns)
        if self.generator is None:
            yield extractive
            return
        from assistant.llm import generate_stream

        yield from generate_stream(self.generator, extractive, hits, history=turns, notes=notes)

    def _extractive(
        self,
        question: str,
        k: int,
        retriever: RetrieverName,
        filters: Filters | None,
        turns: Sequence[Turn],
    ) -> tuple[Answer, list[Hit], tuple[str, ...]]:
        """The quoted answer, the passages it drew on and the notes about the search."""
        if self.generator is not None:
            query = self.generator.standalone_query(question, turns)
        else:
            query = standalone_query(question, turns)
        hits, filters, notes = self.question_search(
            question, query, k=k, retriever=retriever, filters=filters
        )
        replies: dict[str, list[int]] = {}
        if hits and asks_what_followed(question):
            hits, replies = follow_threads(self.retriever, query, hits, name=retriever)
        if not self._answerable(query, hits):
            return abstain(question, hits, query_used=query, notes=notes), hits, notes
        candidates, rows = self.evidence_candidates(
            query, k=k, retriever=retriever, filters=filters, thread=hits if replies else ()
        )
        evidence = (
            select_evidence(
                candidates,
                answer_probabilities(rows),
                min_score=MIN_ANSWER_PROBABILITY,
                thread={hits[0].document.doc_id: (), **replies} if replies else None,
            )
            if candidates
            else []
        )
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
        # A passage is read under its document's heading: title, place and date.
        texts = [
            " ".join(
                (
                    retrieval_text(hit.document.title, hit.passage.text),
                    hit.document.place or "",
                    human_date(hit.document.date) if hit.document.date else "",
                )
            )
            for hit in hits
        ]
        passage_terms = {term for terms in tokenize(texts) for term in terms}
        coverage = term_coverage(tokenize([named_terms(query)])[0], passage_terms)
        return max(hit.similarity for hit in hits), coverage

    def question_search(
        self,
        question: str,
        query: str,
        *,
        k: int = 8,
        retriever: RetrieverName = "hybrid",
        filters: Filters | None = None,
    ) -> tuple[list[Hit], Filters, tuple[str, ...]]:
        """The passages for ``query`` (``question`` made standalone) in the dates the
        question names, the filters that found them and the note that says so.

        Documents dated then come first; when none of them answers, the undated ones of
        that time are searched too (:func:`with_question_dates`).
        """
        asked, notes = with_question_dates(question, filters or Filters())
        hits = self.search(query, k=k, retriever=retriever, filters=asked)
        if notes and not self._answerable(query, hits):
            asked, notes = with_question_dates(question, filters or Filters(), undated=True)
            hits = self.search(query, k=k, retriever=retriever, filters=asked)
        return hits, asked, notes

    def _answerable(self, query: str, hits: Sequence[Hit]) -> bool:
        """Whether the passages found may hold an answer (else the answer abstains)."""
        return bool(hits) and not (
            self._near_miss(query, hits) or should_abstain(*self.abstention_signals(query, hits))
        )

    def _near_miss(self, query: str, hits: Sequence[Hit]) -> bool:
        """The question names a year its passages never mention, or a name the archive
        never does (the same people, another year or affair)."""
        passages = [
            (hit.document.date or hit.document.extra.get("period"), hit.passage.text)
            for hit in hits
        ]
        return bool(missing_years(query, passages) or unknown_names(query, self._lacks))

    def _lacks(self, word: str) -> bool:
        terms = set(tokenize([word])[0]) - QUESTION_TERMS
        return bool(terms) and bool(self.index.keywords.unknown(terms))

    def documents_sent_by(self, speaker: str) -> tuple[str, ...]:
        """The documents whose sender (their fields, or the "From ... to ..." of their
        title) names ``speaker`` (:func:`subject`)."""
        wanted = set(tokenize([speaker])[0])
        if not wanted:
            return ()
        generation, senders = self._senders
        if generation != self.index.generation:
            generation = self.index.generation
            headings = self.index.headings()
            terms = tokenize([sender_and_recipient(heading)[0] for heading in headings])
            senders = {h.doc_id: frozenset(t) for h, t in zip(headings, terms, strict=True)}
            self._senders = (generation, senders)
        return tuple(doc_id for doc_id, terms in senders.items() if terms & wanted)

    def evidence_candidates(
        self,
        query: str,
        *,
        k: int = 8,
        retriever: RetrieverName = "hybrid",
        filters: Filters | None = None,
        thread: Sequence[Hit] = (),
    ) -> tuple[list[Candidate], np.ndarray]:
        """The sentences an answer to ``query`` (standalone) may quote, and their
        sentence_ranker features.

        They come from the best passages found and the best of the documents sent by
        the question's subject (:data:`SPEAKER_PASSAGES`), after those of ``thread`` when
        the question asks how someone reacted (:func:`follow_threads`); then the question's
        subject is not taken for the documents' speaker: the President's reaction to a
        memorandum is told by others, in answer to the memorandum he received.
        """
        found = self.search(
            query,
            k=max(k, EVIDENCE_POOL),
            retriever=retriever,
            filters=filters,
            max_per_doc=EVIDENCE_PER_DOCUMENT,
        )
        taken = {hit.passage_id for hit in thread}
        pool = [*thread, *(hit for hit in found if hit.passage_id not in taken)]
        pool = pool[: len(thread) + EVIDENCE_PASSAGES]
        if not thread and (sent := self.documents_sent_by(subject(query))):
            taken = {hit.passage_id for hit in pool}
            own = self.search(
                query,
                k=SPEAKER_PASSAGES,
                retriever=retriever,
                filters=replace(filters or Filters(), doc_ids=sent),
                max_per_doc=1,
            )
            pool += [hit for hit in own if hit.passage_id not in taken]
        candidates = candidate_sentences(pool)
        if not candidates:
            return [], np.zeros((0, len(FEATURES)))
        texts = [c.text for c in candidates]
        # Each sentence's vector, read in its passage, was embedded at ingest (an older
        # index's are encoded here).
        keys = [(c.hit.document.doc_id, c.char_start, c.char_end) for c in candidates]
        vectors = with_missing_encoded(
            self.index.sentence_vectors(keys),
            [(c.hit.document, c.hit.passage, c.char_start, c.char_end) for c in candidates],
            self.encoder,
        )
        similarities = np.asarray(vectors @ self.encoder.encode_query(query)).tolist()
        documents = list({c.hit.document.doc_id: c.hit.document for c in candidates}.values())
        # One call to the tokenizer for the question, its subject, the sentences and the
        # documents' senders and recipients.
        query_terms, subject_terms, *terms = tokenize(
            [
                query,
                "" if thread else subject(query),
                *texts,
                *(part for document in documents for part in sender_and_recipient(document)),
            ]
        )
        sentence_terms, people = terms[: len(texts)], iter(terms[len(texts) :])
        correspondents = {d.doc_id: (set(next(people)), set(next(people))) for d in documents}
        rows = features(
            QuestionTerms(frozenset(query_terms), frozenset(subject_terms), asked_kind(query)),
            candidates,
            similarities,
            sentence_terms,
            [correspondents[c.hit.document.doc_id] for c in candidates],
        )
        return candidates, rows


def with_question_dates(
    question: str, filters: Filters, *, undated: bool = False
) -> tuple[Filters, tuple[str, ...]]:
    """``filters`` with the dates the question names ("in June 1965"), unless they set
    dates already, and the note that says so; with ``undated``, also the undated
    documents of that period (:class:`Filters`)."""
    if filters.date_from or filters.date_to or not (asked := dates_in_question(question)):
        return filters, ()
    span = " to ".join(dict.fromkeys(d for d in (asked.date_from, asked.date_to) if d))
    bound = "from " if asked.date_to is None else "up to " if asked.date_from is None else ""
    scope = " and undated documents of that time" if undated else ""
    note = f"Only documents dated {bound}{span}{scope} were searched, as the question asks."
    dated = replace(filters, date_from=asked.date_from, date_to=asked.date_to, undated=undated)
    return dated, (note,)
