"""The web chat: safe rendering of answers and sources, and the chat driven in Chromium."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser import ask_in_chat, chromium_page, running_server
from fake_llm import FakeLLM, Reply, echo_passages, fixed, with_model

from assistant.answering.disagreement import Statement, describe, find_disagreements
from assistant.model import Answer, Citation, Paragraph, Quote, Ref, Source, Text
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.web import render
from assistant.web.chat import EXAMPLES, Query, Session, build_chat, stream_answer
from embeddings.filters import Filters
from embeddings.index import Index

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import Page

SEED_TITLE = "Soviet Revisionists Continue to Play Both Sides"
SOVIET_PRESS = EXAMPLES[0]
ARTIFACTS = Path(__file__).parent / "artifacts"
ANSWER_TIMEOUT = 60_000  # ms: the first question also loads the model's lazy parts
HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def _citation(passage: str, quote_at: int, quote: str, **fields: object) -> Citation:
    values: dict = {
        "ref": 1,
        "doc_id": "test/1",
        "collection": "Test",
        "title": "A cable",
        "date": "1965-06-19",
        "place": "Moscow",
        "archive_ref": "REF 1",
        "url": None,
        "citation": "",
        "page": None,
        "score": 0.5,
    }
    values.update(fields)
    start = 1000  # the passage's offset in its document
    return Citation(
        quote=quote,
        char_start=start + quote_at,
        char_end=start + quote_at + len(quote),
        passage=passage,
        passage_start=start,
        **values,
    )


class _Tags(HTMLParser):
    """Every tag and attribute name in an HTML fragment."""

    def __init__(self, fragment: str):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def _notice(text: str) -> tuple[Paragraph, ...]:
    return (Paragraph("notice", (Text(text),)),)


def _marks(fragment: str) -> list[str]:
    return re.findall(r"<mark[^>]*>(.*?)</mark>", fragment, flags=re.DOTALL)


def _mark(citation: Citation) -> str:
    """The opening tag of a quote's mark in the sources panel."""
    return (
        f'<mark id="source-{citation.ref}" data-start="{citation.char_start}" '
        f'data-end="{citation.char_end}">'
    )


def _card_of(panel: str, ref: int) -> str:
    """The source card holding the quote numbered ``ref``."""
    (card,) = [c for c in panel.split("<article")[1:] if f'id="source-{ref}"' in c]
    return card.split("</article>")[0]


# -- rendering, on hand-made citations ------------------------------------------------


def test_highlight_is_placed_by_offsets_not_by_searching() -> None:
    passage = "The Soviet press is silent. Later the Soviet press reported it."
    second = passage.index("the Soviet press")
    citation = _citation(passage, second, "the Soviet press reported it.")
    assert render.highlighted_passage(citation) == (
        f"The Soviet press is silent. Later {_mark(citation)}the Soviet press reported it.</mark>"
    )


def test_passage_context_is_cut_at_whole_words_and_lines() -> None:
    before = " ".join(f"before{i}" for i in range(100))
    after = "\n\n\n".join(f"line {i}" for i in range(20))
    passage = f"{before} Quoted sentence here. {after}"
    citation = _citation(passage, len(before) + 1, "Quoted sentence here.")
    shown = render.highlighted_passage(citation, chars=60, lines=3)
    head, rest = shown.split(_mark(citation))
    assert head.startswith("… ") and re.fullmatch(r"… (before\d+ )+", head)
    tail = rest.split("</mark>")[1]
    assert tail == " line 0\nline 1\nline 2\nline 3 …"  # blank lines shown as one break


def test_quote_and_passage_at_the_edges_have_no_ellipsis() -> None:
    citation = _citation("Whole passage quoted.", 0, "Whole passage quoted.")
    assert render.highlighted_passage(citation) == f"{_mark(citation)}Whole passage quoted.</mark>"


