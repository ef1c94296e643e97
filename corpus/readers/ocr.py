"""Tesseract OCR of the pages of a scanned PDF: their lines and a confidence per page.

Pages are rendered by PDFium (pypdfium2) in this thread, which is the only one that
touches the document (PDFium is not thread-safe), and recognised by the ``tesseract``
program, two pages at a time with one thread each: in ``bench/ocr_pages.py`` that took 18.8 s
for four typed pages against 81 s one page at a time with Tesseract's own OpenMP threads,
whose waiting for each other is what a busy two-core machine makes slow (load average 11-13;
medians of 3 runs). The result is cached under
``$XDG_CACHE_HOME/cable-assistant/ocr`` (``~/.cache/...``), keyed by the file's SHA-256
and the OCR settings, so re-reading a file never recognises it again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from corpus.readers.text import ReaderError

DPI = 300
LANGUAGE = "eng"
WORKERS = 2
INSTALL = "apt-get install tesseract-ocr"
# Mean word confidence (0-100) under which a page counts as illegible: typed pages of the
# test scans score 90 or more, a faded, blurred page scores under 30 or yields no words.
ILLEGIBLE_BELOW = 60.0


@dataclass(frozen=True)
class OcrPage:
    """One recognised page: its lines ("" between paragraphs) and mean word confidence."""

    lines: tuple[str, ...]
    confidence: float


def recognise(
    path: Path, data: bytes, pages: Sequence[int], *, progress: bool = True
) -> dict[int, OcrPage]:
    """The OCR of the pages numbered ``pages`` (0-based) of the PDF ``data`` read from ``path``."""
    cache = _cache_file(data)
    cached = _load(cache)
    todo = [number for number in pages if number not in cached]
    if todo:
        version = _tesseract_version(path)
        cached |= _recognise_pages(path, data, todo, progress=progress)
        _save(cache, cached, version)
    return {number: cached[number] for number in pages}


def _tesseract_version(path: Path) -> str:
    program = shutil.which("tesseract")
    if program is None:
        raise ReaderError(
            str(path),
            f"a scanned PDF with no text layer needs OCR, and Tesseract is not installed "
            f"(install it with `{INSTALL}`, then ingest the file again)",
        )
    run = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)
    return (run.stdout or run.stderr).split("\n", 1)[0].strip()


def _recognise_pages(
    path: Path, data: bytes, numbers: list[int], *, progress: bool
) -> dict[int, OcrPage]:
    from tqdm import tqdm

    done: dict[int, OcrPage] = {}
    pending: deque[tuple[int, Future[OcrPage]]] = deque()
    with (
        ThreadPoolExecutor(WORKERS) as pool,
        tqdm(
            total=len(numbers),
            unit="page",
            desc=f"OCR {path.name}",
            disable=None if progress else True,
            leave=False,
        ) as bar,
    ):
        for number, image in zip(numbers, _render(path, data, numbers), strict=True):
            pending.append((number, pool.submit(_tesseract, path, image)))
            while len(pending) > WORKERS:  # at most WORKERS rendered pages wait in memory
                finished, future = pending.popleft()
                done[finished] = future.result()
                bar.update()
        for finished, future in pending:
            done[finished] = future.result()
            bar.update()
    return done


def _render(path: Path, data: bytes, numbers: list[int]) -> Iterator[bytes]:
    """Each page as a greyscale PGM image at ``DPI``."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        for number in numbers:
            bitmap = pdf[number].render(scale=DPI / 72, grayscale=True)
            out = io.BytesIO()
            bitmap.to_pil().convert("L").save(out, format="PPM")
            yield out.getvalue()
    finally:
        pdf.close()


def _tesseract(path: Path, image: bytes) -> OcrPage:
    # --psm 4, one column: the default layout analysis splits typed pages into columns
    # where the spaces of a monospaced face line up.
    command = ["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--psm", "4", "--dpi", str(DPI)]
    command.append("tsv")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    run = subprocess.run(command, input=image, capture_output=True, env=env, check=False)
    if run.returncode != 0:
        message = run.stderr.decode(errors="replace").strip().splitlines()
        raise ReaderError(
            str(path), f"Tesseract failed: {message[-1] if message else run.returncode}"
        )
    return _from_tsv(run.stdout.decode("utf-8", errors="replace"))


def _from_tsv(tsv: str) -> OcrPage:
    """Lines of words in Tesseract's order, "" between its paragraphs, and the mean word
    confidence weighted by word length (a page of short misread specks scores low)."""
    lines: list[str] = []
    line_key = paragraph_key = None
    weighted = characters = 0.0
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        word = (row.get("text") or "").strip()
        if not word or float(row["conf"]) < 0:
            continue
        weighted += float(row["conf"]) * len(word)
        characters += len(word)
        paragraph = (row["block_num"], row["par_num"])
        key = (*paragraph, row["line_num"])
        if key != line_key:
            if paragraph_key is not None and paragraph != paragraph_key:
                lines.append("")
            lines.append(word)
            line_key, paragraph_key = key, paragraph
        else:
            lines[-1] += " " + word
    return OcrPage(tuple(lines), round(weighted / characters, 1) if characters else 0.0)


def _cache_file(data: bytes) -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    settings = f"{LANGUAGE}-{DPI}dpi"
    return root / "cable-assistant" / "ocr" / f"{hashlib.sha256(data).hexdigest()}-{settings}.json"


def _load(cache: Path) -> dict[int, OcrPage]:
    try:
        stored = json.loads(cache.read_text())
        return {
            int(number): OcrPage(tuple(page["lines"]), float(page["confidence"]))
            for number, page in stored["pages"].items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # no cache yet, or a damaged one: recognise again


def _save(cache: Path, pages: dict[int, OcrPage], version: str) -> None:
    stored = {
        "tesseract": version,
        "pages": {
            str(n): {"lines": list(p.lines), "confidence": p.confidence}
            for n, p in sorted(pages.items())
        },
    }
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(stored, ensure_ascii=False))
        partial.replace(cache)
    except OSError:
        pass  # a read-only cache only costs a second OCR next time
