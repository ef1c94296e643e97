"""The widget on an archive's page of another origin, in a real headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser import chromium_page, has_thread, running_server, within
from fake_llm import FakeLLM, echo_passages, fixed, with_model

from assistant.service import Assistant
from assistant.settings import Settings
from assistant.web.api import MAX_QUESTION_CHARS, create_api
from assistant.web.config import ApiConfig

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page
    from starlette.applications import Starlette

EXAMPLE = Path(__file__).parent.parent / "examples" / "archive-page.html"
MALICIOUS = Path(__file__).parent / "fixtures" / "malicious.jsonl"
ARTIFACTS = Path(__file__).parent / "artifacts"
ASSISTANT_IN_EXAMPLE = "http://127.0.0.1:7860"
SEED_CABLE = "wilson/PRC-FMA-109-03654-02"
SOVIET_PRESS = "What did the embassy claim about Soviet press coverage of Vietnam?"
ANSWER_TIMEOUT = 60_000  # ms
ANSWERED = ".msg.bot:not(.intro):not(.pending), .msg.error"
SHADOW = "document.getElementById('cable-assistant-widget').shadowRoot"
STREAM = "/api/ask/stream"

pytestmark = pytest.mark.browser


def _archive_site(assistant_url: dict[str, str]) -> Starlette:
    """The archive's own website: the demo page, and a page per document."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    page = EXAMPLE.read_text(encoding="utf-8")

    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(page.replace(ASSISTANT_IN_EXAMPLE, assistant_url.get("base", "")))

    async def document(request: Request) -> HTMLResponse:
        doc_id = escape(request.path_params["doc_id"])
        return HTMLResponse(f"<!doctype html><title>{doc_id}</title><h1>{doc_id}</h1>")

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/", home),
            Route("/doc/{doc_id:path}", document),
            Route("/favicon.ico", favicon),
        ]
    )


@contextmanager
def served(
    assistant: Assistant, *, link_to_archive: bool = True, streams: bool = True, **config: Any
) -> Iterator[tuple[str, str]]:
    """The demo archive page on one origin and the assistant on another: (archive, assistant).

    With ``link_to_archive`` every source links to the archive's own document page;
    without ``streams`` the assistant is a server from before ``/api/ask/stream``.
    """
    assistant_url: dict[str, str] = {}
    with running_server(_archive_site(assistant_url)) as archive_url:
        templates = {"*": archive_url + "/doc/{doc_id}"} if link_to_archive else {}
        settings = {"rate_per_minute": 0, "url_templates": templates, **config}
        api = create_api(assistant, config=ApiConfig(cors_origins=(archive_url,), **settings))
        if not streams:
            api.router.routes = [r for r in api.router.routes if r.path != STREAM]  # type: ignore[attr-defined]
        with running_server(api) as base_url:
            assistant_url["base"] = base_url
            yield archive_url, base_url


def _open(page: Page) -> None:
    from playwright.sync_api import expect

    page.locator(".launcher").click()
    expect(page.locator("#ca-panel")).to_be_visible()


@contextmanager
def opened(assistant: Assistant, **options: Any) -> Iterator[tuple[Page, str, str]]:
    """The widget's panel open on the archive's page (options as :func:`served`).

    Yields the page, the archive's URL and the assistant's.
    """
    with served(assistant, **options) as (archive_url, assistant_url), chromium_page() as page:
        page.goto(archive_url)
        _open(page)
        yield page, archive_url, assistant_url


def _ask(page: Page, question: str) -> Locator:
    """Type the question, send it with Enter, and return the reply once it is shown."""
    from playwright.sync_api import expect

    replies = page.locator(ANSWERED)
    before = replies.count()
    page.locator("#ca-question").fill(question)
    page.locator("#ca-question").press("Enter")
    expect(replies).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
    return replies.last


def _fragment_matches(href: str, quote: str) -> bool:
    """Whether ``href``'s text fragment names ``quote``: whole, or by its first and last words."""
    from urllib.parse import unquote

    directive = href.split("#:~:text=", 1)[1]
    words = " ".join(quote.split())
    parts = [unquote(part) for part in directive.split(",")]
    if len(parts) == 1:
        return parts[0] == words
    start, end = parts
    return words.startswith(start + " ") and words.endswith(" " + end)


def _focused(page: Page) -> str:
    """The focused element inside the widget: its id, or else its class."""
    return page.evaluate(f"(el => el ? el.id || el.className : '')({SHADOW}.activeElement)")


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name)


