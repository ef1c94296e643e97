"""One measurement in a fresh child process: its own memory peak, no warm caches.

The child (a benchmark module run with the arguments that select one step)
prints its measurement as JSON on its last line of output; :func:`run_child`
starts it and reads that line back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import PENTAGON_PAPERS

# One 291 KB file, ~470 passages: long enough to time, short enough to repeat.
DEFAULT_PARTS = ["IV-C-5"]


def run_child(module: str, *args: str, nice: bool = False) -> dict[str, Any]:
    """``python -m module args...``; its last line of output, parsed as JSON.

    ``nice`` lets the step yield the CPU (a build); timed steps run at full priority.
    """
    prefix = ["nice", "-n", "10"] if nice else []
    child = subprocess.run(
        [*prefix, sys.executable, "-m", module, *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def part_files(names: list[str]) -> list[Path]:
    """The Pentagon Papers text files of the named parts (``IV-C-5``, say)."""
    return [next(PENTAGON_PAPERS.glob(f"Pentagon-Papers-Part-{n}*.txt")) for n in names]
