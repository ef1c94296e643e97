"""The web chat: questions, answers quoted from the archive, and their sources side by side.

Each question is answered in two steps so that it shows at once in the conversation
while the archive is searched. With a language model, its answer is shown as it is
written, then replaced by the checked answer and its sources. Each browser session
keeps its own conversation, for follow-up questions, and the sources of every answer,
so that selecting an earlier answer brings its sources back.
"""

# No ``from __future__ import annotations``: Gradio reads the event handlers' type hints
# at run time to pass gr.SelectData, and gradio is imported only inside build_chat.
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from assistant.model import Answer, DocumentRecord, Turn
from assistant.web import render
from embeddings.filters import FilterError, Filters

if TYPE_CHECKING:
    import gradio as gr

    from assistant.service import Assistant
    from embeddings.index import IndexStats

TITLE = "Cable Assistant"
SUBTITLE = "Sample archive: Vietnam, June 1965 — FRUS, Wilson Center, Pentagon Papers"
EXAMPLES = (
    "What did the embassy claim about Soviet press coverage of Vietnam?",
    "What did Taylor report about the new government in Saigon?",
    "What did Ball advise the President in June 1965?",
    "How many battalions did Westmoreland ask for?",
)
CSS = Path(__file__).with_name("static") / "chat.css"
log = logging.getLogger(__name__)

# Runs once in the browser; the listener sits on the panel, so it survives re-renders.
# A quote (its mark) or "Read the document" opens the document in the reading pane.
# navigator.clipboard needs a secure context (https or localhost); elsewhere the
# citation is selected and copied the old way.
SOURCES_JS = """
element.addEventListener('click', async (event) => {
  const quote = event.target.closest('mark[data-start], button.open-document');
  if (quote) {
    const {start, end} = quote.dataset;
    const doc_id = quote.dataset.doc || quote.closest('[data-doc]').dataset.doc;
    trigger('click', {doc_id, start: Number(start), end: Number(end)});
    return;
  }
  const button = event.target.closest('button.copy-citation');
  if (!button) return;
  const text = button.dataset.citation;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch (error) {
    const cited = button.closest('.source-card').querySelectorAll('.chicago');
    const range = document.createRange();
    range.setStartBefore(cited[0]);
    range.setEndAfter(cited[cited.length - 1]);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = document.execCommand('copy') ? 'Copied' : 'Selected: press Ctrl+C';
  }
  setTimeout(() => { button.textContent = 'Copy citation'; }, 2500);
});
"""
# The reading pane: its thread opens other documents in it; each new document is shown
# scrolled (inside the pane) to its highlighted quote, and the pane brought into view.
DOCUMENT_JS = """
element.addEventListener('click', (event) => {
  const open = event.target.closest('button.open-document');
  if (open) trigger('click', {doc_id: open.dataset.doc});
  else if (event.target.closest('button.close-document')) trigger('click', {close: true});
});
watch('value', () => {
  const text = element.querySelector('.document-text');
  if (!text) return;
  const quote = text.querySelector('mark.document-quote');
  // The quote a third of the way down, or higher if it is tall, so all of it shows.
  const room = quote && text.clientHeight - quote.getBoundingClientRect().height - 8;
  text.scrollTop = quote ? quote.offsetTop - Math.max(8, Math.min(text.clientHeight / 3, room)) : 0;
  element.scrollIntoView({block: 'nearest'});
});
"""


@dataclass(frozen=True)
class Query:
    """A question waiting for its answer, with the filters it was asked under."""

    question: str
    filters: Filters


@dataclass(frozen=True)
class Session:
    """What one browser remembers: the turns so far and the sources panel of each answer."""

    turns: tuple[Turn, ...] = ()
    sources: dict[int, str] = field(default_factory=dict)  # by the answer's message index


class Update(NamedTuple):
    """What one step of answering changes; ``None`` leaves that part as it is."""

    conversation: list[dict[str, Any]]
    sources: str | None = None
    session: Session | None = None


