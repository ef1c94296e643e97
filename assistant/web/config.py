"""What an archive configures when it serves the API: allowed sites, rate limit, document
links, and how much model work runs at once.

Read once from the environment at start-up; a bad value stops the server with a
message that names the variable and shows a valid example.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from assistant.settings import SettingError, env_number

DEFAULT_RATE_PER_MINUTE = 30
DEFAULT_BURST = 10
# Requests that may wait for a worker, per lane (answers; searches and documents). At
# ~0.3 s an answer on 2 cores, 16 waiting is a wait of a few seconds, not forty.
DEFAULT_QUEUE = 16
ANY_COLLECTION = "*"
# How long the server keeps an idle connection open (uvicorn's default is 5 s). A client
# that reuses a connection the server is closing at that moment gets a read error, and a
# reader told "Retry-After: 5" comes back just then; clients and proxies keep idle
# connections for 5 s (httpx) to 60 s (load balancers), so the server outlasts them.
KEEP_ALIVE_SECONDS = 75


def default_workers() -> int:
    """One worker per CPU core this process may run on."""
    return len(os.sched_getaffinity(0))


class ConfigError(SettingError):
    """An API setting that cannot be used; the message names the variable and the fix."""


@dataclass(frozen=True)
class ApiConfig:
    """``cors_origins``: the sites whose pages may call the API (``*`` for any), exactly as the
    browser sends them, e.g. ``https://archive.example`` (scheme, host, port; no path).

    ``rate_per_minute``: questions and searches each client IP may make per minute, after
    a first ``burst``; 0 turns the limit off.

    ``url_templates``: per collection, the archive's page for a document, with ``{doc_id}``
    replaced by the document id; the key ``*`` applies to every other collection.

    ``workers``: threads that run answers, and as many again for searches and documents
    (default: one per CPU core this process may use). ``queue``: requests of each kind
    that may wait for a worker; one more, or one that could expect to wait over
    ``admission.MAX_WAIT_SECONDS``, is refused at once with 503 and Retry-After.
    """

    cors_origins: tuple[str, ...] = ()
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE
    burst: int = DEFAULT_BURST
    url_templates: dict[str, str] = field(default_factory=dict, hash=False)
    workers: int = field(default_factory=default_workers)
    queue: int = DEFAULT_QUEUE

    def __post_init__(self) -> None:
        for origin in self.cors_origins:
            _check_origin(origin)
        if self.rate_per_minute < 0 or self.burst < 1:
            raise ConfigError(
                f"rate limit {self.rate_per_minute}/minute with burst {self.burst}: the rate must "
                "be 0 (off) or more, the burst 1 or more"
            )
        for collection, template in self.url_templates.items():
            _check_template(collection, template)
        if self.workers < 1 or self.queue < 0:
            raise ConfigError(
                f"{self.workers} workers with a queue of {self.queue}: give 1 or more workers "
                "(CABLES_WORKERS) and a queue of 0 or more (CABLES_QUEUE), e.g. CABLES_WORKERS=2"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiConfig:
        """``CABLES_CORS_ORIGINS``, ``CABLES_RATE_LIMIT``, ``CABLES_RATE_BURST``,
        ``CABLES_URL_TEMPLATES``, ``CABLES_WORKERS``, ``CABLES_QUEUE``; unset variables keep
        the defaults."""
        env = os.environ if environ is None else environ
        origins = env.get("CABLES_CORS_ORIGINS", "")
        rate = env_number(env, "CABLES_RATE_LIMIT", DEFAULT_RATE_PER_MINUTE, error=ConfigError)
        try:
            return cls(
                cors_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
                rate_per_minute=rate,
                burst=env_number(
                    env,
                    "CABLES_RATE_BURST",
                    min(DEFAULT_BURST, rate) or DEFAULT_BURST,
                    error=ConfigError,
                ),
                url_templates=_templates(env.get("CABLES_URL_TEMPLATES", "")),
                workers=env_number(env, "CABLES_WORKERS", default_workers(), error=ConfigError),
                queue=env_number(env, "CABLES_QUEUE", DEFAULT_QUEUE, error=ConfigError),
            )
        except ConfigError as error:
            raise ConfigError(f"{error} (from the CABLES_* environment variables)") from None

    def link(self, collection: str, doc_id: str, url: str | None) -> str | None:
        """Where a reader sees the document: the archive's own page, else the source URL."""
        template = self.url_templates.get(collection) or self.url_templates.get(ANY_COLLECTION)
        if template:
            return template.replace("{doc_id}", quote(doc_id, safe="/"))
        return url if url and urlsplit(url).scheme in ("http", "https") else None


def _templates(value: str) -> dict[str, str]:
    if not value.strip():
        return {}
    example = 'CABLES_URL_TEMPLATES=\'{"FRUS": "https://archive.example/doc/{doc_id}"}\''
    try:
        templates = json.loads(value)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"CABLES_URL_TEMPLATES is not JSON ({error.msg}); e.g. {example}"
        ) from None
    if not isinstance(templates, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in templates.items()
    ):
        raise ConfigError(f"CABLES_URL_TEMPLATES must map collection names to URLs; e.g. {example}")
    return templates


def _check_origin(origin: str) -> None:
    if origin == "*":
        return
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise ConfigError(
            f"CORS origin {origin!r} is not an origin: give scheme, host and port only, "
            "e.g. CABLES_CORS_ORIGINS=https://archive.example,http://localhost:8000"
        )


def _check_template(collection: str, template: str) -> None:
    if "{doc_id}" not in template or urlsplit(template).scheme not in ("http", "https"):
        raise ConfigError(
            f"URL template for {collection!r} must be an http(s) URL containing {{doc_id}}, "
            f"e.g. https://archive.example/doc/{{doc_id}}; got {template!r}"
        )
