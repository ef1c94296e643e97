"""``cables eval``: score retrieval on a BEIR folder or a question file, or the answers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from assistant.cli.options import (
    command,
    generator,
    index_option,
    llm_options,
    open_assistant,
    print_json,
)
from assistant.retrieval.retriever import RETRIEVERS
from assistant.settings import default_model


@command("eval")
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
@click.option(
    "--answers",
    is_flag=True,
    help="Score the answers instead: is the sentence that answers quoted (a question file).",
)
@click.option(
    "--split",
    help="BEIR: the qrels split  [default: test]. Question file: dev, test or all  [default: all].",
)
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
@llm_options
@index_option
def eval_command(
    dataset: Path,
    retrievers: tuple[str, ...],
    k: int,
    as_json: bool,
    report_dir: Path | None,
    answers: bool,
    split: str | None,
    model: str,
    cache_dir: Path | None,
    index_dir: Path,
    **kwargs: Any,
) -> None:
    """Score retrieval on DATASET: a BEIR folder (indexed and cached) or a question file.

    A question file (JSON Lines: id, question, relevant_docs, optional follows) is asked
    of the index given by --index, with the model, backend and precision it was built with.
    With --answers each question is asked as `cables ask` would (with a language model if
    one is configured) and its answer scored against the file's supporting_spans.
    """
    if answers:
        _answers(dataset, retrievers, as_json, report_dir, split, index_dir, kwargs)
        return
    from assistant.evaluation import evaluate
    from assistant.evaluation.report import metrics_table, write_report

    chosen = RETRIEVERS if "all" in retrievers else tuple(dict.fromkeys(retrievers))
    evaluation = evaluate(
        dataset,
        retrievers=chosen,  # type: ignore[arg-type]  # click checked them against RETRIEVERS
        k=k,
        index_dir=index_dir,
        model=model,
        cache_dir=cache_dir,
        split=split or "test",
        progress=sys.stderr.isatty(),
    )
    results = [result.to_json() for result in evaluation.results]
    if as_json:
        print_json(results[0] if len(results) == 1 else results)
    else:
        click.echo("\n".join(metrics_table(evaluation.results)))
    if report_dir is not None:
        written = write_report(evaluation, report_dir)
        click.echo(f"report: {', '.join(str(path) for path in written)}", err=True)
    ingest = evaluation.ingest
    built = f", {ingest.embedded} passages embedded" if ingest else ""
    timing = ", ".join(f"{r.retriever} {r.seconds:.1f} s" for r in evaluation.results)
    click.echo(f"index ready in {evaluation.index_seconds:.1f} s{built}; {timing}", err=True)


def _answers(
    dataset: Path,
    retrievers: tuple[str, ...],
    as_json: bool,
    report_dir: Path | None,
    split: str | None,
    index_dir: Path,
    llm: dict[str, Any],
) -> None:
    from assistant.evaluation.answer_report import answer_table, write_answer_report
    from assistant.evaluation.answers import evaluate_answers

    if dataset.is_dir():
        raise click.UsageError("--answers scores a question file, not a BEIR folder")
    if len(retrievers) != 1 or "all" in retrievers:
        raise click.UsageError("--answers takes one --retriever")
    model = generator(llm)
    evaluation = evaluate_answers(
        dataset,
        open_assistant(index_dir, model),
        split=split,
        retriever=retrievers[0],  # type: ignore[arg-type]  # click checked it
        answering=f"by {model.config.model}" if model else "extractive",
        progress=sys.stderr.isatty(),
    )
    if as_json:
        print_json(evaluation.to_json())
    else:
        click.echo("\n".join(answer_table(evaluation)))
    if report_dir is not None:
        written = write_answer_report(evaluation, report_dir)
        click.echo(f"report: {', '.join(str(path) for path in written)}", err=True)
