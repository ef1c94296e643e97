"""Answers: composed from hand-made evidence (exact output, no model), then on the bundled
archive with the real model and indexes."""

from __future__ import annotations

import re

import pytest

from assistant.answering.compose import abstain, compose
from assistant.answering.evidence import Candidate, select_evidence
from assistant.model import Evidence, Hit, Paragraph, Quote, Ref, Text, Turn
from assistant.service import (
    EVIDENCE_PASSAGES,
    EVIDENCE_PER_DOCUMENT,
    EVIDENCE_POOL,
    Assistant,
)
from corpus.model import Document, Passage, Span
from embeddings.filters import Filters

# -- composing and selecting, on hand-made documents -----------------------------------

PRESS = Document(
    "a/1",
    "Soviet press",
    "The press is silent on the war. It cites note [2] of the treaty today.",
    collection="Wilson",
    date="1965-06-19",
    place="Moscow",
    citation="Soviet press, REF 1.",
)
REPLY = Document(
    "b/1",
    "Reply",
    "Washington read the cable with some alarm.",
    collection="FRUS",
    date="1965-06-16",
    citation="Reply, REF 2.",
    url="https://example.org/b1",
)


def _hit(document: Document, *, similarity: float = 0.5) -> Hit:
    passage = Passage(document.doc_id, 0, document.text, 0, len(document.text))
    return Hit(0, passage, document, similarity, similarity)


def _evidence(document: Document, sentence: str, score: float) -> Evidence:
    start = document.text.index(sentence)
    return Evidence(_hit(document), start, start + len(sentence), sentence, score)


EVIDENCE = [
    _evidence(PRESS, "It cites note [2] of the treaty today.", 0.9),
    _evidence(REPLY, "Washington read the cable with some alarm.", 0.8),
    _evidence(PRESS, "The press is silent on the war.", 0.7),
]


def test_compose_groups_quotes_by_document_in_reading_order() -> None:
    answer = compose("What did the press say?", EVIDENCE)
    assert answer.paragraphs == (
        Paragraph(
            "quotes",
            (
                Quote("The press is silent on the war.", 1),
                Text(" "),
                Quote("It cites note [2] of the treaty today.", 2),
            ),
            label="Soviet press (Moscow, 1965-06-19)",
        ),
        Paragraph(
            "quotes",
            (Quote("Washington read the cable with some alarm.", 3),),
            label="Reply (1965-06-16)",
        ),
    )
    assert answer.text == (
        "Soviet press (Moscow, 1965-06-19): “The press is silent on the war.” [1] "
        "“It cites note [2] of the treaty today.” [2]\n\n"
        "Reply (1965-06-16): “Washington read the cable with some alarm.” [3]"
    )
    assert [(c.ref, c.doc_id, c.collection, c.char_start, c.quote) for c in answer.citations] == [
        (1, "a/1", "Wilson", 0, "The press is silent on the war."),
        (2, "a/1", "Wilson", 32, "It cites note [2] of the treaty today."),
        (3, "b/1", "FRUS", 0, "Washington read the cable with some alarm."),
    ]
    assert [c.score for c in answer.citations] == [0.7, 0.9, 0.8]
    assert (answer.abstained, answer.query_used, answer.mode) == (
        False,
        answer.question,
        "extractive",
    )
    assert answer.timeline == answer.disagreements == answer.notes == ()


def test_compose_in_date_order_carries_a_timeline() -> None:
    answer = compose("How did it change?", EVIDENCE, chronological=True, notes=("a note",))
    assert [p.label for p in answer.paragraphs] == [
        "Reply (1965-06-16)",
        "Soviet press (Moscow, 1965-06-19)",
    ]
    assert [(c.ref, c.doc_id) for c in answer.citations] == [(1, "b/1"), (2, "a/1"), (3, "a/1")]
    assert [(e.date, e.ref, e.doc_id) for e in answer.timeline] == [
        ("1965-06-16", 1, "b/1"),
        ("1965-06-19", 2, "a/1"),
        ("1965-06-19", 3, "a/1"),
    ]
    assert answer.notes == ("a note",)


