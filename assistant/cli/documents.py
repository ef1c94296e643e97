"""``cables search``, ``show``, ``cite``, ``remove`` and ``stats``: the index's documents."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import click

from assistant.cli.options import (
    command,
    filter_options,
    filters,
    index_option,
    json_option,
    open_assistant,
    print_json,
)
from assistant.formats.exports import CITATION_FORMATS, CitationFormat
from assistant.formats.payloads import document_json, search_json
from assistant.retrieval.retriever import RetrieverName


def _missing(doc_id: str, index_dir: Path) -> click.ClickException:
    return click.ClickException(f"no document {doc_id!r} in {index_dir} (see `cables stats`)")


@command()
@click.argument("query")
@click.option("-k", default=10, show_default=True, help="Number of passages.")
@click.option(
    "--sort",
    type=click.Choice(["score", "date"]),
    default="score",
    show_default=True,
    help="Order of the results: best first, or oldest first.",
)
@click.option(
    "--per-doc",
    default=3,
    show_default=True,
    help="At most this many passages per document (0: no limit).",
)
@filter_options
@index_option
def search(
    query: str,
    k: int,
    sort: Literal["score", "date"],
    per_doc: int,
    retriever: RetrieverName,
    as_json: bool,
    index_dir: Path,
    **kwargs: Any,
) -> None:
    """Find the passages that best match QUERY."""
    hits = open_assistant(index_dir).search(
        query,
        k=k,
        retriever=retriever,
        filters=filters(kwargs),
        max_per_doc=per_doc or None,
        sort=sort,
    )
    if as_json:
        print_json(search_json(query, hits))
        return
    for rank, hit in enumerate(hits, start=1):
        doc = hit.document
        click.echo(
            f"{rank:>2}. {hit.score:.3f}  {doc.doc_id}  {doc.date or 'undated'}  {doc.title}"
        )
        click.echo(f"    {hit.passage.text[:240].replace(chr(10), ' ')}")


@command()
@click.argument("doc_id")
@json_option
@index_option
def show(doc_id: str, as_json: bool, index_dir: Path) -> None:
    """Print a document's metadata and text."""
    record = open_assistant(index_dir).document(doc_id)
    if record is None:
        raise _missing(doc_id, index_dir)
    if as_json:
        print_json(document_json(record))
        return
    for name, value in asdict(record.document).items():
        if value and name not in {"text", "pages", "notes", "withheld", "extra"}:
            click.echo(f"{name}: {value}")
    click.echo()
    click.echo(record.document.text)


@command()
@click.argument("doc_id")
@click.option(
    "--format",
    "style",
    type=click.Choice(CITATION_FORMATS),
    default="chicago",
    show_default=True,
)
@index_option
def cite(doc_id: str, style: CitationFormat, index_dir: Path) -> None:
    """Print a document's citation: a Chicago footnote, CSL-JSON or BibTeX."""
    citation = open_assistant(index_dir).cite(doc_id, style)
    if citation is None:
        raise _missing(doc_id, index_dir)
    click.echo(citation, nl=not citation.endswith("\n"))


@command()
@click.argument("doc_id")
@index_option
def remove(doc_id: str, index_dir: Path) -> None:
    """Delete document DOC_ID from the index."""
    if not open_assistant(index_dir).remove(doc_id):
        raise click.ClickException(f"no document {doc_id!r} in {index_dir}")
    click.echo(f"removed {doc_id}")


@command()
@json_option
@index_option
def stats(as_json: bool, index_dir: Path) -> None:
    """Documents and passages per collection, model and size on disk."""
    summary = open_assistant(index_dir).stats()
    if as_json:
        print_json(summary.to_json())
        return
    click.echo(f"{summary.documents} documents, {summary.passages} passages in {index_dir}")
    for name, counts in summary.collections.items():
        click.echo(f"  {name}: {counts.documents} documents, {counts.passages} passages")
    if gaps := summary.withheld:
        click.echo(f"  withheld or illegible: {sum(gaps.values())} gaps in {len(gaps)} documents")
    precision = f"{summary.quantize} weights" if summary.quantize else "float32"
    click.echo(
        f"model {summary.model} ({summary.dimension} dimensions; {summary.backend}, {precision})"
    )
    click.echo(f"{summary.bytes_on_disk / 1e6:.1f} MB on disk")
