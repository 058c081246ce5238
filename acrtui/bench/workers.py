"""Running N operations over a bounded number of concurrent workers, timing each one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from time import perf_counter

from acrtui.bench.stats import Measurement

# An operation gets its index and returns the bytes it moved (0 when bytes don't matter).
Operation = Callable[[int], Awaitable[int]]


async def timed(count: int, concurrency: int, op: Operation) -> Measurement:
    """Run op(0) … op(count-1) on `concurrency` workers; the first failure cancels the rest."""
    measurement = Measurement()
    indices = iter(range(count))

    async def worker() -> None:
        # One shared iterator: each worker takes the next index when it is free.
        for index in indices:
            started = perf_counter()
            moved = await op(index)
            measurement.latencies.append(perf_counter() - started)
            measurement.bytes += moved

    started = perf_counter()
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, min(concurrency, count))):
                group.create_task(worker())
    except ExceptionGroup as failures:
        raise _first(failures) from None
    measurement.seconds = perf_counter() - started
    return measurement


def _first(group: BaseExceptionGroup) -> BaseException:
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
