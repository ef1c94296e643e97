"""The archive as an MCP server, one more edge on the Assistant (``cables mcp``).

``build_server(assistant)`` gives the server with its tools (search, ask, get_document,
cite) and resources; ``server.run("stdio")`` serves a desktop client, and
``assistant.mcp.http.serve_http`` remote ones.
"""

from assistant.mcp.server import build_server

__all__ = ["build_server"]