def test_compose_says_where_sources_disagree_and_what_is_withheld() -> None:
    fifteen = Document(
        "p/1",
        "Papers",
        "The force was 15 battalions. [Text not declassified]",
        collection="Test",
        date="1965-06-30",
        withheld=(Span(29, 52, "[Text not declassified]"),),
    )
    thirteen = Document(
        "d/4", "Telegram", "He announced 13 battalions.", collection="Test", date="1965-06-16"
    )
    answer = compose(
        "How many battalions?",
        [
            _evidence(fifteen, "The force was 15 battalions.", 0.9),
            _evidence(thirteen, "He announced 13 battalions.", 0.8),
        ],
    )
    assert answer.paragraphs[-1] == Paragraph(
        "disagreement",
        (
            Text("Sources disagree on the number of battalions: "),
            Ref(1),
            Text(" (Papers, 1965-06-30) gives 15 battalions; "),
            Ref(2),
            Text(" (Telegram, 1965-06-16) gives 13 battalions."),
        ),
    )
    assert answer.text.split("\n\n")[-1] == (
        "Sources disagree on the number of battalions: [1] (Papers, 1965-06-30) gives 15 "
        "battalions; [2] (Telegram, 1965-06-16) gives 13 battalions."
    )
    assert [d.refs for d in answer.disagreements] == [(1, 2)]
    assert answer.notes == (
        "Part of Papers is still withheld near this passage: “[Text not declassified]”.",
    )


def test_abstaining_offers_the_closest_documents() -> None:
    hits = [
        _hit(PRESS, similarity=0.31234),
        _hit(PRESS, similarity=0.3),
        _hit(REPLY, similarity=0.2),
    ]
    answer = abstain("Cookies?", hits, limit=3, notes=("a note",))
    assert answer.paragraphs == (
        Paragraph(
            "notice",
            (
                Text(
                    "The archive holds nothing that answers this question closely enough to "
                    "quote. The closest documents are listed below."
                ),
            ),
        ),
    )
    assert [(s.doc_id, s.collection, s.score) for s in answer.closest] == [
        ("a/1", "Wilson", 0.3123),
        ("b/1", "FRUS", 0.2),
    ]
    assert (answer.abstained, answer.citations, answer.notes) == (True, (), ("a note",))
    assert abstain("Cookies?", [], limit=1).closest == ()
    assert abstain("Cookies?", hits, limit=1).closest[0].doc_id == "a/1"
    assert abstain("Cookies?", []).text == "The archive is empty: there is nothing to search."


def _sentences(doc_id: str, count: int) -> list[Candidate]:
    sentences = [f"Sentence {i} of {doc_id} says something here." for i in range(count)]
    document = Document(doc_id, doc_id, " ".join(sentences), collection="Test")
    starts = [document.text.index(sentence) for sentence in sentences]
    return [Candidate(_hit(document), 0, s, s + len(sentences[0])) for s in starts]


def _chosen(evidence: list[Evidence]) -> list[tuple[str, int, float]]:
    """(document, sentence number, score) of each piece of evidence."""
    return [(e.hit.document.doc_id, int(e.quote.split()[1]), e.score) for e in evidence]


A, B, R = _sentences("a", 4), _sentences("b", 2), _sentences("r", 2)


