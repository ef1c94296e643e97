"""Reading a question's answer type and relation, and matching it to senders (no model)."""

from __future__ import annotations

import pytest

from assistant.answering.actors import aliases, direction, parties, resolve, speaker_direction
from assistant.answering.question import Relation, read_question
from corpus.model import Document, Span


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("How many American troops did Westmoreland ask for?", "how_many"),
        ("How much did the build-up cost?", "how_many"),
        ("When did Ball send his memorandum?", "when"),
        ("Where was the embassy cable sent from?", "where"),
        ("Who received the agenda?", "who"),
        ("Why did Taylor doubt the new government?", "why"),
        ("What did the embassy claim about the Soviet press?", "what"),
    ],
)
def test_answer_type(question: str, answer_type: str) -> None:
    assert read_question(question).answer_type == answer_type


@pytest.mark.parametrize(
    ("question", "relation"),
    [
        (
            "What did Ball advise the President in June 1965?",
            Relation("Ball", "advise", "the President"),
        ),
        ("How many American troops did Westmoreland ask for?", Relation("Westmoreland", "ask")),
        (
            "What did the embassy claim about Soviet press coverage of Vietnam?",
            Relation("the embassy", "claim"),
        ),
        ("What did the President tell Ball?", Relation("the President", "tell", "Ball")),
        ("What happened in Saigon in June 1965?", None),
        ("What did the troops do?", None),
    ],
)
def test_relation(question: str, relation: Relation | None) -> None:
    assert read_question(question).relation == relation


def _document(doc_id: str, title: str, author: str | None, recipient: str | None, text: str = "x"):
    return Document(
        doc_id=doc_id, title=title, text=text, collection="FRUS", author=author, recipient=recipient
    )


BALL_TO_JOHNSON = _document(
    "d7",
    "Memorandum From the Under Secretary of State (Ball) to President Johnson",
    "Ball",
    "Johnson",
)
JOHNSON_TO_BALL = _document(
    "d3",
    "Memorandum of Telephone Conversation Between President Johnson and the Under Secretary "
    "of State (Ball)",
    "Johnson",
    "Ball",
)
SIGNED = "We see no alternative.\n\nTaylor\n\nNotes\n\n1. Source: Central Files."
EMBASSY = Document(
    doc_id="d5",
    title="Telegram From the Embassy in Vietnam to the Department of State",
    text=SIGNED,
    collection="FRUS",
    author="Embassy in Vietnam",
    recipient="Department of State",
    notes=(Span(SIGNED.index("1. Source"), len(SIGNED), "1", "source"),),
)
ARCHIVE = [BALL_TO_JOHNSON, JOHNSON_TO_BALL, EMBASSY]


def test_parties_from_fields_titles_and_signature() -> None:
    assert parties(BALL_TO_JOHNSON).sender == {"ball", "under", "secretary", "state"}
    assert parties(BALL_TO_JOHNSON).recipient == {"johnson", "president"}
    assert parties(EMBASSY).sender == {"embassy", "vietnam", "taylor"}


def test_offices_resolve_to_the_people_holding_them() -> None:
    known = aliases(ARCHIVE)
    assert known[frozenset({"under", "secretary", "state"})] == {"ball"}
    assert resolve("the President", known) == {"president", "johnson"}
    assert resolve("the Under Secretary of State", known) == {"under", "secretary", "state", "ball"}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # d3 records a telephone conversation: both speak, so the sentence decides (below).
        ("What did Ball advise the President?", {"d7": 1, "d3": 0, "d5": 0}),
        ("What did the Under Secretary of State recommend?", {"d7": 1, "d3": 0, "d5": 0}),
        ("What did the President tell Ball?", {"d7": -1, "d3": 0, "d5": 0}),
        ("What did Taylor report?", {"d7": 0, "d3": 0, "d5": 1}),
    ],
)
def test_direction_of_the_relation(question: str, expected: dict[str, int]) -> None:
    relation = read_question(question).relation
    assert relation is not None
    known = aliases(ARCHIVE)
    assert {d.doc_id: direction(d, relation, known) for d in ARCHIVE} == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("President advised Ball get his plan ahead of time.", -1),
        ("Pres. asked that somebody summarize the paper.", -1),
        ("Ball told the President he would have a memorandum for him.", 1),
        ("The Under Secretary said he would see Fulbright.", 1),
        ("Dick Russell will back us up.", 0),
    ],
)
def test_who_speaks_in_a_conversation(sentence: str, expected: int) -> None:
    relation = read_question("What did Ball advise the President?").relation
    assert relation is not None
    assert speaker_direction(sentence, relation, aliases(ARCHIVE)) == expected
