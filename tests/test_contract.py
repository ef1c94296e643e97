"""The API keeps its OpenAPI contract: schemathesis against a real server over the sample archive.

Every check is on (``--checks all``): each status returned is documented with its schema,
schema-valid requests are accepted, schema-invalid ones refused, undeclared methods
answered 405 with ``Allow``. The run is bounded (a fixed seed, a few examples per
operation) so it takes a minute or two; tests/contract_hooks.py leaves out the one
rule the schema cannot state (a date range that ends before it starts).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from browser import running_server

from assistant.service import Assistant
from assistant.web.api import create_api
from assistant.web.config import ApiConfig

SCHEMATHESIS = Path(sys.executable).with_name("st")
TESTS = Path(__file__).parent
OPERATIONS = 5  # ask, ask/stream, search, documents, healthz


def test_the_api_keeps_its_openapi_contract(sample_assistant: Assistant, tmp_path: Path) -> None:
    config = ApiConfig(rate_per_minute=0)
    with running_server(create_api(sample_assistant, config=config)) as base_url:
        command = [
            str(SCHEMATHESIS), "run", f"{base_url}/openapi.json",
            "--checks", "all",
            "--max-examples", "10",
            "--seed", "16",
            "--workers", "1",
            "--request-timeout", "120",
            "--generation-database", "none",
            "--no-color",
        ]  # fmt: skip
        run = subprocess.run(
            command,
            cwd=tmp_path,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": "contract_hooks",
                "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)]),
            },
            capture_output=True,
            text=True,
            timeout=1200,
        )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-8000:]
    # It tested every operation, and every case it generated passed every check.
    summary = report.split("SUMMARY")[-1]
    assert re.search(rf"Tested: {OPERATIONS}\b", summary), summary
    assert re.search(r"\b(\d+) generated, \1 passed\b", summary), summary