def test_widget_on_an_archive_page_answers_with_links_to_the_archive(
    sample_assistant: Assistant,
) -> None:
    from playwright.sync_api import expect

    with served(sample_assistant) as (archive_url, assistant_url), chromium_page() as page:
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(archive_url)
        assert archive_url != assistant_url
        launcher = page.locator(".launcher")
        expect(launcher).to_have_text("Ask the archive")
        expect(launcher).to_have_attribute("aria-expanded", "false")

        launcher.focus()
        page.keyboard.press("Enter")
        panel = page.locator("#ca-panel")
        expect(panel).to_be_visible()
        expect(launcher).to_have_attribute("aria-expanded", "true")
        assert _focused(page) == "ca-question"
        expect(page.locator("#ca-question")).to_have_attribute("maxlength", str(MAX_QUESTION_CHARS))

        reply = _ask(page, SOVIET_PRESS)
        assert "Soviet press" in reply.inner_text()
        archive_page = f"{archive_url}/doc/{SEED_CABLE}"
        refs = reply.locator("a.ref")
        assert refs.count() >= 1
        hrefs = [refs.nth(i).get_attribute("href") or "" for i in range(refs.count())]
        cited = {c.ref: c for c in sample_assistant.ask(SOVIET_PRESS).citations}
        assert archive_page in {href.split("#")[0] for href in hrefs}
        for ref, href in zip(refs.all_inner_texts(), hrefs, strict=True):
            citation = cited[int(ref.strip("[]"))]
            # The archive's page for the document, scrolled by the browser to the quote:
            # #:~:text=start,end
            assert href.split("#")[0] == f"{archive_url}/doc/{citation.doc_id}"
            assert _fragment_matches(href, citation.quote)
        source = reply.locator(".sources a.source", has_text="Chinese Embassy")
        expect(source).to_have_attribute("href", archive_page)
        assert "PRC FMA 109-03654-02" in reply.locator(".sources li").first.inner_text()
        _screenshot(page, "widget.png")
        follow_up = _ask(page, "And what about the peace talks?")
        assert "Searched for: And what about the peace talks? (" in follow_up.inner_text()

        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        assert _focused(page) == "launcher"

        _open(page)
        with page.context.expect_page() as opened:
            source.click()
        opened.value.wait_for_load_state()
        assert opened.value.locator("h1").inner_text() == SEED_CABLE
        assert problems == []


def test_widget_fills_a_phone_screen(sample_assistant: Assistant) -> None:
    from playwright.sync_api import expect

    with served(sample_assistant) as (archive_url, _), chromium_page(viewport=(375, 667)) as page:
        page.goto(archive_url)
        launcher = page.locator(".launcher").bounding_box()
        assert launcher and launcher["x"] + launcher["width"] <= 375
        assert launcher["y"] + launcher["height"] <= 667
        _open(page)
        reply = _ask(page, SOVIET_PRESS)
        assert reply.locator(".sources a.source").count() >= 1
        panel = page.locator("#ca-panel").bounding_box()
        assert panel == {"x": 0, "y": 0, "width": 375, "height": 667}
        for control in ("#ca-question", ".send", ".close"):
            box = page.locator(control).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375
            assert box["y"] >= 0 and box["y"] + box["height"] <= 667
        _screenshot(page, "widget-phone.png")
        page.locator(".restart").click()
        expect(page.locator(".msg")).to_have_count(1)
        expect(page.locator(".restart")).to_be_hidden()
        page.locator(".close").click()
        expect(page.locator("#ca-panel")).to_be_hidden()


