"""Every sample context shipped in sample-registry/contexts builds and pushes, and holds what
its Dockerfile says."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from acrtui.build.backends import BuildRequest, NativeBackend, Target
from acrtui.build.cache import BuildCache
from acrtui.build.importer import copy_image
from acrtui.build.registry import RegistryStore
from acrtui.client import Profile, RegistryClient
from acrtui.engine.server import EmbeddedServer

CONTEXTS = Path(__file__).resolve().parents[2] / "sample-registry" / "contexts"


async def _layer_files(client: RegistryClient, repo: str, digest: str) -> dict[str, bytes]:
    data = b"".join([chunk async for chunk in client.stream_blob(repo, digest)])
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar:
            f = tar.extractfile(member) if member.isfile() else None
            out[member.name.rstrip("/")] = f.read() if f else b""
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in CONTEXTS.iterdir() if (p / "Dockerfile").is_file()))
async def test_sample_context_builds(name, base_layout, tmp_path):
    with EmbeddedServer(tmp_path / "engine") as server:
        async with RegistryClient(Profile(name="engine", url=server.url)) as client:
            store = RegistryStore(client)
            await copy_image(base_layout, "", "busybox:latest", store, "base/busybox", "latest", BuildCache(tmp_path / "c0"), lambda l: None)
            outcome = await NativeBackend(store, BuildCache(tmp_path / "c1")).run(
                BuildRequest(context=CONTEXTS / name, targets=[Target(f"samples/{name}", "dev")]), lambda l: None)
            fetched = await client.get_manifest(f"samples/{name}", "dev")
            assert fetched.digest == outcome.digest
            config = await client.get_config(f"samples/{name}", fetched.manifest)
            assert config.config.cmd
            layers = fetched.manifest.layers
            if name == "static-site":
                run_layer = await _layer_files(client, f"samples/{name}", layers[-1].digest)
                assert b"index.html" in run_layer["srv/www/files.txt"]
                assert b"@VERSION@" not in run_layer["srv/www/index.html"]
                assert config.config.exposed_ports == ["8080/tcp"]
            if name == "shell-service":
                run_layer = await _layer_files(client, f"samples/{name}", layers[-1].digest)
                assert run_layer["var/lib/service/greeting"] == b"hello from the shell service\n"
                assert config.config.working_dir == "/var/lib/service"
