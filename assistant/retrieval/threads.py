"""Threads of correspondence: bring forward the documents that answered the best hits."""

from __future__ import annotations

from assistant.answering.chronology import sort_key
from assistant.model import Hit
from assistant.retrieval.retriever import Retriever, RetrieverName
from embeddings.filters import Filters

THREAD_SOURCES = 3


def follow_threads(
    retriever: Retriever, query: str, hits: list[Hit], *, name: RetrieverName = "hybrid"
) -> tuple[list[Hit], dict[str, list[int]]]:
    """Bring the documents that answered the best hits right after the best one;
    the hits, and for each reply found where its body refers to what it answers.

    A reply is a document that refers to one of the best hits and is not older than
    it (an editor's "see Document 7" in an earlier paper is not an answer). Replies
    to the best document come forward even when they rank among the best already;
    replies to the others only when they do not. ``name`` is the retriever that
    finds the replies' best passages.
    """
    index = retriever.index
    documents = {hit.document.doc_id: hit.document for hit in hits[:THREAD_SOURCES]}
    top, *others = documents
    referring = {doc_id: index.referenced_by(doc_id) for doc_id in documents}
    known = index.documents({reply for replies in referring.values() for reply in replies})

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
    replies = retriever.search(
        query, k=THREAD_SOURCES, retriever=name, filters=Filters(doc_ids=tuple(later))
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
                for offset in index.mentions(reply, doc_id)
            }
        )
        for reply in {hit.document.doc_id for hit in replies}
    }
    return followed, mentions
