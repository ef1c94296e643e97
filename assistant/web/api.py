"""The JSON API and the embeddable widget, for an archive's own web pages.

    POST /api/ask                 answer a question (as `cables ask --json`)
    POST /api/ask/stream          the same, as server-sent events while the model writes
    GET  /api/search?q=...        passages (as `cables search --json`)
    GET  /api/documents/{doc_id}  one document (as `cables show --json`)
    GET  /healthz                 ready: the model and the index are loaded
    GET  /widget.js               the chat widget an archive pastes into its pages
    GET  /docs                    OpenAPI documentation

Every source in a response carries a ``link``: the archive's page for the document
(``ApiConfig.url_templates``) or else its source URL. Errors are ``{"error": "..."}``
(assistant/web/errors.py) with a status that says what to fix, each documented.

Model work runs off the event loop, in worker threads behind a bounded queue
(assistant/web/admission.py): answers in one lane, searches and documents in another, so
that searches never wait behind answers; a full lane answers 503 with Retry-After at once.
The server warms up (model, FAISS, BM25) before it listens, so its first reader waits no
longer than the tenth.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' type hints at run time.
import asyncio
import logging
import math
import re
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from starlette.exceptions import HTTPException

from assistant.formats.payloads import answer_json, document_json, search_json
from assistant.model import Answer, Turn
from assistant.retrieval.retriever import RetrieverName
from assistant.service import Assistant
from assistant.web.admission import Lane
from assistant.web.config import ApiConfig
from assistant.web.errors import INTERNAL_ERROR, error_responses, handle_errors
from assistant.web.ratelimit import RateLimiter
from embeddings.filters import Filters

MAX_QUESTION_CHARS = 1000
MAX_TURNS = 20
MAX_TURN_CHARS = 10_000
WIDGET = Path(__file__).with_name("static") / "widget.js"
ASK_ERRORS = (400, 422, 429, 500, 503)
# Python's reading of the pattern (``$`` before a final newline too) is the one enforced.
DATE_PATTERN = r"^([0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?)?$"

logger = logging.getLogger(__name__)
Link = Callable[[str, str, str | None], str | None]


def _not_blank(value: str) -> str:
    if not (value := value.strip()):
        raise ValueError("must not be blank")
    return value


def _iso_date(value: str) -> str:
    if not re.search(DATE_PATTERN, value):
        raise ValueError(f"{value!r} is not a date: give YYYY, YYYY-MM or YYYY-MM-DD, e.g. 1965-06")
    return value.strip()


# Bounds are checked on the text as sent, then it is stripped: the schema says what is checked.
Question = Annotated[
    str,
    StringConstraints(max_length=MAX_QUESTION_CHARS),
    AfterValidator(_not_blank),
    WithJsonSchema({"type": "string", "maxLength": MAX_QUESTION_CHARS, "pattern": r"\S"}),
]
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(str.strip)]
IsoDate = Annotated[
    str, AfterValidator(_iso_date), WithJsonSchema({"type": "string", "pattern": DATE_PATTERN})
]


class _FilterFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_from: IsoDate | None = Field(
        default=None, description="On or after: YYYY, YYYY-MM or YYYY-MM-DD", examples=["1965-06"]
    )
    date_to: IsoDate | None = Field(
        default=None,
        description="On or before: YYYY, YYYY-MM or YYYY-MM-DD; not before date_from (422)",
        examples=["1965-07-31"],
    )
    place: ShortText | None = Field(default=None, description="Place contains this text")
    doc_id_prefix: ShortText | None = Field(default=None, examples=["frus1964-68v03/"])

    def _filters(self, collections: list[str]) -> Filters:
        return Filters(
            date_from=self.date_from or None,
            date_to=self.date_to or None,
            collections=tuple(collections),
            place=self.place or None,
            doc_id_prefix=self.doc_id_prefix or None,
        )


class FiltersIn(_FilterFields):
    model_config = ConfigDict(extra="forbid", strict=True)

    collections: list[ShortText] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> "FiltersIn":
        self.filters()  # a date range that ends before it starts
        return self

    def filters(self) -> Filters:
        return self._filters(self.collections)


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["user", "assistant"]
    content: Annotated[str, StringConstraints(max_length=MAX_TURN_CHARS)]


class AskRequest(BaseModel):
    # Strict: JSON's types as the schema states them (no "8" or true for a number).
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
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
    retriever: RetrieverName = "hybrid"


class SearchParams(_FilterFields):
    q: Question
    k: int = Field(10, ge=1, le=50)
    retriever: RetrieverName = "hybrid"
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
    answers = Lane("answers", workers=config.workers, queue=config.queue)
    lookups = Lane("searches", workers=config.workers, queue=config.queue)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Uvicorn listens once this is done: no request ever waits for the model to load.
        await asyncio.to_thread(assistant.warm_up)
        yield
        answers.close()
        lookups.close()

    app = FastAPI(
        title="Cable Assistant API",
        summary="Ask an archive of declassified documents; every answer quotes and cites.",
        version="0.1.0",
        lifespan=lifespan,
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
    link = config.link

    def options(body: AskRequest) -> dict[str, Any]:
        """The keyword arguments of ``Assistant.ask`` and ``ask_stream`` for a request."""
        return {
            "k": body.k,
            "retriever": body.retriever,
            "filters": body.filters.filters(),
            "history": [Turn(turn.role, turn.content) for turn in body.history],
        }

    async def admitted_stream(body: AskRequest) -> AsyncIterator[ServerSentEvent]:
        # A dependency, so that admission (or a 503) comes before the stream's 200.
        return answers.stream(
            lambda: _events(assistant.ask_stream(body.question, **options(body)), link)
        )

    @app.post(
        "/api/ask", dependencies=limited, tags=["api"], responses=error_responses(*ASK_ERRORS)
    )
    async def ask(body: AskRequest) -> dict[str, Any]:
        """Answer a question with quotes from the archive (the JSON of `cables ask --json`)."""
        return await answers.run(
            lambda: answer_json(assistant.ask(body.question, **options(body)), link)
        )

    @app.post(
        "/api/ask/stream",
        dependencies=limited,
        tags=["api"],
        response_class=EventSourceResponse,
        responses=error_responses(*ASK_ERRORS, streaming=True),
    )
    async def ask_stream(
        events: Annotated[AsyncIterator[ServerSentEvent], Depends(admitted_stream)],
    ) -> AsyncIterator[ServerSentEvent]:
        """`/api/ask` as server-sent events, to show the answer while a language model writes it.

        Events: `delta` (`{"text": ...}`, a piece of the model's text, as it comes), then
        one `answer`: exactly what `/api/ask` returns, whose verified text replaces the
        streamed one. Without a language model there is only the `answer`. A failure
        once the stream has begun is an `error` event (`{"error": ...}`) instead; a bad
        request, or one the busy server sheds (503), is refused before it begins, as for
        `/api/ask`.
        """
        try:
            async for event in events:
                yield event
        except Exception:
            logger.exception("POST /api/ask/stream failed")
            yield ServerSentEvent(event="error", data={"error": INTERNAL_ERROR})

    @app.get(
        "/api/search",
        dependencies=limited,
        tags=["api"],
        responses=error_responses(422, 429, 500, 503),
    )
    async def search(params: Annotated[SearchParams, Query()]) -> dict[str, Any]:
        """The passages that best match ``q`` (the JSON of `cables search --json`)."""

        def found() -> dict[str, Any]:
            hits = assistant.search(
                params.q,
                k=params.k,
                retriever=params.retriever,
                filters=params.filters(),
                max_per_doc=params.per_doc or None,
                sort=params.sort,
            )
            return search_json(params.q, hits, link)

        return await lookups.run(found)

    @app.get(
        "/api/documents/{doc_id:path}",
        dependencies=limited,
        tags=["api"],
        responses=error_responses(404, 422, 429, 500, 503),
    )
    async def document(doc_id: str) -> dict[str, Any]:
        """One document: metadata, full text, references (the JSON of `cables show --json`)."""

        def read() -> dict[str, Any] | None:
            record = assistant.document(doc_id)
            if record is None:
                return None
            found = record.document
            return {**document_json(record), "link": link(found.collection, doc_id, found.url)}

        payload = await lookups.run(read)
        if payload is None:
            raise HTTPException(404, f"no document {doc_id!r} in the archive")
        return payload

    @app.get("/healthz", tags=["service"], responses=error_responses(500))
    def healthz() -> dict[str, Any]:
        """Ready to answer: the model and the index are loaded (the server listens only then)."""
        return {"status": "ok", "generation": assistant.generation}

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(
            WIDGET,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    handle_errors(app)
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


def _events(items: Iterator[str | Answer], link: Link) -> Generator[ServerSentEvent, None, None]:
    for item in items:
        if isinstance(item, str):
            yield ServerSentEvent(event="delta", data={"text": item})
        else:
            yield ServerSentEvent(event="answer", data=answer_json(item, link))