@pytest.mark.parametrize(
    ("candidates", "scores", "options", "expected"),
    [
        # The limit, best first.
        (
            [*A[:3], *B],
            [0.9, 0.95, 0.8, 0.85, 0.7],
            {"limit": 3},
            [("a", 1, 0.95), ("a", 0, 0.9), ("b", 0, 0.85)],
        ),
        # Nothing much weaker than the best sentence (half of it).
        ([A[0], A[1], B[0]], [1.0, 0.51, 0.49], {}, [("a", 0, 1.0), ("a", 1, 0.51)]),
        # Nothing below the absolute floor.
        ([A[0], B[0]], [0.79, 0.78], {"min_score": 0.8}, []),
        # At most ``per_document`` from one document.
        (
            [*A, B[0]],
            [0.99, 0.98, 0.97, 0.96, 0.9],
            {"per_document": 2},
            [("a", 0, 0.99), ("a", 1, 0.98), ("b", 0, 0.9)],
        ),
        ([], [], {}, []),
    ],
)
def test_select_evidence(
    candidates: list[Candidate], scores: list[float], options: dict, expected: list
) -> None:
    assert _chosen(select_evidence(candidates, scores, **options)) == expected


def test_a_reply_in_the_thread_is_heard_at_the_sentence_that_refers() -> None:
    candidates, scores = [A[0], A[1], R[0], R[1]], [1.0, 0.95, 0.5, 0.6]
    at_first = {"r": [R[0].char_start + 3]}
    chosen = select_evidence(candidates, scores, limit=2, min_score=0.4, thread=at_first)
    assert _chosen(chosen) == [("r", 0, 0.5), ("a", 0, 1.0)]  # in place of the weakest other
    anywhere = select_evidence(candidates, scores, limit=3, min_score=0.4, thread={"r": [0]})
    assert _chosen(anywhere) == [("r", 1, 0.6), ("a", 0, 1.0), ("a", 1, 0.95)]  # its best
    # Where it refers, whatever the score; elsewhere only above the floor.
    weak = select_evidence(candidates, scores, limit=2, min_score=0.7, thread=at_first)
    assert _chosen(weak) == [("r", 0, 0.5), ("a", 0, 1.0)]
    too_weak = select_evidence(candidates, scores, limit=2, min_score=0.7, thread={"r": [0]})
    assert _chosen(too_weak) == [("a", 0, 1.0), ("a", 1, 0.95)]


def test_a_thread_answer_follows_the_thread() -> None:
    """The document asked about first, then its reply, then the others by score."""
    candidates, scores = [A[0], B[0], B[1], R[0]], [0.5, 0.9, 0.8, 0.7]
    chosen = select_evidence(candidates, scores, min_score=0.4, thread={"a": (), "r": []})
    assert _chosen(chosen) == [("a", 0, 0.5), ("r", 0, 0.7), ("b", 0, 0.9), ("b", 1, 0.8)]


def test_a_quote_goes_on_with_a_next_sentence_that_points_back_to_it() -> None:
    text = (
        "Some officers want a real revolution. This group includes General Ky. "
        "Others disagree. Quat resigned. It was expected."
    )
    document = Document("d", "d", text, collection="Test")
    sentences = [(m.start(), m.end()) for m in re.finditer(r"[^.]+\.", text)]
    spans = [(start + (text[start] == " "), end) for start, end in sentences]
    candidates = [Candidate(_hit(document), 0, start, end) for start, end in spans]
    quotes = select_evidence(candidates[:4], [0.9, 0.1, 0.8, 0.1], limit=2)
    # "This group ..." points back: quoted with its sentence; "Quat resigned." does not.
    assert [e.quote for e in quotes] == [
        "Some officers want a real revolution. This group includes General Ky.",
        "Others disagree.",
    ]
    assert quotes[0].quote == text[quotes[0].char_start : quotes[0].char_end]
    # A next sentence quoted on its own is not repeated in the one before it.
    both = select_evidence(candidates[3:], [0.9, 0.8])
    assert [e.quote for e in both] == ["Quat resigned.", "It was expected."]
    # A new paragraph is not a sentence going on.
    listed = Document("l", "l", "Do the following:\n\nThat you decide now.", collection="Test")
    first = Candidate(_hit(listed), 0, 0, len("Do the following:"))
    assert [e.quote for e in select_evidence([first], [0.9])] == ["Do the following:"]


