"""Fixtures for the engine's /v2 tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.v2 import V2


@pytest.fixture
def v2(engine_server) -> Iterator[V2]:
    """A raw /v2 client on the fresh engine that engine_server started."""
    client = V2(engine_server.url)
    yield client
    client.close()
