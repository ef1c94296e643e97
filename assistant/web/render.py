"""Answers, citations and sources as safe HTML and Markdown for the web chat. Pure.

Everything that comes from a document (text, titles, places, references, URLs) is
escaped here and nowhere else, so an archive file containing ``<script>`` or
``<img onerror=...>`` is shown as text and never runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from urllib.parse import urlsplit

from assistant.answering.disagreement import OPENING as DISAGREEMENT_OPENING
from assistant.model import Answer, Citation, Source, TimelineEntry
from embeddings.filters import Filters

# ASCII punctuation that Markdown, its autolinks or LaTeX would interpret; "<" and "&" are
# escaped as HTML entities instead, since a backslash before "&lt;" would show the entity.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:])")
# compose() writes each quote as “…” [n]; a bare "[n]" inside a quote is the document's own.
_MARKER = re.compile(r"(?<=”) \[(\d+)\]")
# In a disagreement sentence each source is named as "[n] (its label)".
_DISAGREEMENT_MARKER = re.compile(r" ?\[(\d+)\](?= \()")
# A language model's answer has no quotes of its own: each of its markers is a citation.
_GENERATED_MARKER = re.compile(r" ?\[(\d+)\]")
CONTEXT_CHARS = 360
CONTEXT_LINES = 3
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
NOTHING_FOUND = "Nothing in the archive answers this."
PLACEHOLDER = (
    '<div class="sources-empty">Ask a question: the passages it is answered from '
    "will appear here, each with its archive reference.</div>"
)
MODES = {
    "generated": "Written by the language model from the numbered passages, then checked "
    "against them.",
    "fallback": "Quoted from the archive, as the language model did not answer.",
}
WRITING = "Writing… the answer is checked against its sources once it is complete."


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that renders literally: no formatting, links or HTML."""
    return escape(_MARKDOWN_SPECIAL.sub(r"\\\1", text), quote=False)


def safe_url(url: str | None) -> str | None:
    """The URL if it is a web address; ``javascript:`` and the like are dropped."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None


def _label(title: str, place: str | None, date: str | None) -> str:
    details = ", ".join(part for part in (place, date) if part)
    return f"{title} ({details})" if details else title


def answer_markdown(answer: Answer) -> str:
    """The chat message for ``answer``: its text escaped, citation markers styled."""
    if answer.abstained:
        body = f"**{NOTHING_FOUND}**\n\n{escape_markdown(answer.answer)}"
    else:
        labels = {_label(c.title, c.place, c.date) for c in answer.citations}
        marker = _GENERATED_MARKER if answer.mode == "generated" else _MARKER
        body = "\n\n".join(
            _paragraph_markdown(paragraph, labels, {c.ref for c in answer.citations}, marker)
            for paragraph in answer.answer.split("\n\n")
        )
    for warning in answer.warnings:
        body += f'\n\n<span class="answer-warning">{escape_markdown(warning)}</span>'
    if answer.mode in MODES:
        body += f'\n\n<span class="answer-mode">{MODES[answer.mode]}</span>'
    if answer.query_used and answer.query_used != answer.question:
        searched = escape_markdown(answer.query_used)
        body += f'\n\n<span class="query-used">Searched for: {searched}</span>'
    return body


def streaming_markdown(text: str) -> str:
    """The chat message while the model writes: its text so far, not yet checked."""
    return f'{escape_markdown(text)}\n\n<span class="answer-status">{WRITING}</span>'


def failure_markdown(error: Exception) -> str:
    """The chat message when answering failed for a reason other than the model's."""
    return (
        f"**The answer could not be completed** ({escape_markdown(type(error).__name__)}). "
        "Please ask again; if it keeps failing, the server log has the details."
    )