def test_document_markup_in_a_citation_card_is_only_text() -> None:
    passage = f"Intro {HOSTILE} and a quoted {HOSTILE} sentence. End."
    quote = f"a quoted {HOSTILE} sentence."
    citation = _citation(
        passage,
        passage.index(quote),
        quote,
        title=f"Title {HOSTILE}",
        place=HOSTILE,
        archive_ref=HOSTILE,
        url="javascript:window.__xss=3",
        citation=f'"Cite" {HOSTILE}',
        page=HOSTILE,
        doc_id=HOSTILE,
    )
    card = render.source_card([citation])
    parsed = _Tags(card)
    assert parsed.tags <= {
        "article",
        "header",
        "span",
        "h3",
        "dl",
        "div",
        "dt",
        "dd",
        "blockquote",
        "mark",
        "p",
        "footer",
        "button",
    }
    assert not {name for name in parsed.attributes if name.startswith("on")}
    assert "javascript:" not in card.split("</blockquote>")[0] + card.split("<footer>")[1]
    assert _marks(card) == [escape(quote)]
    copied = re.search(r'data-citation="([^"]*)"', card)
    assert copied and unescape(copied.group(1)) == f'"Cite" {HOSTILE}'


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:window.__xss=1)",
        HOSTILE,
        "**bold** _italic_ `code` ~~struck~~",
        "# not a heading",
        "1. not a list",
        "> not a quote",
        "see http://example.org/x and www.example.org",
        "$5 million and $3 million, $$x$$",
        r"back\slash & ampersand &amp; entity",
        "| a | b |",
    ],
)
def test_escaped_markdown_renders_as_the_literal_text(text: str) -> None:
    from markdown_it import MarkdownIt

    rendered = (
        MarkdownIt("commonmark")
        .enable(["table", "strikethrough"])
        .render(render.escape_markdown(text))
    )
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n")
    inner = rendered[3:-5]
    assert "<" not in inner
    assert unescape(inner) == text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://history.state.gov/x", "https://history.state.gov/x"),
        (" http://example.org/a?b=1 ", "http://example.org/a?b=1"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example", None),
        ("ftp://example.org", None),
        ("", None),
        (None, None),
    ],
)
def test_only_web_addresses_become_links(url: str | None, expected: str | None) -> None:
    assert render.safe_url(url) == expected


def test_only_the_answer_markers_become_citation_numbers() -> None:
    citation = _citation("He cited note [2] here.", 0, "He cited note [2] here.")
    answer = Answer(
        question="q",
        paragraphs=(
            Paragraph(
                "quotes",
                (Quote("He cited note [2] here.", 1),),
                label="A cable (Moscow, 1965-06-19)",
            ),
        ),
        abstained=False,
        citations=(citation,),
        query_used="q",
    )
    markdown = render.answer_markdown(answer)
    assert markdown.count('<sup class="cite-ref">') == 1
    assert markdown.startswith(r"**A cable \(Moscow, 1965\-06\-19\)**: ")
    assert r"note \[2\] here\.”" in markdown
    assert markdown.endswith('<sup class="cite-ref">[1]</sup>')
    assert "Searched for" not in markdown


def test_the_chat_message_is_rendered_from_the_paragraphs() -> None:
    quotes = Paragraph(
        "quotes",
        (Quote("Note [2] <script>x</script>.", 1), Text(" "), Quote("Then *this*.", 2)),
        label="A <b>cable</b> (Moscow, 1965-06-19)",
    )
    disagreement = Paragraph(
        "disagreement", (Text("Sources disagree: "), Ref(1), Text(" (A [3] cable) says so."))
    )
    answer = Answer("q", (quotes, disagreement), False, (), query_used="q")
    assert render.answer_markdown(answer) == (
        r"**A &lt;b&gt;cable&lt;/b&gt; \(Moscow, 1965\-06\-19\)**: "
        r'“Note \[2\] &lt;script&gt;x&lt;/script&gt;\.” <sup class="cite-ref">[1]</sup> '
        r'“Then \*this\*\.” <sup class="cite-ref">[2]</sup>'
        "\n\n"
        r'Sources disagree\: <sup class="cite-ref">[1]</sup> \(A \[3\] cable\) says so\.'
    )


