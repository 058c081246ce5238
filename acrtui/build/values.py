"""Instruction values with a grammar of their own: octal modes, EXPOSE ports, Go durations."""

from __future__ import annotations

import re
from collections.abc import Callable

from acrtui.build.errors import BuildError


def is_octal_mode(text: str) -> bool:
    return bool(text) and all(c in "01234567" for c in text) and int(text, 8) <= 0o7777


def parse_ports(word: str, fail: Callable[[str], BuildError]) -> list[str]:
    number, _, proto = word.partition("/")
    proto = (proto or "tcp").lower()
    if proto not in ("tcp", "udp", "sctp"):
        raise fail(f"{word} has protocol {proto}; use tcp, udp or sctp")
    low, dash, high = number.partition("-")
    if not low.isdigit() or (dash and not high.isdigit()):
        raise fail(f"{word} is not a port, a port/protocol or a range such as 8000-8010")
    start, end = int(low), int(high) if dash else int(low)
    if not (0 < start <= end <= 65535):
        raise fail(f"{word} is outside the port range 1-65535")
    return [f"{p}/{proto}" for p in range(start, end + 1)]


def parse_duration(text: str, fail: Callable[[str], BuildError]) -> int:
    """Go durations (30s, 1m30s, 500ms) in nanoseconds."""
    units = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise fail(f"{text!r} is not a duration such as 30s, 1m30s or 500ms")
    return int(sum(float(a) * units[b] for a, b in parts))
