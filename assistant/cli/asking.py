"""``cables ask`` and ``cables chat``: answers quoted from the archive, printed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from assistant.cli.options import (
    command,
    filter_options,
    filters,
    generator,
    index_option,
    llm_options,
    open_assistant,
    print_json,
)
from assistant.formats.payloads import answer_json
from assistant.retrieval.retriever import RetrieverName

if TYPE_CHECKING:
    from assistant.model import Answer


@command()
@click.argument("question")
@click.option("-k", default=8, show_default=True, help="Passages to draw evidence from.")
@click.option("--markdown", is_flag=True, help="Print the answer as Markdown with footnotes.")
@filter_options
@llm_options
@index_option
def ask(
    question: str,
    k: int,
    markdown: bool,
    retriever: RetrieverName,
    as_json: bool,
    index_dir: Path,
    **kwargs: Any,
) -> None:
    """Answer QUESTION with quotes from the archive, each cited."""
    answer = open_assistant(index_dir, generator(kwargs)).ask(
        question, k=k, retriever=retriever, filters=filters(kwargs)
    )
    if as_json:
        print_json(answer_json(answer))
    elif markdown:
        from assistant.formats.exports import answer_markdown

        click.echo(answer_markdown(answer), nl=False)
    else:
        _print_answer(answer)


@command()
@click.option("-k", default=8, show_default=True, help="Passages to draw evidence from.")
@filter_options
@llm_options
@index_option
def chat(k: int, retriever: RetrieverName, as_json: bool, index_dir: Path, **kwargs: Any) -> None:
    """An interactive conversation: follow-up questions use the earlier turns.

    Type a question and press Enter; /reset starts over, /quit (or Ctrl-D) leaves.
    """
    from assistant.model import Answer, Turn

    assistant = open_assistant(index_dir, generator(kwargs))
    chosen = filters(kwargs)
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
            question, k=k, retriever=retriever, filters=chosen, history=history
        )
        for item in stream:
            if isinstance(item, str):
                if not as_json:
                    click.echo(item, nl=False)
                written += item
        answer = item  # the stream always ends with the verified Answer
        assert isinstance(answer, Answer)
        if as_json:
            click.echo(json.dumps(answer_json(answer), ensure_ascii=False))
        else:
            if written:
                click.echo("\n")
            if answer.query_used != question:
                click.echo(click.style(f"(searched for: {answer.query_used})", dim=True))
            # The checked text is shown again only where it differs from what was written.
            if written and answer.text != written.strip():
                click.echo(click.style("Checked against the sources:", dim=True))
            _print_answer(answer, text=answer.text != written.strip())
            click.echo()
        history += [Turn("user", question), Turn("assistant", answer.text)]


def _print_answer(answer: Answer, *, text: bool = True) -> None:
    """The answer, then its notes, warnings and citations; ``text=False``: all but the text."""
    if text:
        click.echo(answer.text)
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
