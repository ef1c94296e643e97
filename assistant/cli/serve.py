"""``cables serve`` (and ``python app.py``): the chat and the JSON API on one server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from assistant.cli.options import command, generator, index_option, llm_options
from assistant.settings import Settings


@command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="CABLES_HOST")
@click.option("--port", default=7860, show_default=True, envvar="CABLES_PORT")
@llm_options
@index_option
def serve(host: str, port: int, index_dir: Path, **kwargs: Any) -> None:
    """Serve the chat and the JSON API (builds the sample archive's index on first start)."""
    import uvicorn

    from assistant.web.config import ApiConfig
    from assistant.web.server import build_app, load_assistant, uvicorn_config

    config = ApiConfig.from_env()
    assistant = load_assistant(Settings(index_dir=index_dir), generator=generator(kwargs))
    app = build_app(assistant, config=config)
    click.echo(
        f"{config.workers} workers for answers and {config.workers} for searches, "
        f"{config.queue} waiting each at most (CABLES_WORKERS, CABLES_QUEUE)"
    )
    click.echo("Loading the model and the index before listening ...")
    click.echo(f"Cable Assistant on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    click.echo(f'Widget: <script src="http://{host}:{port}/widget.js" defer></script>')
    uvicorn.Server(uvicorn_config(app, host=host, port=port)).run()