def test_a_disagreement_sentence_links_its_sources() -> None:
    first = _citation("The force was 15 battalions.", 0, "The force was 15 battalions.")
    second = _citation(
        "He announced 13 battalions.", 0, "He announced 13 battalions.", ref=2, doc_id="test/2"
    )
    citations = (first, second)
    (conflict,) = find_disagreements(
        [Statement(c.ref, c.doc_id, c.quote, c.date) for c in citations]
    )
    said = describe(conflict, {1: "A cable", 2: "Another cable"})
    answer = Answer(
        question="q",
        paragraphs=(
            Paragraph("quotes", (Quote(first.quote, 1),), label="A cable (Moscow, 1965-06-19)"),
            said,
        ),
        abstained=False,
        citations=citations,
        query_used="q",
    )
    disagreement = render.answer_markdown(answer).split("\n\n")[1]
    assert disagreement.startswith("Sources disagree on the number of battalions")
    assert disagreement.count('<sup class="cite-ref">') == 2
    assert '<sup class="cite-ref">[1]</sup> \\(A cable\\)' in disagreement


def test_rewritten_query_is_shown_under_the_answer() -> None:
    answer = Answer("And he?", _notice("nothing"), True, (), query_used="And he? Taylor Saigon")
    assert render.answer_markdown(answer).endswith(
        '<span class="query-used">Searched for: And he? Taylor Saigon</span>'
    )


def test_abstention_lists_the_closest_documents() -> None:
    closest = (
        Source(
            "a/1",
            "Test",
            "First <b>memo</b>",
            "1965-06-13",
            "Saigon",
            "https://example.org/1",
            0.21,
        ),
        Source("a/2", "Test", "Second memo", None, None, "javascript:x", 0.18),
    )
    answer = Answer(
        "Cookies?", _notice("The archive holds nothing."), True, (), closest, "Cookies?"
    )
    panel = render.sources_html(answer)
    assert render.NOTHING_FOUND in panel and "The archive holds nothing." in panel
    assert panel.count('class="source-card closest"') == 2
    assert "First &lt;b&gt;memo&lt;/b&gt;" in panel and "undated" in panel
    assert panel.count("<a ") == 1 and 'href="https://example.org/1"' in panel
    assert render.answer_markdown(answer).startswith(f"**{render.NOTHING_FOUND}**")


def test_active_filters_are_named_in_the_panel() -> None:
    filters = Filters(date_from="1965-06", collections=("FRUS", "Pentagon Papers"))
    assert render.filters_summary(filters) == (
        '<p class="filters-used">Filtered: from 1965-06 · in FRUS, Pentagon Papers</p>'
    )
    assert render.filters_summary(Filters()) == ""


# -- rendering, on real answers from the sample archive -------------------------------


