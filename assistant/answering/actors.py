"""Who sent a document and who received it, as the archive names them. Pure.

FRUS and cable metadata carry sender and recipient ("Ball" -> "Johnson"); titles
name offices with the holder in brackets ("the Under Secretary of State (Ball)");
telegrams end with the signer ("Taylor"). A question about what someone advised
or reported is matched against these, in the right direction: what Ball sent the
President is advice from Ball, what the President told Ball is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.answering.question import Relation
from corpus.model import Document

# "the Under Secretary of State (Ball)", "Vietnam (Westmoreland)": an office and its holder.
_HOLDER = re.compile(r"((?:[A-Z][\w'.-]*,?\s+(?:(?:of|for|in|the|on)\s+)*)+)\(([A-Z][\w'-]+)\)")
# "President Johnson", "Ambassador Taylor", "General Westmoreland".
_TITLED = re.compile(r"\b(President|Ambassador|General|Admiral|Secretary|Senator)\s+([A-Z][\w'-]+)")
_SPLIT = re.compile(r"\s+(?:to|and)\s+(?=the\s|[A-Z])")
# "Memorandum From ...", "Telegram From ...", "Conversation Between ...": the kind of document.
_KIND = re.compile(r"^.*?\b(?:From|Between|Prepared by|by)\s+")
_NOTES_HEADING = re.compile(r"\n\s*Notes\s*\n")
_FILLER = frozenset("the of for in on and to a an mr mrs from between".split())
_SIGNATURE_WORDS = 4


def words(text: str) -> frozenset[str]:
    """The content words of a party's name, lower case: "the Embassy" -> {"embassy"}."""
    return frozenset(
        w for w in re.findall(r"[a-z][a-z'-]+", text.lower().replace("'s", "")) if w not in _FILLER
    )


@dataclass(frozen=True)
class Parties:
    """The words that name a document's sender and its recipient (offices and surnames)."""

    sender: frozenset[str]
    recipient: frozenset[str]


def parties(document: Document) -> Parties:
    sender = set(words(document.author or ""))
    recipient = set(words(document.recipient or ""))
    head, _, tail = _title_halves(_KIND.sub("", document.title, count=1))
    for match in _HOLDER.finditer(head):
        sender |= words(match.group(1)) | words(match.group(2))
    for match in _HOLDER.finditer(tail):
        recipient |= words(match.group(1)) | words(match.group(2))
    for office, name in _TITLED.findall(head):
        sender |= {office.lower(), name.lower()}
    for office, name in _TITLED.findall(tail):
        recipient |= {office.lower(), name.lower()}
    if signer := _signature(document):
        sender |= words(signer)
    return Parties(frozenset(sender), frozenset(recipient))


def _title_halves(title: str) -> tuple[str, str, str]:
    """A title's sender part and recipient part: "From X to Y", "Between X and Y"."""
    match = _SPLIT.search(title)
    if match is None:
        return title, "", ""
    return title[: match.start()], match.group(), title[match.end() :]


def _signature(document: Document) -> str | None:
    """The signer of a telegram or memorandum: a short last line of the body."""
    end = min((note.char_start for note in document.notes), default=len(document.text))
    body = document.text[:end]
    if heading := list(_NOTES_HEADING.finditer(body)):
        body = body[: heading[-1].start()]
    last = body.rsplit("\n", 1)[-1].strip().rstrip("%.")
    names = last.split()
    if 0 < len(names) <= _SIGNATURE_WORDS and all(n[:1].isupper() for n in names):
        return last
    return None


def aliases(documents: Iterable[Document]) -> dict[frozenset[str], frozenset[str]]:
    """Offices to the surnames that hold them in these documents' titles.

    "the Under Secretary of State (Ball)" makes {"under", "secretary", "state"} -> {"ball"},
    "President Johnson" makes {"president"} -> {"johnson"}.
    """
    found: dict[frozenset[str], set[str]] = {}
    for document in documents:
        title = _KIND.sub("", document.title, count=1)
        for office, name in _HOLDER.findall(title):
            if words(office):
                found.setdefault(words(office), set()).add(name.lower())
        for office, name in _TITLED.findall(title):
            found.setdefault(frozenset({office.lower()}), set()).add(name.lower())
    return {office: frozenset(names) for office, names in found.items()}


def resolve(party: str, known: dict[frozenset[str], frozenset[str]]) -> frozenset[str]:
    """A party's words, with the surnames of the offices it names: "the President" ->
    {"president", "johnson"}."""
    own = words(party)
    extra: set[str] = set()
    for office, names in known.items():
        if office and office <= own:
            extra |= names
    return own | extra


def _names(party: frozenset[str], side: frozenset[str]) -> bool:
    return bool(party) and (party <= side or bool(party & side - _OFFICE_WORDS))


_OFFICE_WORDS = frozenset(
    "president secretary under assistant special ambassador general admiral senator embassy "
    "department state house white national security affairs commander chief chairman deputy "
    "director".split()
)


def is_conversation(document: Document) -> bool:
    """A record of people talking: each party speaks, so no side is the sender."""
    return bool(_CONVERSATION.search(document.title))


_CONVERSATION = re.compile(r"\b(?:Conversation|Meeting|Memorandum for the Record)\b")
_LEADING_WORDS = 4


def speaker_direction(
    sentence: str, relation: Relation, known: dict[frozenset[str], frozenset[str]]
) -> int:
    """In a conversation, who speaks in ``sentence``: +1 when it opens with the relation's
    subject ("Ball told the President…", "The Under Secretary said…"), -1 with its recipient
    ("President advised Ball…"), 0 with neither."""
    opening = sentence.replace("Pres.", "President").split()[:_LEADING_WORDS]
    ordered = [
        w for w in re.findall(r"[a-z][a-z'-]+", " ".join(opening).lower()) if w not in _FILLER
    ]
    subject = _with_offices(resolve(relation.subject, known), known)
    recipient = (
        _with_offices(resolve(relation.recipient, known), known) if relation.recipient else set()
    )
    for word in ordered:
        if word in subject:
            return 1
        if word in recipient:
            return -1
    return 0


def _with_offices(names: frozenset[str], known: dict[frozenset[str], frozenset[str]]) -> set[str]:
    """A party's words and those of the offices its people hold: Ball -> under, secretary."""
    found = set(names)
    for office, holders in known.items():
        if holders & names:
            found |= office - _GENERIC_OFFICE
    return found


# Office words too common to name one person on their own.
_GENERIC_OFFICE = frozenset("state special assistant affairs national security".split())


def direction(
    document: Document,
    relation: Relation,
    known: dict[frozenset[str], frozenset[str]],
) -> int:
    """+1 when ``document`` was sent by the relation's subject (to its recipient, if the
    relation names one and the document says), -1 when it runs the other way (the subject
    received it, or its sender is the relation's recipient), else 0."""
    if is_conversation(document):
        return 0
    who = parties(document)
    subject = resolve(relation.subject, known)
    recipient = resolve(relation.recipient, known) if relation.recipient else frozenset()
    if _names(subject, who.sender):
        elsewhere = recipient and who.recipient and not _names(recipient, who.recipient)
        return 0 if elsewhere else 1
    if _names(subject, who.recipient) or (recipient and _names(recipient, who.sender)):
        return -1
    return 0
