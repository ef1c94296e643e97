"""Which PDF library reads archive pages best: text fidelity and speed on real pages.

    python -m bench.pdf_readers [--pages 24] [--runs 5]   # -> results/pdf_readers.json

The pages are the Pentagon Papers Part IV.C.5 study (its real text, as the OCR text
reader gives it), written four ways, as archive PDFs come:
- ``reportlab-base14``: typeset in Times-Roman, a standard font with no embedded file;
- ``reportlab-ttf``: in DejaVu Serif, embedded as a subset with a ToUnicode map (the
  typographic quotes and dashes of the text survive only through that map);
- ``cairo``: the TTF file rewritten by poppler's pdftocairo, as print-to-PDF tools do;
- ``tesseract-scan``: the pages rendered to 200-dpi images and turned into a scan with
  an invisible OCR text layer by Tesseract's PDF renderer, as CREST and NARA publish;
  its truth is Tesseract's own text output of the same run.

Fidelity is difflib's ratio between the words of the truth and the words a library
extracts, in order (1.0 = the same words in the same order), after NFKC and whitespace
folding; "missing" is the share of truth words absent from the extraction. Speed is the
median over runs of the wall and CPU seconds to extract every page of a file, opening
it included, in this one process; ratios are to the fastest library in the same run.
PyMuPDF (AGPL) is measured when importable (``pip install --target DIR pymupdf`` and
``PYTHONPATH=DIR``), for reference only.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import shutil
import statistics
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

from bench.common import PENTAGON_PAPERS, Timer, median, write_result
from tests.fixtures.make_fixtures import scan_page, text_pdf, wrap

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def pypdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(path).pages]


def pdfplumber_pages(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() for page in pdf.pages]


def pdfminer_pages(path: Path) -> list[str]:
    from pdfminer.high_level import extract_text

    return extract_text(path).split("\f")[:-1]


def pypdfium2_pages(path: Path) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    try:
        return [page.get_textpage().get_text_bounded() for page in pdf]
    finally:
        pdf.close()


def pymupdf_pages(path: Path) -> list[str]:
    import pymupdf  # type: ignore[import-not-found]

    with pymupdf.open(path) as pdf:
        return [page.get_text() for page in pdf]


LIBRARIES: dict[str, tuple[str, Callable[[Path], list[str]]]] = {
    "pypdf": ("BSD-3-Clause", pypdf_pages),
    "pdfplumber": ("MIT", pdfplumber_pages),
    "pdfminer.six": ("MIT", pdfminer_pages),
    "pypdfium2": ("Apache-2.0 / BSD-3-Clause", pypdfium2_pages),
    "pymupdf": ("AGPL-3.0", pymupdf_pages),
}


def words(text: str) -> list[str]:
    return unicodedata.normalize("NFKC", text).split()


def make_files(folder: Path, n_pages: int) -> dict[str, tuple[Path, list[str]]]:
    from corpus.readers import read_path

    [part] = read_path(PENTAGON_PAPERS / "Pentagon-Papers-Part-IV-C-5.txt")
    pages = [part.text[p.char_start : p.char_end] for p in part.pages[3 : 3 + n_pages]]
    paragraphs = [paragraph for page in pages for paragraph in page.split("\n\n")]
    files: dict[str, tuple[Path, list[str]]] = {}
    for name, font in (("reportlab-base14", "Times-Roman"), ("reportlab-ttf", "DejaVuSerif")):
        if font == "DejaVuSerif":
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            pdfmetrics.registerFont(TTFont("DejaVuSerif", DEJAVU))
        path = folder / f"{name}.pdf"
        laid_out = text_pdf(path, paragraphs, font=font, size=11)
        files[name] = (path, [word for page in laid_out for line in page for word in line.split()])
    cairo = folder / "cairo.pdf"
    subprocess.run(["pdftocairo", "-pdf", str(files["reportlab-ttf"][0]), str(cairo)], check=True)
    files["cairo"] = (cairo, files["reportlab-ttf"][1])
    # A scan with an OCR layer: a handful of pages, as Tesseract is slow.
    truth: list[str] = []
    images = []
    for i, page in enumerate(pages[:4]):
        image = folder / f"scan-{i}.png"
        scan_page(wrap(page)[:60], seed=i).save(image)
        images.append(image)
    listing = folder / "scans.txt"
    listing.write_text("\n".join(map(str, images)) + "\n")
    base = folder / "tesseract-scan"
    subprocess.run(
        ["tesseract", str(listing), str(base), "-l", "eng", "txt", "pdf"],
        check=True,
        capture_output=True,
        env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
    )
    truth = words(base.with_suffix(".txt").read_text())
    files["tesseract-scan"] = (base.with_suffix(".pdf"), truth)
    return files


def fidelity(truth: list[str], got: list[str]) -> dict[str, float]:
    matcher = difflib.SequenceMatcher(None, truth, got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return {
        "ratio": round(matcher.ratio(), 4),
        "missing": round(1 - matched / len(truth), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    available = {
        name: entry
        for name, entry in LIBRARIES.items()
        if importlib.util.find_spec({"pdfminer.six": "pdfminer"}.get(name, name))
    }
    folder = Path(tempfile.mkdtemp(prefix="pdf-readers-"))
    try:
        files = make_files(folder, args.pages)
        result: dict[str, dict] = {}
        for kind, (path, truth) in files.items():
            rows: dict[str, dict] = {}
            timings: dict[str, list[tuple[float, float]]] = {name: [] for name in available}
            for _ in range(args.runs):
                for name, (_, read) in available.items():
                    with Timer() as timer:
                        pages = read(path)
                    timings[name].append((timer.seconds, timer.cpu_seconds))
            for name, (licence, read) in available.items():
                pages = read(path)
                rows[name] = {
                    "licence": licence,
                    "pages": len(pages),
                    **fidelity(truth, words("\n".join(pages))),
                    "seconds": median([wall for wall, _ in timings[name]]),
                    "cpu_seconds": median([cpu for _, cpu in timings[name]]),
                }
            fastest = min(row["cpu_seconds"] for row in rows.values())
            for row in rows.values():
                row["cpu_vs_fastest"] = round(row["cpu_seconds"] / fastest, 2)
                row["ms_per_page"] = round(1000 * row["cpu_seconds"] / row["pages"], 2)
            result[kind] = {"truth_words": len(truth), "libraries": rows}
        summary = {
            name: {
                "median_ratio": round(
                    statistics.median(r["libraries"][name]["ratio"] for r in result.values()), 4
                ),
                "median_ms_per_page": round(
                    statistics.median(r["libraries"][name]["ms_per_page"] for r in result.values()),
                    2,
                ),
            }
            for name in available
        }
        write_result(
            "pdf_readers",
            {"pages": args.pages, "runs": args.runs, "files": result, "summary": summary},
        )
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
