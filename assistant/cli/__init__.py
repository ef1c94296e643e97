"""The ``cables`` command: parse arguments, call the assistant, print. Nothing else.

Heavy libraries load only inside the commands that need them, so ``cables --help``
returns at once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from assistant.formats.payloads import document_json, hit_json
from assistant.settings import SAMPLE_ARCHIVE, Settings, default_index_dir, default_model
from embeddings.encoder import BACKENDS, QUANTIZATION_BACKEND, QUANTIZATIONS, Backend, Quantize
from embeddings.filters import FilterError, Filters

if TYPE_CHECKING:
    from assistant.llm import LLMGenerator
    from assistant.model import Answer
    from assistant.service import Assistant
    from embeddings.distributed import RayEncoder
    from embeddings.index import Manifest
    from embeddings.ingest import IngestReport

F = TypeVar("F", bound=Callable[..., Any])
RETRIEVERS = ("dense", "bm25", "hybrid")


def _user_errors(command: F) -> F:
    """Turn the library's own exceptions into one-line messages and exit status 1."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from assistant.llm import LLMConfigError
        from assistant.web.config import ConfigError
        from corpus.readers import ReaderError
        from embeddings.encoder import ModelNotAvailable
        from embeddings.index import IndexUnusable

        try:
            return command(*args, **kwargs)
        except (
            IndexUnusable,
            ReaderError,
            FilterError,
            ModelNotAvailable,
            ConfigError,
            LLMConfigError,
        ) as error:
            raise click.ClickException(str(error)) from error

    return run  # type: ignore[return-value]


def index_option(command: F) -> F:
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=default_index_dir,
        show_default="$CABLES_INDEX or ~/.cable-assistant/index",
        help="Index directory.",
    )(command)


