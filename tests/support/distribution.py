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
def run_distribution(
    workdir: Path, *, auth: dict | None = None, delete: bool = True, tls: tuple[Path, Path] | None = None
) -> Iterator[Distribution]:
    """Start docker-registry with filesystem storage under workdir; `auth` is its auth: section,
    `tls` a (certificate, key) pair to serve https with."""
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
    if tls:
        config["http"]["tls"] = {"certificate": str(tls[0]), "key": str(tls[1])}
    config_path = workdir / "distribution.yml"
    config_path.write_text(yaml.safe_dump(config))
    # A file, not a pipe nobody reads: distribution logs every 404 at level error, and a full
    # pipe would block the registry mid-request after a few hundred of them.
    log = (workdir / "distribution.log").open("wb")
    process = subprocess.Popen([binary, "serve", str(config_path)], stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for_port(port)
        scheme = "https" if tls else "http"
        yield Distribution(url=f"{scheme}://127.0.0.1:{port}", port=port, root=root, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def htpasswd_auth(workdir: Path, users: dict[str, str]) -> dict:
    """An `auth:` section for htpasswd basic auth; distribution only reads bcrypt entries."""
    binary = require_tool("htpasswd", "apache2-utils")
    lines = []
    for user, password in users.items():
        done = subprocess.run([binary, "-Bbn", user, password], capture_output=True, check=True, text=True)
        lines.append(done.stdout.strip())
    path = workdir / "htpasswd"
    path.write_text("\n".join(lines) + "\n")
    return {"htpasswd": {"realm": "acrtui-test", "path": str(path)}}


def token_auth(realm: str, service: str, issuer: str, rootcertbundle: Path) -> dict:
    """An `auth:` section for bearer tokens: JWTs from `realm`, signed by a key whose
    certificate is in `rootcertbundle` (sent in the token's x5c header)."""
    return {
        "token": {"realm": realm, "service": service, "issuer": issuer, "rootcertbundle": str(rootcertbundle)}
    }
