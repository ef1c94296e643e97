"""Dates in questions, timelines, withheld text and threads on the bundled archive."""

from __future__ import annotations

import pytest

from assistant.answering.chronology import dates_in_question, is_about_change, sort_key
from assistant.service import Assistant


@pytest.mark.parametrize(
    ("question", "date_from", "date_to"),
    [
        ("What happened between June 13 and June 23, 1965?", "1965-06-13", "1965-06-23"),
        ("How did the debate change between June 13 and 23, 1965?", "1965-06-13", "1965-06-23"),
        ("What did Taylor say after June 20, 1965?", "1965-06-20", None),
        ("What did Taylor cable after Jun. 20th, 1965?", "1965-06-20", None),
        ("What was decided before July 1, 1965?", None, "1965-07-01"),
        ("What did Ball write in June 1965?", "1965-06", "1965-06"),
        # A day's events are reported that day or in the week after.
        ("What did the Soviets convene on June 16, 1965?", "1965-06-16", "1965-06-23"),
        ("What did Taylor cable on June 30, 1965?", "1965-06-30", "1965-07-07"),
        ("What did Westmoreland report on 7 June 1965?", "1965-06-07", "1965-06-14"),
        ("What was in Ball's memorandum of June 18, 1965?", "1965-06-18", "1965-06-25"),
        ("Who attended the meeting of 23rd June 1965?", "1965-06-23", "1965-06-30"),
        # "Of" a month is a part of it, not a dated record.
        ("What happened near Quang Ngai at the end of May 1965?", None, None),
        ("What did Ball write?", None, None),
    ],
)
def test_dates_named_in_a_question_become_filters(
    question: str, date_from: str | None, date_to: str | None
) -> None:
    filters = dates_in_question(question)
    found = (filters.date_from, filters.date_to) if filters else (None, None)
    assert found == (date_from, date_to)


def test_partial_and_missing_dates_sort_sensibly() -> None:
    dates = ["1965-06-19", None, "1965-06", "1965", "1965-06-02"]
    assert sorted(dates, key=sort_key) == ["1965", "1965-06", "1965-06-02", "1965-06-19", None]


def test_change_over_time_questions_are_recognised() -> None:
    assert is_about_change("How did the American position change in June 1965?")
    assert not is_about_change("What did the embassy claim about Soviet press coverage?")


def test_timeline_orders_evidence_by_document_date(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask(
        "How did the assessment of the new Saigon government change between June 13 and 23, 1965?"
    )
    assert not answer.abstained and answer.timeline
    dates = [entry.date or "undated" for entry in answer.timeline]
    assert dates == sorted(dates)
    assert all("1965-06-13" <= d <= "1965-06-23" for d in dates)
    assert any("1965-06-13 to 1965-06-23" in note for note in answer.notes)


def test_frus_references_resolve_in_both_directions(sample_assistant: Assistant) -> None:
    store = sample_assistant.index.store
    d15 = dict(store.references("frus1964-68v03/d15"))
    assert d15["Document 14"] == "frus1964-68v03/d14"
    assert d15["Document 16"] == "frus1964-68v03/d16"
    assert "frus1964-68v03/d16" in store.referenced_by("frus1964-68v03/d15")
    assert "frus1964-68v03/d11" in store.referenced_by("frus1964-68v03/d7")
    unresolved = dict(store.references("frus1964-68v03/d9"))
    assert unresolved["telegram 4311 from Saigon"] is None


def test_an_answer_next_to_a_gap_says_so(sample_assistant: Assistant) -> None:
    d2 = sample_assistant.index.store.document("frus1964-68v03/d2")
    assert d2 is not None
    assert any(s.kind == "not-declassified" for s in d2.withheld)
    assert sample_assistant.index.store.withheld_counts()["frus1964-68v03/d2"] == 2
    # The embassy's outline of the coming government names a source still withheld.
    answer = sample_assistant.ask(
        "What form of government did the embassy expect the real revolution to bring?"
    )
    assert "frus1964-68v03/d2" in {c.doc_id for c in answer.citations}
    assert any(
        "Telegram From the Embassy in Vietnam" in note and "still withheld" in note
        for note in answer.notes
    ), answer.notes


def test_a_question_about_the_reaction_follows_the_thread(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask(
        "How did the President react to Ball's memorandum on keeping the power of decision?"
    )
    cited = [c.doc_id for c in answer.citations]
    assert cited[0] == "frus1964-68v03/d7"
    assert "frus1964-68v03/d11" in cited  # d11 reports the President's reaction to d7
    # ... quoted where it speaks of Ball's memo (footnote 2 there: "Document 7."), not from
    # its source note, which says where it is kept and not what happened.
    quotes = [c.quote for c in answer.citations if c.doc_id == "frus1964-68v03/d11"]
    assert any("the Pres had read the V-N memo" in quote for quote in quotes), quotes
    assert not any("Transcribed by" in quote for quote in quotes)


def test_a_range_given_backwards_is_read_forwards() -> None:
    found = dates_in_question("What changed between July 1965 and June 1965?")
    assert found is not None
    assert (found.date_from, found.date_to) == ("1965-06", "1965-07")


def test_a_day_named_reaches_the_reports_written_in_the_week_after(
    sample_assistant: Assistant,
) -> None:
    # The Chinese embassy's cable of June 19 tells of a conference of June 16.
    answer = sample_assistant.ask("What did the Soviets convene in Moscow on June 16, 1965?")
    assert answer.notes == (
        "Only documents dated 1965-06-16 to 1965-06-23 were searched, as the question asks.",
    )
    assert "wilson/PRC-FMA-109-03654-02" in {c.doc_id for c in answer.citations}
