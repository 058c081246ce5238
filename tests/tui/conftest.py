from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from acrtui.client import Profile, RegistryClient
from tests.support.distribution import run_distribution
from tests.tui.content import NOW, Pushed, push_demo, push_nightlies

NIGHTLY_TAGS = 230  # more than one tag page (200)


@dataclass
class Seeded:
    profile: Profile
    pushed: Pushed
    server: Any = None  # the EmbeddedServer, for tests that plant what no client can push


def _seed(profile: Profile, *, nightlies: int) -> Pushed:
    async def run() -> Pushed:
        async with RegistryClient(profile) as client:
            pushed = await push_demo(client)
            if nightlies:
                await push_nightlies(client, "demo/nightly", nightlies)
            return pushed

    return asyncio.run(run())


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Iterator[Seeded]:
    """A docker-registry with the demo content and a paged nightly repository; tests must not change it."""
    with run_distribution(tmp_path_factory.mktemp("registry")) as registry:
        profile = Profile(name="test", url=registry.url)
        yield Seeded(profile, _seed(profile, nightlies=NIGHTLY_TAGS))


@pytest.fixture
def scratch(tmp_path) -> Iterator[Seeded]:
    """A registry of its own with the demo content, for tests that delete or change things."""
    with run_distribution(tmp_path) as registry:
        profile = Profile(name="scratch", url=registry.url)
        yield Seeded(profile, _seed(profile, nightlies=0))


def fixed_clock():
    return NOW


@pytest.fixture
def engine(tmp_path) -> Iterator[Seeded]:
    """The embedded engine (ACR API: times, locks, tag deletion) with the demo content."""
    from acrtui.engine.server import EmbeddedServer

    with EmbeddedServer(tmp_path / "engine") as server:
        profile = Profile(name="engine", url=server.url)
        yield Seeded(profile, _seed(profile, nightlies=0), server)
