"""Answers on the bundled archive, with the real model and indexes."""

from __future__ import annotations

import pytest

from assistant.model import Turn
from assistant.service import Assistant
from embeddings.filters import Filters

SEED = "wilson/PRC-FMA-109-03654-02"


def _assert_exact(assistant: Assistant, answer) -> None:
    for citation in answer.citations:
        text = assistant.index.store.document(citation.doc_id).text
        assert text[citation.char_start : citation.char_end] == citation.quote
        start = citation.passage_start
        assert text[start : start + len(citation.passage)] == citation.passage
        assert f"[{citation.ref}]" in answer.answer


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
    assert "nothing" in answer.answer
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


def test_keyword_search_finds_file_numbers(sample_assistant: Assistant) -> None:
    hits = sample_assistant.search("POL 27 VIET S", k=5, mode="bm25")
    assert hits and "POL 27 VIET S" in hits[0].document.text


def test_follow_up_is_rewritten_with_the_conversation(sample_assistant: Assistant) -> None:
    first = "What did Taylor report about the new government in Saigon?"
    answer = sample_assistant.ask(first)
    history = [Turn("user", first), Turn("assistant", answer.answer)]
    follow_up = sample_assistant.ask("What did he think of its Cabinet?", history=history)
    assert "Taylor" in follow_up.query_used
    assert "frus1964-68v03/d12" in {c.doc_id for c in follow_up.citations}


def test_answer_says_when_sources_disagree(sample_assistant: Assistant) -> None:
    # The Pentagon Papers put the force SecDef announced in June at 15 battalions;
    # Bundy's cable of June 16 (FRUS III, Document 4) at 13.
    answer = sample_assistant.ask(
        "What troop levels had McNamara announced in June, in battalions and men?"
    )
    (conflict,) = answer.disagreements
    by_ref = {c.ref: c for c in answer.citations}
    cited = {by_ref[claim.ref].doc_id: claim.value for claim in conflict.claims}
    assert cited == {"pentagon-papers/IV.C.5": 15, "frus1964-68v03/d4": 13}
    last = answer.answer.split("\n\n")[-1]
    assert last.startswith("Sources disagree on the number of battalions: ")
    assert all(f"[{ref}]" in last for ref in conflict.refs)
    _assert_exact(sample_assistant, answer)


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
    assert "Sources disagree" not in answer.answer
