"""Benchmark: the app's cold start, its first tag page of a 100,000-tag repository, and its memory.

    python -m tests.tui.bench_tui [--tags 100000] [--runs 3]
    python -m pytest -m benchmark tests/tui/bench_tui.py -s

The registry is the embedded engine on 127.0.0.1 (in this process); the app runs headless in a
fresh interpreter so the start-up figure includes importing acrtui and Textual. Targets: first
screen under 1 s, first tag page under 0.3 s, under 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from acrtui.client import Profile, RegistryClient
from acrtui.engine.server import EmbeddedServer
from tests.tui.content import at, push_image
from tests.oci.tarballs import file, layer

REPOSITORY = "bench/many-tags"

# Runs in a fresh interpreter: time.monotonic() is system-wide, so the parent's start stamp is comparable.
CHILD = r"""
import asyncio, json, resource, sys, time
started = float(sys.argv[1])
from acrtui.client import Profile
from acrtui.tui.app import AcrApp
from acrtui.tui.widgets.tagtree import TagsPane

async def main():
    app = AcrApp(Profile(name="bench", url=sys.argv[2]), profiles=lambda: {})
    async with app.run_test(size=(120, 40)) as pilot:
        first_screen = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_SELF)
        start_cpu = usage.ru_utime + usage.ru_stime
        pane = app.query_one(TagsPane)
        while not pane.groups:  # the app opens the first (here: the only) repository by itself
            await asyncio.sleep(0.002)
        await pilot.pause(0.5)
        # Opening it again once start-up work is over times the page alone.
        opened = time.monotonic()
        pane.show_repository(sys.argv[3])
        while not pane.groups:
            await asyncio.sleep(0.002)
        first_page = time.monotonic() - opened
        await pilot.pause(0.5)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        loaded = sum(len(row.tags) for row in pane.groups.values())
    print(json.dumps({"first_screen": first_screen, "start_cpu": start_cpu, "first_page": first_page, "rss_mb": rss_mb, "tags_loaded": loaded}))

asyncio.run(main())
"""


async def push_one_image(url: str) -> str:
    async with RegistryClient(Profile(name="bench", url=url), find_credentials=None) as client:
        return await push_image(client, REPOSITORY, [(layer([file("app", 100)]), "bench")], created=at(1))


def fill(server: EmbeddedServer, tags: int) -> None:
    """One small image pushed over HTTP, then `tags` tags on it written straight into the engine's
    index: the benchmark is about the app, and 100,000 HTTP manifest PUTs would dominate its run."""
    digest = asyncio.run(push_one_image(server.url))
    assert server.engine is not None
    index = server.engine.index
    record = index.get_manifest(REPOSITORY, digest)
    assert record is not None
    for n in range(tags):
        index.put_manifest(record, f"build-{n:06d}")


def measure(url: str) -> dict[str, float]:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, repr(started), url, REPOSITORY], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(tags: int, runs: int) -> str:
    with tempfile.TemporaryDirectory(prefix="acrtui-bench-tui-") as root:
        with EmbeddedServer(Path(root) / "registry") as server:
            began = time.perf_counter()
            fill(server, tags)
            filled = time.perf_counter() - began
            samples = [measure(server.url) for _ in range(runs)]
    first_screen = statistics.median(s["first_screen"] for s in samples)
    start_cpu = statistics.median(s["start_cpu"] for s in samples)
    first_page = statistics.median(s["first_page"] for s in samples)
    rss = max(s["rss_mb"] for s in samples)
    return "\n".join(
        [
            f"| figure ({runs} runs, {tags:,} tags, filled in {filled:.0f} s) | measured | target |",
            "| --- | ---: | ---: |",
            f"| cold start to first drawn screen | {first_screen:.2f} s ({start_cpu:.2f} s CPU) | < 1 s |",
            f"| first tag page of the repository | {first_page:.3f} s | < 0.3 s |",
            f"| peak memory with it open | {rss:.0f} MB | < 150 MB |",
        ]
    )


@pytest.mark.benchmark
def test_tui_figures() -> None:
    print("\n" + run(tags=100_000, runs=3))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    print(run(options.tags, options.runs))
