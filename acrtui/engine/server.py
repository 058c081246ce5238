"""Running the engine: `acrtui serve` in the foreground, or EmbeddedServer in a background thread.

Never imports Textual. uvicorn picks uvloop and httptools by itself when they are installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import uvicorn

from acrtui.engine.app import create_app
from acrtui.engine.datadir import default_data_dir, write_marker
from acrtui.engine.state import DataDirError, Engine

log = logging.getLogger("acrtui.engine")
# The library practice: when the host (the TUI) configures no logging, these records go nowhere
# instead of to Python's last-resort stderr handler, which would scribble over a full-screen UI.
for _logger in ("acrtui.engine", "uvicorn"):
    logging.getLogger(_logger).addHandler(logging.NullHandler())


class ServerError(Exception):
    """The server cannot start; the message says why and what to do, in one sentence."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or ServerError naming the problem."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ServerError(f"cannot listen on {host}: {e.strerror}; pass an address with --host") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ServerError(f"port {port} on {host} is already in use; stop what uses it or pick another with --port") from None
        raise ServerError(f"cannot listen on {host}:{port}: {e.strerror or e}; pick another --host or --port") from None
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, minus re-raising the signal after its graceful shutdown.

    uvicorn re-raises SIGTERM once it has drained, which kills the process before the engine's
    index is closed; here SIGINT and SIGTERM end `run` normally and `serve` exits with 0.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _uvicorn_config(engine: Engine, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(engine),
        log_config=None,
        log_level=log_level,
        access_log=False,  # the app logs each request itself
        lifespan="on",  # the app's housekeeping (upload expiry) starts and stops with it
        server_header=False,
        timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=64 << 10,
    )


def serve_command(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    try:
        sock = bind(args.host, args.port)
    except ServerError as e:
        print(f"acrtui serve: {e}", file=sys.stderr)
        return 2
    try:
        engine = Engine.open(data_dir)
    except DataDirError as e:
        sock.close()
        print(f"acrtui serve: {e}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    marker = write_marker(data_dir, args.host, port)
    try:
        server = _Server(_uvicorn_config(engine, args.log_level))
        log.info("registry at http://%s:%d, data in %s", args.host, port, data_dir)
        server.run(sockets=[sock])
    finally:
        marker.unlink(missing_ok=True)
        engine.close()
        sock.close()
    log.info("registry stopped")
    return 0


class EmbeddedServer:
    """The engine on 127.0.0.1 in a background thread with its own event loop.

    `with EmbeddedServer(path) as server:` (or `async with`, which does not block the caller's loop)
    starts it on a free port; `server.url` is its base URL. Leaving the block stops it cleanly.
    """

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.log_level = log_level
        self.engine: Engine | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "EmbeddedServer":
        """Start serving; raise ServerError or DataDirError (one sentence) when it cannot."""
        sock = bind(self.host, self.port)
        try:
            self.engine = Engine.open(self.data_dir)
        except DataDirError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self._server = _Server(_uvicorn_config(self.engine, self.log_level))
        self._thread = threading.Thread(target=self._run, args=(sock,), name=f"acrtui-engine:{self.port}", daemon=True)
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            self._thread.join(0.01)
        if not self._server.started:
            self.engine.close()
            raise ServerError(f"the embedded registry did not start: {self._failure or 'unknown reason'}")
        return self

    def _run(self, sock: socket.socket) -> None:
        assert self._server is not None
        try:
            with asyncio.Runner(loop_factory=self._server.config.get_loop_factory()) as runner:
                runner.run(self._server.serve(sockets=[sock]))
        except BaseException as e:  # reported by start() or stop(); a thread has no one else to tell
            self._failure = e
        finally:
            sock.close()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(15)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(5)
        if self.engine is not None:
            self.engine.close()
        self._server = self._thread = self.engine = None

    def __enter__(self) -> "EmbeddedServer":
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    async def __aenter__(self) -> "EmbeddedServer":
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await asyncio.to_thread(self.stop)
