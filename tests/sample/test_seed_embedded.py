"""Seeding the embedded engine over a real socket, the way `acrtui` does on first run: a first
run killed part-way, the run that completes it, and a third start that the marker skips."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import pytest

from acrtui.client import Denied, Page, RegistryClient, RegistryError, Unreachable, resolve_registry
from acrtui.engine.server import EmbeddedServer
from acrtui.oci.layers import Whiteout, list_layer
from acrtui.resources import sample_registry_dir
from acrtui.sample import SeedResult, index_backdate, seed_sample_registry
from acrtui.sample.description import load_description
from acrtui.sample.generate import sample_plans
from tests.support.tools import free_port, require_tool

T = TypeVar("T")
EPOCH = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # the newest nightly in registry.yaml


@dataclass
class Seeded:
    server: EmbeddedServer
    marker: Path
    killed_after: list[str]
    progress: list[str]
    result: SeedResult
    again: SeedResult
    expected: dict[str, dict[str, str]]  # repository -> tag -> digest, from generating the sample


def _client(url: str) -> RegistryClient:
    return RegistryClient(resolve_registry(url, {}), find_credentials=None)


async def _every_page(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> list[T]:
    items: list[T] = []
    last = None
    while True:
        page = await fetch(last)
        items += page.items
        if page.next_last is None:
            return items
        last = page.next_last


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Iterator[Seeded]:
    root = tmp_path_factory.mktemp("sample")
    plans = sample_plans(load_description(sample_registry_dir()), root)
    expected = {p.name: {t: m.digest for m in p.manifests for t in m.tags} for p in plans}
    with EmbeddedServer(root / "registry") as server:
        marker = root / "sample-seeded"
        backdate = index_backdate(server.engine.index.set_times)

        async def seed() -> tuple[list[str], list[str], SeedResult, SeedResult]:
            async with _client(server.url) as client:
                first_repository = asyncio.Event()
                killed_after: list[str] = []

                def note(line: str) -> None:
                    killed_after.append(line)
                    first_repository.set()

                killed = asyncio.create_task(seed_sample_registry(client, marker=marker, progress=note, backdate=backdate))
                await first_repository.wait()
                killed.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await killed
                assert not marker.exists()
                progress: list[str] = []
                result = await seed_sample_registry(client, marker=marker, progress=progress.append, backdate=backdate)
                again = await seed_sample_registry(client, marker=marker, progress=progress.append, backdate=backdate)
                return killed_after, progress, result, again

        killed_after, progress, result, again = asyncio.run(seed())
        yield Seeded(server, marker, killed_after, progress, result, again, expected)


async def test_the_seed_holds_every_repository_with_the_generated_digests(seeded):
    assert seeded.killed_after, "the first run was cancelled after its first repository"
    assert seeded.result.seeded and not seeded.again.seeded
    has_busybox = Path("/usr/bin/busybox").is_file()
    repositories = sorted([*seeded.expected, *(["base/busybox"] if has_busybox else [])])
    assert sorted(seeded.result.repositories) == repositories
    assert sorted(line.split(":")[0] for line in seeded.progress) == repositories  # one line each
    assert seeded.marker.exists()
    assert len(seeded.result.notes) == (0 if has_busybox else 1)  # the missing busybox, said once
    async with _client(seeded.server.url) as client:
        catalog = (await client.catalog()).items
        assert sorted(catalog) == repositories
        for repository, tags in seeded.expected.items():
            listed = await _every_page(lambda last: client.tags(repository, n=500, last=last))
            assert sorted(listed) == sorted(tags), repository
        for repository, tags in seeded.expected.items():
            if repository == "nightly/builds":
                continue
            for tag, digest in tags.items():
                head = await client.head_manifest(repository, tag)
                assert head is not None and head.digest == digest, f"{repository}:{tag}"


async def test_the_killed_first_run_was_completed_without_duplicates(seeded):
    async with _client(seeded.server.url) as client:
        nightly = await client.repository_info("nightly/builds")
        assert (nightly.tag_count, nightly.manifest_count) == (400, 424)
        web = await client.repository_info("apps/web")
        assert (web.tag_count, web.manifest_count) == (6, 3)


async def test_sibling_tags_point_to_one_manifest(seeded):
    async with _client(seeded.server.url) as client:
        digests = {tag: (await client.head_manifest("apps/api", tag)).digest for tag in ("2.0.0", "2.0", "2", "latest")}
        assert len(set(digests.values())) == 1
        infos = (await client.manifest_infos("apps/api")).items
        signed = next(m for m in infos if m.digest == digests["latest"])
        assert sorted(signed.tags) == ["2", "2.0", "2.0.0", "latest"]


async def test_the_index_has_three_platforms_with_matching_configs(seeded):
    async with _client(seeded.server.url) as client:
        index = await client.get_manifest("tools/hello", "latest")
        assert index.manifest.is_index
        platforms = {str(d.platform): d.digest for d in index.manifest.manifests}
        assert sorted(platforms) == ["linux/amd64", "linux/arm64/v8", "windows/amd64"]
        for name, digest in platforms.items():
            image = await client.get_manifest("tools/hello", digest)
            config = await client.get_config("tools/hello", image.manifest)
            assert "/".join(p for p in (config.os, config.architecture, config.variant) if p) == name


async def test_the_chart_keeps_helm_media_types(seeded):
    async with _client(seeded.server.url) as client:
        chart = (await client.get_manifest("charts/hello-web", "0.2.0")).manifest
        assert chart.config.media_type == "application/vnd.cncf.helm.config.v1+json"
        assert [d.media_type for d in chart.layers] == ["application/vnd.cncf.helm.chart.content.v1.tar+gzip"]


async def test_the_signed_image_has_a_signature_and_an_sbom_as_referrers(seeded):
    async with _client(seeded.server.url) as client:
        subject = (await client.head_manifest("apps/api", "2.0.0")).digest
        referrers = await client.referrers("apps/api", subject)
        assert sorted(d.artifact_type for d in referrers) == ["application/spdx+json", "application/vnd.cncf.notary.signature"]
        signatures = await client.referrers("apps/api", subject, "application/vnd.cncf.notary.signature")
        assert len(signatures) == 1


async def test_the_cleanup_layer_whiteouts_reach_the_registry(seeded):
    async with _client(seeded.server.url) as client:
        image = (await client.get_manifest("apps/web", "1.1.0")).manifest
        last = image.layers[-1]
        data = b"".join([chunk async for chunk in client.stream_blob("apps/web", last.digest)])
        entries = list_layer(io.BytesIO(data), last.digest).entries
        assert [e.path for e in entries if e.whiteout is Whiteout.DELETE] == ["tmp/build-cache/minify.log"]


async def test_nightly_tags_carry_their_ages(seeded):
    async with _client(seeded.server.url) as client:
        infos = await _every_page(lambda last: client.tag_infos("nightly/builds", n=100, last=last))
        assert len(infos) == 400
        created = sorted(t.created for t in infos)
        assert created[-1] == EPOCH
        assert EPOCH - created[0] >= timedelta(days=420)
        assert len({(c.year, c.month) for c in created}) >= 14
        newest = (await client.tag_infos("nightly/builds", n=1, orderby="timedesc")).items[0]
        assert newest.name == "nightly-2026-11-26"
        config = await client.get_config("nightly/builds", (await client.get_manifest("nightly/builds", newest.name)).manifest)
        assert config.created == EPOCH
        untagged = [m for m in (await client.manifest_infos("nightly/builds", n=1000)).items if not m.tags]
        assert len(untagged) == 24 and all(m.created < EPOCH for m in untagged)


async def test_the_locked_tag_refuses_deletion_and_overwrite(seeded):
    async with _client(seeded.server.url) as client:
        info = next(t for t in (await client.tag_infos("apps/web")).items if t.name == "1.0.0")
        assert info.locks is not None and info.locks.locked
        with pytest.raises(RegistryError):
            await client.delete_tag("apps/web", "1.0.0")
        other = await client.get_manifest("apps/web", "1.1.0")
        with pytest.raises(RegistryError):
            await client.put_manifest("apps/web", "1.0.0", other.raw, other.media_type)
        assert (await client.head_manifest("apps/web", "1.0.0")).digest == seeded.expected["apps/web"]["1.0.0"]


def test_skopeo_inspects_a_seeded_image(seeded, tmp_path):
    skopeo = require_tool("skopeo", "skopeo")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    host = seeded.server.url.removeprefix("http://")
    done = subprocess.run(
        [skopeo, "--policy", str(policy), "inspect", "--tls-verify=false", f"docker://{host}/apps/web:1.1.0"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    inspected = json.loads(done.stdout)
    assert inspected["Digest"] == seeded.expected["apps/web"]["1.1.0"]
    assert (inspected["Os"], inspected["Architecture"]) == ("linux", "amd64")
    assert inspected["Labels"]["org.opencontainers.image.version"] == "1.1.0"
    assert len(inspected["Layers"]) == 4


@pytest.mark.parametrize("context", ["static-site", "shell-service"])
async def test_the_dev_loop_contexts_build_on_the_seeded_busybox(seeded, context, tmp_path):
    require_tool("bwrap", "bubblewrap")
    require_tool("busybox", "busybox-static")
    from acrtui.build.backends import BuildRequest
    from acrtui.build.cache import BuildCache
    from acrtui.build.commands import make_backend, parse_targets

    assert "base/busybox" in seeded.result.repositories
    async with _client(seeded.server.url) as client:
        request = BuildRequest(context=sample_registry_dir() / "contexts" / context, targets=parse_targets([f"dev/{context}:test"]))
        log: list[str] = []
        outcome = await make_backend("native", client, BuildCache(tmp_path / "cache")).run(request, log.append)
        image = (await client.get_manifest(f"dev/{context}", "test")).manifest
        assert (await client.head_manifest(f"dev/{context}", "test")).digest == outcome.digest
        config = await client.get_config(f"dev/{context}", image)
        assert config.config.cmd and config.history[-1].created_by
        base = (await client.get_manifest("base/busybox", "latest")).manifest
        assert image.layers[0].digest == base.layers[0].digest and len(image.layers) == 3  # busybox, COPY, RUN


async def test_a_seed_that_cannot_write_fails_with_one_sentence_and_no_marker(seeded, tmp_path):
    profile = dataclasses.replace(resolve_registry(seeded.server.url, {}), read_only=True)
    async with RegistryClient(profile, find_credentials=None) as client:
        with pytest.raises(Denied) as failure:
            await seed_sample_registry(client, marker=tmp_path / "sample-seeded")
    assert "read-only" in failure.value.message and not (tmp_path / "sample-seeded").exists()


async def test_a_seed_of_an_unreachable_registry_fails_with_one_sentence(tmp_path):
    async with _client(f"127.0.0.1:{free_port()}") as client:
        with pytest.raises(Unreachable):
            await seed_sample_registry(client, marker=tmp_path / "sample-seeded")
    assert not (tmp_path / "sample-seeded").exists()


async def test_seeding_again_over_a_full_store_changes_nothing(seeded):
    # Without the marker (a run killed after the lock, before the marker): the locked tag is left
    # alone, every push finds its content already there, and nothing is added.
    async with _client(seeded.server.url) as client:
        before = {r: (i.tag_count, i.manifest_count) for r in seeded.result.repositories if (i := await client.repository_info(r))}
        result = await seed_sample_registry(client, backdate=index_backdate(seeded.server.engine.index.set_times))
        assert result.seeded and set(result.repositories) == set(seeded.result.repositories)
        after = {r: (i.tag_count, i.manifest_count) for r in result.repositories if (i := await client.repository_info(r))}
        assert after == before
        for repository in ("apps/web", "apps/api", "tools/hello"):
            for tag, digest in seeded.expected[repository].items():
                assert (await client.head_manifest(repository, tag)).digest == digest
        locked = next(t for t in (await client.tag_infos("apps/web")).items if t.name == "1.0.0")
        assert locked.locks.locked
