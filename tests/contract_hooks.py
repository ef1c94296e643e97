"""schemathesis hooks for tests/test_contract.py: the one rule the OpenAPI schema cannot state.

A date range must not end before it starts (422, with the reason). JSON Schema cannot
compare two fields, so the run leaves such requests out of its schema-valid ones;
tests/test_api.py checks their refusal.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

from assistant.web.api import DATE_PATTERN
from embeddings.filters import date_bounds


def _reversed(fields: Any) -> bool:
    if not isinstance(fields, dict):
        return False
    start, end = fields.get("date_from"), fields.get("date_to")
    dates = [
        d for d in (start, end) if isinstance(d, str) and d.strip() and re.search(DATE_PATTERN, d)
    ]
    return len(dates) == 2 and date_bounds(start.strip())[0] > date_bounds(end.strip())[1]


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    return not (_reversed(case.query) or _reversed(body.get("filters")))
