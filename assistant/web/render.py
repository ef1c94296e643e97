"""Answers, sources and whole documents as safe HTML and Markdown for the web chat. Pure.

Everything that comes from a document (text, titles, places, references, URLs) is
escaped here and nowhere else, in the sources panel as in the reading pane, so an
archive file containing ``<script>`` or ``<img onerror=...>`` is shown as text and
never runs.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import urlsplit

from assistant.model import Answer, Citation, DocumentRecord, Paragraph, Source, TimelineEntry
from corpus.model import Document
from embeddings.filters import Filters

# ASCII punctuation that Markdown, its autolinks or LaTeX would interpret; "<" and "&" are
# escaped as HTML entities instead, since a backslash before "&lt;" would show the entity.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:])")
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
# A gap's kind (``Span.kind`` of ``Document.withheld``) -> its class and what it means.
GAPS = {
    "illegible": ("illegible", "Illegible in the source"),
    "withheld": ("withheld", "Withheld: not declassified"),
}
CLOSE_DOCUMENT = (
    '<button type="button" class="close-document" aria-label="Close the document">×</button>'
)


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that renders literally: no formatting, links or HTML."""
    return escape(_MARKDOWN_SPECIAL.sub(r"\\\1", text), quote=False)


def safe_url(url: str | None) -> str | None:
    """The URL if it is a web address; ``javascript:`` and the like are dropped."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None


def answer_markdown(answer: Answer) -> str:
    """The chat message for ``answer``: its words escaped, its labels bold, its refs styled."""
    body = "\n\n".join(_paragraph_markdown(paragraph) for paragraph in answer.paragraphs)
    if answer.abstained:
        body = f"**{NOTHING_FOUND}**\n\n{body}"
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


def _paragraph_markdown(paragraph: Paragraph) -> str:
    return paragraph.render(
        text=escape_markdown,
        cite=lambda ref: f'<sup class="cite-ref">[{ref}]</sup>',
        label=lambda label: f"**{escape_markdown(label)}**",
    )


def highlighted_passage(
    *citations: Citation, chars: int = CONTEXT_CHARS, lines: int = CONTEXT_LINES
) -> str:
    """The passage around its quotes, escaped, each quote in a ``<mark>`` with its ref.

    The quotes (in document order, all inside the first one's passage) are located by
    their offsets, never by searching for their text, so each highlight is exactly what
    the answer quoted even when the words recur. The context is cut at whole words, runs
    of blank lines are shown as one break, and a long stretch between two quotes is cut
    to the context of each.
    """
    passage, origin = citations[0].passage, citations[0].passage_start
    parts: list[str] = []
    position = 0
    for i, citation in enumerate(citations):
        start = min(max(citation.char_start - origin, position), len(passage))
        end = min(max(citation.char_end - origin, start), len(passage))
        between = _BLANK_LINES.sub("\n", passage[position:start])
        if i == 0:
            # The context before the quote is the head of the reversed text, read backwards.
            kept = _head(between[::-1], chars, lines)[::-1]
            lead = "… " if between[: len(between) - len(kept)].strip() else ""
            parts.append(escape(lead + kept))
        else:
            parts.append(escape(_between(between, chars, lines)))
        quote = _BLANK_LINES.sub("\n", passage[start:end])
        parts.append(
            f'<mark id="source-{citation.ref}" data-start="{citation.char_start}" '
            f'data-end="{citation.char_end}">{escape(quote)}</mark>'
        )
        if len(citations) > 1:
            parts.append(f'<span class="mark-ref">{citation.ref}</span>')
        position = end
    after = _BLANK_LINES.sub("\n", passage[position:])
    kept_after = _head(after, chars, lines)
    tail = " …" if after[len(kept_after) :].strip() else ""
    parts.append(escape(kept_after + tail))
    return "".join(parts)


def _between(text: str, chars: int, lines: int) -> str:
    """The text between two quotes: whole, or the context after the first and before the next."""
    after = _head(text, chars, lines)
    before = _head(text[::-1], chars, lines)[::-1]
    if len(after) + len(before) >= len(text):
        return text
    return f"{after} … {before}"


def excerpts(citations: Sequence[Citation]) -> list[list[Citation]]:
    """One document's citations in document order, grouped by the passage shown for them:
    a quote joins the excerpt before it when it lies in that excerpt's passage after its
    last quote."""
    groups: list[list[Citation]] = []
    for citation in sorted(citations, key=lambda c: (c.char_start, c.ref)):
        if groups:
            first, last = groups[-1][0], groups[-1][-1]
            inside = first.passage_start <= citation.char_start and citation.char_end <= (
                first.passage_start + len(first.passage)
            )
            if inside and citation.char_start >= last.char_end:
                groups[-1].append(citation)
                continue
        groups.append([citation])
    return groups


def _head(text: str, chars: int, lines: int) -> str:
    """The start of ``text``: at most ``chars`` characters and ``lines`` breaks, whole words."""
    head = text[:chars]
    if len(text) > chars and not text[chars].isspace():
        head = head[: max(head.rfind(" "), head.rfind("\n"), 0)]
    return "\n".join(head.split("\n")[: lines + 1])


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


def open_button(doc_id: str, text: str, *, quote: tuple[int, int] | None = None) -> str:
    """A button that opens ``doc_id`` in the reading pane, scrolled to ``quote`` if given."""
    span = f' data-start="{quote[0]}" data-end="{quote[1]}"' if quote else ""
    return (
        f'<button type="button" class="open-document" data-doc="{escape(doc_id)}"{span}>'
        f"{escape(text)}</button>"
    )


def thread_html(
    references: Sequence[tuple[str, str | None]],
    referenced_by: Sequence[str],
    *,
    titles: Mapping[str, str] | None = None,
) -> str:
    """A document's thread: what it refers to and what refers to it; each document the
    archive holds is a button that opens it (named by its title, from ``titles``)."""
    titles = titles or {}

    def named(text: str, doc_id: str | None) -> str:
        if doc_id is None:
            return escape(text)
        title = titles.get(doc_id)
        return open_button(doc_id, f"{text} — {title}" if title and title != text else text)

    parts = []
    if references:
        listed = ", ".join(named(text, target) for text, target in references)
        parts.append(f"<div><dt>Refers to</dt><dd>{listed}</dd></div>")
    if referenced_by:
        listed = ", ".join(named(titles.get(d, d), d) for d in referenced_by)
        parts.append(f"<div><dt>Referred to by</dt><dd>{listed}</dd></div>")
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


def source_card(citations: Sequence[Citation], *, thread: str = "") -> str:
    """One document's card: its metadata and thread, then its quotes highlighted in
    document order, each ``<mark>`` with the id ``source-{ref}`` the answer's [ref] names."""
    first = citations[0]
    ordered = sorted(citations, key=lambda c: (c.char_start, c.ref))
    pages = ", ".join(dict.fromkeys(c.page for c in ordered if c.page))
    meta = _meta(
        [
            ("Date", first.date or "undated"),
            ("Place", first.place),
            ("Reference", first.archive_ref),
            ("Page", pages),
            ("Document", first.doc_id),
        ]
    )
    numbers = "".join(f'<span class="ref-number">{c.ref}</span>' for c in citations)
    passages = "".join(
        f'<blockquote class="passage">{highlighted_passage(*group)}</blockquote>'
        for group in excerpts(citations)
    )
    cited = list(dict.fromkeys(c.citation for c in ordered))
    chicago = "".join(f'<p class="chicago">{escape(text)}</p>' for text in cited)
    read = open_button(first.doc_id, "Read the document", quote=(first.char_start, first.char_end))
    return (
        f'<article class="source-card" data-doc="{escape(first.doc_id)}">'
        f'<header>{numbers}<h3 class="source-title">{escape(first.title)}</h3></header>'
        f"{meta}{thread}{passages}{chicago}"
        f'<footer><button type="button" class="copy-citation" '
        f'data-citation="{escape(chr(10).join(cited))}">Copy citation</button>'
        f"{read}{_link(first.url)}</footer>"
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


def page_label(label: str) -> str:
    """A printed page number as a reader writes it ("p. 2"); other labels ("scan 3") as they are."""
    return f"p. {label}" if label[:1].isdigit() else label


def document_text(document: Document, *, quote: tuple[int, int] | None = None) -> str:
    """The whole text, escaped, with a mark where each page begins, withheld and illegible
    spans shown as gaps, and the characters ``quote`` (offsets) in ``<mark>``.

    The text is cut wherever a page, gap or the quote begins or ends, so a quote over a
    page break is two marks with the page's mark between them.
    """
    size = len(document.text)

    def clamp(offset: int) -> int:
        return min(max(offset, 0), size)

    pages = {clamp(page.char_start): page.label for page in document.pages}
    gaps = [(clamp(g.char_start), clamp(g.char_end), g.kind) for g in document.withheld]
    quoted = (clamp(quote[0]), clamp(quote[1])) if quote else (size, size)
    cuts = sorted({0, size, *pages, *quoted, *(o for g in gaps for o in g[:2])})
    parts = []
    for start, end in itertools.pairwise(cuts):
        if start in pages:
            label = pages[start]
            parts.append(
                f'<span class="page-mark" data-page="{escape(label)}">'
                f"{escape(page_label(label))}</span>"
            )
        piece = escape(document.text[start:end])
        kind = next((k for s, e, k in gaps if s <= start and end <= e), None)
        if kind is not None:
            gap, why = GAPS.get(kind, GAPS["withheld"])
            piece = f'<span class="gap gap-{gap}" title="{why}">{piece}</span>'
        if quoted[0] <= start and end <= quoted[1]:
            piece = f'<mark class="document-quote">{piece}</mark>'
        parts.append(piece)
    return "".join(parts)


def document_html(
    record: DocumentRecord,
    *,
    quote: tuple[int, int] | None = None,
    titles: Mapping[str, str] | None = None,
    link: str | None = None,
) -> str:
    """The reading pane: a document whole, with its metadata and thread, scrolled (by the
    pane's script) to ``quote``; ``link`` is where the archive shows it (default its URL)."""
    document = record.document
    meta = _meta(
        [
            ("Date", document.date or "undated"),
            ("Place", document.place),
            ("From", document.author),
            ("To", document.recipient),
            ("Reference", document.archive_ref),
            ("Classification", document.classification),
            ("Document", document.doc_id),
        ]
    )
    thread = thread_html(record.references, record.referenced_by, titles=titles)
    where = ""
    if quote is not None:
        page = document.page_at(quote[0])
        on = f" on {escape(page_label(page))}" if page else ""
        where = f'<p class="document-where">The quotation is highlighted{on}.</p>'
    return (
        f'<article class="document-view" data-doc="{escape(document.doc_id)}">'
        f'<header><p class="document-kicker">{escape(document.collection)}</p>'
        f'<h3 class="document-title">{escape(document.title)}</h3>{CLOSE_DOCUMENT}</header>'
        f"{meta}{thread}{where}"
        f'<div class="document-text" tabindex="0">{document_text(document, quote=quote)}</div>'
        f"<footer>{_link(link or document.url)}</footer></article>"
    )


def missing_document_html(doc_id: str) -> str:
    """The reading pane when the document has left the archive since the answer."""
    return (
        f'<article class="document-view missing"><header>'
        f'<h3 class="document-title">{escape(doc_id)}</h3>{CLOSE_DOCUMENT}</header>'
        "<p>This document is no longer in the archive.</p></article>"
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
    """The sources panel: a card per cited document, or the closest documents after abstaining.

    ``threads`` maps a document id to its rendered thread (see ``thread_html``).
    """
    threads = threads or {}
    question = f'<p class="sources-question">{escape(answer.question)}</p>'
    if answer.abstained:
        cards = "".join(closest_card(source) for source in answer.closest)
        heading = '<h3 class="closest-heading">Closest documents</h3>' if cards else ""
        return (
            f'<section class="sources abstained">{question}{filters_summary(filters)}'
            f'<div class="notice">{escape(NOTHING_FOUND)} {escape(answer.text)}</div>'
            f"{notes_html(answer.notes)}{heading}{cards}</section>"
        )
    by_document: dict[str, list[Citation]] = {}
    for citation in answer.citations:
        by_document.setdefault(citation.doc_id, []).append(citation)
    documents = len(by_document)
    count = (
        f'<p class="sources-count">{len(answer.citations)} '
        f"quotation{'s' * (len(answer.citations) != 1)} from {documents} "
        f"document{'s' * (documents != 1)}</p>"
    )
    cards = "".join(
        source_card(citations, thread=threads.get(doc_id, ""))
        for doc_id, citations in by_document.items()
    )
    return (
        f'<section class="sources">{question}{count}{filters_summary(filters)}'
        f"{notes_html(answer.notes)}{timeline_html(answer.timeline)}{cards}</section>"
    )
