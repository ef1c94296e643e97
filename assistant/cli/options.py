"""What the commands share: the command class that turns errors into messages, options, output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from assistant.retrieval.retriever import RETRIEVERS
from assistant.settings import Settings, default_index_dir
from corpus.errors import CablesError
from embeddings.filters import Filters

if TYPE_CHECKING:
    from assistant.llm import LLMGenerator
    from assistant.service import Assistant

F = TypeVar("F", bound=Callable[..., Any])


class Command(click.Command):
    """A command whose library errors (``CablesError``) become a one-line message and exit
    status 1, however it is run (``cables serve`` or ``python app.py``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CablesError as error:
            raise click.ClickException(str(error)) from error


def command(name: str | None = None) -> Callable[[F], click.Command]:
    return click.command(name, cls=Command)


def _apply(command: F, options: list[Callable[[F], F]]) -> F:
    for option in reversed(options):
        command = option(command)
    return command


def index_option(command: F) -> F:
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=default_index_dir,
        show_default="$CABLES_INDEX or ~/.cable-assistant/index",
        help="Index directory.",
    )(command)


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


def filter_options(command: F) -> F:
    """The filters, the retriever and ``--json`` of the commands that search."""
    return _apply(
        command,
        [
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
                "--collection",
                "collections",
                multiple=True,
                help="Only this collection (repeatable).",
            ),
            click.option("--place", help="Only documents whose place contains this text."),
            click.option(
                "--doc-prefix",
                help="Only documents whose id starts with this, e.g. frus1964-68v03/.",
            ),
            click.option(
                "--retriever", type=click.Choice(RETRIEVERS), default="hybrid", show_default=True
            ),
            json_option,
        ],
    )


def llm_options(command: F) -> F:
    """Flags for the optional language model; without a base URL none is used."""
    return _apply(
        command,
        [
            click.option(
                "--llm-base-url",
                metavar="URL",
                help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (or env).",
            ),
            click.option("--llm-model", help="Model name at that endpoint (or $CABLES_LLM_MODEL)."),
            click.option("--llm-api-key", help="API key (or $CABLES_LLM_API_KEY)."),
        ],
    )


def generator(kwargs: dict[str, Any]) -> LLMGenerator | None:
    """The language model named by the flags or ``CABLES_LLM_*``, or None."""
    from assistant.llm import LLMConfig, LLMGenerator

    config = LLMConfig.from_env(
        base_url=kwargs.pop("llm_base_url"),
        model=kwargs.pop("llm_model"),
        api_key=kwargs.pop("llm_api_key"),
    )
    return LLMGenerator(config) if config else None


def filters(kwargs: dict[str, Any]) -> Filters:
    return Filters(
        date_from=kwargs.pop("date_from"),
        date_to=kwargs.pop("date_to"),
        collections=tuple(kwargs.pop("collections")),
        place=kwargs.pop("place"),
        doc_id_prefix=kwargs.pop("doc_prefix"),
    )


def open_assistant(index_dir: Path, generator: LLMGenerator | None = None) -> Assistant:
    from assistant.service import Assistant

    return Assistant.open(Settings(index_dir=index_dir), generator=generator)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))
