"""Short, fixed-width renderings of sizes, ages and digests for table cells."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def human_size(size: int | None) -> str:
    if size is None:
        return "–"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def human_age(when: datetime | None, now: datetime) -> str:
    """Age as the largest whole unit: 45s, 12m, 5h, 3d, 7w, 14mo, 2y."""
    if when is None:
        return "–"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        return "future"
    for limit, divisor, unit in (
        (60, 1, "s"),
        (3600, 60, "m"),
        (86400, 3600, "h"),
        (86400 * 14, 86400, "d"),
        (86400 * 61, 86400 * 7, "w"),
        (86400 * 730, 86400 * 30, "mo"),
    ):
        if seconds < limit:
            return f"{seconds // divisor}{unit}"
    return f"{seconds // (86400 * 365)}y"


def short_digest(digest: str | None) -> str:
    if not digest:
        return "–"
    return digest.partition(":")[2][:12] or digest[:12]
