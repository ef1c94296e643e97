"""``cables mcp``: the archive as an MCP server, for AI assistants that cite it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from assistant.cli.options import command, generator, index_option, llm_options, open_assistant


@command("mcp")
@click.option(
    "--http",
    "over_http",
    is_flag=True,
    help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdin/stdout.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="With --http: address.")
@click.option("--port", default=7861, show_default=True, help="With --http: port.")
@llm_options
@index_option
def mcp_command(over_http: bool, host: str, port: int, index_dir: Path, **kwargs: Any) -> None:
    """Serve the archive over the Model Context Protocol: tools search, ask, get_document
    and cite; resources cables://document/{doc_id} and cables://collections.

    Over HTTP, CORS origins, rate limit and document links come from the CABLES_*
    variables, as for `cables serve`. The index is only read.
    """
    from assistant.mcp import build_server
    from assistant.web.config import ApiConfig

    config = ApiConfig.from_env()
    assistant = open_assistant(index_dir, generator(kwargs))
    server = build_server(assistant, config=config)
    if not over_http:
        server.run("stdio")  # stdout carries the protocol: nothing else may print there
        return
    from assistant.mcp.http import PATH, serve_http

    assistant.warm_up()  # as `cables serve`: it listens once the model and indexes are loaded
    click.echo(f"MCP server on http://{host}:{port}{PATH}", err=True)
    serve_http(server, config, host=host, port=port)
