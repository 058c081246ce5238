"""Benchmark: save → image pushed, acrtui's native builder against `buildah bud` + `buildah push`.

Same machine, same run, same context (the static-site sample: COPY of a directory, then a RUN),
same registry (the embedded engine on 127.0.0.1), base image imported once. Two scenarios:

- cold: empty build cache (a fresh cache dir for acrtui, a fresh storage root for buildah, which
  must then pull the base) and a repository the registry has never seen;
- incremental: one file under the COPY source changed, everything else cached.

Each runs `--runs` times; medians and the ratio (buildah / acrtui) are printed as Markdown.
acrtui's save→pushed through the watcher (debounce included) is reported beside it.

    python -m tests.build.bench_build [--runs 5]
    python -m pytest -m benchmark tests/build/bench_build.py -s
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from acrtui.build.backends import BuildRequest, NativeBackend, Target
from acrtui.build.builder import BuildOptions, NativeBuilder
from acrtui.build.cache import BuildCache
from acrtui.build.importer import copy_image
from acrtui.build.push import push_result
from acrtui.build.registry import RegistryStore
from acrtui.build.store import OciLayout
from acrtui.build.watch import Watcher
from acrtui.client import Profile, RegistryClient
from tests.build.conftest import BASE_DOCKERFILE
from tests.support.tools import free_port, require_tool, wait_for_port

SAMPLE = Path(__file__).resolve().parents[2] / "sample-registry" / "contexts" / "static-site"


@contextmanager
def _serve(data_dir: Path) -> Iterator[str]:
    """`acrtui serve` in its own process, as a user runs it beside their builds."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "acrtui", "serve", "--port", str(port), "--data-dir", str(data_dir),
                                "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def _buildah_env(home: Path, host: str) -> dict[str, str]:
    conf = home / ".config" / "containers" / "registries.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(f'unqualified-search-registries = ["{host}"]\nshort-name-mode = "permissive"\n'
                    f'[[registry]]\nlocation = "{host}"\ninsecure = true\n')
    return dict(os.environ, HOME=str(home))


