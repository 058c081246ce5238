"""`acrtui serve` and EmbeddedServer: start, log, refuse with one sentence, stop cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import httpx
import pytest

from acrtui.engine.server import EmbeddedServer, ServerError, default_data_dir
from acrtui.engine.state import DataDirError
from tests.engine.serve_process import serve_process


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_logs_each_request_and_stops_cleanly(tmp_path, sig):
    with serve_process(tmp_path / "data") as (process, url):
        assert httpx.get(f"{url}/v2/").status_code == 200
        assert httpx.get(f"{url}/v2/nothing/tags/list").status_code == 404
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    access = [line for line in stderr.splitlines() if "acrtui.engine.access" in line]
    assert len(access) == 2
    assert '"GET /v2/" 200' in access[0] and '"GET /v2/nothing/tags/list" 404' in access[1]
    assert "Traceback" not in stderr
    assert (tmp_path / "data" / "index.sqlite3").exists()


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "acrtui", "serve", *args], capture_output=True, text=True, timeout=60)


def test_serve_refuses_a_taken_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve("--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"acrtui serve: port {port} on 127.0.0.1 is already in use; stop what uses it or pick another with --port"


def test_serve_refuses_an_unusable_data_dir(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    done = _serve("--port", "0", "--data-dir", str(not_a_dir / "sub"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot use data directory" in lines[0] and "--data-dir" in lines[0]
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "index.sqlite3").write_bytes(b"this is not a database" * 100)
    done = _serve("--port", "0", "--data-dir", str(corrupt))
    assert done.returncode == 2 and "--data-dir" in done.stderr and "Traceback" not in done.stderr


def test_default_data_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "acrtui" / "registry"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".local" / "share" / "acrtui" / "registry"


async def test_embedded_server_in_an_async_caller(tmp_path):
    async with EmbeddedServer(tmp_path / "data") as server:
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{server.url}/v2/")).status_code == 200
        port = server.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v2/")


def test_embedded_server_refusals(tmp_path):
    with EmbeddedServer(tmp_path / "one") as first:
        with pytest.raises(ServerError, match="already in use"):
            EmbeddedServer(tmp_path / "two", port=first.port).start()
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataDirError):
        EmbeddedServer(tmp_path / "file").start()


def test_the_engine_never_imports_textual_or_the_client():
    code = (
        "import sys, acrtui.engine.server\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith(('acrtui.client', 'acrtui.tui', 'acrtui.build'))]\n"
        "assert not bad, bad\n"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).returncode == 0
