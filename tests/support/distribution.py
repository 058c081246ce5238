"""Debian's docker-registry (CNCF distribution 2.8) started on a free loopback port."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.support.tools import free_port, require_tool, wait_for_port


@dataclass
class Distribution:
    url: str
    port: int
    root: Path
    process: subprocess.Popen


@contextmanager
def run_distribution(workdir: Path, *, auth: dict | None = None, delete: bool = True) -> Iterator[Distribution]:
    """Start docker-registry with filesystem storage under workdir; `auth` is its auth: section."""
    binary = require_tool("docker-registry", "docker-registry")
    port = free_port()
    root = workdir / "distribution-data"
    root.mkdir(parents=True, exist_ok=True)
    config = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(root)}, "delete": {"enabled": delete}},
        "http": {"addr": f"127.0.0.1:{port}", "headers": {"X-Content-Type-Options": ["nosniff"]}},
    }
    if auth:
        config["auth"] = auth
    config_path = workdir / "distribution.yml"
    config_path.write_text(yaml.safe_dump(config))
    process = subprocess.Popen(
        [binary, "serve", str(config_path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_port(port)
        yield Distribution(url=f"http://127.0.0.1:{port}", port=port, root=root, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
