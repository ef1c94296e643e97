"""The MCP server on the protocol's streamable HTTP transport, for remote clients.

It keeps the JSON API's rules (``ApiConfig``): the same CORS origins, the same rate
limit per client address (counted on tool calls and resource reads, as the API counts
questions and searches, not on the protocol's handshake), and arguments bounded as the
API bounds its requests.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_REQUEST, CallToolResult, TextContent
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request

from assistant.web.api import MAX_QUESTION_CHARS, MAX_TURN_CHARS, MAX_TURNS
from assistant.web.ratelimit import RateLimiter

if TYPE_CHECKING:
    from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
    from mcp.server.mcpserver import MCPServer
    from starlette.applications import Starlette

    from assistant.web.config import ApiConfig

PATH = "/mcp"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LIMITED = frozenset({"tools/call", "resources/read"})
# The largest request the field bounds allow, even with every character escaped as
# JSON's \uXXXX twice over (outside the BMP): a body limit that never refuses a valid ask.
MAX_REQUEST_BYTES = 12 * (MAX_TURNS * MAX_TURN_CHARS + MAX_QUESTION_CHARS) + 64 * 1024


def http_app(server: MCPServer, config: ApiConfig, *, host: str) -> Starlette:
    """The ASGI app serving ``server`` at ``/mcp``, for uvicorn on ``host``."""
    if config.rate_per_minute:
        server.middleware.append(_rate_limit(config))
    app = server.streamable_http_app(
        streamable_http_path=PATH,
        host=host,
        transport_security=_security(host, config.cors_origins),
        max_request_body_size=MAX_REQUEST_BYTES,
    )
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            # The protocol's headers include one per tool argument (Mcp-Param-*).
            allow_headers=["*"],
            expose_headers=["Mcp-Session-Id"],
            max_age=600,
        )
    return app


def serve_http(server: MCPServer, config: ApiConfig, *, host: str, port: int) -> None:
    import uvicorn

    from assistant.web.server import uvicorn_config

    app = http_app(server, config, host=host)
    uvicorn.Server(uvicorn_config(app, host=host, port=port)).run()


def _security(host: str, origins: tuple[str, ...]) -> TransportSecuritySettings | None:
    """On a loopback address, the SDK's guard against DNS rebinding, letting the
    configured origins through; elsewhere (behind a proxy, say) the SDK's default."""
    if host not in LOOPBACK:
        return None
    local = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    return TransportSecuritySettings(
        # Its origin check knows no wildcard: with CORS for any site, only CORS applies.
        enable_dns_rebinding_protection="*" not in origins,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=[*local, *origins],
    )


def _rate_limit(config: ApiConfig) -> ServerMiddleware[Any]:
    limiter = RateLimiter(config.rate_per_minute, burst=config.burst)

    async def limit(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        request = ctx.request
        if ctx.method in LIMITED and isinstance(request, Request):
            wait = limiter.take(request.client.host if request.client else "unknown")
            if wait:
                message = (
                    f"too many requests: at most {config.rate_per_minute} a minute; "
                    f"try again in {math.ceil(wait)} s"
                )
                if ctx.method == "tools/call":  # a tool error, which the calling model reads
                    return CallToolResult(
                        content=[TextContent(type="text", text=message)], is_error=True
                    )
                raise MCPError(code=INVALID_REQUEST, message=message)
        return await call_next(ctx)

    return limit
