"""A benchmark run as text for people and as JSON for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict

from acrtui.bench.runner import BenchRun
from acrtui.bench.stats import ScenarioResult

MIB = 1024 * 1024


def to_json(run: BenchRun) -> str:
    return json.dumps(
        {
            "registry": run.url,
            "run_id": run.run_id,
            "plan": asdict(run.plan),
            "scenarios": [result.to_json() for result in run.results],
            "memory": run.memory.to_json() if run.memory else None,
        },
        indent=2,
    )


def _figure(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _row(result: ScenarioResult) -> list[str]:
    m = result.measurement
    assert m is not None
    note = ""
    if m.pages:
        note = f"{m.items:,} entries in {m.pages:,} page(s)"
    elif m.items:
        note = f"{m.items:,} entries a page"
    return [
        result.title,
        f"{m.count:,}",
        _figure(result.ops_per_s),
        _figure(result.mb_per_s),
        _figure(result.latency_ms(50)),
        _figure(result.latency_ms(99)),
        note,
    ]


def to_text(run: BenchRun) -> str:
    plan = run.plan
    lines = [
        f"acrtui bench {run.url}  (run {run.run_id}, concurrency {plan.concurrency},"
        f" full listings with {f'n={plan.page_size}' if plan.page_size else 'no n'})",
        "",
    ]
    header = ["scenario", "count", "ops/s", "MB/s", "p50 ms", "p99 ms", ""]
    rows = [_row(r) for r in run.results if r.status == "ok"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    widths[0] = max(len(r.title) for r in [*run.results, ScenarioResult("", header[0], "")])

    def render(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(widths[i]) for i, cell in enumerate(row[1:-1], 1)]
        return "  ".join(cells + [row[-1]]).rstrip()

    lines.append(render(header))
    rendered = iter(rows)
    previous_reason = ""
    for result in run.results:
        if result.status == "ok":
            lines.append(render(next(rendered)))
            continue
        reason = "same as above" if result.reason == previous_reason else result.reason
        lines.append(f"{result.title.ljust(widths[0])}  {result.status}: {reason}")
        previous_reason = result.reason
    if run.memory:
        mem = run.memory
        lines += [
            "",
            f"server memory (pid {mem.pid}): peak RSS {mem.peak_rss_bytes / MIB:,.1f} MiB during the run,"
            f" VmHWM {mem.hwm_bytes / MIB:,.1f} MiB ({mem.samples} samples)",
        ]
    return "\n".join(lines)
