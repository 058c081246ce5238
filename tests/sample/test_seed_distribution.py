"""Seeding a registry that has neither ACR's metadata nor the referrers API (docker-registry):
the same digests land, referrers go through the tag schema, ages come from image configs, and
the lock this registry cannot hold is reported instead of failing the seed."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

from acrtui.client import RegistryClient, resolve_registry
from acrtui.resources import sample_registry_dir
from acrtui.sample import seed_sample_registry
from acrtui.sample.description import load_description
from acrtui.sample.generate import sample_plans


async def test_seed_of_docker_registry(distribution, tmp_path):
    # As on a host without busybox: the seed goes on without base/busybox and says so. A tenth
    # of the nightly builds keeps this quick; the embedded engine's test seeds all of them.
    source = tmp_path / "sample-registry"
    shutil.copytree(sample_registry_dir(), source)
    description = source / "registry.yaml"
    text = description.read_text().replace("binary: /usr/bin/busybox", f"binary: {tmp_path}/busybox")
    description.write_text(text.replace("  tags: 400\n  days: 425\n  rebuilt: 24\n", "  tags: 40\n  days: 425\n  rebuilt: 3\n"))
    workdir = tmp_path / "generate"
    workdir.mkdir()
    plans = sample_plans(load_description(source), workdir)
    expected = {p.name: {t: m.digest for m in p.manifests for t in m.tags} for p in plans}
    async with RegistryClient(resolve_registry(distribution.url, {}), find_credentials=None) as client:
        lines: list[str] = []
        result = await seed_sample_registry(client, progress=lines.append, source=source)
        assert result.seeded and len(lines) == len(expected)
        assert set(result.notes) == {
            f"{client.host} has no lock attributes, so apps/web:1.0.0 is not locked",
            f"{tmp_path}/busybox is missing or does not run, so there is no base/busybox:latest for the Dev loop's "
            "sample contexts to build on; install busybox-static and import a root file system with it "
            "(acrtui import DIR -t base/busybox:latest)",
        }

        assert sorted((await client.catalog()).items) == sorted(result.repositories) == sorted(expected)
        for repository in ("apps/web", "apps/api", "apps/worker", "tools/hello", "charts/hello-web"):
            tags = sorted(t for t in (await client.tags(repository)).items if not t.startswith("sha256-"))
            assert tags == sorted(expected[repository])
            for tag, digest in expected[repository].items():
                assert (await client.head_manifest(repository, tag)).digest == digest

        index = (await client.get_manifest("tools/hello", "1.0")).manifest
        assert sorted(str(d.platform) for d in index.manifests) == ["linux/amd64", "linux/arm64/v8", "windows/amd64"]
        subject = expected["apps/api"]["2.0.0"]
        referrers = await client.referrers("apps/api", subject)
        assert sorted(d.artifact_type for d in referrers) == ["application/spdx+json", "application/vnd.cncf.notary.signature"]

        nightly = (await client.tag_infos("nightly/builds", n=5)).items
        assert [t.name for t in nightly] == sorted(expected["nightly/builds"])[:5]
        for tag in nightly:  # derived from each config's `created`: the night in its name, 02:00 UTC
            night = datetime.strptime(tag.name, "nightly-%Y-%m-%d").replace(hour=2, tzinfo=timezone.utc)
            assert tag.created == night
        assert datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc) - nightly[0].created > timedelta(days=400)
