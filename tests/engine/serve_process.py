"""`acrtui serve` as a child process, for tests that signal or kill it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.tools import free_port, wait_for_port


@contextmanager
def serve_process(data_dir: Path, *, port: int | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """Start `python -m acrtui serve` on a free port; yield (process, url); stop it if still running."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "acrtui", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port)
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
