"""The API's errors: one JSON shape, each status documented, the handlers that produce them.

Every error is ``{"error": "...", "fields": [...]}`` (:class:`ErrorOut`); ``fields`` is
there for a request the API could not read (400) or refuses (422), one entry per field.
An unexpected failure is logged with its traceback and the client gets a 500 without
details.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import Route, Router

from assistant.web.admission import Busy

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

INTERNAL_ERROR = "internal error: the assistant could not answer; the server log has the details"

logger = logging.getLogger(__name__)


class FieldError(BaseModel):
    field: str = Field(
        description="Dotted path of the field, e.g. filters.date_from or history.0.role; "
        "body for the body as a whole",
        examples=["filters.date_from"],
    )
    message: str = Field(examples=["'June 1965' is not a date: give YYYY, YYYY-MM or YYYY-MM-DD"])


class ErrorOut(BaseModel):
    """What went wrong and what to change."""

    error: str = Field(description="One line for a person: what went wrong, how to fix it")
    fields: list[FieldError] = Field(
        default_factory=list, description="With 400 and 422: each field at fault"
    )


ERROR_SCHEMA = "#/components/schemas/ErrorOut"
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
_MEANINGS = {
    400: "The body is not JSON",
    404: "No document with this id in the archive",
    422: "A parameter or field is missing, out of bounds or malformed; `fields` names each",
    429: "This client has used up its rate limit (`CABLES_RATE_LIMIT`): wait `Retry-After` s",
    500: "An unexpected failure; the server log has the details",
    503: "The server is busy (its workers and queue, `CABLES_WORKERS` and `CABLES_QUEUE`, "
    "are full): wait `Retry-After` s",
}


def error_responses(*statuses: int, streaming: bool = False) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of these error statuses, each :class:`ErrorOut` as JSON.

    FastAPI would document a ``model`` in a streaming route's own media type too, so such
    a route refers to the schema that the other routes' ``model`` puts in the components.
    """
    return {
        status: {
            **({} if streaming else {"model": ErrorOut}),
            "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA}}},
            "description": _MEANINGS[status],
            **({"headers": _RETRY_AFTER} if status in (429, 503) else {}),
        }
        for status in statuses
    }


def handle_errors(app: FastAPI) -> None:
    """Answer every error of ``app`` as :class:`ErrorOut`; add this before any CORS middleware,
    so that errors carry CORS headers and a browser lets the page read them."""
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(Busy, _busy)  # type: ignore[arg-type]
    app.add_middleware(MethodNotAllowed, router=app.router)
    # Starlette answers unhandled errors outside every middleware, where CORS headers are
    # missing and a browser hides the response; catching them inside CORS keeps them readable.
    app.add_middleware(InternalErrors)


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    return JSONResponse(
        {"error": error.detail}, status_code=error.status_code, headers=error.headers
    )


async def _busy(request: Request, error: Busy) -> JSONResponse:
    return JSONResponse(
        {"error": str(error)}, status_code=503, headers={"Retry-After": str(error.retry_after)}
    )


async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    # A body that is not JSON is unreadable (400); one that is JSON but wrong is refused (422).
    unreadable = any(item["type"] == "json_invalid" for item in error.errors())
    fields = (
        [{"field": "body", "message": "not valid JSON"}]
        if unreadable
        else [
            {
                "field": ".".join(str(part) for part in item["loc"][1:]) or str(item["loc"][0]),
                "message": item["msg"].removeprefix("Value error, "),
            }
            for item in error.errors()
        ]
    )
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    status = 400 if unreadable else 422
    return JSONResponse({"error": message, "fields": fields}, status_code=status)


class MethodNotAllowed:
    """405 with ``Allow`` for a method that a path of the router does not declare, even
    where an app mounted at ``/`` (the chat) would otherwise take the request and say 404."""

    def __init__(self, app: ASGIApp, *, router: Router):
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = self._allowed(scope["path"]) if scope["type"] == "http" else set()
        if not allowed or scope["method"] in allowed:
            await self.app(scope, receive, send)
            return
        methods = ", ".join(sorted(allowed))
        response = JSONResponse(
            {"error": f"{scope['method']} is not allowed here; use {methods}"},
            status_code=405,
            headers={"Allow": methods},
        )
        await response(scope, receive, send)

    def _allowed(self, path: str) -> set[str]:
        routes: Sequence[Route] = [r for r in self.router.routes if isinstance(r, Route)]
        return {
            method
            for route in routes
            if route.methods and route.path_regex.match(path)
            for method in route.methods
        }


class InternalErrors:
    """Log an unexpected exception with its traceback; answer 500 ``{"error": ...}`` only."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            logger.exception("%s %s failed", scope["method"], scope["path"])
            if started:
                raise
            await JSONResponse({"error": INTERNAL_ERROR}, status_code=500)(scope, receive, send)
