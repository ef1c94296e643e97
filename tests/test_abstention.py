"""Abstention: two signals, calibrated reproducibly on the development set."""

from __future__ import annotations

from assistant.answering.abstention import (
    CALIBRATED,
    Thresholds,
    missing_years,
    named_terms,
    should_abstain,
    term_coverage,
    unknown_names,
)
from assistant.service import Assistant
from bench.calibrate_abstention import DEV_QUESTIONS, balanced_accuracy, calibrate


def test_coverage_ignores_question_words() -> None:
    assert term_coverage({"what", "did", "khrushchev", "kennedi"}, {"kennedi", "did"}) == 0.5
    assert term_coverage({"what", "did"}, set()) == 1.0


def test_either_signal_below_its_threshold_abstains() -> None:
    thresholds = Thresholds(similarity=0.4, coverage=0.7)
    assert not should_abstain(0.5, 0.8, thresholds)
    assert should_abstain(0.3, 1.0, thresholds)
    assert should_abstain(0.9, 0.5, thresholds)


def test_a_year_no_passage_mentions_is_a_near_miss() -> None:
    passages = [("1965-06-22", "Wheeler cabled Westmoreland."), (None, "By 1966 the force grew.")]
    question = "What did Wheeler ask Westmoreland in his telegram of June 22, {}?"
    assert missing_years(question.format(1967), passages) == ["1967"]
    assert missing_years(question.format(1965), passages) == []  # the document's date
    assert missing_years(question.format(1966), passages) == []  # a passage's words
    assert missing_years("What did Wheeler ask?", passages) == []


def test_the_year_an_undated_study_covers_is_not_a_near_miss() -> None:
    question = "What was decided at Honolulu in {}?"
    one_year = [("1965-03/1965-07", "The Honolulu conference."), ("1968", "Later.")]
    assert missing_years(question.format(1965), one_year) == []  # the study's year
    assert missing_years(question.format(1968), one_year) == []
    assert missing_years(question.format(1966), one_year) == ["1966"]
    # A passage of a study of several years may be about any of them.
    several = [("1963-11/1965-04", "The Honolulu conference of 1964.")]
    assert missing_years(question.format(1964), several) == []  # the passage says so
    assert missing_years(question.format(1965), several) == ["1965"]


def test_a_name_the_archive_never_mentions_in_any_spelling() -> None:
    archive = {"bundy", "wilson", "peking", "mcgeorge"}

    def lacks(word: str) -> bool:
        return word.lower().removesuffix("'s") not in archive

    assert unknown_names("What did McGeorge Bundy tell Wilson about Rhodesia?", lacks) == [
        "Rhodesia"
    ]
    # Beijing is Peking in the archive's spelling; a number is not a name.
    assert unknown_names("What did Beijing's diplomats tell Wilson in 1965?", lacks) == []


def test_calibration_prefers_the_lowest_best_thresholds() -> None:
    scored = [("a", True, 0.60, 1.0), ("b", True, 0.50, 0.9), ("c", False, 0.45, 0.3)]
    similarity, coverage, accuracy = calibrate(scored)
    assert accuracy == 1.0
    assert balanced_accuracy(scored, similarity, coverage) == 1.0
    assert (similarity, coverage) == (0.2, 0.4)  # the lowest that still refuse "c"


def test_calibrated_thresholds_separate_the_development_set(sample_assistant: Assistant) -> None:
    import json

    from bench.calibrate_abstention import signals

    questions = [json.loads(line) for line in DEV_QUESTIONS.read_text().splitlines() if line]
    assert sum(not q.get("answerable", True) for q in questions) >= 8
    scored = signals(questions, sample_assistant.index.directory)
    in_use = balanced_accuracy(scored, CALIBRATED.similarity, CALIBRATED.coverage)
    similarity_only = max(balanced_accuracy(scored, s / 100, 0) for s in range(20, 61))
    assert in_use >= 0.85
    assert in_use > similarity_only


def test_the_names_and_numbers_of_a_question() -> None:
    question = "What did McNamara say of the 17th parallel and the 173d Brigade in 1965, B-52s?"
    assert named_terms(question) == "McNamara 17th 173d Brigade 1965 B-52s"
    assert named_terms("Where did the Marines land on 8 March?") == "Marines March"
