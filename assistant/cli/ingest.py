"""``cables ingest``: files and folders into the index, on this machine or on Ray."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from assistant.cli.options import command, index_option
from assistant.settings import SAMPLE_ARCHIVE, Settings, default_model
from embeddings.encoder import (
    BACKENDS,
    QUANTIZE_OPTIONS,
    Backend,
    Quantize,
    QuantizeOption,
    embedding_label,
)
from embeddings.ingest import BATCH_PASSAGES

if TYPE_CHECKING:
    from embeddings.distributed import RayEncoder
    from embeddings.ingest import IngestReport


@command()
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
    type=click.Choice(QUANTIZE_OPTIONS),
    help="Lower-precision weights, faster with slightly other vectors: int8 (ONNX Runtime, "
    "so --backend onnx; fast with VNNI or AMX) or bf16 (torch; fast with AVX512-BF16 or "
    "AMX); none for float32; auto for the fastest of these this CPU runs well. Fixed per "
    "index.  [default: auto: the index's own; for a new index, bf16 with AVX512-BF16 or "
    "AMX, else int8 with VNNI and the fast extra, else none]",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=BATCH_PASSAGES,
    show_default=True,
    help="Passages per commit, in whole documents: a stopped ingest loses at most one "
    "batch, and running it again embeds only what was not committed.",
)
@index_option
def ingest(
    paths: tuple[Path, ...],
    sample: bool,
    model: str | None,
    ray_address: str | None,
    workers: int | None,
    backend: Backend | None,
    quantize: QuantizeOption | None,
    batch: int,
    index_dir: Path,
) -> None:
    """Add or update the documents in PATHS (files or folders)."""
    from assistant.service import Assistant
    from embeddings.index import EmbeddingConflict, choose_embedding, stored_manifest

    sources = [*paths, SAMPLE_ARCHIVE] if sample else list(paths)
    built = stored_manifest(index_dir)
    model = model or (built.model if built else default_model())
    try:
        backend, chosen = choose_embedding(built, backend, quantize)
    except EmbeddingConflict as error:  # two options that contradict each other: usage
        raise click.UsageError(str(error)) from error
    if not sources:
        raise click.UsageError("give files or folders to ingest, or --sample")
    if built is None:
        click.echo(_new_index_embedding(backend, chosen, auto=quantize in (None, "auto")))
    encoder = _ray_encoder(model, ray_address, workers, backend=backend, quantize=chosen)
    if encoder is not None:
        encoder.connect()  # fail before reading any file
    _, report = Assistant.build(
        Settings(index_dir=index_dir, model=model, backend=backend, quantize=chosen),
        sources,
        encoder=encoder,
        batch=batch,
    )
    _print_report(report)
    sys.exit(0 if report.ok else 1)


def _new_index_embedding(backend: Backend, quantize: Quantize | None, *, auto: bool) -> str:
    """The line that says what a new index embeds with, and why if --quantize auto chose."""
    from embeddings.cpu import BF16_FLAGS, INT8_FLAGS, processor

    line = f"new index: embedding with {embedding_label(backend, quantize)}"
    if not auto:
        return line
    cpu = processor()
    flags = ", ".join(cpu.named_flags(BF16_FLAGS | INT8_FLAGS)) or "no bf16 or int8 instructions"
    return f"{line} (--quantize auto on {cpu.name}: {flags}; --quantize none for float32)"


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
