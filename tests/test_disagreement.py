"""The disagreement detector on sentences quoted from the bundled archive."""

from __future__ import annotations

import pytest

from assistant.answering.disagreement import Statement, counts, describe, find_disagreements

PP = "pentagon-papers/IV.C.5"
# Pentagon Papers IV.C.5 on Ball's memorandum, and FRUS III, Document 4 (June 16, 1965).
BALL_15 = (
    "Rather than have the U.S. pour its resources down the drain in the wrong place, he "
    "recommended that U.S. force levels be held to 15 battalions and 72,000 men announced by "
    "SecDef in June."
)
BUNDY_13 = (
    "McNamara will today be explaining our existing decisions to enlarge our number of ground "
    "force battalions to 13, with supporting air and logistic strength such that the overall "
    "force strength in South Vietnam will be about 70,000."
)


def test_different_battalion_counts_in_two_documents_disagree() -> None:
    found = find_disagreements(
        [Statement(2, PP, BALL_15), Statement(4, "frus1964-68v03/d4", BUNDY_13, "1965-06-16")]
    )
    assert len(found) == 1
    (conflict,) = found
    assert (conflict.kind, conflict.subject, conflict.refs) == ("quantity", "battalions", (2, 4))
    assert [c.value for c in conflict.claims] == [15, 13]
    assert [c.phrase for c in conflict.claims] == ["15 battalions", "13 ground force battalions"]
    labels = {2: "Pentagon Papers", 4: "Telegram From the White House, 1965-06-16"}
    assert describe(conflict, labels).text == (
        "Sources disagree on the number of battalions: [2] (Pentagon Papers) gives 15 battalions; "
        "[4] (Telegram From the White House, 1965-06-16) gives 13 ground force battalions."
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # One document: the narrative and its own chronology.
        (
            (
                PP,
                "17 July NMCC 172042Z Vance told McNamara that the President had decided to go "
                "ahead with the plan to deploy 34 U.S. battalions",
            ),
            (
                PP,
                "The 44 battalions, however, should be enough to prevent collapse and establish a "
                "favorable balance of power by year’s end.",
            ),
        ),
        # The same figure.
        (
            (PP, "1. U.S. approved combat strength was 13 battalions."),
            ("frus1964-68v03/d4", BUNDY_13),
        ),
        # "44 battalion debate" names a debate, not a count.
        (
            (
                PP,
                "151/ when McNamara left washington, the 44 battalion debate remained unresolved.",
            ),
            ("frus1964-68v03/d4", BUNDY_13),
        ),
        # A range and an estimate: 72,000 lies between 70,000 and 75,000.
        (
            (
                PP,
                "16 June Press Conference McNamara announced deployments to SVN that would bring "
                "U.S. strength there to between 70,000 and 75,000 men.",
            ),
            ("frus1964-68v03/d4", BUNDY_13),
        ),
        # Telegram numbers and dates.
        (
            (
                "frus1964-68v03/d2",
                "Telegram 4162 from Saigon, June 12, repeated telegram 215 from Hue to Saigon, "
                "June 11, which reported on a conversation with Tri Quang on June 11.",
            ),
            (
                "frus1964-68v03/d1",
                "State message 2873, 11 June 1965, raises questions about "
                "MACV's current estimate of the seriousness of the situation in SVN.",
            ),
        ),
        # Document numbers.
        (
            ("frus1964-68v03/d3", "3. Apparently a reference to Document 7."),
            (
                "frus1964-68v03/d7",
                "For President Johnson's reactions to this memorandum, see Document 11.",
            ),
        ),
        # Different things counted: a further increment against a total.
        (
            (
                PP,
                "In subparagraph 'B' he iden-tified a further 9 battalions which might be needed "
                "and requested at some later date.",
            ),
            ("frus1964-68v03/d4", BUNDY_13),
        ),
        # Different forces: U.S. battalions against all battalions.
        (
            (
                "frus1964-68v03/d16",
                "“Alexis Johnson, back from Saigon on consultation, was "
                "skeptical: 15 American battalions was a good level-off point, and we must accept "
                "that this would be a long war.",
            ),
            ("frus1964-68v03/d4", BUNDY_13),
        ),
        # ARVN's losses, not U.S. deployments.
        (
            (
                PP,
                "13 June MACV 131515Z westmoreland objected to Taylor's questioning of the "
                "seriousness of the situation and pointed out that to date ARVN had lost 5 "
                "battalions and the end was not in sight.",
            ),
            ("frus1964-68v03/d4", BUNDY_13),
        ),
        # A plan three times the size of a decision counts something else.
        (
            (
                PP,
                "22 June JCS 2400 JCS told CINCPAC and Westmoreland that a force of 44 "
                "battalions was being considered for deployment to Vietnam.",
            ),
            ("frus1964-68v03/d4", BUNDY_13),
        ),
        # Both negated, on different claims.
        (
            (
                "frus1964-68v03/d15",
                "Secretary McNamara indicated that such a proposal was "
                "unrealistic and could not be implemented without a vast military force.",
            ),
            (
                "frus1964-68v03/d7",
                "On the other hand, we may not be able to fight the war "
                "successfully enough—even with 500,000 Americans in South Viet-Nam—to achieve this "
                "purpose.",
            ),
        ),
        # One negated, with little in common.
        (
            (
                "frus1964-68v03/d4",
                "6. The President equally rejects the notion of withdrawal and abandonment.",
            ),
            (
                "frus1964-68v03/d15",
                "Secretary McNamara indicated that such a proposal was "
                "unrealistic and could not be implemented without a vast military force.",
            ),
        ),
    ],
)
def test_no_disagreement(first: tuple[str, str], second: tuple[str, str]) -> None:
    statements = [Statement(1, *first, "1965-06-16"), Statement(2, *second, "1965-06-16")]
    assert find_disagreements(statements) == []


def test_figures_for_different_months_do_not_disagree() -> None:
    # Vance's cable (Pentagon Papers IV.C.5) with its figure, 34 U.S. battalions, changed so
    # that only the month sets the two apart.
    july = (
        "17 July NMCC 172042Z Vance told McNamara that the President had decided to go ahead "
        "with the plan to deploy 15 battalions"
    )
    statements = [Statement(1, PP, july), Statement(2, "frus1964-68v03/d4", BUNDY_13, "1965-06-16")]
    assert find_disagreements(statements) == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (BALL_15, [(("battalion",), 15), (("man",), 72000)]),
        (BUNDY_13, [(("battalion",), 13)]),
        ("deploy 34 U.S. battalions", [(("us", "battalion"), 34)]),
        ("the ante had gone up from 35 to 44 battalions", []),
        ("In raising our commitment from 50,000 to 100,000 or more men", []),
        (
            "a grand total of 13 maneuver battalions and 82,000 men.",
            [(("battalion",), 13), (("man",), 82000)],
        ),
    ],
)
def test_counts(sentence: str, expected: list[tuple[tuple[str, ...], int]]) -> None:
    assert [(c.key, c.value) for c in counts(sentence)] == expected


def test_a_negated_restatement_disagrees() -> None:
    # The archive holds no such pair; the second is the first (FRUS III, Document 4) negated.
    said = (
        "The President continues to reject the proposals which are urged by some in this "
        "country for radical extension of the bombing operations against North Vietnam."
    )
    negated = said.replace("continues to reject", "does not reject")
    statements = [Statement(1, "frus1964-68v03/d4", said), Statement(2, PP, negated)]
    found = find_disagreements(statements)
    assert [(d.kind, d.refs) for d in found] == [("polarity", (2, 1))]