def test_sources_panel_of_the_seed_cable(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask(SOVIET_PRESS)
    panel = render.sources_html(answer)
    seed = next(c for c in answer.citations if SEED_TITLE in c.title)
    card = _card_of(panel, seed.ref)
    assert escape(seed.title) in card
    assert '<dd class="meta-date">1965-06-19</dd>' in card
    assert "PRC FMA 109-03654-02" in card
    quoted = sorted(
        (c for c in answer.citations if c.doc_id == seed.doc_id), key=lambda c: c.char_start
    )
    assert _marks(card) == [escape(c.quote) for c in quoted]
    assert f"{_mark(seed)}{escape(seed.quote)}</mark>" in card
    assert "Soviet press" in seed.quote
    assert panel.count('class="source-card"') == len({c.doc_id for c in answer.citations})
    assert f"[{seed.ref}]" in render.answer_markdown(answer)


@pytest.mark.parametrize("question", EXAMPLES)
def test_every_quote_is_highlighted_in_its_numbered_card(
    sample_assistant: Assistant, question: str
) -> None:
    answer = sample_assistant.ask(question)
    assert not answer.abstained
    panel = render.sources_html(answer)
    markdown = render.answer_markdown(answer)
    for citation in answer.citations:
        card = _card_of(panel, citation.ref)
        assert f'<span class="ref-number">{citation.ref}</span>' in card.split("</header>")[0]
        assert f"{_mark(citation)}{escape(citation.quote)}</mark>" in card
        same_document = [c for c in answer.citations if c.doc_id == citation.doc_id]
        in_order = sorted(same_document, key=lambda c: c.char_start)
        assert _marks(card) == [escape(c.quote) for c in in_order]
        assert f'<sup class="cite-ref">[{citation.ref}]</sup>' in markdown
    assert panel.count('class="source-card"') == len({c.doc_id for c in answer.citations})


def test_unanswerable_question_shows_the_closest_documents(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask("What is the best recipe for chocolate chip cookies?")
    panel = render.sources_html(answer)
    assert answer.abstained and answer.closest
    assert panel.count('class="source-card closest"') == len(answer.closest)
    assert "<mark>" not in panel


def test_collection_filter_offers_the_index_collections(sample_assistant: Assistant) -> None:
    import gradio as gr

    chat = build_chat(sample_assistant)
    (dropdown,) = [b for b in chat.blocks.values() if isinstance(b, gr.Dropdown)]
    assert [value for _, value in dropdown.choices] == sorted(sample_assistant.stats().collections)
    assert dropdown.label == "Collection" and dropdown.multiselect


# -- the chat in a real browser --------------------------------------------------------


def _app(assistant: Assistant) -> FastAPI:
    """The whole web front, the JSON API with the chat mounted at ``/``, as served."""
    from assistant.web.server import build_app

    return build_app(assistant)


@pytest.fixture(scope="module")
def chat_url(sample_assistant: Assistant) -> Iterator[str]:
    with running_server(_app(sample_assistant)) as base_url:
        yield base_url


def _ask(page: Page, question: str) -> None:
    ask_in_chat(page, question, timeout=ANSWER_TIMEOUT)


def _wait_for_sources_of(page: Page, question: str) -> None:
    from playwright.sync_api import expect

    question_shown = page.locator("#sources .sources-question")
    expect(question_shown).to_have_text(question, timeout=ANSWER_TIMEOUT)


@pytest.mark.browser
def test_question_is_answered_with_quotes_and_highlighted_sources(chat_url: str) -> None:
    with chromium_page() as page:
        page.goto(chat_url)
        _ask(page, SOVIET_PRESS)
        answer = page.locator("#conversation .bot").last.inner_text()
        assert "Soviet press" in answer
        assert "[1]" in answer
        seed = page.locator("#sources .source-card", has_text=SEED_TITLE).first
        assert seed.locator(".meta-date").inner_text() == "1965-06-19"
        assert "PRC FMA 109-03654-02" in seed.locator(".meta-reference").inner_text()
        assert "Soviet press" in seed.locator("mark").first.inner_text()
        counted = page.locator("#sources .sources-count").inner_text()
        quotes, documents = map(int, re.findall(r"\d+", counted))
        assert page.locator("#sources .source-card mark").count() == quotes
        assert page.locator("#sources .source-card").count() == documents
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "chat.png", full_page=True)


@pytest.mark.browser
def test_clicking_an_example_question_asks_it(chat_url: str) -> None:
    question = "How many battalions did Westmoreland ask for?"
    with chromium_page() as page:
        page.goto(chat_url)
        page.locator("#examples button", has_text=question).click()
        _wait_for_sources_of(page, question)
        assert page.locator("#conversation .user").last.inner_text().strip() == question
        assert page.locator("#sources .source-card").count() >= 1
        assert page.input_value("#question textarea") == ""


@pytest.mark.browser
def test_copy_citation_puts_the_chicago_citation_on_the_clipboard(
    chat_url: str, sample_assistant: Assistant
) -> None:
    from playwright.sync_api import expect

    expected = sample_assistant.ask(SOVIET_PRESS).citations[0].citation
    with chromium_page(permissions=["clipboard-read", "clipboard-write"]) as page:
        page.goto(chat_url)
        _ask(page, SOVIET_PRESS)
        button = page.locator(".source-card:has(#source-1) .copy-citation")
        button.click()
        expect(button).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == expected


@pytest.mark.browser
def test_follow_up_shows_its_search_and_earlier_sources_come_back(chat_url: str) -> None:
    from playwright.sync_api import expect

    first = "What did Taylor report about the new government in Saigon?"
    follow_up = "And what did he say about the Buddhists?"
    with chromium_page() as page:
        page.goto(chat_url)
        _ask(page, first)
        _ask(page, follow_up)
        searched = page.locator("#conversation .bot").last.locator(".query-used").inner_text()
        assert searched.startswith(f"Searched for: {follow_up} ")
        page.locator("#conversation .bot").first.click()
        _wait_for_sources_of(page, first)
        page.locator("#conversation button[aria-label='Clear']").click()
        expect(page.locator("#sources .sources-empty")).to_be_visible()
        assert page.locator("#conversation .bot").count() == 0


@pytest.mark.browser
def test_filters_restrict_the_sources_and_bad_dates_are_explained(chat_url: str) -> None:
    from playwright.sync_api import expect

    with chromium_page() as page:
        page.goto(chat_url)
        page.locator("#filters").get_by_text("Filters").click()
        page.get_by_label("Date from").fill("1965-06-19")
        page.get_by_label("Date to").fill("1965-06-19")
        _ask(page, SOVIET_PRESS)
        dates = page.locator("#sources .source-card .meta-date").all_inner_texts()
        assert dates and set(dates) == {"1965-06-19"}
        assert page.locator("#sources .filters-used").inner_text() == (
            "Filtered: from 1965-06-19 · to 1965-06-19"
        )
        page.get_by_label("Date from").fill("June 1965")
        page.fill("#question textarea", "What did Ball advise?")
        page.press("#question textarea", "Enter")
        error = "Filters: date_from: date 'June 1965' is not an ISO date"
        expect(page.get_by_text(error)).to_be_visible()
        assert page.locator("#conversation .user").count() == 1


@pytest.fixture(scope="module")
def hostile_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """An archive whose one document tries to run script through every field."""
    folder = tmp_path_factory.mktemp("hostile")
    record = {
        "id": "hostile/1",
        "title": f"Telegram {HOSTILE}",
        "place": f"Moscow {HOSTILE}",
        "date": "1965-06-19",
        "archive_ref": HOSTILE,
        "url": "javascript:window.__xss=3",
        "citation": f"Cite {HOSTILE}",
        "text": (
            "The Soviet press reported on the war in Vietnam. "
            f"The Soviet press printed {HOSTILE} about the coverage of Vietnam. "
            "See [the press](javascript:window.__xss=4) and ${window.__xss=5} and {{value}}."
        ),
    }
    (folder / "hostile.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    assistant, report = Assistant.build(
        Settings(index_dir=folder / "index"), [folder / "hostile.jsonl"], progress=False
    )
    assert report.ok, report.failed
    yield assistant
    assistant.index.close()


@pytest.mark.browser
def test_document_markup_is_shown_as_text_and_never_runs(hostile_assistant: Assistant) -> None:
    question = "What did the Soviet press print about Vietnam coverage?"
    with running_server(_app(hostile_assistant)) as base_url, chromium_page() as page:
        page.goto(base_url)
        _ask(page, question)
        answer = page.locator("#conversation .bot").last
        assert "<script>window.__xss=2</script>" in answer.inner_text()
        assert page.locator("#sources .source-card mark", has_text="<img src=x").count() >= 1
        for region in ("#conversation .message-content", "#sources"):
            assert page.locator(f"{region} img, {region} script").count() == 0
        assert page.locator("#sources a").count() == 0
        assert page.evaluate("window.__xss") is None


# -- the chat with a language model (the local fake server) ---------------------------


def _stream_held(event: threading.Event, pieces: int) -> Callable[[dict], Reply]:
    """Cite every passage, but stop after ``pieces`` streamed pieces until ``event`` is set."""
    return lambda request: replace(echo_passages(request), hold=event, hold_after=pieces)


@contextmanager
def _chat_with_model(
    assistant: Assistant, *, timeout: float = 30.0
) -> Iterator[tuple[str, FakeLLM]]:
    """The chat served with its answers written by a fresh fake model."""
    with (
        FakeLLM() as fake,
        running_server(_app(with_model(assistant, fake, timeout=timeout))) as url,
    ):
        yield url, fake


@pytest.mark.browser
def test_the_answer_streams_then_is_replaced_by_the_checked_one(
    sample_assistant: Assistant,
) -> None:
    from playwright.sync_api import expect

    with _chat_with_model(sample_assistant) as (url, fake), chromium_page() as page:
        released = fake.hold()
        fake.script = _stream_held(released, 3)
        page.goto(url)
        page.fill("#question textarea", SOVIET_PRESS)
        page.press("#question textarea", "Enter")
        answer = page.locator("#conversation .bot").last
        expect(answer).to_contain_text("Passage 1 says", timeout=ANSWER_TIMEOUT)
        expect(answer.locator(".answer-status")).to_have_text(render.WRITING)
        assert page.locator("#sources .sources-empty").count() == 1  # no sources yet
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "chat-streaming-partial.png")
        released.set()
        _wait_for_sources_of(page, SOVIET_PRESS)
        expect(answer.locator(".answer-status")).to_have_count(0)
        expect(answer.locator(".answer-mode")).to_have_text(render.MODES["generated"])
        cards = page.locator("#sources .source-card").count()
        assert cards >= 1 and answer.locator("sup.cite-ref").count() >= cards
        assert "[1]" in answer.inner_text()
        page.screenshot(path=ARTIFACTS / "chat-streaming.png", full_page=True)


