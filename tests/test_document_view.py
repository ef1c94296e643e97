"""The reading pane: a cited document whole, scrolled to its quote, in the chat and the widget.

Pure rendering on hand-made documents first, then both edges driven in a real Chromium.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser import ask_in_chat, chromium_page, has_thread, running_server, within

from assistant.formats.payloads import answer_json
from assistant.model import Answer, Citation, DocumentRecord, Paragraph, Quote, Ref, Text
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.web import render
from assistant.web.chat import document_pane
from corpus.model import Document, Span
from embeddings.store import Reference

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).parent / "artifacts"
ANSWER_TIMEOUT = 90_000  # ms
HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
# Answered from FRUS documents, whose pages are known; the first quotes d7 more than once.
BALL = "What did Ball advise the President in June 1965?"
TAYLOR = "What did Taylor report about the new government in Saigon?"


def _document(text: str, **fields: Any) -> Document:
    return Document(doc_id="test/1", title="A cable", text=text, collection="Test", **fields)


def _citation(ref: int, start: int, quote: str, passage: str, passage_start: int) -> Citation:
    return Citation(
        ref=ref,
        doc_id="test/1",
        collection="Test",
        title="A cable",
        date="1965-06-19",
        place="Moscow",
        archive_ref="REF 1",
        url=None,
        citation="A cable, Moscow, 1965.",
        quote=quote,
        char_start=start,
        char_end=start + len(quote),
        passage=passage,
        passage_start=passage_start,
        page=None,
        score=0.5,
    )


class _Tags(HTMLParser):
    def __init__(self, fragment: str):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


# -- rendering, on hand-made documents ------------------------------------------------


def test_the_text_marks_its_pages_its_gaps_and_the_quote_across_a_page() -> None:
    text = "One two. Three [gap] four <b>."
    document = _document(
        text,
        pages=(Span(0, 9, "1", "page"), Span(9, len(text), "2", "page")),
        withheld=(Span(15, 20, "[gap]", "not-declassified"),),
    )
    shown = render.document_text(document, quote=(4, 14))
    assert shown == (
        '<span class="page-mark" data-page="1">p. 1</span>'
        'One <mark class="document-quote">two. </mark>'
        '<span class="page-mark" data-page="2">p. 2</span>'
        '<mark class="document-quote">Three</mark> '
        '<span class="gap gap-withheld" title="Withheld: not declassified">[gap]</span>'
        " four &lt;b&gt;."
    )


def test_illegible_text_and_pages_that_are_not_numbers_are_named_as_such() -> None:
    text = "Luo, [illegible], Wang"
    document = _document(
        text,
        pages=(Span(0, len(text), "scan 3", "page"),),
        withheld=(Span(5, 16, "", "illegible"),),
    )
    assert render.document_text(document) == (
        '<span class="page-mark" data-page="scan 3">scan 3</span>Luo, '
        '<span class="gap gap-illegible" title="Illegible in the source">[illegible]</span>, Wang'
    )


def test_everything_from_the_document_is_shown_as_text() -> None:
    document = Document(
        doc_id=f"x/{HOSTILE}",
        title=f"Title {HOSTILE}",
        text=f"Before {HOSTILE} after.",
        collection=HOSTILE,
        place=HOSTILE,
        author=HOSTILE,
        archive_ref=HOSTILE,
        url="javascript:window.__xss=3",
        pages=(Span(0, 10, HOSTILE, "page"),),
        withheld=(Span(7, 20, HOSTILE, HOSTILE),),
    )
    record = DocumentRecord(document, (Reference(HOSTILE, f"y/{HOSTILE}"),), (HOSTILE,))
    pane = render.document_html(record, quote=(0, 12), titles={HOSTILE: HOSTILE})
    parsed = _Tags(pane)
    assert parsed.tags == {
        "article", "header", "p", "h3", "button", "dl", "div", "dt", "dd", "span", "mark",
        "footer",
    }  # fmt: skip
    assert not {name for name in parsed.attributes if name.startswith("on")}
    assert "javascript:" not in pane and "<script" not in pane and "<img" not in pane
    assert pane.count("&lt;script&gt;window.__xss=2&lt;/script&gt;") >= 8


def test_the_thread_opens_the_documents_the_archive_holds() -> None:
    thread = render.thread_html(
        [("telegram 4162", "frus/d2"), ("a lost memo", None)],
        ["frus/d9"],
        titles={"frus/d2": "Telegram From Saigon", "frus/d9": "Memorandum for the Record"},
    )
    assert thread == (
        '<dl class="meta thread"><div><dt>Refers to</dt><dd>'
        '<button type="button" class="open-document" data-doc="frus/d2">'
        "telegram 4162 — Telegram From Saigon</button>, a lost memo</dd></div>"
        "<div><dt>Referred to by</dt><dd>"
        '<button type="button" class="open-document" data-doc="frus/d9">'
        "Memorandum for the Record</button></dd></div></dl>"
    )


def test_quotes_of_one_document_share_a_card_and_a_passage_in_document_order() -> None:
    passage = "Alpha said one thing. Then a pause. Beta said another."
    first = _citation(2, 100, "Alpha said one thing.", passage, 100)
    second = _citation(1, 100 + passage.index("Beta"), "Beta said another.", passage, 100)
    elsewhere = _citation(3, 900, "Far away.", "Far away. The end.", 900)
    card = render.source_card([second, first, elsewhere])
    assert card.count("<article") == 1
    assert re.findall(r'<span class="ref-number">(\d+)</span>', card) == ["1", "2", "3"]
    passages = re.findall(r'<blockquote class="passage">(.*?)</blockquote>', card)
    assert passages == [
        '<mark id="source-2" data-start="100" data-end="121">Alpha said one thing.</mark>'
        '<span class="mark-ref">2</span> Then a pause. '
        '<mark id="source-1" data-start="136" data-end="154">Beta said another.</mark>'
        '<span class="mark-ref">1</span>',
        '<mark id="source-3" data-start="900" data-end="909">Far away.</mark> The end.',
    ]
    assert card.count('<p class="chicago">') == 1  # one document, cited once
    assert 'class="open-document" data-doc="test/1" data-start="136" data-end="154"' in card


def test_a_long_stretch_between_two_quotes_is_cut() -> None:
    middle = " ".join(f"word{i}" for i in range(200))
    passage = f"First. {middle} Second."
    first = _citation(1, 0, "First.", passage, 0)
    second = _citation(2, passage.index("Second."), "Second.", passage, 0)
    shown = render.highlighted_passage(first, second, chars=30, lines=3)
    between = shown.split("</span>", 1)[1].split("<mark")[0]
    assert re.fullmatch(r" (word\d+ )+… ( ?word\d+)+ ", between)


def test_the_answer_json_says_what_each_piece_is() -> None:
    paragraph = Paragraph("quotes", (Quote("Said [2].", 1), Text(" "), Ref(1)), label="A cable")
    answer = Answer("q", (paragraph,), False, ())
    (shown,) = json.loads(json.dumps(answer_json(answer)))["paragraphs"]
    assert shown == {
        "kind": "quotes",
        "label": "A cable",
        "pieces": [
            {"type": "quote", "text": "Said [2].", "ref": 1},
            {"type": "text", "text": " "},
            {"type": "ref", "ref": 1},
        ],
    }


def test_the_pane_opens_what_was_asked_and_closes(sample_assistant: Assistant) -> None:
    record = sample_assistant.document("frus1964-68v03/d2")
    assert record is not None
    start = record.document.text.index("Tran Quang Thuan")
    pane = document_pane(
        sample_assistant, {"doc_id": "frus1964-68v03/d2", "start": start, "end": start + 16}
    )
    assert '<mark class="document-quote">Tran Quang Thuan</mark>' in pane
    assert '<p class="document-where">The quotation is highlighted on p. 6.</p>' in pane
    gaps = re.findall(r'<span class="gap gap-withheld"[^>]*>([^<]*)</span>', pane)
    withheld = "[less than 1 line of source text not declassified]"
    assert "".join(gaps) == withheld * 2  # the second runs over the break to p. 7
    assert len(gaps) == 3
    assert "document-quote" not in document_pane(sample_assistant, {"doc_id": "frus1964-68v03/d2"})
    assert "no longer in the archive" in document_pane(sample_assistant, {"doc_id": "nope/1"})
    assert document_pane(sample_assistant, {"close": True}) == ""


# -- the chat in a real browser --------------------------------------------------------


@pytest.fixture(scope="module")
def chat_url(sample_assistant: Assistant) -> Iterator[str]:
    from assistant.web.server import build_app

    with running_server(build_app(sample_assistant)) as base_url:
        yield base_url


def _ask(page: Page, question: str) -> None:
    ask_in_chat(page, question, timeout=ANSWER_TIMEOUT)


def _page_before(page: Page, mark: str, page_mark: str) -> str:
    """The label of the last page mark before the element ``mark``, in document order."""
    return page.evaluate(
        """([mark, pageMark]) => {
          const quote = document.querySelector(mark);
          const pages = [...document.querySelectorAll(pageMark)].filter(
            (p) => p.compareDocumentPosition(quote) & Node.DOCUMENT_POSITION_FOLLOWING);
          return pages.length ? pages[pages.length - 1].textContent : '';
        }""",
        [mark, page_mark],
    )


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name)


@pytest.mark.browser
def test_a_citation_opens_its_document_at_the_quote_and_its_thread_opens_others(
    chat_url: str, sample_assistant: Assistant
) -> None:
    from playwright.sync_api import expect

    answer = sample_assistant.ask(TAYLOR)

    # A quoted document with pages and a thread of resolved references to open.
    paged = [c for c in answer.citations if c.page and has_thread(sample_assistant, c.doc_id)]
    assert paged, "the answer quotes no document with pages and a thread"
    cited = paged[-1]
    record = sample_assistant.document(cited.doc_id)
    assert record is not None
    with chromium_page() as page:
        page.goto(chat_url)
        _ask(page, TAYLOR)
        page.locator(f"#source-{cited.ref}").click()
        pane = page.locator("#document .document-view")
        expect(pane.locator(".document-title")).to_have_text(cited.title)
        quote = pane.locator("mark.document-quote")
        expect(quote.first).to_be_visible()
        assert "".join(quote.all_text_contents()) == cited.quote
        assert within(quote.first, pane.locator(".document-text"))
        expect(pane.locator(".document-where")).to_have_text(
            f"The quotation is highlighted on p. {cited.page}."
        )
        assert _page_before(page, "#document mark.document-quote", "#document .page-mark") == (
            f"p. {cited.page}"
        )
        starts = {p.char_start for p in record.document.pages}
        assert pane.locator(".page-mark").count() == len(starts)
        _screenshot(page, "document-view.png")

        thread = pane.locator(".thread button.open-document")
        assert thread.count() >= 1, f"{cited.doc_id} has no thread in the archive"
        target = thread.first.get_attribute("data-doc")
        opened = sample_assistant.document(target or "")
        assert opened is not None
        thread.first.click()
        expect(pane.locator(".document-title")).to_have_text(opened.document.title)
        assert pane.locator("mark").count() == 0
        assert pane.locator(".document-text").evaluate("e => e.scrollTop") == 0
        _screenshot(page, "document-view-thread.png")
        pane.locator(".close-document").click()
        expect(page.locator("#document .document-view")).to_have_count(0)


@pytest.mark.browser
def test_two_quotes_of_one_document_are_one_card_with_two_marks(
    chat_url: str, sample_assistant: Assistant
) -> None:
    from playwright.sync_api import expect

    answer = sample_assistant.ask(BALL)
    by_document: dict[str, list[Citation]] = {}
    for citation in answer.citations:
        by_document.setdefault(citation.doc_id, []).append(citation)
    doc_id, quoted = max(by_document.items(), key=lambda item: len(item[1]))
    assert len(quoted) >= 2, "the answer quotes no document twice"
    with chromium_page() as page:
        page.goto(chat_url)
        _ask(page, BALL)
        cards = page.locator("#sources .source-card")
        assert cards.count() == len(by_document)
        card = page.locator(f'#sources .source-card[data-doc="{doc_id}"]')
        marks = card.locator("mark")
        in_order = sorted(quoted, key=lambda c: c.char_start)
        assert marks.count() == len(quoted)
        assert [marks.nth(i).get_attribute("id") for i in range(marks.count())] == [
            f"source-{c.ref}" for c in in_order
        ]
        assert card.locator(".ref-number").all_inner_texts() == [str(c.ref) for c in quoted]
        card.scroll_into_view_if_needed()
        _screenshot(page, "sources-grouped.png")
        # Each quote opens the document at that quote.
        last = in_order[-1]
        marks.last.click()
        shown = page.locator("#document mark.document-quote")
        expect(shown.first).to_be_visible()
        expect(page.locator("#document .document-title")).to_have_text(last.title)
        assert "".join(shown.all_text_contents()) == last.quote
        assert within(shown.first, page.locator("#document .document-text"))


@pytest.fixture(scope="module")
def hostile_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """An archive whose one document tries to run script through its text and title."""
    folder = tmp_path_factory.mktemp("hostile-document")
    record = {
        "id": "hostile/1",
        "title": f"Telegram {HOSTILE}",
        "date": "1965-06-19",
        "url": "javascript:window.__xss=3",
        "text": (
            "The Soviet press reported on the war in Vietnam. "
            f"The Soviet press printed {HOSTILE} about the coverage of Vietnam."
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
def test_a_document_with_markup_is_shown_as_text_in_the_pane(hostile_assistant: Assistant) -> None:
    from playwright.sync_api import expect

    from assistant.web.server import build_app

    with running_server(build_app(hostile_assistant)) as url, chromium_page() as page:
        page.goto(url)
        _ask(page, "What did the Soviet press print about Vietnam coverage?")
        page.locator("#sources button.open-document", has_text="Read the document").first.click()
        pane = page.locator("#document .document-view")
        expect(pane.locator(".document-title")).to_have_text(f"Telegram {HOSTILE}")
        assert HOSTILE in pane.locator(".document-text").inner_text()
        assert page.locator("#document img, #document script, #document a").count() == 0
        assert page.evaluate("window.__xss") is None