def _paragraph_markdown(
    paragraph: str, labels: set[str], refs: set[int], marker: re.Pattern[str]
) -> str:
    head = ""
    label = next((label for label in labels if paragraph.startswith(f"{label}: ")), None)
    if label is not None:
        head, paragraph = f"**{escape_markdown(label)}**: ", paragraph[len(label) + 2 :]
    if paragraph.startswith(DISAGREEMENT_OPENING):
        marker = _DISAGREEMENT_MARKER
    pieces, position = [], 0
    for match in marker.finditer(paragraph):
        if int(match.group(1)) not in refs:
            continue
        pieces.append(escape_markdown(paragraph[position : match.start()]))
        pieces.append(f' <sup class="cite-ref">[{match.group(1)}]</sup>')
        position = match.end()
    pieces.append(escape_markdown(paragraph[position:]))
    return head + "".join(pieces)


def highlighted_passage(
    citation: Citation, *, chars: int = CONTEXT_CHARS, lines: int = CONTEXT_LINES
) -> str:
    """The passage around the quote, escaped, with the quoted words in ``<mark>``.

    The quote is located by its offsets, never by searching for its text, so the
    highlight is exactly what the answer quoted even when the words recur. The
    context is cut at whole words and runs of blank lines are shown as one break.
    """
    passage = citation.passage
    start = min(max(citation.char_start - citation.passage_start, 0), len(passage))
    end = min(max(citation.char_end - citation.passage_start, start), len(passage))
    before, quote, after = (
        _BLANK_LINES.sub("\n", part)
        for part in (passage[:start], passage[start:end], passage[end:])
    )
    # The context before the quote is the head of the reversed text, read backwards.
    kept_before = _head(before[::-1], chars, lines)[::-1]
    kept_after = _head(after, chars, lines)
    lead = "… " if before[: len(before) - len(kept_before)].strip() else ""
    tail = " …" if after[len(kept_after) :].strip() else ""
    return f"{escape(lead + kept_before)}<mark>{escape(quote)}</mark>{escape(kept_after + tail)}"


def _head(text: str, chars: int, lines: int) -> str:
    """The start of ``text``: at most ``chars`` characters and ``lines`` breaks, whole words."""
    head = text[:chars]
    if len(text) > chars and not text[chars].isspace():
        head = head[: max(head.rfind(" "), head.rfind("\n"), 0)]
    return "\n".join(head.split("\n")[: lines + 1])


def citation_text(citation: Citation) -> str:
    """The citation to copy: the archive's own (Chicago style) or one made from the metadata."""
    if citation.citation:
        return citation.citation
    parts = [f"“{citation.title}”", citation.place, citation.date, citation.archive_ref]
    return ", ".join(part for part in parts if part) + "."


def _meta(items: list[tuple[str, str | None]]) -> str:
    rows = "".join(
        f'<div><dt>{name}</dt><dd class="meta-{name.lower()}">{escape(value)}</dd></div>'
        for name, value in items
        if value
    )
    return f'<dl class="meta">{rows}</dl>'


def _link(url: str | None) -> str:
    href = safe_url(url)
    if href is None:
        return ""
    return (
        f'<a class="source-link" href="{escape(href)}" target="_blank" '
        'rel="noopener noreferrer">View in the source archive ↗</a>'
    )


def thread_html(references: list[tuple[str, str | None]], referenced_by: list[str]) -> str:
    """A document's thread: what it refers to (resolved or not) and what refers to it."""
    parts = []
    if references:
        named = ", ".join(
            f"{escape(text)} ({escape(target)})" if target else escape(text)
            for text, target in references
        )
        parts.append(f"<div><dt>Refers to</dt><dd>{named}</dd></div>")
    if referenced_by:
        parts.append(
            f"<div><dt>Referred to by</dt><dd>{escape(', '.join(referenced_by))}</dd></div>"
        )
    return f'<dl class="meta thread">{"".join(parts)}</dl>' if parts else ""


def notes_html(notes: tuple[str, ...]) -> str:
    items = "".join(f"<li>{escape(note)}</li>" for note in notes)
    return f'<ul class="answer-notes">{items}</ul>' if items else ""