@pytest.mark.browser
def test_a_model_that_does_not_answer_leaves_the_quotes_and_says_so(
    sample_assistant: Assistant,
) -> None:
    from playwright.sync_api import expect

    with _chat_with_model(sample_assistant, timeout=0.5) as (url, fake), chromium_page() as page:
        fake.script = fixed("", hold=fake.hold())
        page.goto(url)
        _ask(page, SOVIET_PRESS)
        answer = page.locator("#conversation .bot").last
        expect(answer.locator(".answer-warning")).to_have_text(
            "The language model did not answer (no reply within 0.5 s); "
            "showing the extractive answer."
        )
        expect(answer.locator(".answer-mode")).to_have_text(render.MODES["fallback"])
        assert "“" in answer.inner_text() and answer.locator("sup.cite-ref").count() >= 1
        assert page.locator("#sources .source-card mark").count() >= 1


@pytest.mark.browser
def test_a_three_turn_conversation_with_the_model(sample_assistant: Assistant) -> None:
    questions = [
        "What did Taylor report about the new government in Saigon?",
        "And what did he say about the Buddhists?",
        "What did Ball advise the President in June 1965?",
    ]
    with _chat_with_model(sample_assistant) as (url, fake), chromium_page() as page:
        fake.script = echo_passages
        page.goto(url)
        for question in questions:
            _ask(page, question)
        answers = page.locator("#conversation .bot")
        assert answers.count() == 3
        for i in range(3):
            assert answers.nth(i).locator(".answer-mode").inner_text() == render.MODES["generated"]
            assert answers.nth(i).locator("sup.cite-ref").count() >= 1
        answered = [r for r in fake.requests if r.get("stream")]
        assert [
            r["messages"][-1]["content"].count(q) >= 1
            for r, q in zip(answered, questions, strict=True)
        ] == [True] * 3
        # The follow-ups carry the earlier turns to the model.
        assert len(answered[2]["messages"]) > len(answered[0]["messages"])


