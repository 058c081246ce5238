"""Rebuild on save with real files and watchfiles: debounce, .dockerignore, cancellation."""

from __future__ import annotations

import asyncio

from acrtui.build.builder import BuildOptions, NativeBuilder
from acrtui.build.errors import BuildError
from acrtui.build.watch import WatchEvent, Watcher


class Recorder:
    def __init__(self) -> None:
        self.events: list[WatchEvent] = []
        self.changed = asyncio.Event()

    def __call__(self, event: WatchEvent) -> None:
        self.events.append(event)
        self.changed.set()

    async def until(self, kind: str, count: int = 1, timeout: float = 60) -> None:
        async def wait() -> None:
            while sum(e.kind == kind for e in self.events) < count:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), timeout)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def _context(tmp_path, dockerfile: str):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(dockerfile)
    (ctx / ".dockerignore").write_text("*.tmp\n")
    (ctx / "src").mkdir()
    return ctx


async def _start(ctx, base_layout, cache, recorder, quiet=0.3):
    async def build():
        return await NativeBuilder(base_layout, cache, lambda line: None).build(BuildOptions(context=ctx))

    watcher = Watcher(ctx, ctx / "Dockerfile", build, recorder, quiet=quiet, initial_build=False)
    task = asyncio.create_task(watcher.run())
    await asyncio.wait_for(watcher.ready(), 10)
    return watcher, task


async def _stop(watcher, task):
    watcher.stop()
    await asyncio.wait_for(task, 10)


async def test_a_save_storm_gives_one_build(tmp_path, base_layout, cache):
    ctx = _context(tmp_path, "FROM busybox\nCOPY src/ /src/\n")
    recorder = Recorder()
    watcher, task = await _start(ctx, base_layout, cache, recorder)
    try:
        for i in range(100):  # 100 files within a second
            (ctx / "src" / f"f{i}.txt").write_text(str(i))
            await asyncio.sleep(0.008)
        await recorder.until("built")
        await asyncio.sleep(1.0)  # anything still pending would have started by now
        assert recorder.kinds() == ["building", "built"]
        result = recorder.events[-1].outcome
        assert len(result.images[0].layers) == 3
    finally:
        await _stop(watcher, task)


async def test_ignored_files_do_not_trigger_and_dockerfile_does(tmp_path, base_layout, cache):
    ctx = _context(tmp_path, "FROM busybox\n")
    recorder = Recorder()
    watcher, task = await _start(ctx, base_layout, cache, recorder, quiet=0.1)
    try:
        (ctx / "scratch.tmp").write_text("ignored")
        await asyncio.sleep(0.8)
        assert recorder.events == []
        (ctx / "Dockerfile").write_text("FROM busybox\nENV A=1\n")
        await recorder.until("built")
        (ctx / "Dockerfile").write_text("FROM busybox\nCOPY missing /\n")
        await recorder.until("failed")
        failure = recorder.events[-1]
        assert isinstance(failure.error, BuildError) and "missing does not exist" in failure.error.message
    finally:
        await _stop(watcher, task)


async def test_a_new_save_cancels_the_build_in_flight(tmp_path, base_layout, cache):
    ctx = _context(tmp_path, "FROM busybox\nCOPY src/ /src/\nRUN sleep 20\n")
    recorder = Recorder()
    watcher, task = await _start(ctx, base_layout, cache, recorder, quiet=0.1)
    try:
        (ctx / "src" / "a.txt").write_text("1")
        await recorder.until("building")
        (ctx / "Dockerfile").write_text("FROM busybox\nCOPY src/ /src/\n")
        await recorder.until("cancelled")
        await recorder.until("built")
        assert recorder.kinds() == ["building", "cancelled", "building", "built"]
    finally:
        await _stop(watcher, task)
