"""Shared helpers for end-to-end tests: a real server and a real headless Chromium.

    with running_server(app) as base_url, chromium_page() as page:
        page.goto(base_url)

The server is uvicorn in a background thread on a free port of 127.0.0.1; the
browser is Debian's Chromium driven by Playwright (never ``playwright install``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from assistant.service import Assistant

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY_PATHS = ("/healthz", "/")


@contextmanager
def running_server(app: Any, *, timeout: float = 60.0) -> Iterator[str]:
    """Serve the ASGI ``app`` until the block ends; yields its base URL.

    The socket is bound before the server starts, so no other process can take the port.
    Ready means ``/healthz`` (or, for apps without one, ``/``) answers 200.
    """
    import httpx
    import uvicorn

    from assistant.web.server import uvicorn_config

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # Configured as the product serves, `cables serve`.
    server = uvicorn.Server(uvicorn_config(app, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until_ready(base_url, thread, timeout=timeout, client=httpx.Client(timeout=2.0))
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _wait_until_ready(
    base_url: str, thread: threading.Thread, *, timeout: float, client: Any
) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    with client:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise RuntimeError(f"the server at {base_url} stopped while starting (see its log)")
            for path in READY_PATHS:
                try:
                    if client.get(base_url + path).status_code == 200:
                        return
                except httpx.TransportError:
                    break
            time.sleep(0.05)  # polling interval, not synchronisation: the loop checks readiness
    raise TimeoutError(f"the server at {base_url} did not answer {READY_PATHS} within {timeout} s")


@contextmanager
def chromium_page(
    *, viewport: tuple[int, int] = (1400, 1000), permissions: Sequence[str] = ()
) -> Iterator[Page]:
    """A page of a fresh headless Chromium context, closed when the block ends."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(
            f"{CHROMIUM} not found: `apt-get install chromium`, or deselect with -m 'not browser'"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(
                viewport={"width": viewport[0], "height": viewport[1]},
                permissions=list(permissions),
            )
            yield context.new_page()
        finally:
            browser.close()


def ask_in_chat(page: Page, question: str, *, timeout: float = 90_000) -> None:
    """Ask the web chat ``question`` and wait (``timeout`` ms) until its sources are shown."""
    from playwright.sync_api import expect

    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    shown = page.locator("#sources .sources-question")
    expect(shown).to_have_text(question, timeout=timeout)


def within(inner: Locator, outer: Locator) -> bool:
    """Whether ``inner``'s box lies inside ``outer``'s: scrolled into the view of its pane."""
    a, b = inner.bounding_box(), outer.bounding_box()
    assert a and b, "both must be shown"
    return (
        b["y"] <= a["y"]
        and a["y"] + a["height"] <= b["y"] + b["height"]
        and b["x"] <= a["x"] <= b["x"] + b["width"]
    )


def has_thread(assistant: Assistant, doc_id: str) -> bool:
    """Whether the document refers to another in the archive, or another refers to it."""
    record = assistant.document(doc_id)
    if record is None:
        return False
    return any(reference.doc_id for reference in record.references) or bool(record.referenced_by)
