"""The ``cables`` command: parse arguments, call the assistant, print. Nothing else.

One module per group of commands; each command turns the library's errors
(``CablesError``) into one-line messages (``options.Command``). Heavy libraries
load only inside the commands that need them, so ``cables --help`` returns at once.
"""

from __future__ import annotations

import click

from assistant.cli.asking import ask, chat
from assistant.cli.documents import cite, remove, search, show, stats
from assistant.cli.evaluate import eval_command
from assistant.cli.ingest import ingest
from assistant.cli.mcp import mcp_command
from assistant.cli.serve import serve


@click.group()
@click.version_option(package_name="cable-assistant")
def cli() -> None:
    """Ask an archive of declassified diplomatic documents; every answer quotes and cites."""


for _command in (ingest, ask, search, show, cite, remove, stats, eval_command, chat, serve):
    cli.add_command(_command)
cli.add_command(mcp_command)


def main() -> None:
    cli()