def stream_answer(
    assistant: "Assistant", query: Query, history: list[dict[str, Any]], session: Session
) -> Iterator[Update]:
    """The conversation as the answer is written, then with the checked answer and sources.

    A failure is shown in the conversation (and logged); the session then keeps no
    trace of the question, so the next follow-up does not build on it.
    """
    written = ""
    try:
        for item in assistant.ask_stream(
            query.question, filters=query.filters, history=session.turns
        ):
            if isinstance(item, Answer):
                result = item
            else:
                written += item
                message = {"role": "assistant", "content": render.streaming_markdown(written)}
                yield Update([*history, message])
    except Exception as error:  # the web edge: a message in the chat, the trace in the log
        log.exception("answering %r failed", query.question)
        yield Update([*history, {"role": "assistant", "content": render.failure_markdown(error)}])
        return
    records = (assistant.document(doc_id) for doc_id in {c.doc_id for c in result.citations})
    threads = {
        record.document.doc_id: render.thread_html(
            record.references, record.referenced_by, titles=thread_titles(assistant, record)
        )
        for record in records
        if record is not None
    }
    sources = render.sources_html(result, filters=query.filters, threads=threads)
    message = {"role": "assistant", "content": render.answer_markdown(result)}
    session = Session(
        turns=(*session.turns, Turn("user", query.question), Turn("assistant", result.text)),
        sources={**session.sources, len(history): sources},
    )
    yield Update([*history, message], sources, session)


def thread_titles(assistant: "Assistant", record: DocumentRecord) -> dict[str, str]:
    """The titles of the documents in ``record``'s thread, to name its links."""
    ids = {ref.doc_id for ref in record.references if ref.doc_id} | set(record.referenced_by)
    found = (assistant.document(doc_id) for doc_id in ids)
    return {r.document.doc_id: r.document.title for r in found if r is not None}


def document_pane(assistant: "Assistant", opened: dict[str, Any]) -> str:
    """The reading pane for what a click asked (``doc_id``, and the quote's ``start`` and
    ``end`` if any), or nothing once it is closed."""
    doc_id = opened.get("doc_id")
    if opened.get("close") or not isinstance(doc_id, str):
        return ""
    record = assistant.document(doc_id)
    if record is None:
        return render.missing_document_html(doc_id)
    start, end = opened.get("start"), opened.get("end")
    quote = (start, end) if isinstance(start, int) and isinstance(end, int) else None
    return render.document_html(record, quote=quote, titles=thread_titles(assistant, record))


def masthead_html(stats: "IndexStats") -> str:
    documents, passages, collections = stats.documents, stats.passages, stats.collections
    return (
        f"<h1>{escape(TITLE)}</h1>"
        f'<p class="subtitle">{escape(SUBTITLE)}</p>'
        '<p class="promise">Answers are made only of exact quotations from the archive; '
        "each is numbered and traced to its document, date and archive reference.</p>"
        f'<p class="index-stats">{documents:,} documents · {passages:,} passages · '
        f"{len(collections)} collection{'s' * (len(collections) != 1)}</p>"
    )


def _field(value: str | None) -> str | None:
    return (value or "").strip() or None


def read_filters(
    date_from: str | None,
    date_to: str | None,
    collections: list[str] | None,
    place: str | None,
    prefix: str | None,
) -> Filters:
    """The filter fields as Filters; a bad date becomes a message in the browser."""
    import gradio as gr

    try:
        return Filters(
            date_from=_field(date_from),
            date_to=_field(date_to),
            collections=tuple(collections or ()),
            place=_field(place),
            doc_id_prefix=_field(prefix),
        )
    except FilterError as error:
        raise gr.Error(f"Filters: {error}") from None


