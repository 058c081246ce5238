"""The Dev loop screen in the real app, building sample contexts into a real docker-registry."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest

from acrtui.build.cache import BuildCache
from acrtui.build.importer import copy_image
from acrtui.build.registry import RegistryStore
from acrtui.client import Profile, RegistryClient
from acrtui.tui.screens.devloop import DevLoopScreen, sample_contexts
from acrtui.tui.widgets.tagtree import TagsPane
from tests.tui.pilot import make_app, settle


@pytest.fixture
async def profile(distribution, base_layout, tmp_path):
    profile = Profile(name="dev", url=distribution.url)
    async with RegistryClient(profile) as client:
        await copy_image(base_layout, "", "busybox:latest", RegistryStore(client), "base/busybox", "latest",
                         BuildCache(tmp_path / "seed"), lambda l: None)
    return profile


async def until(pilot, condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def test_build_a_sample_and_jump_to_its_tag(profile, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    app = make_app(profile)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        screen = app.screen
        assert isinstance(screen, DevLoopScreen)
        assert [p.name for p in screen.contexts] == [p.name for p in sample_contexts()]
        await pilot.press("b")
        await until(pilot, lambda: screen.state.startswith("pushed"), "the build to be pushed")
        name = screen.contexts[0].name
        assert screen.state.startswith(f"pushed dev/{name}:dev sha256:")
        log = "\n".join(screen.query_one("#devloop-log").lines)
        assert "[1/" in log and "FROM base/busybox:latest" in log
        assert screen.query_one("#devloop-results").row_count == 1
        await pilot.press("t")
        await settle(pilot)
        assert not isinstance(app.screen, DevLoopScreen)
        assert app.query_one(TagsPane).repository == f"dev/{name}"


async def test_watching_rebuilds_on_save_and_stops(profile, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    context = tmp_path / "static-site"
    shutil.copytree(next(p for p in sample_contexts() if p.name == "static-site"), context)
    app = make_app(profile)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        screen = DevLoopScreen(app.client, [context])
        await app.push_screen(screen)
        await pilot.pause()
        await pilot.press("w")
        results = screen.query_one("#devloop-results")
        await until(pilot, lambda: results.row_count == 1, "the first build")
        await asyncio.sleep(0.3)
        (context / "site" / "index.html").write_text("<html>@VERSION@ saved again</html>\n")
        await until(pilot, lambda: results.row_count == 2, "the rebuild after a save")
        assert screen.state.startswith("pushed dev/static-site:dev")
        await pilot.press("w")
        await until(pilot, lambda: screen.state == "idle", "watching to stop")


async def test_a_failing_build_shows_its_log(profile, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    context = tmp_path / "broken"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM base/busybox:latest\nRUN echo going wrong && exit 4\n")
    app = make_app(profile)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        screen = DevLoopScreen(app.client, [context])
        await app.push_screen(screen)
        await pilot.pause()
        await pilot.press("b")
        await until(pilot, lambda: screen.state.startswith("failed"), "the failure")
        assert "failed with exit code 4" in screen.state
        assert "going wrong" in "\n".join(screen.query_one("#devloop-log").lines)


async def test_read_only_session_refuses_to_push(profile):
    app = make_app(profile, read_only=True)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        screen = app.screen
        assert isinstance(screen, DevLoopScreen)
        await pilot.press("w")
        assert screen.watcher is None and "read-only" in screen.state
        await pilot.press("escape")
        assert not isinstance(app.screen, DevLoopScreen)
