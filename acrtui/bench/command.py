"""`acrtui bench URL`: parse the options, run the benchmark, print the report."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import replace

from acrtui.bench.memory import ProcessNotFound, read_memory
from acrtui.bench.plan import QUICK_SCALE, BenchPlan
from acrtui.bench.report import to_json, to_text
from acrtui.bench.runner import BenchAbort, run_bench
from acrtui.bench.scenarios import SCENARIO_NAMES, SCENARIOS
from acrtui.client.credentials import Credentials
from acrtui.client.errors import RegistryError as ClientError
from acrtui.client.profiles import normalize_url

def registry_url(text: str) -> str:
    """A base URL from what the user typed (a bare host is https unless it is loopback)."""
    try:
        return normalize_url(text)
    except ClientError as error:
        raise BenchAbort(f"{error}.") from None


def build_plan(args: argparse.Namespace) -> BenchPlan:
    plan = BenchPlan()
    scale = args.scale if args.scale is not None else (QUICK_SCALE if args.quick else 1.0)
    if scale <= 0:
        raise BenchAbort("--scale must be a positive factor.")
    if scale != 1.0:
        plan = plan.scaled(scale)
    if args.concurrency < 1 or args.page_size < 0:
        raise BenchAbort("--concurrency must be at least 1 and --page-size at least 0.")
    return replace(plan, concurrency=args.concurrency, page_size=args.page_size)


def bench_command(args: argparse.Namespace) -> int:
    try:
        url = registry_url(args.url)
        plan = build_plan(args)
        unknown = sorted(set(args.only or ()) - set(SCENARIO_NAMES))
        if unknown:
            raise BenchAbort(f"unknown scenario {unknown[0]!r}; choose from {', '.join(SCENARIO_NAMES)}.")
        scenarios = tuple(s for s in SCENARIOS if not args.only or s.name in args.only)
        if args.pid is not None:
            read_memory(args.pid)
        username = args.username or os.environ.get("ACRTUI_BENCH_USERNAME")
        password = args.password or os.environ.get("ACRTUI_BENCH_PASSWORD")
        if (username is None) != (password is None):
            raise BenchAbort("give both a username and a password, or neither.")
        credentials = Credentials(username=username, password=password) if username is not None else None
        run = asyncio.run(run_bench(url, plan, scenarios, credentials=credentials, pid=args.pid, keep=args.keep))
    except BenchAbort as error:
        print(f"acrtui bench: {error}", file=sys.stderr)
        return 2
    except ProcessNotFound as error:
        print(f"acrtui bench: {error}; give --pid the registry server's process id.", file=sys.stderr)
        return 2
    print(to_json(run) if args.json else to_text(run))
    statuses = [r.status for r in run.results]
    return 1 if "failed" in statuses or "ok" not in statuses else 0
