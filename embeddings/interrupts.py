"""Ctrl-C that a long ingest cannot lose.

Python raises KeyboardInterrupt wherever the main thread happens to be when the
signal is handled. If that is inside a finalizer (a tensor's ``__del__``, say),
the exception is printed as "Exception ignored" and dropped, and the run goes on
to commit. The guard remembers that the signal came, so the ingest can raise it
again at its next safe point: between two batches and before it commits.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def interrupt_guard() -> Iterator[Callable[[], None]]:
    """Yield a check that raises KeyboardInterrupt if Ctrl-C came since entering.

    Only the main thread can install signal handlers; elsewhere (a web server's
    worker thread) and when a program has its own SIGINT handler, the check does
    nothing and the program's handling stands.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield _no_check
        return
    received = threading.Event()

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        received.set()
        raise KeyboardInterrupt

    def check() -> None:
        if received.is_set():
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _no_check() -> None:
    return None
