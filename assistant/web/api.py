"""The JSON API and the embeddable widget, for an archive's own web pages.

    POST /api/ask                 answer a question (as `cables ask --json`)
    POST /api/ask/stream          the same, as server-sent events while the model writes
    GET  /api/search?q=...        passages (as `cables search --json`)
    GET  /api/documents/{doc_id}  one document (as `cables show --json`)
    GET  /healthz                 liveness
    GET  /widget.js               the chat widget an archive pastes into its pages
    GET  /docs                    OpenAPI documentation

Every source in a response carries a ``link``: the archive's page for the document
(``ApiConfig.url_templates``) or else its source URL. Errors are ``{"error": "..."}``
with a 4xx status that says what to fix; an unexpected failure is logged here and the
client gets a 500 without details.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' type hints at run time.
import logging
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.formats.payloads import Linker, answer_json, document_json, search_json
from assistant.model import Turn
from assistant.service import Assistant
from assistant.web.config import ApiConfig
from assistant.web.ratelimit import RateLimiter
from embeddings.filters import Filters, date_bounds
from embeddings.store import Store

MAX_QUESTION_CHARS = 1000
MAX_TURNS = 20
MAX_TURN_CHARS = 10_000
WIDGET = Path(__file__).with_name("static") / "widget.js"
INTERNAL_ERROR = "internal error: the assistant could not answer; the server log has the details"

logger = logging.getLogger(__name__)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Question = Annotated[Text, StringConstraints(max_length=MAX_QUESTION_CHARS)]
Retriever = Literal["dense", "bm25", "hybrid"]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class _FilterFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_from: ShortText | None = Field(
        None, description="On or after: YYYY, YYYY-MM or YYYY-MM-DD"
    )
    date_to: ShortText | None = Field(None, description="On or before: YYYY, YYYY-MM or YYYY-MM-DD")
    place: ShortText | None = Field(None, description="Place contains this text")
    doc_id_prefix: ShortText | None = Field(None, examples=["frus1964-68v03/"])

    @field_validator("date_from", "date_to")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value:
            date_bounds(value)  # a FilterError is a ValueError: pydantic reports it on the field
        return value or None

    def _filters(self, collections: list[str]) -> Filters:
        return Filters(
            date_from=self.date_from,
            date_to=self.date_to,
            collections=tuple(collections),
            place=self.place or None,
            doc_id_prefix=self.doc_id_prefix or None,
        )


class FiltersIn(_FilterFields):
    collections: list[ShortText] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> "FiltersIn":
        self.filters()  # a date range that ends before it starts
        return self

    def filters(self) -> Filters:
        return self._filters(self.collections)


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: Annotated[str, StringConstraints(max_length=MAX_TURN_CHARS)]


class AskRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"question": "What did the embassy claim about Soviet press coverage?"}]
        },
    )

    question: Question = Field(description=f"At most {MAX_QUESTION_CHARS} characters")
    history: list[TurnIn] = Field(
        default_factory=list,
        max_length=MAX_TURNS,
        description="Earlier turns, oldest first, for follow-up questions",
    )
    filters: FiltersIn = Field(default_factory=FiltersIn)
    k: int = Field(8, ge=1, le=20, description="Passages to draw evidence from")
    retriever: Retriever = "hybrid"


class SearchParams(_FilterFields):
    q: Question
    k: int = Field(10, ge=1, le=50)
    retriever: Retriever = "hybrid"
    per_doc: int = Field(3, ge=0, le=50, description="Passages per document (0: no limit)")
    sort: Literal["score", "date"] = Field("score", description="date: the same hits, oldest first")
    collection: list[ShortText] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> "SearchParams":
        self.filters()
        return self

    def filters(self) -> Filters:
        return self._filters(self.collection)


def create_api(assistant: Assistant, *, config: ApiConfig | None = None) -> FastAPI:
    """The API for ``assistant``; ``config`` defaults to the ``CABLES_*`` environment."""
    config = config or ApiConfig.from_env()
    app = FastAPI(
        title="Cable Assistant API",
        summary="Ask an archive of declassified documents; every answer quotes and cites.",
        version="0.1.0",
    )
    limiter = (
        RateLimiter(config.rate_per_minute, burst=config.burst) if config.rate_per_minute else None
    )

    async def rate_limit(request: Request) -> None:
        if limiter is None:
            return
        wait = limiter.take(request.client.host if request.client else "unknown")
        if wait:
            seconds = math.ceil(wait)
            raise HTTPException(
                429,
                f"too many requests: at most {config.rate_per_minute} a minute; "
                f"try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    limited = [Depends(rate_limit)]
    link = _linker(assistant.index.store, config)

    def options(body: AskRequest) -> dict[str, Any]:
        """The keyword arguments of ``Assistant.ask`` and ``ask_stream`` for a request."""
        return {
            "k": body.k,
            "mode": body.retriever,
            "filters": body.filters.filters(),
            "history": [Turn(turn.role, turn.content) for turn in body.history],
        }

    @app.post("/api/ask", dependencies=limited, tags=["api"])
    def ask(body: AskRequest) -> dict[str, Any]:
        """Answer a question with quotes from the archive (the JSON of `cables ask --json`)."""
        return answer_json(assistant.ask(body.question, **options(body)), link())

    @app.post(
        "/api/ask/stream",
        dependencies=limited,
        tags=["api"],
        response_class=EventSourceResponse,
    )
    def ask_stream(body: AskRequest) -> Iterator[ServerSentEvent]:
        """`/api/ask` as server-sent events, to show the answer while a language model writes it.

        Events: `delta` (`{"text": ...}`, a piece of the model's text, as it comes), then
        one `answer`: exactly what `/api/ask` returns, whose verified text replaces the
        streamed one. Without a language model there is only the `answer`. A failure
        once the stream has begun is an `error` event (`{"error": ...}`) instead; a bad
        request is refused before it begins, as for `/api/ask`.
        """
        # A sync generator: FastAPI iterates it in a worker thread, off the event loop.
        try:
            for item in assistant.ask_stream(body.question, **options(body)):
                if isinstance(item, str):
                    yield ServerSentEvent(event="delta", data={"text": item})
                else:
                    yield ServerSentEvent(event="answer", data=answer_json(item, link()))
        except Exception:
            logger.exception("POST /api/ask/stream failed")
            yield ServerSentEvent(event="error", data={"error": INTERNAL_ERROR})

    @app.get("/api/search", dependencies=limited, tags=["api"])
    def search(params: Annotated[SearchParams, Query()]) -> dict[str, Any]:
        """The passages that best match ``q`` (the JSON of `cables search --json`)."""
        hits = assistant.search(
            params.q,
            k=params.k,
            mode=params.retriever,
            filters=params.filters(),
            max_per_doc=params.per_doc or None,
            sort=params.sort,
        )
        return search_json(params.q, hits, link())

    @app.get("/api/documents/{doc_id:path}", dependencies=limited, tags=["api"])
    def document(doc_id: str) -> dict[str, Any]:
        """One document: metadata, full text, references (the JSON of `cables show --json`)."""
        store = assistant.index.store
        found = store.document(doc_id)
        if found is None:
            raise HTTPException(404, f"no document {doc_id!r} in the archive")
        return {
            **document_json(found, store),
            "link": config.link(found.collection, doc_id, found.url),
        }

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        """Ready to answer: the index can be read."""
        return {"status": "ok", "generation": assistant.index.store.generation}

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(
            WIDGET,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    # Starlette answers unhandled errors outside every middleware, where CORS headers are
    # missing and a browser hides the response; catching them inside CORS keeps them readable.
    app.add_middleware(InternalErrors)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
    return app


def _linker(store: Store, config: ApiConfig) -> Callable[[], Linker]:
    """A fresh ``Linker`` per request: it looks up each document's collection once."""

    def per_request() -> Linker:
        collections: dict[str, str] = {}

        def link(doc_id: str, url: str | None) -> str | None:
            if config.url_templates and doc_id not in collections:
                found = store.document(doc_id)
                collections[doc_id] = found.collection if found else ""
            return config.link(collections.get(doc_id, ""), doc_id, url)

        return link

    return per_request


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    return JSONResponse(
        {"error": error.detail}, status_code=error.status_code, headers=error.headers
    )


async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    fields = [
        {"field": "body", "message": "not valid JSON"}
        if item["type"] == "json_invalid"
        else {
            "field": ".".join(str(part) for part in item["loc"][1:]) or str(item["loc"][0]),
            "message": item["msg"].removeprefix("Value error, "),
        }
        for item in error.errors()
    ]
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return JSONResponse({"error": message, "fields": fields}, status_code=422)


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
