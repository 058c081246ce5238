"""`acrtui bench`: a benchmark of the OCI distribution API that points at any registry.

It speaks plain HTTP (httpx) to the registry, times each operation of each scenario and reports
operations/s, MB/s, p50 and p99 latency, and optionally the server process's peak memory.
"""

from acrtui.bench.command import bench_command

__all__ = ["bench_command"]