def timeline_html(entries: tuple[TimelineEntry, ...]) -> str:
    """The evidence in date order: date, place, one-line quote, citation number."""
    rows = "".join(
        f'<li><span class="when">{escape(e.date or "undated")}</span> '
        f'<span class="where">{escape(e.place or "")}</span> '
        f'<q>{escape(e.quote)}</q> <a href="#source-{e.ref}">[{e.ref}]</a></li>'
        for e in entries
    )
    return f'<section class="timeline"><h3>Timeline</h3><ol>{rows}</ol></section>' if rows else ""


def citation_card(citation: Citation, *, thread: str = "") -> str:
    meta = _meta(
        [
            ("Date", citation.date or "undated"),
            ("Place", citation.place),
            ("Reference", citation.archive_ref),
            ("Page", citation.page),
            ("Document", citation.doc_id),
        ]
    )
    cite = escape(citation_text(citation))
    return (
        f'<article class="source-card" id="source-{citation.ref}">'
        f'<header><span class="ref-number">{citation.ref}</span>'
        f'<h3 class="source-title">{escape(citation.title)}</h3></header>'
        f"{meta}{thread}"
        f'<blockquote class="passage">{highlighted_passage(citation)}</blockquote>'
        f'<p class="chicago">{cite}</p>'
        f'<footer><button type="button" class="copy-citation" data-citation="{cite}">'
        f"Copy citation</button>{_link(citation.url)}</footer>"
        "</article>"
    )


def closest_card(source: Source) -> str:
    meta = _meta(
        [
            ("Date", source.date or "undated"),
            ("Place", source.place),
            ("Document", source.doc_id),
            ("Similarity", f"{source.score:.2f}"),
        ]
    )
    return (
        '<article class="source-card closest">'
        f'<header><h3 class="source-title">{escape(source.title)}</h3></header>'
        f"{meta}<footer>{_link(source.url)}</footer></article>"
    )


def filters_summary(filters: Filters | None) -> str:
    """One line naming the active filters, or nothing."""
    if filters is None or not filters.active:
        return ""
    parts = [
        f"from {filters.date_from}" if filters.date_from else "",
        f"to {filters.date_to}" if filters.date_to else "",
        "in " + ", ".join(filters.collections) if filters.collections else "",
        f"place contains “{filters.place}”" if filters.place else "",
        f"document id starts with {filters.doc_id_prefix}" if filters.doc_id_prefix else "",
    ]
    return f'<p class="filters-used">Filtered: {escape(" · ".join(p for p in parts if p))}</p>'


def sources_html(
    answer: Answer,
    *,
    filters: Filters | None = None,
    threads: Mapping[str, str] | None = None,
) -> str:
    """The sources panel: numbered citation cards, or the closest documents after abstaining.

    ``threads`` maps a document id to its rendered thread (see ``thread_html``).
    """
    threads = threads or {}
    question = f'<p class="sources-question">{escape(answer.question)}</p>'
    if answer.abstained:
        cards = "".join(closest_card(source) for source in answer.closest)
        heading = '<h3 class="closest-heading">Closest documents</h3>' if cards else ""
        return (
            f'<section class="sources abstained">{question}{filters_summary(filters)}'
            f'<div class="notice">{escape(NOTHING_FOUND)} {escape(answer.answer)}</div>'
            f"{notes_html(answer.notes)}{heading}{cards}</section>"
        )
    documents = len({c.doc_id for c in answer.citations})
    count = (
        f'<p class="sources-count">{len(answer.citations)} '
        f"quotation{'s' * (len(answer.citations) != 1)} from {documents} "
        f"document{'s' * (documents != 1)}</p>"
    )
    cards = "".join(
        citation_card(citation, thread=threads.get(citation.doc_id, ""))
        for citation in answer.citations
    )
    return (
        f'<section class="sources">{question}{count}{filters_summary(filters)}'
        f"{notes_html(answer.notes)}{timeline_html(answer.timeline)}{cards}</section>"
    )
