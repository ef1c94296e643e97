"""The sentence ranker's signals, on hand-made documents (pure), and on the bundled archive."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.evidence import Candidate
from assistant.answering.sentence_ranker import (
    FEATURES,
    QuestionTerms,
    answer_probabilities,
    asked_kind,
    features,
    sender_and_recipient,
    subject,
)
from assistant.model import Hit
from assistant.service import Assistant
from corpus.model import Document, Passage

BALL_MEMO = Document(
    "frus/d7",
    "Memorandum From the Under Secretary of State (Ball) to President Johnson",
    "I recommend that we hold at 100,000 men. Keeping the Power of Decision",
    collection="FRUS",
    author="Ball",
    recipient="Johnson",
)
CALL = Document(
    "frus/d3",
    "Memorandum of Telephone Conversation Between President Johnson and the Under "
    "Secretary of State (Ball)",
    "President advised Ball to get his plan ahead of time.",
    collection="FRUS",
    author="Johnson",
    recipient="Ball",
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many American troops did Westmoreland ask for?", "number"),
        ("What was American troop strength in Vietnam at the end of 1965?", "number"),
        ("When did Moscow, Peking and Hanoi turn the Commonwealth proposal down?", "date"),
        ("And on what date did the embassy sign that report?", "date"),
        ("Why did Bundy think Saigon's break with Paris was a mistake?", None),
        ("What did Ball advise the President in June 1965?", None),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("What did Ball advise the President in June 1965?", "Ball"),
        ("What did McGeorge Bundy tell the President a pause would show?", "McGeorge Bundy"),
        (
            "Whose remarks did the Soviet papers print, according to the Chinese cable?",
            "Soviet Chinese cable",
        ),
        ("Why had the fighting died down in the week before the report?", ""),
        ("What did Ky's main MACV adviser think of him as an administrator?", "Ky"),
    ],
)
def test_who_the_question_asks_about_as_speaker(question: str, speaker: str) -> None:
    assert subject(question) == speaker


def test_sender_and_recipient_come_from_the_fields_and_the_title() -> None:
    assert sender_and_recipient(BALL_MEMO) == (
        "Ball the Under Secretary of State (Ball)",
        "Johnson President Johnson",
    )
    assert sender_and_recipient(CALL) == (
        "Johnson President Johnson",
        "Ball the Under Secretary of State (Ball)",
    )
    assert sender_and_recipient(
        Document("x", "Pentagon Papers, Part IV.C.5", "", collection="P")
    ) == (" ", " ")


def _candidate(document: Document, sentence: str, rank: int = 0) -> Candidate:
    passage = Passage(document.doc_id, 0, document.text, 0, len(document.text))
    start = document.text.index(sentence)
    return Candidate(Hit(0, passage, document, 0.5, 0.4), rank, start, start + len(sentence))


def test_features_of_a_relation_question() -> None:
    """ "What did Ball advise the President?": Ball wrote the memorandum, received the call."""
    candidates = [
        _candidate(BALL_MEMO, "I recommend that we hold at 100,000 men."),
        _candidate(BALL_MEMO, "Keeping the Power of Decision", rank=1),
        _candidate(CALL, "President advised Ball to get his plan ahead of time.", rank=2),
    ]
    question = QuestionTerms(frozenset({"ball", "advis", "presid"}), frozenset({"ball"}), None)
    rows = features(
        question,
        candidates,
        [0.5, 0.4, 0.6],
        [["recommend", "hold", "men"], ["keep", "power", "decis"], ["presid", "advis", "ball"]],
        [({"ball", "under", "secretari", "state"}, {"johnson", "presid"})] * 2
        + [({"johnson", "presid"}, {"ball", "under", "secretari", "state"})],
    )
    assert rows.shape == (3, len(FEATURES))
    named = [dict(zip(FEATURES, row, strict=True)) for row in rows.tolist()]
    assert named[0]["subject_wrote_it"] == 1 and named[0]["subject_received_it"] == 0
    assert named[2]["subject_wrote_it"] == 0 and named[2]["subject_received_it"] == 1
    assert [n["subject_acted_on"] for n in named] == [0, 0, 1]  # "President advised Ball"
    assert [n["not_a_sentence"] for n in named] == [0, 1, 0]
    assert [n["similarity_below_best"] for n in named] == pytest.approx([-0.1, -0.2, 0.0])
    assert [n["term_overlap"] for n in named] == pytest.approx([0.0, 0.0, 1.0])
    assert [n["passage_rank"] for n in named] == [0, 1, 2]
    # Written by the question's speaker outweighs the other document's closer wording.
    flipped = rows.copy()
    flipped[:, FEATURES.index("subject_wrote_it")] = 0
    flipped[:, FEATURES.index("subject_received_it")] = 0
    flipped[:, FEATURES.index("subject_acted_on")] = 0
    probabilities = answer_probabilities(rows)
    assert probabilities[0] > answer_probabilities(flipped)[0]
    assert probabilities[2] < answer_probabilities(flipped)[2]


def test_a_how_many_question_prefers_the_sentence_with_the_figure() -> None:
    document = Document(
        "p/1",
        "Build-up",
        "Westmoreland asked for reinforcements as rapidly as possible. "
        "Westmoreland asked for 44 battalions in all.",
        collection="P",
    )
    candidates = [
        _candidate(document, "Westmoreland asked for reinforcements as rapidly as possible."),
        _candidate(document, "Westmoreland asked for 44 battalions in all."),
    ]
    rows = features(
        QuestionTerms(frozenset({"westmoreland", "ask"}), frozenset(), "number"),
        candidates,
        [0.6, 0.5],
        [["westmoreland", "ask", "reinforc"], ["westmoreland", "ask", "battalion"]],
        [(set(), set())] * 2,
    )
    kinds = rows[:, [FEATURES.index("has_asked_number"), FEATURES.index("lacks_asked_number")]]
    assert kinds.tolist() == [[0, 1], [1, 0]]
    probabilities = answer_probabilities(rows)
    assert probabilities[1] > probabilities[0]


def test_dates_ordinals_and_message_numbers_are_not_the_figure_asked_for() -> None:
    """ "How many troops did Westmoreland ask for?" is not answered by "on 7 June", "the
    5th" (or the OCR's "l2th"), "message #19118" or a footnote mark, nor by "how many"."""
    texts = [
        "Westmoreland, in Saigon from the 5th to the l2th, asked on 7 June in message #19118.",
        "134/ Westmoreland asked for reinforcements in June 1965.",
        "Today no one can say for certain how many Vietnamese are for us.",
        "Westmoreland asked for two divisions and 24 battalions.",
    ]
    document = Document("p/1", "Build-up", " ".join(texts), collection="P")
    terms = [
        ["westmoreland", "saigon", "5th", "l2th", "ask", "7", "june", "messag", "19118"],
        ["134", "westmoreland", "ask", "reinforc", "june", "1965"],
        ["todai", "on", "sai", "certain", "how", "mani", "vietnames"],
        ["westmoreland", "ask", "two", "divis", "24", "battalion"],
    ]
    question = QuestionTerms(
        frozenset({"how", "mani", "troop", "did", "westmoreland", "ask"}), frozenset(), "number"
    )
    rows = features(
        question,
        [_candidate(document, text, rank=i) for i, text in enumerate(texts)],
        [0.5] * 4,
        terms,
        [(set(), set())] * 4,
    )
    named = [dict(zip(FEATURES, row, strict=True)) for row in rows.tolist()]
    assert [n["has_asked_number"] for n in named] == [0, 0, 0, 1]
    # The question's own "how many" is its form: only "troop westmoreland ask" count.
    assert [n["term_overlap"] for n in named] == pytest.approx([2 / 3, 2 / 3, 0, 2 / 3])
    assert named[2]["rare_term_overlap"] == 0


def test_no_candidates_no_rows() -> None:
    rows = features(QuestionTerms(frozenset(), frozenset(), None), [], [], [], [])
    assert rows.shape == (0, len(FEATURES)) and answer_probabilities(rows) == []
    assert isinstance(rows, np.ndarray)


# -- on the bundled archive -------------------------------------------------------------


def test_balls_advice_is_quoted_from_balls_memorandum(sample_assistant: Assistant) -> None:
    """Ball's memorandum to the President (d7) is quoted, not only the call in which the
    President advises Ball (d3)."""
    answer = sample_assistant.ask("What did Ball advise the President in June 1965?")
    assert "frus1964-68v03/d7" in {c.doc_id for c in answer.citations}
