"""Sampling a server process's resident memory from /proc while the benchmark runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ProcessNotFound(Exception):
    """The process to sample does not exist or its memory cannot be read."""


@dataclass(frozen=True)
class MemoryPeak:
    pid: int
    peak_rss_bytes: int  # the largest VmRSS sampled during the run
    hwm_bytes: int  # VmHWM at the end: the kernel's peak RSS since the process started
    samples: int

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "peak_rss_bytes": self.peak_rss_bytes,
            "hwm_bytes": self.hwm_bytes,
            "samples": self.samples,
        }


def read_memory(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in bytes."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        raise ProcessNotFound(f"process {pid} does not exist or its /proc/{pid}/status is unreadable") from None
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024  # /proc reports kB
    if len(values) < 2:
        raise ProcessNotFound(f"process {pid} reports no resident memory (is it a zombie or a kernel thread?)")
    return values["VmRSS"], values["VmHWM"]


class RssSampler:
    """Polls a process's RSS in the background; stop() returns the peak seen."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self._peak, self._hwm = read_memory(pid)
        self._samples = 1
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                rss, self._hwm = read_memory(self.pid)
            except ProcessNotFound:
                return
            self._peak = max(self._peak, rss)
            self._samples += 1

    async def stop(self) -> MemoryPeak:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        try:
            rss, self._hwm = read_memory(self.pid)
            self._peak = max(self._peak, rss)
        except ProcessNotFound:
            pass
        return MemoryPeak(pid=self.pid, peak_rss_bytes=self._peak, hwm_bytes=self._hwm, samples=self._samples)
