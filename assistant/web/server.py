"""The web server's app: the JSON API with the Gradio chat mounted at ``/``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.settings import SAMPLE_ARCHIVE, Settings

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI
    from starlette.types import ASGIApp

    from assistant.llm import LLMGenerator
    from assistant.service import Assistant
    from assistant.web.config import ApiConfig


def load_assistant(settings: Settings, *, generator: LLMGenerator | None = None) -> Assistant:
    """Open the index, building it from the bundled sample archive if there is none yet."""
    from assistant.service import Assistant
    from embeddings.index import MANIFEST

    if (settings.index_dir / MANIFEST).exists():
        return Assistant.open(settings, generator=generator)
    print(f"Building the index of the sample archive in {settings.index_dir} (first start only)")
    assistant, report = Assistant.build(settings, [SAMPLE_ARCHIVE], generator=generator)
    print(f"{len(report.added)} documents, {report.passages} passages in {report.seconds:.0f} s")
    return assistant


def build_app(assistant: Assistant, *, config: ApiConfig | None = None) -> FastAPI:
    """The JSON API with the Gradio chat mounted at ``/``; ``config`` defaults to the
    ``CABLES_*`` environment."""
    import gradio as gr

    from assistant.web.api import create_api
    from assistant.web.chat import build_chat

    api = create_api(assistant, config=config)
    return gr.mount_gradio_app(api, build_chat(assistant), path="/")


def uvicorn_config(app: ASGIApp, **options: Any) -> uvicorn.Config:
    """How the product serves ``app`` (``host``, ``port`` ... in ``options``): quiet logs,
    and idle connections kept open longer than its clients keep them (KEEP_ALIVE_SECONDS)."""
    import uvicorn

    from assistant.web.config import KEEP_ALIVE_SECONDS

    return uvicorn.Config(
        app, **{"log_level": "warning", "timeout_keep_alive": KEEP_ALIVE_SECONDS, **options}
    )