@pytest.fixture(scope="module")
def malicious_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """An archive whose documents carry markup in their text, title, place and URL."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("malicious") / "index")
    assistant, report = Assistant.build(settings, [MALICIOUS], progress=False)
    assert report.ok, report.failed
    yield assistant
    assistant.index.close()


def test_markup_in_documents_is_shown_as_text_and_never_runs(
    malicious_assistant: Assistant,
) -> None:
    with opened(malicious_assistant, link_to_archive=False) as (page, _, _):
        reply = _ask(page, "Why were the cranes at Cam Ranh Bay idle?")
        assert "idle for nine days <script>window.__pwned=1</script> because" in reply.inner_text()
        assert "Telegram <script>window.__pwned=1</script> From" in reply.inner_text()
        reply = _ask(page, "What held the fuel barges at the river mouth?")
        assert 'river mouth <img src=x onerror="window.__pwned=1"> by' in reply.inner_text()
        _screenshot(page, "widget-malicious.png")
        # The document's own URL is "javascript:...": no link at all, rather than that one.
        assert reply.locator("a").count() == 0
        assert page.evaluate(f"{SHADOW}.querySelectorAll('script, img, iframe').length") == 0
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert page.evaluate("window.__pwned") is None


def test_widget_says_when_to_ask_again_after_the_rate_limit(
    malicious_assistant: Assistant,
) -> None:
    with opened(malicious_assistant, rate_per_minute=1, burst=1) as (page, _, _):
        first = _ask(page, "Why were the cranes idle?")
        assert "cranes" in first.inner_text()
        refused = _ask(page, "What held the fuel barges?")
        assert refused.get_attribute("role") == "alert"
        assert re.search(
            r"Too many questions at once: please wait \d+ seconds", refused.inner_text()
        )


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def test_widget_shows_the_model_text_as_it_streams_then_the_verified_answer(
    sample_assistant: Assistant, fake_llm: FakeLLM
) -> None:
    from playwright.sync_api import expect

    release = fake_llm.hold()  # the model pauses after a few words, until the test has seen them
    fake_llm.script = lambda request: replace(echo_passages(request), hold=release, hold_after=6)
    with opened(with_model(sample_assistant, fake_llm)) as (page, archive_url, _):
        page.locator("#ca-question").fill(SOVIET_PRESS)
        page.locator("#ca-question").press("Enter")
        draft = page.locator(".msg.pending.streaming")
        expect(draft).to_have_count(1, timeout=ANSWER_TIMEOUT)
        first_words = "".join(echo_passages(fake_llm.requests[0]).pieces()[:6])
        expect(draft).to_have_text(first_words.strip())
        expect(draft).to_have_attribute("aria-busy", "true")
        expect(page.locator(ANSWERED)).to_have_count(0)
        _screenshot(page, "widget-streaming.png")

        release.set()
        reply = page.locator(ANSWERED)
        expect(reply).to_have_count(1, timeout=ANSWER_TIMEOUT)
        expect(draft).to_have_count(0)
        assert reply.inner_text().startswith(first_words)
        refs = reply.locator("a.ref")  # the verified markers [n] of the model's text, linked
        assert refs.count() >= 2
        hrefs = {refs.nth(i).get_attribute("href") for i in range(refs.count())}
        assert f"{archive_url}/doc/{SEED_CABLE}" in {href.split("#")[0] for href in hrefs if href}
        assert all(href and href.startswith(f"{archive_url}/doc/") for href in hrefs)
        assert all(href and "#:~:text=" in href for href in hrefs)
        expect(reply.locator(".sources a.source", has_text="Chinese Embassy")).to_have_attribute(
            "href", f"{archive_url}/doc/{SEED_CABLE}"
        )
        assert reply.locator(".warning").count() == 0
        _screenshot(page, "widget-streamed.png")


def test_widget_shows_why_the_model_answer_is_missing(
    sample_assistant: Assistant, fake_llm: FakeLLM
) -> None:
    from playwright.sync_api import expect

    fake_llm.script = fixed("model crashed", status=500)
    with opened(with_model(sample_assistant, fake_llm)) as (page, _, _):
        reply = _ask(page, SOVIET_PRESS)
        expect(reply.locator(".warning")).to_have_text(
            re.compile(
                r"^The language model did not answer \(the model server answered HTTP 500\); "
                r"showing the extractive answer\.$"
            )
        )
        assert reply.locator(".warning").is_visible()
        assert "Soviet press" in reply.inner_text()
        assert reply.locator(".sources a.source").count() >= 1
        _screenshot(page, "widget-model-failed.png")


def test_widget_asks_a_server_without_streaming_the_whole_answer(
    sample_assistant: Assistant,
) -> None:
    asked: list[str] = []
    with opened(sample_assistant, streams=False) as (page, _, assistant_url):
        page.on("request", lambda r: asked.append(r.url) if r.method == "POST" else None)
        first = _ask(page, SOVIET_PRESS)
        assert first.locator(".sources a.source").count() >= 1
        second = _ask(page, "And what about the peace talks?")
        assert "Searched for: And what about the peace talks? (" in second.inner_text()
    # Refused once, the stream is not asked for again.
    assert asked == [assistant_url + STREAM, *[assistant_url + "/api/ask"] * 2]


# -- the document, read in the panel ----------------------------------------------------

TAYLOR = "What did Taylor report about the new government in Saigon?"
BALL = "What did Ball advise the President in June 1965?"


def test_widget_reads_a_cited_document_in_the_panel_at_the_quote(
    sample_assistant: Assistant,
) -> None:
    from playwright.sync_api import expect

    # A quoted document with pages and a thread of resolved references to follow.
    citations = sample_assistant.ask(TAYLOR).citations
    paged = [c for c in citations if c.page and has_thread(sample_assistant, c.doc_id)]
    assert paged, "the answer quotes no document with pages and a thread"
    cited = paged[-1]
    with opened(sample_assistant, link_to_archive=False) as (page, _, _):
        reply = _ask(page, TAYLOR)
        assert reply.locator("a.ref").count() == 0  # no archive page: the panel shows it
        reply.locator(f"button.ref[aria-label^='Source {cited.ref}:']").first.click()
        reader = page.locator(".reader")
        expect(reader.locator(".doc-title")).to_have_text(cited.title)
        expect(page.locator(".log")).to_be_hidden()
        marks = reader.locator(".text mark")
        assert "".join(marks.all_text_contents()) == cited.quote
        assert within(marks.first, reader.locator(".reader-body"))
        expect(reader.locator(".where")).to_have_text(
            f"The quotation is highlighted on p. {cited.page}."
        )
        before = marks.first.evaluate(
            """(mark) => [...mark.getRootNode().querySelectorAll('.page-mark')]
                .filter((p) => p.compareDocumentPosition(mark) & Node.DOCUMENT_POSITION_FOLLOWING)
                .map((p) => p.textContent).pop()"""
        )
        assert before == f"p. {cited.page}"
        link = reader.locator("a", has_text="View in the source archive")
        expect(link).to_have_attribute("href", cited.url or "")
        _screenshot(page, "widget-document.png")

        thread = reader.locator(".thread .thread-link")
        assert thread.count() >= 1, f"{cited.doc_id} has no thread in the archive"
        thread.first.click()
        expect(reader.locator(".doc-title")).not_to_have_text(cited.title)
        assert reader.locator(".text mark").count() == 0
        page.locator(".back").click()
        expect(page.locator(".reader")).to_be_hidden()
        expect(reply).to_be_visible()


def test_widget_groups_the_quotes_of_one_document_in_one_card(
    sample_assistant: Assistant,
) -> None:
    answer = sample_assistant.ask(BALL)
    by_document: dict[str, list[Any]] = {}
    for citation in answer.citations:
        by_document.setdefault(citation.doc_id, []).append(citation)
    quoted = max(by_document.values(), key=len)
    assert len(quoted) >= 2, "the answer quotes no document twice"
    with opened(sample_assistant, link_to_archive=False) as (page, _, _):
        reply = _ask(page, BALL)
        cards = reply.locator(".sources li.card")
        assert cards.count() == len(by_document)
        card = cards.filter(has_text=quoted[0].title)
        in_order = sorted(quoted, key=lambda c: c.char_start)
        assert card.locator("mark").all_text_contents() == [c.quote for c in in_order]
        assert card.locator(".refs").inner_text() == "".join(f"[{c.ref}]" for c in quoted)
        card.scroll_into_view_if_needed()
        _screenshot(page, "widget-grouped.png")


def test_widget_shows_a_document_with_markup_as_text(malicious_assistant: Assistant) -> None:
    from playwright.sync_api import expect

    with opened(malicious_assistant, link_to_archive=False) as (page, _, _):
        reply = _ask(page, "Why were the cranes at Cam Ranh Bay idle?")
        reply.locator("button.source").first.click()
        text = page.locator(".reader .text")
        expect(text).to_contain_text("nine days <script>window.__pwned=1</script> because")
        expect(page.locator(".reader .doc-title")).to_have_text(
            "Telegram <script>window.__pwned=1</script> From the Harbour Master"
        )
        assert page.locator(".reader a").count() == 0  # its URL is javascript:
        assert page.evaluate(f"{SHADOW}.querySelectorAll('script, img, iframe').length") == 0
        assert page.evaluate("window.__pwned") is None


def test_widget_says_when_the_assistant_is_busy(
    sample_assistant: Assistant, fake_llm: FakeLLM
) -> None:
    from playwright.sync_api import expect

    release = fake_llm.hold()
    fake_llm.script = lambda request: replace(echo_passages(request), hold=release, hold_after=3)
    busy = with_model(sample_assistant, fake_llm)
    with opened(busy, workers=1, queue=0) as (page, archive_url, _):
        page.locator("#ca-question").fill(SOVIET_PRESS)
        page.locator("#ca-question").press("Enter")
        # The one worker is writing this answer (held by the model) while another reader asks.
        expect(page.locator(".msg.pending.streaming")).to_have_count(1, timeout=ANSWER_TIMEOUT)
        other = page.context.new_page()
        other.goto(archive_url)
        _open(other)
        refused = _ask(other, "What did Ball advise the President?")
        assert refused.get_attribute("role") == "alert"
        assert re.fullmatch(
            r"The assistant is busy: please try again in \d+ s\.", refused.inner_text()
        )
        _screenshot(other, "widget-busy.png")
        release.set()
        expect(page.locator(ANSWERED)).to_have_count(1, timeout=ANSWER_TIMEOUT)
