"""Answers that answer: answer types, relation direction, context, near misses, scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.answering.abstention import years_unanswered
from assistant.answering.answer_types import counts_in, has_counted_quantity, type_match
from assistant.answering.evidence import (
    Candidate,
    Signals,
    candidate_sentences,
    evidence_passages,
    score_candidates,
    select_evidence,
)
from assistant.answering.question import read_question
from assistant.cli import cli
from assistant.evaluation.answer_scores import Support, locate, score_answer, summary
from assistant.evaluation.answers import evaluate_answers
from assistant.model import Answer, Citation, Evidence, Hit
from assistant.service import Assistant
from corpus.model import Document, Passage

# The answer-level check's thresholds, a little under what the bundled archive scores
# (README, "Answer quality").
QUOTED_AT_LEAST = 0.70
CITED_AT_LEAST = 0.85
FALSE_ABSTENTION_AT_MOST = 0.10
ABSTENTION_AT_LEAST = 0.60


def _hit(doc_id: str, text: str, *, date: str | None = None, rank_score: float = 1.0) -> Hit:
    document = Document(
        doc_id=doc_id, title=f"Title {doc_id}", text=text, collection="C", date=date
    )
    passage = Passage(doc_id=doc_id, ordinal=0, text=text, char_start=0, char_end=len(text))
    return Hit(hash(doc_id) % 1000, passage, document, rank_score, 0.5)


@pytest.mark.parametrize(
    ("sentence", "figures", "counted"),
    [
        ("Westmoreland asked for 9 maneuver battalions and 24 more battalions.", ["9", "24"], True),
        ("a total of 116,793 men by the end of the year", ["116,793"], True),
        ("authorize up to 100,000—but no more—additional forces", ["100,000"], True),
        ("On June 18 he sent telegram 4311, in 1965, see Document 7.", [], False),
        ("forty-four battalions were asked for", ["forty-four"], True),
        ("He asked for more troops.", [], False),
    ],
)
def test_figures_that_count(sentence: str, figures: list[str], counted: bool) -> None:
    assert counts_in(sentence) == figures
    assert has_counted_quantity(sentence) is counted


def test_type_match_by_kind_of_question() -> None:
    how_many = read_question("How many troops did Westmoreland ask for?")
    assert type_match(how_many, "He asked for 44 battalions.") == 1.0
    assert type_match(how_many, "The total reached 175,000 by the end of the year.") == 0.5
    assert type_match(how_many, "He asked for more troops.") == -1.0
    when = read_question("When did Ball send his memorandum?")
    assert type_match(when, "Ball sent it on June 18.") == 1.0
    assert type_match(when, "Ball sent it to the President.") == 0.0
    advice = read_question("What did Ball advise the President?")
    assert type_match(advice, "I recommend the following program:") == 0.5
    assert type_match(advice, "The weather in Saigon was hot.") == 0.0


def test_evidence_passages_give_each_document_a_fair_share() -> None:
    hits = [_hit(d, f"text of {d}") for d in ("long", "long", "long", "memo", "long", "cable")]
    chosen = evidence_passages(hits, limit=4, per_document=2)
    assert [h.document.doc_id for h in chosen] == ["long", "long", "memo", "cable"]


def _candidates(*texts: str) -> list[Candidate]:
    hits = [_hit(f"d{i}", text) for i, text in enumerate(texts)]
    return [Candidate(hit, 0, 0, len(hit.document.text)) for hit in hits]


def test_scores_prefer_the_answer_type_and_the_relation_direction() -> None:
    candidates = _candidates("a", "b", "c", "d")
    signals = [
        Signals(similarity=0.6, keyword=1.0, kind=-1.0),  # on topic, no figure
        Signals(similarity=0.5, keyword=1.0, kind=1.0),  # a figure with its unit
        Signals(similarity=0.6, keyword=1.0, direction=-1),  # the inverse relation
        Signals(similarity=0.5, keyword=1.0, direction=1),  # sent by the subject
    ]
    scores = score_candidates(candidates, signals)
    assert [round(s, 3) for s in scores] == [0.42, 0.8, 0.42, 0.8]


def test_a_sentence_is_quoted_with_the_one_it_leans_on() -> None:
    text = (
        "MACV has asked for more forces in its telegram. These consist of two battalions and a "
        "division. Direct your top advisers to prepare the following plans:\n\n"
        "(a) A plan for the war."
    )
    hit = _hit("d1", text)
    candidates = candidate_sentences([hit])
    by_start = {text[c.char_start : c.char_end][:12]: c for c in candidates}
    leaning = by_start["These consis"]
    announcing = by_start["Direct your "]
    evidence = select_evidence([leaning, announcing], [0.9, 0.8], limit=2)
    assert [e.quote for e in evidence] == [
        "MACV has asked for more forces in its telegram. These consist of two battalions and a "
        "division.",
        "Direct your top advisers to prepare the following plans:\n\n(a) A plan for the war.",
    ]
    assert all(text[e.char_start : e.char_end] == e.quote for e in evidence)


def test_headings_and_source_lines_are_not_quoted() -> None:
    text = (
        "Pros and Cons of a June Pause\n\nMcNaughton Memo of conversation with Johnson, "
        "26 June 1965*\n\nThe President wanted a pause in the bombing for a few days."
    )
    quoted = [text[c.char_start : c.char_end] for c in candidate_sentences([_hit("d", text)])]
    assert quoted == ["The President wanted a pause in the bombing for a few days."]


def test_a_year_no_quoted_document_speaks_of_is_a_near_miss() -> None:
    memo = _hit("d7", "Decide now to authorize an increase of forces.", date="1965-06-18")
    undated = _hit("pp", "In June 1965 the build-up went on.")
    question = "What did Wheeler ask Westmoreland in his telegram of June 22, 1967?"
    evidence = [Evidence(memo, 0, 10, "Decide now", 1.0), Evidence(undated, 0, 7, "In June", 1.0)]
    assert years_unanswered(question, evidence) == {"1967"}
    assert years_unanswered("What did Ball advise in June 1965?", evidence[:1]) == set()
    assert years_unanswered("What happened in 1965?", evidence[1:]) == set()


def _citation(doc_id: str, start: int, end: int) -> Citation:
    return Citation(
        ref=1, doc_id=doc_id, collection="C", title="T", date=None, place=None,
        archive_ref=None, url=None, citation="", quote="q", char_start=start, char_end=end,
        passage="p", passage_start=0, page=None, score=1.0,
    )  # fmt: skip


def test_answer_scores() -> None:
    support = locate("d7", "I recommend", "Thus: I recommend a trial.")
    assert support == Support("d7", 6, 17)
    with pytest.raises(ValueError, match="not in d7"):
        locate("d7", "absent", "Thus: I recommend a trial.")
    quoting = Answer(
        question="q", paragraphs=(), abstained=False, citations=(_citation("d7", 0, 8),)
    )
    elsewhere = Answer(
        question="q", paragraphs=(), abstained=False, citations=(_citation("d7", 17, 25),)
    )
    abstained = Answer(question="q", paragraphs=(), abstained=True, citations=())
    scores = [
        score_answer(quoting, relevant=["d7"], supports=[support]),
        score_answer(elsewhere, relevant=["d7"], supports=[support]),
        score_answer(abstained, relevant=["d7"], supports=[support]),
        score_answer(abstained, relevant=[], supports=[]),
        score_answer(quoting, relevant=[], supports=[]),
    ]
    assert [(s.quoted, s.cited, s.false_abstention) for s in scores[:3]] == [
        (True, True, False),
        (False, True, False),
        (False, False, True),
    ]
    assert summary(scores) == {
        "quoted": 0.3333,
        "cited": 0.6667,
        "false_abstention": 0.3333,
        "abstention_unanswerable": 0.5,
        "answerable": 3,
        "unanswerable": 2,
    }


# The real model over the bundled archive.


def test_advice_is_quoted_from_the_adviser_not_the_advised(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask("What did Ball advise the President in June 1965?")
    cited = [c.doc_id for c in answer.citations]
    assert cited and cited[0] == "frus1964-68v03/d7"
    # d3 is the President advising Ball: the inverse relation.
    assert "frus1964-68v03/d3" not in cited


def test_how_many_is_answered_with_a_figure(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask("How many American troops did Westmoreland ask for?")
    assert not answer.abstained
    assert counts_in(answer.citations[0].quote)


def test_a_near_miss_year_abstains(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask(
        "What did Wheeler ask Westmoreland in his telegram of June 22, 1967?"
    )
    assert answer.abstained


ANSWER_CHECK = Path(__file__).parent / "fixtures" / "eval" / "answer_check.jsonl"


def test_answers_quote_what_answers(sample_assistant: Assistant) -> None:
    """The answer-level check: a change that makes answers quote worse fails the build."""
    evaluation = evaluate_answers(ANSWER_CHECK, sample_assistant)
    metrics = evaluation.metrics
    assert (metrics["answerable"], metrics["unanswerable"]) == (24, 5)
    failing = [row.id for row in evaluation.rows if row.score.answerable and not row.score.quoted]
    assert metrics["quoted"] >= QUOTED_AT_LEAST, failing
    assert metrics["cited"] >= CITED_AT_LEAST
    assert metrics["false_abstention"] <= FALSE_ABSTENTION_AT_MOST
    assert metrics["abstention_unanswerable"] >= ABSTENTION_AT_LEAST


def test_cables_eval_answers_prints_the_table(sample_assistant: Assistant, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "eval", str(ANSWER_CHECK), "--answers", "--index", str(sample_assistant.directory),
            "--report", str(tmp_path), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["metrics"]["answerable"] == 24
    assert {row["id"] for row in printed["per_question"]} == {
        json.loads(line)["id"] for line in ANSWER_CHECK.read_text().splitlines()
    }
    report = (tmp_path / "answers.md").read_text()
    assert "| quoted | cited | false_abstention | abstention_unanswerable |" in report
