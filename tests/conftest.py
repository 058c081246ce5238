from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.distribution import Distribution, run_distribution


@pytest.fixture
def distribution(tmp_path) -> Iterator[Distribution]:
    """A fresh CNCF distribution registry on 127.0.0.1, anonymous, deletes enabled."""
    with run_distribution(tmp_path) as registry:
        yield registry


@pytest.fixture
def engine_server(tmp_path):
    """The embedded engine over a real loopback socket in a fresh data dir: `.url`, `.data_dir`, `.engine`."""
    from acrtui.engine.server import EmbeddedServer

    with EmbeddedServer(tmp_path / "registry") as server:
        yield server


@pytest.fixture
def embedded_registry(engine_server) -> str:
    """The embedded engine's base URL, for tests that only talk to it over HTTP (the client's)."""
    return engine_server.url