# -- on the bundled archive -------------------------------------------------------------

SEED = "wilson/PRC-FMA-109-03654-02"


def _assert_exact(assistant: Assistant, answer) -> None:
    for citation in answer.citations:
        text = assistant.index.store.document(citation.doc_id).text
        assert text[citation.char_start : citation.char_end] == citation.quote
        start = citation.passage_start
        assert text[start : start + len(citation.passage)] == citation.passage
        assert f"[{citation.ref}]" in answer.text


def test_soviet_press_question_quotes_the_seed_cable(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask(
        "What did the embassy claim about Soviet press coverage of Vietnam?"
    )
    assert not answer.abstained
    seed = [c for c in answer.citations if c.doc_id == SEED]
    assert seed, [c.doc_id for c in answer.citations]
    assert any("Soviet press" in c.quote for c in seed)
    assert seed[0].archive_ref == "PRC FMA 109-03654-02, 31-32"
    assert seed[0].date == "1965-06-19"
    _assert_exact(sample_assistant, answer)


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        (
            "What did Ball advise the President about keeping the power of decision?",
            "frus1964-68v03/d7",
        ),
        ("What were the pros and cons of a pause in the bombing in June?", "frus1964-68v03/d8"),
        ("How many battalions did the build-up debate settle on?", "pentagon-papers/IV.C.5"),
    ],
)
def test_answers_cite_the_right_document(
    sample_assistant: Assistant, question: str, doc_id: str
) -> None:
    answer = sample_assistant.ask(question)
    assert not answer.abstained
    assert doc_id in {c.doc_id for c in answer.citations}
    _assert_exact(sample_assistant, answer)


def test_unanswerable_question_is_refused_with_closest_documents(
    sample_assistant: Assistant,
) -> None:
    answer = sample_assistant.ask("What is the best recipe for chocolate chip cookies?")
    assert answer.abstained
    assert answer.citations == ()
    assert "nothing" in answer.text
    assert answer.closest


def test_filters_keep_k_results_inside_the_filter(sample_assistant: Assistant) -> None:
    hits = sample_assistant.search(
        "military situation", k=5, filters=Filters(doc_id_prefix="frus1964-68v03/"), max_per_doc=1
    )
    assert len(hits) == 5
    assert all(h.document.doc_id.startswith("frus1964-68v03/") for h in hits)
    dated = sample_assistant.search(
        "government", k=5, filters=Filters(date_from="1965-06-21", date_to="1965-06-22")
    )
    assert dated and all("1965-06-21" <= h.document.date <= "1965-06-22" for h in dated)


def test_one_long_document_does_not_crowd_out_the_rest(sample_assistant: Assistant) -> None:
    hits = sample_assistant.search("build-up of U.S. forces in Vietnam", k=10, max_per_doc=2)
    per_doc: dict[str, int] = {}
    for hit in hits:
        per_doc[hit.document.doc_id] = per_doc.get(hit.document.doc_id, 0) + 1
    assert max(per_doc.values()) <= 2 and len(per_doc) >= 5


def test_documents_sent_by_a_speaker_follow_the_direction_of_the_title(
    sample_assistant: Assistant,
) -> None:
    # d7 "Memorandum From the Under Secretary of State (Ball) to President Johnson" and d11
    # "... Between the Under Secretary of State (Ball) and the President's Special Assistant
    # (Moyers)" are his; d3 "... Between President Johnson and the Under Secretary" is not.
    sent = sample_assistant.documents_sent_by("Under Secretary")
    assert {"frus1964-68v03/d7", "frus1964-68v03/d11"} <= set(sent)
    assert "frus1964-68v03/d3" not in sent
    assert sample_assistant.documents_sent_by("") == ()