def test_a_failure_while_answering_is_a_message_not_a_trace(
    sample_settings: Settings, sample_assistant: Assistant
) -> None:
    broken = Assistant(
        Index.open(sample_settings.index_dir, model=sample_settings.model), sample_assistant.encoder
    )
    broken.index.close()
    session = Session()
    history = [{"role": "user", "content": "q"}]
    *_, last = stream_answer(broken, Query(SOVIET_PRESS, Filters()), history, session)
    (message,) = last.conversation[1:]
    assert message["content"].startswith("**The answer could not be completed** (")
    assert "Traceback" not in message["content"]
    assert last.sources is None and last.session is None


def test_a_generated_answer_shows_its_markers_warnings_and_mode() -> None:
    citation = _citation("He cited note [2] here.", 0, "He cited note [2] here.")
    answer = Answer(
        "q",
        (
            Paragraph(
                "generated",
                (Text("He cited a note "), Ref(1), Text(". Another [3].")),
            ),
        ),
        False,
        (citation,),
        query_used="q",
        mode="generated",
        warnings=("Marker [3] names no passage; it was removed.",),
    )
    markdown = render.answer_markdown(answer)
    assert markdown.startswith(r'He cited a note <sup class="cite-ref">[1]</sup>\. Another \[3\]\.')
    warning = r"Marker \[3\] names no passage; it was removed\."
    assert f'<span class="answer-warning">{warning}</span>' in markdown
    assert markdown.endswith(f'<span class="answer-mode">{render.MODES["generated"]}</span>')
