"""Latency samples and the figures a scenario reports: operations/s, MB/s, p50 and p99."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above pct percent of them."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Measurement:
    """What the timed part of a scenario did: one latency per operation, bytes moved, wall time."""

    latencies: list[float] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0
    items: int = 0  # for listings: the entries one listing returned
    pages: int = 0  # for full listings: the requests one listing took

    @property
    def count(self) -> int:
        return len(self.latencies)


@dataclass
class ScenarioResult:
    name: str
    title: str
    status: str  # "ok", "skipped" or "failed"
    reason: str = ""
    measurement: Measurement | None = None
    transfers_bytes: bool = False

    @property
    def ops_per_s(self) -> float | None:
        m = self.measurement
        return m.count / m.seconds if m and m.seconds > 0 else None

    @property
    def mb_per_s(self) -> float | None:
        m = self.measurement
        if not self.transfers_bytes or not m or m.seconds <= 0:
            return None
        return m.bytes / 1e6 / m.seconds

    def latency_ms(self, pct: float) -> float | None:
        m = self.measurement
        return percentile(m.latencies, pct) * 1000.0 if m and m.latencies else None

    def to_json(self) -> dict[str, Any]:
        m = self.measurement
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "count": m.count if m else 0,
            "items": m.items if m else 0,
            "pages": m.pages if m else 0,
            "bytes": m.bytes if m else 0,
            "seconds": m.seconds if m else 0.0,
            "ops_per_s": self.ops_per_s,
            "mb_per_s": self.mb_per_s,
            "p50_ms": self.latency_ms(50),
            "p99_ms": self.latency_ms(99),
        }
