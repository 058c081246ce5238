"""Builds pushed to real registries over sockets: the embedded engine and CNCF distribution,
read back with skopeo and buildah."""

from __future__ import annotations

import json
import subprocess

import pytest

from acrtui.build.backends import BuildRequest, NativeBackend, Target
from acrtui.build.cache import BuildCache
from acrtui.build.errors import BuildError
from acrtui.build.importer import copy_image
from acrtui.build.registry import RegistryStore
from acrtui.client import Profile, RegistryClient
from acrtui.engine.server import EmbeddedServer
from tests.support.tools import require_tool

APP = "FROM busybox\nWORKDIR /app\nRUN echo built > /built && rm /bin/vi\nCOPY . .\nCMD [\"cat\", \"/app/main.txt\"]\n"


@pytest.fixture
def engine(tmp_path):
    with EmbeddedServer(tmp_path / "engine-data") as server:
        yield server.url


@pytest.fixture(params=["engine", "distribution"])
def registry_url(request, tmp_path):
    if request.param == "engine":
        yield request.getfixturevalue("engine")
    else:
        yield request.getfixturevalue("distribution").url


@pytest.fixture
async def store(registry_url, base_layout, tmp_path):
    """The registry with busybox:latest imported from the base layout."""
    async with RegistryClient(Profile(name="test", url=registry_url)) as client:
        s = RegistryStore(client)
        await copy_image(base_layout, "", "busybox:latest", s, "busybox", "latest", BuildCache(tmp_path / "import-cache"), lambda l: None)
        yield s


def _app(tmp_path, text="hello\n"):
    ctx = tmp_path / "app"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(APP)
    (ctx / "main.txt").write_text(text)
    (ctx / "other.txt").write_text("unchanged\n")
    return ctx


async def test_build_push_and_read_back_with_skopeo_and_buildah(store, registry_url, tmp_path):
    skopeo = require_tool("skopeo", "skopeo")
    buildah = require_tool("buildah", "buildah")
    cache = BuildCache(tmp_path / "cache")
    backend = NativeBackend(store, cache)
    request = BuildRequest(context=_app(tmp_path), targets=[Target("app", "dev"), Target("app", "v1")])
    first = await backend.run(request, lambda line: None)
    report = first.pushed[0]
    assert report.tags == ("dev", "v1") and report.digest == first.digest
    # The base layers were mounted from busybox, not sent: only config, RUN and COPY layers went.
    assert report.blobs_sent == 3 and report.blobs_skipped == 2

    host = registry_url.split("://", 1)[1]
    out = subprocess.run([skopeo, "inspect", "--tls-verify=false", f"docker://{host}/app:dev"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    inspected = json.loads(out)
    assert inspected["Digest"] == first.digest and len(inspected["Layers"]) == 4
    raw = subprocess.run([skopeo, "inspect", "--config", "--tls-verify=false", f"docker://{host}/app:v1"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    assert json.loads(raw)["config"]["Cmd"] == ["cat", "/app/main.txt"]
    storage = tmp_path / "containers"
    pulled = subprocess.run(
        [buildah, "--root", str(storage / "root"), "--runroot", str(storage / "run"), "--storage-driver", "vfs",
         "pull", "--tls-verify=false", f"{host}/app:dev"],
        capture_output=True, text=True, timeout=120,
    )
    assert pulled.returncode == 0, pulled.stderr

    again = await backend.run(request, lambda line: None)
    assert again.digest == first.digest and again.bytes_sent == 0 and again.cached_steps == 2

    (request.context / "main.txt").write_text("changed\n")
    changed = await backend.run(request, lambda line: None)
    assert changed.digest != first.digest
    assert changed.pushed[0].blobs_sent == 2  # the COPY layer and the config; the RUN layer is there


async def test_pull_side_fetches_base_layers_for_run(store, tmp_path):
    cache = BuildCache(tmp_path / "fresh-cache")
    result = await NativeBackend(store, cache).run(
        BuildRequest(context=_app(tmp_path), targets=[Target("app", "x")], push=False), lambda l: None)
    assert result.pushed == () and result.steps == 5


async def test_missing_base_names_acrtui_import(store, tmp_path):
    ctx = tmp_path / "missing"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM python:3.12-slim\n")
    with pytest.raises(BuildError, match=r"the base image python:3\.12-slim is not in registry .*acrtui import <image-or-path> -t python:3\.12-slim"):
        await NativeBackend(store, BuildCache(tmp_path / "c")).run(BuildRequest(context=ctx, targets=[Target("a", "b")]), lambda l: None)


async def test_multi_platform_index_pushed(store, registry_url, tmp_path):
    from acrtui.build.platforms import parse_platform

    ctx = tmp_path / "multi"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nARG TARGETARCH\nCOPY a /a-${TARGETARCH}\n")
    (ctx / "a").write_text("x")
    outcome = await NativeBackend(store, BuildCache(tmp_path / "c")).run(BuildRequest(
        context=ctx, targets=[Target("multi", "1")], platforms=[parse_platform("linux/amd64"), parse_platform("linux/arm64/v8")]),
        lambda l: None)
    fetched = await store.client.get_manifest("multi", "1")
    assert fetched.digest == outcome.digest and fetched.manifest.is_index
    platforms = [str(d.platform) for d in fetched.manifest.manifests]
    assert platforms == ["linux/amd64", "linux/arm64/v8"]
    # An index copies whole: every image, then the index itself.
    from acrtui.build.store import OciLayout

    layout = OciLayout(tmp_path / "copied")
    copied = await copy_image(store, "multi", "1", layout, "multi", "1", BuildCache(tmp_path / "c2"), lambda l: None)
    assert copied == outcome.digest
    for child in fetched.manifest.manifests:
        assert await layout.get_manifest("multi", child.digest) is not None
