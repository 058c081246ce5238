"""Benchmark: first-run seeding of the embedded engine, as `acrtui` does it (engine in-process,
client over loopback, backdating through the index), and the second start the marker skips.

    python -m tests.sample.bench_seed [--runs 3]
    python -m pytest -m benchmark tests/sample/bench_seed.py -s
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pytest

from acrtui.client import RegistryClient, resolve_registry
from acrtui.engine.server import EmbeddedServer
from acrtui.sample import SeedResult, index_backdate, seed_sample_registry


async def _seed_once(root: Path) -> tuple[float, float, float, SeedResult]:
    with EmbeddedServer(root / "registry") as server:
        async with RegistryClient(resolve_registry(server.url, {}), find_credentials=None) as client:
            marker = root / "sample-seeded"
            backdate = index_backdate(server.engine.index.set_times)
            cpu, started = time.process_time(), time.perf_counter()
            result = await seed_sample_registry(client, marker=marker, backdate=backdate)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            started = time.perf_counter()
            await seed_sample_registry(client, marker=marker, backdate=backdate)
            return seconds, cpu, time.perf_counter() - started, result


def run(runs: int) -> str:
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="acrtui-bench-seed-") as root:
            samples.append(asyncio.run(_seed_once(Path(root))))
    result = samples[0][3]
    return "\n".join([
        f"seed: {len(result.repositories)} repositories, {result.manifests} manifests, {result.tags} tags; {runs} runs",
        "| measure | median | min |",
        "| --- | --- | --- |",
        f"| first run, wall | {statistics.median(s[0] for s in samples):.2f} s | {min(s[0] for s in samples):.2f} s |",
        f"| first run, CPU (client and engine, one process) | {statistics.median(s[1] for s in samples):.2f} s | {min(s[1] for s in samples):.2f} s |",
        f"| second start (marker present) | {statistics.median(s[2] for s in samples) * 1000:.1f} ms | {min(s[2] for s in samples) * 1000:.1f} ms |",
    ])


@pytest.mark.benchmark
def test_seed_benchmark():
    print(run(3))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    print(run(parser.parse_args().runs))
    sys.exit(0)