def _buildah(storage: Path, env: dict[str, str], context: Path, host: str, repo: str) -> float:
    common = ["buildah", "--root", str(storage / "root"), "--runroot", str(storage / "run")]
    started = time.perf_counter()
    subprocess.run([*common, "bud", "--layers", "--isolation", "chroot", "-q", "-t", "bench-image", str(context)],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    subprocess.run([*common, "push", "--tls-verify=false", "bench-image", f"docker://{host}/{repo}"],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    return time.perf_counter() - started


async def _acrtui(backend: NativeBackend, context: Path, repo: str) -> float:
    started = time.perf_counter()
    await backend.run(BuildRequest(context=context, targets=[Target(repo, "bench")]), lambda l: None)
    return time.perf_counter() - started


async def _watch_latency(store: RegistryStore, cache: BuildCache, context: Path, edits: int) -> list[float]:
    """Save → pushed through the watcher: the time from a file write to the push's end."""
    done: asyncio.Queue[float] = asyncio.Queue()
    backend = NativeBackend(store, cache)

    async def build() -> None:
        await backend.run(BuildRequest(context=context, targets=[Target("bench/watch", "dev")]), lambda l: None)

    def report(event) -> None:
        if event.kind in ("built", "failed"):
            done.put_nowait(time.perf_counter())

    watcher = Watcher(context, context / "Dockerfile", build, report, initial_build=True)
    task = asyncio.create_task(watcher.run())
    await watcher.ready()
    await asyncio.wait_for(done.get(), 120)
    out = []
    for i in range(edits):
        saved = time.perf_counter()
        (context / "site" / "index.html").write_text(f"<html><body>@VERSION@ watch edit {i}</body></html>\n")
        out.append(await asyncio.wait_for(done.get(), 120) - saved)
        await asyncio.sleep(0.5)
    watcher.stop()
    await task
    await backend.close()
    return out


async def run(runs: int) -> str:
    with tempfile.TemporaryDirectory(prefix="acrtui-bench-") as scratch_name:
        scratch = Path(scratch_name)
        base_ctx = scratch / "base"
        base_ctx.mkdir()
        shutil.copy(shutil.which("busybox") or "/bin/busybox", base_ctx / "busybox")
        (base_ctx / "Dockerfile").write_text(BASE_DOCKERFILE)
        layout = OciLayout(scratch / "layout")
        base_cache = BuildCache(scratch / "base-cache")
        base = await NativeBuilder(None, base_cache, lambda l: None).build(BuildOptions(context=base_ctx))
        await push_result(base, layout, base_cache, "busybox", ["latest"])
        with _serve(scratch / "engine") as url:
            host = url.split("://", 1)[1]
            async with RegistryClient(Profile(name="bench", url=url)) as client:
                store = RegistryStore(client)
                await copy_image(layout, "", "busybox:latest", store, "base/busybox", "latest", base_cache, lambda l: None)
                context = scratch / "context"
                shutil.copytree(SAMPLE, context)
                env = _buildah_env(scratch / "home", host)
                results: dict[str, list[float]] = {k: [] for k in ("acrtui cold", "buildah cold", "acrtui incremental", "buildah incremental")}
                for i in range(runs):
                    cold = NativeBackend(store, BuildCache(scratch / f"cold-cache-{i}"))
                    results["acrtui cold"].append(await _acrtui(cold, context, f"bench/acrtui-cold-{i}"))
                    await cold.close()
                    results["buildah cold"].append(await asyncio.to_thread(_buildah, scratch / f"cold-storage-{i}", env, context, host, f"bench/buildah-cold-{i}:bench"))
                # The incremental case is the watcher's: one long-lived backend, as `acrtui watch` keeps.
                warm, warm_storage = NativeBackend(store, BuildCache(scratch / "warm-cache")), scratch / "warm-storage"
                await _acrtui(warm, context, "bench/acrtui-inc")
                await asyncio.to_thread(_buildah, warm_storage, env, context, host, "bench/buildah-inc:bench")
                for i in range(runs):
                    (context / "site" / "index.html").write_text(f"<html><body>@VERSION@ edit {i}</body></html>\n")
                    await asyncio.sleep(0.5)  # the idle time between two saves, when the pool refills
                    results["acrtui incremental"].append(await _acrtui(warm, context, "bench/acrtui-inc"))
                    results["buildah incremental"].append(await asyncio.to_thread(_buildah, warm_storage, env, context, host, "bench/buildah-inc:bench"))
                await warm.close()
                watch = await _watch_latency(store, BuildCache(scratch / "watch-cache"), context, runs)
                for path in scratch.glob("*-storage*"):
                    subprocess.run(["buildah", "--root", str(path / "root"), "--runroot", str(path / "run"), "rmi", "--all", "--force"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    med = {k: statistics.median(v) for k, v in results.items()}
    lines = [
        f"| scenario ({runs} runs, medians) | acrtui native | buildah bud + push | buildah / acrtui |",
        "| --- | ---: | ---: | ---: |",
        f"| cold (empty cache, new repository) | {med['acrtui cold']:.2f} s | {med['buildah cold']:.2f} s | {med['buildah cold'] / med['acrtui cold']:.1f}x |",
        f"| one-file change in a COPY layer | {med['acrtui incremental']:.2f} s | {med['buildah incremental']:.2f} s | {med['buildah incremental'] / med['acrtui incremental']:.1f}x |",
        f"| save → pushed through `acrtui watch` (0.3 s debounce included) | {statistics.median(watch):.2f} s | | |",
    ]
    return "\n".join(lines)


@pytest.mark.benchmark
def test_build_benchmark():
    require_tool("buildah", "buildah")
    print()
    print(asyncio.run(run(5)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    print(asyncio.run(run(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
