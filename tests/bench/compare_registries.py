"""Benchmark acrtui's engine against Debian's docker-registry (CNCF distribution) side by side.

Run by hand from the repository root:

    python -m tests.bench.compare_registries [--rounds 3] [--quick] [--json-out raw.json]

Each round starts both servers fresh (empty storage), runs `acrtui bench URL --json --pid PID`
against each in turn (the order alternates between rounds), and stops them. The Markdown table
it prints holds the median of every figure over the rounds, both sides, and acrtui/distribution.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from acrtui.bench.plan import QUICK_SCALE
from tests.support.distribution import run_distribution
from tests.support.tools import free_port, wait_for_port

pytestmark = pytest.mark.benchmark

REGISTRIES = ("distribution", "acrtui")
# (JSON key, label, unit is "higher is better")
FIGURES = (("ops_per_s", "ops/s", True), ("mb_per_s", "MB/s", True), ("p50_ms", "p50 ms", False), ("p99_ms", "p99 ms", False))
BENCH_TIMEOUT = 1800


@dataclass
class Server:
    url: str
    pid: int


@contextmanager
def serve_distribution(workdir: Path) -> Iterator[Server]:
    with run_distribution(workdir) as registry:
        yield Server(url=registry.url, pid=registry.process.pid)


@contextmanager
def serve_acrtui(workdir: Path) -> Iterator[Server]:
    # Not tests/engine/serve_process: it pipes the output nobody reads, which a benchmark's
    # thousands of requests would fill, and it cannot lower the log level to match distribution's.
    port = free_port()
    log = (workdir / "acrtui-serve.log").open("wb")
    command = [sys.executable, "-m", "acrtui", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--data-dir", str(workdir / "acrtui-data"), "--log-level", "warning"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port(port, timeout=30)
        except TimeoutError:
            raise SystemExit(f"acrtui serve did not start; see {workdir / 'acrtui-serve.log'}") from None
        yield Server(url=f"http://127.0.0.1:{port}", pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


SERVERS = {"distribution": serve_distribution, "acrtui": serve_acrtui}


def bench_once(name: str, workdir: Path, scale: float | None, extra: list[str]) -> dict[str, Any]:
    """Start `name` fresh under workdir, benchmark it, stop it; the bench's JSON report."""
    with SERVERS[name](workdir) as server:
        args = [sys.executable, "-m", "acrtui", "bench", server.url, "--json", "--keep", "--pid", str(server.pid), *extra]
        if scale is not None:
            args += ["--scale", str(scale)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=BENCH_TIMEOUT)
    if done.returncode not in (0, 1) or not done.stdout:
        raise SystemExit(f"the benchmark against {name} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def medians(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Per scenario and figure, the median over rounds (None when no round measured it)."""
    out: dict[str, Any] = {"scenarios": {}, "memory": {}}
    for scenario in reports[0]["scenarios"]:
        name = scenario["name"]
        rounds = [next(s for s in r["scenarios"] if s["name"] == name) for r in reports]
        measured = [s for s in rounds if s["status"] == "ok"]
        first = measured[0] if measured else scenario
        entry: dict[str, Any] = {
            "title": scenario["title"],
            "count": first["count"],
            "items": first["items"],
            "pages": first["pages"],
            "rounds": len(measured),
        }
        if not measured:
            entry["reason"] = rounds[0]["reason"]
        for key, _, _ in FIGURES:
            values = [s[key] for s in measured if s[key] is not None]
            entry[key] = statistics.median(values) if values else None
        out["scenarios"][name] = entry
    peaks = [max(r["memory"]["hwm_bytes"], r["memory"]["peak_rss_bytes"]) for r in reports if r.get("memory")]
    out["memory"]["peak_rss_bytes"] = statistics.median(peaks) if peaks else None
    return out


def _cell(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def _size(entry: dict[str, Any]) -> str:
    if entry["pages"]:
        return f"{entry['count']:,} listings of {entry['items']:,}"
    return f"{entry['count']:,}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}×" if ours is not None and theirs else "–"


def markdown(table: dict[str, dict[str, Any]], rounds: int) -> str:
    dist, ours = table["distribution"], table["acrtui"]
    lines = [
        f"Median of {rounds} round(s), both servers started fresh each round, same machine, same client.",
        "",
        "| scenario | figure | distribution 2.8 | acrtui serve | acrtui / distribution |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, theirs in dist["scenarios"].items():
        mine = ours["scenarios"][name]
        title = f"{theirs['title']} ({_size(theirs)})"
        if theirs.get("reason") or mine.get("reason"):
            lines.append(f"| {title} | skipped | {theirs.get('reason', '')} | {mine.get('reason', '')} | |")
            continue
        for key, label, _ in FIGURES:
            if theirs[key] is None and mine[key] is None:
                continue
            lines.append(f"| {title} | {label} | {_cell(theirs[key])} | {_cell(mine[key])} | {_ratio(mine[key], theirs[key])} |")
            title = ""
        if theirs["pages"]:
            lines.append(f"| | requests per listing | {theirs['pages']:,} | {mine['pages']:,} | |")
    mib = 1024 * 1024
    d_mem, o_mem = dist["memory"]["peak_rss_bytes"], ours["memory"]["peak_rss_bytes"]
    lines.append(
        f"| server process | peak RSS MiB | {_cell(d_mem / mib if d_mem else None)} | "
        f"{_cell(o_mem / mib if o_mem else None)} | {_ratio(o_mem, d_mem)} |"
    )
    lines += ["", "ops/s and MB/s: higher is better; latencies and memory: lower is better."]
    return "\n".join(lines)


def compare(
    rounds: int, scale: float | None, registries: tuple[str, ...] = REGISTRIES, extra: list[str] | None = None
) -> dict[str, Any]:
    reports: dict[str, list[dict[str, Any]]] = {name: [] for name in registries}
    with tempfile.TemporaryDirectory(prefix="acrtui-compare-") as tmp:
        for index in range(rounds):
            order = registries if index % 2 == 0 else tuple(reversed(registries))
            for name in order:
                workdir = Path(tmp) / f"round{index}-{name}"
                workdir.mkdir()
                print(f"round {index + 1}/{rounds}: {name} …", file=sys.stderr, flush=True)
                reports[name].append(bench_once(name, workdir, scale, extra or []))
    return {"rounds": reports, "medians": {name: medians(r) for name, r in reports.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the bench's --quick counts")
    parser.add_argument("--scale", type=float, default=None, help="scale the bench's counts by this factor")
    parser.add_argument("--only", choices=REGISTRIES, default=None, help="benchmark one registry (development)")
    parser.add_argument("--json-out", type=Path, default=None, help="write every round's raw report here")
    parser.add_argument("--bench-args", default="", help="more `acrtui bench` options, e.g. \"--page-size 0 --only catalog-full\"")
    args = parser.parse_args(argv)
    scale = args.scale if args.scale is not None else (QUICK_SCALE if args.quick else None)
    registries = (args.only,) if args.only else REGISTRIES
    result = compare(args.rounds, scale, registries, shlex.split(args.bench_args))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))
    if args.only:
        print(json.dumps(result["medians"], indent=2))
    else:
        print(markdown(result["medians"], args.rounds))
    return 0


def test_compare_registries_quick():
    """`pytest -m benchmark tests/bench/compare_registries.py`: one tiny round of both servers."""
    result = compare(rounds=1, scale=0.01)
    table = markdown(result["medians"], 1)
    assert "| server process | peak RSS MiB |" in table


if __name__ == "__main__":
    sys.exit(main())
