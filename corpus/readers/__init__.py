"""Source files into Documents: one module per format, chosen by file type and content.

A reader module exposes ``NAME``, ``SUFFIXES``, ``sniff(path, head)`` and
``read(path)``; ``READERS`` lists them in the order they are tried, most
specific first, so adding a format is one module and one line here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from corpus.model import Document
from corpus.readers import frus_tei, html, jsonl, ocr_text, pdf, plain, wilson
from corpus.readers.text import ReaderError, sniff_head

__all__ = ["READERS", "Reader", "ReaderError", "iter_source_files", "read_path"]


class Reader(Protocol):
    NAME: str
    SUFFIXES: tuple[str, ...]

    def sniff(self, path: Path, head: str) -> bool: ...

    def read(self, path: Path) -> list[Document]: ...


READERS: list[Reader] = [pdf, html, frus_tei, wilson, ocr_text, jsonl, plain]
# README.md, readme.txt, LICENSE, LICENCE-MIT.txt, COPYING, README.fr.md ...
_PROJECT_FILE = re.compile(r"(readme|licen[cs]e|copying)([._-].*)?", re.IGNORECASE)


def _supported_suffixes() -> frozenset[str]:
    return frozenset(suffix for reader in READERS for suffix in reader.SUFFIXES)


def read_path(path: Path) -> list[Document]:
    """Every document in the file at ``path``, read by the first reader that claims it."""
    path = Path(path)
    if not path.is_file():
        reason = "not a file" if path.exists() else "no such file"
        raise ReaderError(str(path), reason)
    head = sniff_head(path)
    for reader in READERS:
        if reader.sniff(path, head):
            return reader.read(path)
    suffix = path.suffix.lower()
    if suffix == ".xml":
        reason = "XML without the TEI namespace; only FRUS TEI volumes are supported"
    else:
        reason = f"unsupported file type {suffix or '(no extension)'!r}; supported: " + ", ".join(
            sorted(_supported_suffixes())
        )
    raise ReaderError(str(path), reason)


def iter_source_files(
    paths: Iterable[Path], *, skipped: list[Path] | None = None
) -> Iterator[Path]:
    """The files named, and the supported files inside the folders named, in sorted order.

    Inside folders, hidden files and folders are skipped, and so are READMEs and
    licences, which describe a collection rather than belong to it; those are
    appended to ``skipped`` when it is given. A file named explicitly is always
    yielded, so that an unsupported one is reported rather than ignored, and a
    README can still be ingested on purpose.
    """
    suffixes = _supported_suffixes()
    for path in map(Path, paths):
        if path.is_file():
            yield path
        elif path.is_dir():
            found = []
            for file in path.rglob("*"):
                if not file.is_file() or file.suffix.lower() not in suffixes:
                    continue
                if any(part.startswith(".") for part in file.relative_to(path).parts):
                    continue
                if _PROJECT_FILE.fullmatch(file.name):
                    if skipped is not None:
                        skipped.append(file)
                    continue
                found.append(file)
            yield from sorted(found, key=lambda file: file.relative_to(path).parts)
        else:
            raise ReaderError(str(path), "no such file or directory")