def build_chat(assistant: "Assistant") -> "gr.Blocks":
    import gradio as gr

    stats = assistant.stats()

    def take_question(
        text: str, history: list[dict[str, Any]], *filter_values: Any
    ) -> tuple[Any, Any, Query | None]:
        question = text.strip()
        if not question:
            return gr.skip(), gr.skip(), None
        query = Query(question, read_filters(*filter_values))
        message = {"role": "user", "content": render.escape_markdown(question)}
        return "", [*history, message], query

    def answer(
        query: Query | None, history: list[dict[str, Any]], session: Session
    ) -> Iterator[tuple[Any, ...]]:
        if query is None:
            yield gr.skip(), gr.skip(), gr.skip()
            return
        for update in stream_answer(assistant, query, history, session):
            yield tuple(gr.skip() if part is None else part for part in update)

    def open_document(event: gr.EventData) -> str:
        return document_pane(assistant, event._data or {})

    def show_sources(session: Session, event: gr.SelectData) -> Any:
        index = event.index if isinstance(event.index, int) else event.index[0]
        return session.sources.get(index, gr.skip())

    css = CSS.read_text(encoding="utf-8")
    with gr.Blocks(title=TITLE, analytics_enabled=False) as chat:
        gr.HTML(
            masthead_html(stats),
            elem_id="masthead",
            head=f"<style>{css}</style>",
            js_on_load=None,
        )
        session = gr.State(Session())
        pending = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=6):
                conversation = gr.Chatbot(
                    elem_id="conversation",
                    show_label=False,
                    height=520,
                    latex_delimiters=[],
                    sanitize_html=True,
                    render_markdown=True,
                    feedback_options=None,
                    buttons=[],  # its copy button would copy the escaped Markdown
                    placeholder="Ask a question about the documents in the archive.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        placeholder="Ask the archive, e.g. What did Ball advise the President?",
                        scale=6,
                        autofocus=True,
                        max_lines=4,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="ask")
                with gr.Column(elem_id="examples"):
                    gr.HTML('<p class="examples-label">Example questions</p>', js_on_load=None)
                    with gr.Row():
                        examples = [
                            gr.Button(example, size="sm", min_width=260, elem_classes="example")
                            for example in EXAMPLES
                        ]
                with gr.Accordion("Filters", open=False, elem_id="filters"):
                    with gr.Row():
                        date_from = gr.Textbox(label="Date from", placeholder="1965-06-01")
                        date_to = gr.Textbox(label="Date to", placeholder="1965-06-30")
                    collection = gr.Dropdown(
                        choices=sorted(stats.collections), multiselect=True, label="Collection"
                    )
                    with gr.Row():
                        place = gr.Textbox(label="Place contains", placeholder="Saigon")
                        prefix = gr.Textbox(
                            label="Document id starts with", placeholder="frus1964-68v03/"
                        )
            with gr.Column(scale=5):
                reading = gr.HTML("", elem_id="document", js_on_load=DOCUMENT_JS)
                gr.HTML('<h2 class="section-heading">Sources</h2>', js_on_load=None)
                sources = gr.HTML(render.PLACEHOLDER, elem_id="sources", js_on_load=SOURCES_JS)

        filter_fields = [date_from, date_to, collection, place, prefix]

        def ask_through(listener: Any) -> None:
            listener(
                take_question,
                [question, conversation, *filter_fields],
                [question, conversation, pending],
                show_progress="hidden",
            ).success(
                answer,
                [pending, conversation, session],
                [conversation, sources, session],
                show_progress="minimal",
            )

        ask_through(question.submit)
        ask_through(ask.click)
        for example in examples:
            ask_through(example.click(lambda text: text, example, question).then)
        conversation.select(show_sources, [session], [sources])
        sources.click(open_document, None, reading, show_progress="hidden")
        reading.click(open_document, None, reading, show_progress="hidden")
        conversation.clear(lambda: (render.PLACEHOLDER, Session()), None, [sources, session])
    return chat
