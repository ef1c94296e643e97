"""The words every stage reads text with: month names and English function words.

One definition of each. A module that drops more words for a purpose of its own adds
them where it uses them, under a name that says the purpose.
"""

from __future__ import annotations

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
# "june" and "jun" -> 6: each name and its three-letter abbreviation, in lower case.
MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTHS, 1)} | {
    name[:3].lower(): number for number, name in enumerate(MONTHS, 1)
}

# Words that say nothing of what a sentence is about: articles, pronouns, auxiliary and
# modal verbs, prepositions, conjunctions, quantifiers.
FUNCTION_WORDS = frozenset(
    """a about above after again against all also although an and any are as at because
    been before being below between both but by can could did does doing down during each
    for from further had has have having her here him his in into its itself just may
    might more most must not of on one other our out over same she should some such than
    that the their theirs them then there these they this those through to two under
    until upon very was were what when which while who will with would you your""".split()
)
# The words that open a question.
QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())
# Places a Cold War archive spells the older way (Wade-Giles, colonial names) and a reader
# the newer, or the other way round: either spelling names the same place.
_PLACE_SPELLINGS = (
    ("beijing", "peking", "peiping"),
    ("guangzhou", "canton"),
    ("nanjing", "nanking"),
    ("taiwan", "formosa"),
    ("myanmar", "burma"),
    ("sri lanka", "ceylon"),
    ("thailand", "siam"),
    ("ho chi minh city", "saigon"),
    ("cambodia", "kampuchea"),
    ("zimbabwe", "rhodesia"),
    ("kinshasa", "leopoldville"),
    ("mumbai", "bombay"),
    ("ghana", "gold coast"),
)
PLACE_SPELLINGS = {
    name: tuple(other for other in group if other != name)
    for group in _PLACE_SPELLINGS
    for name in group
}
