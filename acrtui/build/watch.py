"""Rebuild on save: watch a context, debounce, build, and cancel a build a newer save outdates.

Saves are seen through watchfiles; paths .dockerignore hides (and VCS/editor noise) are not
changes, while the Dockerfile and .dockerignore always are. A build starts once the context has
been quiet for `quiet` seconds, so a storm of saves (a branch switch, a formatter run) gives
one build. A save during a build cancels it and starts over after the next quiet period.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from acrtui.build.dockerignore import PatternMatcher, load_matcher
from acrtui.build.errors import BuildError

QUIET_SECONDS = 0.3


@dataclass(frozen=True)
class WatchEvent:
    kind: str  # "building", "built", "failed", "cancelled"
    number: int  # the build's sequence number
    seconds: float = 0.0
    outcome: object | None = None  # what the build function returned
    error: BuildError | None = None


class ContextFilter(DefaultFilter):
    """watchfiles filter: skip what .dockerignore hides; always keep Dockerfile and .dockerignore."""

    def __init__(self, context: Path, dockerfile: Path) -> None:
        super().__init__()
        self.context = context.resolve()
        self.dockerfile = dockerfile.resolve()
        self.ignore_file = self.context / ".dockerignore"
        self.matcher: PatternMatcher = load_matcher(self.context, self.dockerfile)

    def __call__(self, change: Change, path: str) -> bool:
        resolved = Path(path)
        if resolved in (self.dockerfile, self.ignore_file):
            if resolved == self.ignore_file:
                self.matcher = load_matcher(self.context, self.dockerfile)
            return True
        if not super().__call__(change, path):
            return False
        try:
            rel = resolved.relative_to(self.context).as_posix()
        except ValueError:
            return False
        return not (self.matcher.patterns and self.matcher.matches(rel))


class Watcher:
    """`await Watcher(...).run()` until `stop()`; `build()` is called for each quiet save burst,
    and `report` hears every state change."""

    def __init__(self, context: Path, dockerfile: Path, build: Callable[[], Awaitable[object]],
                 report: Callable[[WatchEvent], None], quiet: float = QUIET_SECONDS, initial_build: bool = True) -> None:
        self.context = context
        self.dockerfile = dockerfile
        self.build = build
        self.report = report
        self.quiet = quiet
        self.initial_build = initial_build
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()
        self.builds = 0

    def stop(self) -> None:
        self._stop.set()

    def trigger(self) -> None:
        """Build now, as if a file had been saved."""
        self._changed.set()

    async def ready(self) -> None:
        """Returns once the file watcher is running, so saves from now on are seen."""
        await self._ready.wait()

    async def run(self) -> None:
        if self.initial_build:
            self._changed.set()
        watcher = asyncio.create_task(self._watch())
        try:
            await self._loop()
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def _watch(self) -> None:
        file_filter = ContextFilter(self.context, self.dockerfile)
        changes = awatch(self.context, watch_filter=file_filter, stop_event=self._stop, debounce=50, step=10,
                         yield_on_timeout=True, rust_timeout=100)
        async for batch in changes:
            self._ready.set()
            if batch:
                self._changed.set()

    async def _wait(self, event: asyncio.Event, timeout: float | None = None) -> bool:
        """Wait for `event` or stop; True when the event fired."""
        stop = asyncio.create_task(self._stop.wait())
        fired = asyncio.create_task(event.wait())
        done, pending = await asyncio.wait({stop, fired}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return fired in done

    async def _loop(self) -> None:
        while not self._stop.is_set():
            if not await self._wait(self._changed):
                return
            # Debounce: wait until nothing has changed for `quiet` seconds.
            while True:
                self._changed.clear()
                if self._stop.is_set():
                    return
                if not await self._wait(self._changed, self.quiet):
                    break
            await self._build_once()

    async def _build_once(self) -> None:
        self.builds += 1
        number = self.builds
        started = time.monotonic()
        self.report(WatchEvent("building", number))
        task = asyncio.create_task(self.build())
        newer = asyncio.create_task(self._changed.wait())
        stop = asyncio.create_task(self._stop.wait())
        await asyncio.wait({task, newer, stop}, return_when=asyncio.FIRST_COMPLETED)
        newer.cancel()
        stop.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self.report(WatchEvent("cancelled", number, time.monotonic() - started))
            return
        seconds = time.monotonic() - started
        try:
            outcome = task.result()
        except BuildError as exc:
            self.report(WatchEvent("failed", number, seconds, error=exc))
            return
        self.report(WatchEvent("built", number, seconds, outcome=outcome))
