"""The HTML record-page reader, on the Wilson Center cable as an archive's page
(tests/fixtures/html, made by tests/fixtures/make_fixtures.py) and hand-made pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.readers import ReaderError, read_path
from tests.test_readers import assert_well_formed

HTML = Path(__file__).parent / "fixtures" / "html"
TITLE = (
    'Cable from the Chinese Embassy in the Soviet Union, "The Soviet Revisionists Continue to '
    'Play Both Sides on the Vietnam Issue"'
)
URL = (
    "https://digitalarchive.wilsoncenter.org/document/"
    "cable-chinese-embassy-soviet-union-soviet-revisionists-continue-play-both-sides"
)


def test_record_page_main_text_and_metadata() -> None:
    [cable] = read_path(HTML / "wilson-record.html")
    assert_well_formed(cable)
    assert cable.doc_id == "html/wilson-record"
    assert (cable.title, cable.date, cable.url) == (TITLE, "1965-06-19", URL)
    assert (cable.author, cable.collection) == (
        "Chinese Embassy in the Soviet Union",
        "Wilson Center Digital Archive",
    )
    assert cable.archive_ref == "PRC FMA 109-03654-02, 31-32"
    assert cable.extra == {
        "language": "en",
        "rights": "Translated by David Cowhig",
        "translator": "David Cowhig",
    }
    assert cable.citation == (
        f"“{TITLE},” June 19, 1965, Wilson Center Digital Archive, PRC FMA 109-03654-02, "
        f"31-32, {URL}."
    )
    assert cable.text.startswith(f"{TITLE}\n\nJune 19, 1965\n\n[stamp] June 22, 1965\n\n")
    assert cable.text.endswith("Printed on June 22 at 08:32")
    assert "The Soviet press still relies on the western wire services" in cable.text
    for noise in ("Search in", "Collections", "donate", "newsletter", "Luce", "Privacy"):
        assert noise not in cable.text
    assert [(span.label, span.kind) for span in cable.withheld] == [("[illegible]", "illegible")]


PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Site title | Archive</title>
{head}</head><body><nav><a href="/">Home</a> <a href="/search">Search the archive</a></nav>
<article><h1>Telegram 4336</h1><p>The new Ky government was installed in Saigon on June 19,
1965, after the Quat cabinet resigned.</p><p>The Embassy expects a break with France.</p>
</article><footer>Copyright the archive. All rights reserved.</footer></body></html>"""


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # Highwire tags win over Dublin Core, which wins over JSON-LD.
        (
            '<meta name="citation_title" content="Telegram 4336 From Saigon">'
            '<meta name="DC.title" content="DC title"><meta name="citation_author" '
            'content="Taylor"><meta name="citation_author" content="Johnson">'
            '<meta name="citation_date" content="1965/06/19">'
            '<script type="application/ld+json">{"@type": "Message", "name": "LD title"}</script>',
            {
                "title": "Telegram 4336 From Saigon",
                "author": "Taylor; Johnson",
                "date": "1965-06-19",
            },
        ),
        (
            '<meta name="DC.title" content="DC title"><meta name="DC.date" content="1965-06">'
            '<meta name="DC.type" content="Telegram"><meta name="DC.publisher" content="NARA">',
            {"title": "DC title", "date": "1965-06", "kind": "telegram", "collection": "NARA"},
        ),
        # The site's own JSON-LD node is passed over for the record's; a broken block is ignored.
        (
            '<script type="application/ld+json">{broken</script>'
            '<script type="application/ld+json">{"@graph": ['
            '{"@type": "WebSite", "name": "Archive"}, {"@type": "ArchiveComponent", '
            '"name": "LD title", "dateCreated": "1965-06-19",'
            ' "creator": [{"@type": "Person", "name": "Taylor"}], "url": "https://a.org/d/1"}]}'
            "</script>",
            {
                "title": "LD title",
                "date": "1965-06-19",
                "author": "Taylor",
                "url": "https://a.org/d/1",
            },
        ),
        # Nothing but the page: the first paragraph is the title, the folder the collection.
        ("", {"title": "Telegram 4336", "date": None, "url": None, "collection": "pages"}),
    ],
)
def test_metadata_conventions(tmp_path: Path, head: str, expected: dict[str, str | None]) -> None:
    path = tmp_path / "pages" / "telegram.html"
    path.parent.mkdir()
    path.write_text(PAGE.format(head=head))
    [document] = read_path(path)
    assert {field: getattr(document, field) for field in expected} == expected
    assert document.text.endswith("The Embassy expects a break with France.")
    assert "Search the archive" not in document.text and "Copyright" not in document.text
    assert document.extra.get("language") == "fr"


def test_a_declared_charset_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "telegram.html"
    page = PAGE.format(
        head='<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    )
    path.write_bytes(page.replace("Ky", "K\u1ef3").replace("Quat", "Qu\u00e1t").encode("utf-8"))
    assert "Qu\u00e1t cabinet" in read_path(path)[0].text
    path.write_bytes(page.replace("Quat", "Qu\u00e1t \u2014").encode("windows-1252"))
    assert "Qu\u00e1t \u2014 cabinet" in read_path(path)[0].text


def test_canonical_link_is_the_url(tmp_path: Path) -> None:
    path = tmp_path / "telegram.html"
    head = '<meta property="og:url" content="https://a.org/?s=1"><link rel="canonical" '
    head += 'href="https://a.org/doc/4336">'
    path.write_text(PAGE.format(head=head))
    assert read_path(path)[0].url == "https://a.org/doc/4336"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("navigation-only.html", None, "no main text: the page holds only navigation"),
        ("empty.html", b"  \n", "empty file"),
        ("latin1.html", "<p>Nguy\xean Kh\xe1nh</p>".encode("latin-1"), "not valid UTF-8"),
        (
            "ascii.html",
            '<meta charset="us-ascii"><p>Nguy\xean Kh\xe1nh</p>'.encode("latin-1"),
            "not valid us-ascii, the charset it declares",
        ),
    ],
)
def test_bad_pages_raise_reader_error(
    tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    path = HTML / "bad" / name
    if content is not None:
        path = tmp_path / name
        path.write_bytes(content)
    with pytest.raises(ReaderError) as raised:
        read_path(path)
    assert raised.value.path == str(path) and raised.value.reason.startswith(reason)