def test_the_evidence_draws_on_the_documents_the_speaker_sent(
    sample_assistant: Assistant,
) -> None:
    """The Ball-Moyers call is not among the passages the question's search ranks first,
    but the Under Secretary sent it, so its best passage is read too."""
    query = (
        "What ceiling on American forces did the Under Secretary of State recommend"
        " to Johnson in his memorandum of June 18?"
    )
    searched = sample_assistant.search(query, k=EVIDENCE_POOL, max_per_doc=EVIDENCE_PER_DOCUMENT)[
        :EVIDENCE_PASSAGES
    ]
    assert "frus1964-68v03/d11" not in {hit.document.doc_id for hit in searched}
    candidates, _ = sample_assistant.evidence_candidates(query)
    assert "frus1964-68v03/d11" in {c.hit.document.doc_id for c in candidates}


def test_keyword_search_finds_file_numbers(sample_assistant: Assistant) -> None:
    hits = sample_assistant.search("POL 27 VIET S", k=5, retriever="bm25")
    assert hits and "POL 27 VIET S" in hits[0].document.text


def test_follow_up_is_rewritten_with_the_conversation(sample_assistant: Assistant) -> None:
    first = "What did Taylor report about the new government in Saigon?"
    answer = sample_assistant.ask(first)
    history = [Turn("user", first), Turn("assistant", answer.text)]
    follow_up = sample_assistant.ask("What did he think of its Cabinet?", history=history)
    assert "Taylor" in follow_up.query_used
    assert "frus1964-68v03/d12" in {c.doc_id for c in follow_up.citations}


def test_answer_says_when_sources_disagree(disagreeing_assistant: Assistant) -> None:
    answer = disagreeing_assistant.ask(
        "What troop levels in battalions did McNamara and Bundy give in June?"
    )
    (conflict,) = answer.disagreements
    by_ref = {c.ref: c for c in answer.citations}
    cited = {by_ref[claim.ref].doc_id: claim.value for claim in conflict.claims}
    assert cited == {"pentagon-papers/IV.C.5": 15, "frus1964-68v03/d4": 13}
    last = answer.text.split("\n\n")[-1]
    assert last.startswith("Sources disagree on the number of battalions: ")
    assert all(f"[{ref}]" in last for ref in conflict.refs)
    _assert_exact(disagreeing_assistant, answer)


@pytest.mark.parametrize(
    "question",
    [
        # Cites "the 44 battalion debate" (a name, not a count) beside the 13 battalions.
        "How many battalions did McNamara announce in June?",
        # The figures all come from one document.
        "How many battalions did Westmoreland request?",
        "What were the pros and cons of a pause in the bombing in June?",
    ],
)
def test_answer_does_not_invent_disagreement(sample_assistant: Assistant, question: str) -> None:
    answer = sample_assistant.ask(question)
    assert not answer.abstained
    assert answer.disagreements == ()
    assert "Sources disagree" not in answer.text


def test_a_month_no_dated_document_covers_is_read_in_an_undated_study_of_it(
    sample_assistant: Assistant,
) -> None:
    # No document is dated March 1965; the Pentagon Papers part covers March - July 1965.
    march = sample_assistant.ask("Where did the Marines land in March 1965?")
    assert march.notes == (
        "Only documents dated 1965-03 and undated documents of that time were searched,"
        " as the question asks.",
    )
    assert {c.doc_id for c in march.citations} == {"pentagon-papers/IV.C.5"}
    assert any("landed at Da Nang" in c.quote for c in march.citations)
    # Documents dated in June 1965 answer for June: the study is not searched.
    june = sample_assistant.ask("What did Taylor report in June 1965 about the generals?")
    assert june.notes == ("Only documents dated 1965-06 were searched, as the question asks.",)
    assert june.citations and all((c.date or "").startswith("1965-06") for c in june.citations)
    # No document dated June 1967, and no study of that time.
    assert sample_assistant.ask("What did Taylor report in June 1967 about the generals?").abstained
