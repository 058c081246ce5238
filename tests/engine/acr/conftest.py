"""The embedded engine on a real loopback socket, with images pushed into it through /v2."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from acrtui.engine.state import Engine
from tests.engine.v2 import V2, Image


@dataclass
class AcrServer:
    url: str
    engine: Engine
    http: httpx.Client
    v2: V2

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def push(self, repository: str, tag: str | None, *, seed: str, arch: str = "amd64") -> Image:
        return self.v2.image(repository, tag, seed=seed, arch=arch)

    def put_image(self, repository: str, tag: str | None, *, seed: str, arch: str = "amd64") -> str:
        """Push a small image (tagged when `tag` is given); return its digest."""
        return self.push(repository, tag, seed=seed, arch=arch).digest


@pytest.fixture
def acr(engine_server) -> Iterator[AcrServer]:
    v2 = V2(engine_server.url)
    try:
        with httpx.Client(base_url=engine_server.url, timeout=10) as http:
            yield AcrServer(url=engine_server.url, engine=engine_server.engine, http=http, v2=v2)
    finally:
        v2.close()
