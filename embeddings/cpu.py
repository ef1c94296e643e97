"""What this machine's processor is and which vector instructions it has.

Reduced precision is only fast with the right instructions: int8 with VNNI or AMX,
bfloat16 with AVX512-BF16 or AMX. Read from /proc/cpuinfo; elsewhere the flags are unknown.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
INT8_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


@dataclass(frozen=True)
class Processor:
    name: str
    flags: frozenset[str] | None  # None: not known on this system

    @property
    def has_bf16(self) -> bool | None:
        return None if self.flags is None else bool(self.flags & BF16_FLAGS)

    @property
    def has_int8(self) -> bool | None:
        """Whether int8 dot products have their own instructions (VNNI or AMX)."""
        return None if self.flags is None else bool(self.flags & INT8_FLAGS)

    def named_flags(self, wanted: frozenset[str]) -> list[str]:
        """Those of ``wanted`` this processor has, sorted: for saying why a choice was made."""
        return sorted(wanted & (self.flags or frozenset()))


@cache
def processor() -> Processor:
    info = Path("/proc/cpuinfo")
    if not info.exists():
        return Processor(platform.processor(), None)
    fields: dict[str, str] = {}
    for line in info.read_text().splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return Processor(
        fields.get("model name", platform.processor()), frozenset(fields.get("flags", "").split())
    )