def filter_options(command: F) -> F:
    options = [
        click.option(
            "--from",
            "date_from",
            metavar="DATE",
            help="Only documents dated on or after DATE (YYYY[-MM[-DD]]).",
        ),
        click.option(
            "--to", "date_to", metavar="DATE", help="Only documents dated on or before DATE."
        ),
        click.option(
            "--collection", "collections", multiple=True, help="Only this collection (repeatable)."
        ),
        click.option("--place", help="Only documents whose place contains this text."),
        click.option(
            "--doc-prefix", help="Only documents whose id starts with this, e.g. frus1964-68v03/."
        ),
        click.option(
            "--retriever",
            "mode",
            type=click.Choice(RETRIEVERS),
            default="hybrid",
            show_default=True,
        ),
        click.option("--json", "as_json", is_flag=True, help="Print JSON."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def llm_options(command: F) -> F:
    """Flags for the optional language model; without a base URL none is used."""
    options = [
        click.option(
            "--llm-base-url",
            metavar="URL",
            help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (or env).",
        ),
        click.option("--llm-model", help="Model name at that endpoint (or $CABLES_LLM_MODEL)."),
        click.option("--llm-api-key", help="API key (or $CABLES_LLM_API_KEY)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _generator(kwargs: dict[str, Any]) -> LLMGenerator | None:
    """The language model named by the flags or ``CABLES_LLM_*``, or None."""
    from assistant.llm import LLMConfig, LLMGenerator

    config = LLMConfig.from_env(
        base_url=kwargs.pop("llm_base_url"),
        model=kwargs.pop("llm_model"),
        api_key=kwargs.pop("llm_api_key"),
    )
    return LLMGenerator(config) if config else None


def _filters(kwargs: dict[str, Any]) -> Filters:
    return Filters(
        date_from=kwargs.pop("date_from"),
        date_to=kwargs.pop("date_to"),
        collections=tuple(kwargs.pop("collections")),
        place=kwargs.pop("place"),
        doc_id_prefix=kwargs.pop("doc_prefix"),
    )


def _open(index_dir: Path, generator: LLMGenerator | None = None) -> Assistant:
    from assistant.service import Assistant

    return Assistant.open(Settings(index_dir=index_dir), generator=generator)


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


@click.group()
@click.version_option(package_name="cable-assistant")
def cli() -> None:
    """Ask an archive of declassified diplomatic documents; every answer quotes and cites."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--sample", is_flag=True, help="Ingest the bundled sample archive.")
@click.option(
    "--model",
    help="Embedding model: a sentence-transformers name or a local path.  [default: the "
    "index's own; $CABLES_MODEL or all-MiniLM-L6-v2 for a new index]",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Embed on Ray: alone, on this machine; or a cluster: auto, ray://HEAD:10001.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Model copies (Ray actors, one CPU each) to embed with; needs --ray.  [default: 1]",
)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    help="What runs the model: torch, or ONNX Runtime (the fast extra). Fixed per index.  "
    "[default: the index's own; torch for a new index]",
)
@click.option(
    "--quantize",
    type=click.Choice(QUANTIZATIONS),
    help="Lower-precision weights, faster with slightly other vectors: int8 (ONNX Runtime, "
    "so --backend onnx) or bf16 (torch; fast on CPUs with AMX or AVX512-BF16). Fixed per "
    "index.  [default: the index's own; float32 for a new index]",
)
@index_option
@_user_errors
def ingest(
    paths: tuple[Path, ...],
    sample: bool,
    model: str | None,
    ray_address: str | None,
    workers: int | None,
    backend: Backend | None,
    quantize: Quantize | None,
    index_dir: Path,
) -> None:
    """Add or update the documents in PATHS (files or folders)."""
    from assistant.service import Assistant
    from embeddings.index import stored_manifest

    sources = [*paths, SAMPLE_ARCHIVE] if sample else list(paths)
    built = stored_manifest(index_dir)
    model = model or (built.model if built else default_model())
    backend, quantize = _embedding(built, backend, quantize)
    encoder = _ray_encoder(model, ray_address, workers, backend=backend, quantize=quantize)
    if not sources:
        raise click.UsageError("give files or folders to ingest, or --sample")
    if encoder is not None:
        from embeddings.distributed import RayUnavailable

        try:
            encoder.connect()  # fail before reading any file
        except RayUnavailable as error:
            raise click.ClickException(str(error)) from error
    _, report = Assistant.build(
        Settings(index_dir=index_dir, model=model, backend=backend, quantize=quantize),
        sources,
        encoder=encoder,
    )
    _print_report(report)
    sys.exit(0 if report.ok else 1)


def _embedding(
    built: Manifest | None, backend: Backend | None, quantize: Quantize | None
) -> tuple[Backend, Quantize | None]:
    """What to embed with: the options; without either, what the index was ``built`` with
    (torch float32 for a new index). A quantisation alone brings its backend."""
    if quantize is None:
        if backend is None:
            return (built.backend, built.quantize) if built else ("torch", None)
        return backend, None
    needed = QUANTIZATION_BACKEND[quantize]
    if backend not in (None, needed):
        raise click.UsageError(
            f"--quantize {quantize} runs on the {needed} backend: "
            f"use --backend {needed}, or leave --backend out"
        )
    return needed, quantize


def _ray_encoder(
    model: str,
    address: str | None,
    workers: int | None,
    *,
    backend: Backend,
    quantize: Quantize | None,
) -> RayEncoder | None:
    """The Ray encoder ``--ray`` and ``--workers`` ask for; None without ``--ray``."""
    if address is None:
        if workers is not None:
            # One process already uses every core of this machine; more copies of the model
            # only help on more machines.
            raise click.UsageError("--workers counts model copies on Ray: add --ray [ADDRESS]")
        return None
    if address not in ("local", "auto") and "://" not in address and Path(address).exists():
        raise click.UsageError(
            f"--ray took {address!r} as the Ray address: put PATHS before --ray, "
            "or write --ray=ADDRESS"
        )
    from embeddings.distributed import RayEncoder

    return RayEncoder(
        model,
        address=None if address == "local" else address,
        workers=workers or 1,
        backend=backend,
        quantize=quantize,
    )


def _print_report(report: IngestReport) -> None:
    click.echo(
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.failed)} failed; "
        f"{report.passages} passages written, {report.embedded} embedded in {report.seconds:.1f} s"
    )
    if report.skipped:
        click.echo(
            f"skipped {len(report.skipped)} README/licence files (name one to ingest it): "
            + ", ".join(report.skipped),
            err=True,
        )
    for failure in report.failed:
        click.echo(f"failed: {failure.path}: {failure.reason}", err=True)


@cli.command()
@click.argument("question")
@click.option("-k", default=8, show_default=True, help="Passages to draw evidence from.")
@click.option("--markdown", is_flag=True, help="Print the answer as Markdown with footnotes.")
@filter_options
@llm_options
@index_option
@_user_errors
def ask(
    question: str, k: int, markdown: bool, mode: str, as_json: bool, index_dir: Path, **kwargs: Any
) -> None:
    """Answer QUESTION with quotes from the archive, each cited."""
    answer = _open(index_dir, _generator(kwargs)).ask(
        question, k=k, mode=mode, filters=_filters(kwargs)
    )  # type: ignore[arg-type]
    if as_json:
        _print_json(asdict(answer))
    elif markdown:
        from assistant.formats.exports import answer_markdown

        click.echo(answer_markdown(answer), nl=False)
    else:
        _print_answer(answer)


def _print_answer(answer: Answer, *, text: bool = True) -> None:
    """The answer, then its notes, warnings and citations; ``text=False``: all but the text."""
    if text:
        click.echo(answer.answer)
        click.echo()
    for note in answer.notes:
        click.echo(f"Note: {note}")
    for warning in answer.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if answer.timeline:
        click.echo("Timeline:")
        for entry in answer.timeline:
            click.echo(
                f"  {entry.date or 'undated':<10}  {entry.place or '':<12}"
                f" [{entry.ref}] {entry.quote}"
            )
    for c in answer.citations:
        click.echo(f"[{c.ref}] {c.citation or c.title}")
    for s in answer.closest:
        click.echo(f"- {s.title} ({s.date or 'undated'}) {s.doc_id}  similarity {s.score:.2f}")


@cli.command()
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
@_user_errors
def search(
    query: str,
    k: int,
    sort: str,
    per_doc: int,
    mode: str,
    as_json: bool,
    index_dir: Path,
    **kwargs: Any,
) -> None:
    """Find the passages that best match QUERY."""
    hits = _open(index_dir).search(
        query,
        k=k,
        mode=mode,  # type: ignore[arg-type]
        filters=_filters(kwargs),
        max_per_doc=per_doc or None,
        sort=sort,  # type: ignore[arg-type]
    )
    if as_json:
        _print_json({"query": query, "hits": [hit_json(hit) for hit in hits]})
        return
    for rank, hit in enumerate(hits, start=1):
        doc = hit.document
        click.echo(
            f"{rank:>2}. {hit.score:.3f}  {doc.doc_id}  {doc.date or 'undated'}  {doc.title}"
        )
        click.echo(f"    {hit.passage.text[:240].replace(chr(10), ' ')}")


@cli.command()
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
@_user_errors
def show(doc_id: str, as_json: bool, index_dir: Path) -> None:
    """Print a document's metadata and text."""
    from embeddings.index import Index

    store = Index.open(index_dir).store
    document = store.document(doc_id)
    if document is None:
        raise click.ClickException(f"no document {doc_id!r} in {index_dir} (see `cables stats`)")
    if as_json:
        _print_json(document_json(document, store))
        return
    for name, value in asdict(document).items():
        if value and name not in {"text", "pages", "notes", "withheld", "extra"}:
            click.echo(f"{name}: {value}")
    click.echo()
    click.echo(document.text)


@cli.command()
@click.argument("doc_id")
@click.option(
    "--format",
    "style",
    type=click.Choice(["chicago", "csl-json", "bibtex"]),
    default="chicago",
    show_default=True,
)
@index_option
@_user_errors
def cite(doc_id: str, style: str, index_dir: Path) -> None:
    """Print a document's citation: a Chicago footnote, CSL-JSON or BibTeX."""
    from assistant.formats import exports
    from embeddings.index import Index

    document = Index.open(index_dir).store.document(doc_id)
    if document is None:
        raise click.ClickException(f"no document {doc_id!r} in {index_dir} (see `cables stats`)")
    if style == "csl-json":
        _print_json([exports.csl_json(document)])
    elif style == "bibtex":
        click.echo(exports.bibtex(document), nl=False)
    else:
        click.echo(exports.chicago_footnote(document))


@cli.command()
@click.argument("doc_id")
@index_option
@_user_errors
def remove(doc_id: str, index_dir: Path) -> None:
    """Delete document DOC_ID from the index."""
    from embeddings.index import Index
    from embeddings.ingest import remove as remove_document

    if not remove_document(Index.open(index_dir), doc_id):
        raise click.ClickException(f"no document {doc_id!r} in {index_dir}")
    click.echo(f"removed {doc_id}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
@_user_errors
def stats(as_json: bool, index_dir: Path) -> None:
    """Documents and passages per collection, model and size on disk."""
    from embeddings.index import Index

    index = Index.open(index_dir)
    collections = index.store.stats()
    summary = {
        "index": str(index_dir),
        "documents": sum(c["documents"] for c in collections.values()),
        "passages": sum(c["passages"] for c in collections.values()),
        "collections": collections,
        "model": index.manifest.model,
        "dimension": index.manifest.dimension,
        "backend": index.manifest.backend,
        "quantize": index.manifest.quantize,
        "chunking": asdict(index.manifest.chunking),
        "withheld": index.store.withheld_counts(),
        "bytes_on_disk": index.size_on_disk(),
    }
    if as_json:
        _print_json(summary)
        return
    click.echo(f"{summary['documents']} documents, {summary['passages']} passages in {index_dir}")
    for name, counts in collections.items():
        click.echo(f"  {name}: {counts['documents']} documents, {counts['passages']} passages")
    gaps = summary["withheld"]
    if gaps:
        click.echo(f"  withheld or illegible: {sum(gaps.values())} gaps in {len(gaps)} documents")
    manifest = index.manifest
    precision = f"{manifest.quantize} weights" if manifest.quantize else "float32"
    click.echo(
        f"model {manifest.model} ({manifest.dimension} dimensions; {manifest.backend}, {precision})"
    )
    click.echo(f"{summary['bytes_on_disk'] / 1e6:.1f} MB on disk")


@cli.command("eval")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--retriever",
    "retrievers",
    multiple=True,
    type=click.Choice([*RETRIEVERS, "all"]),
    default=("hybrid",),
    show_default=True,
    help="Retriever to evaluate; repeat it, or say all, to compare.",
)
@click.option(
    "--k", type=click.IntRange(min=1), default=100, show_default=True, help="Documents ranked."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list for several retrievers).")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write a Markdown report, a chart and the JSON into this folder.",
)
@click.option("--split", default="test", show_default=True, help="BEIR qrels split.")
@click.option(
    "--model",
    default=default_model,
    show_default="$CABLES_MODEL or all-MiniLM-L6-v2",
    help="Embedding model for a BEIR folder's index.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where BEIR indexes are kept.",
    show_default="$CABLES_EVAL_CACHE or ~/.cache/cable-assistant/eval",
)
@index_option
@_user_errors
def eval_command(
    dataset: Path,
    retrievers: tuple[str, ...],
    k: int,
    as_json: bool,
    report_dir: Path | None,
    split: str,
    model: str,
    cache_dir: Path | None,
    index_dir: Path,
) -> None:
    """Score retrieval on DATASET: a BEIR folder (indexed and cached) or a question file.

    A question file (JSON Lines: id, question, relevant_docs, optional follows) is asked
    of the index given by --index.
    """
    from assistant.evaluation import DatasetError, evaluate
    from assistant.evaluation.report import metrics_table, write_report

    modes = RETRIEVERS if "all" in retrievers else tuple(dict.fromkeys(retrievers))
    try:
        evaluation = evaluate(
            dataset,
            retrievers=modes,  # type: ignore[arg-type]
            k=k,
            index_dir=index_dir,
            model=model,
            cache_dir=cache_dir,
            split=split,
            progress=sys.stderr.isatty(),
        )
    except DatasetError as error:
        raise click.ClickException(str(error)) from error
    results = [result.to_json() for result in evaluation.results]
    if as_json:
        _print_json(results[0] if len(results) == 1 else results)
    else:
        click.echo("\n".join(metrics_table(evaluation.results)))
    if report_dir is not None:
        written = write_report(evaluation, report_dir)
        click.echo(f"report: {', '.join(str(path) for path in written)}", err=True)
    ingest = evaluation.ingest
    built = f", {ingest.embedded} passages embedded" if ingest else ""
    timing = ", ".join(f"{r.retriever} {r.seconds:.1f} s" for r in evaluation.results)
    click.echo(f"index ready in {evaluation.index_seconds:.1f} s{built}; {timing}", err=True)


@cli.command()
@click.option("-k", default=8, show_default=True, help="Passages to draw evidence from.")
@filter_options
@llm_options
@index_option
@_user_errors
def chat(k: int, mode: str, as_json: bool, index_dir: Path, **kwargs: Any) -> None:
    """An interactive conversation: follow-up questions use the earlier turns.

    Type a question and press Enter; /reset starts over, /quit (or Ctrl-D) leaves.
    """
    from assistant.model import Answer, Turn

    assistant = _open(index_dir, _generator(kwargs))
    filters = _filters(kwargs)
    history: list[Turn] = []
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            click.echo("? ", nl=False)
        line = sys.stdin.readline()
        if not line or line.strip() in {"/quit", "/exit"}:
            break
        question = line.strip()
        if question == "/reset":
            history.clear()
            continue
        if not question:
            continue
        written = ""
        stream = assistant.ask_stream(
            question,
            k=k,
            mode=mode,
            filters=filters,
            history=history,  # type: ignore[arg-type]
        )
        for item in stream:
            if isinstance(item, str):
                if not as_json:
                    click.echo(item, nl=False)
                written += item
        answer = item  # the stream always ends with the verified Answer
        assert isinstance(answer, Answer)
        if as_json:
            click.echo(json.dumps(asdict(answer), ensure_ascii=False))
        else:
            if written:
                click.echo("\n")
            if answer.query_used != question:
                click.echo(click.style(f"(searched for: {answer.query_used})", dim=True))
            # The checked text is shown again only where it differs from what was written.
            if written and answer.answer != written.strip():
                click.echo(click.style("Checked against the sources:", dim=True))
            _print_answer(answer, text=answer.answer != written.strip())
            click.echo()
        history += [Turn("user", question), Turn("assistant", answer.answer)]


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="CABLES_HOST")
@click.option("--port", default=7860, show_default=True, envvar="CABLES_PORT")
@llm_options
@index_option
@_user_errors
def serve(host: str, port: int, index_dir: Path, **kwargs: Any) -> None:
    """Serve the chat and the JSON API (builds the sample archive's index on first start)."""
    import uvicorn

    from app import build_app, load_assistant

    assistant = load_assistant(Settings(index_dir=index_dir), generator=_generator(kwargs))
    click.echo(f"Cable Assistant on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    click.echo(f'Widget: <script src="http://{host}:{port}/widget.js" defer></script>')
    uvicorn.run(build_app(assistant), host=host, port=port, log_level="warning")


def main() -> None:
    cli()
