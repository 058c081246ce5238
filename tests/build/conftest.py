"""Build fixtures: a busybox base image in an OCI layout, and a helper that builds a context."""

from __future__ import annotations

import asyncio
import json
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from acrtui.build.builder import BuildOptions, BuildResult, NativeBuilder
from acrtui.build.cache import BuildCache
from acrtui.build.push import push_result
from acrtui.build.store import OciLayout
from acrtui.oci.config import ImageConfig
from tests.support.tools import require_tool

BASE_DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin /tmp /root /etc /home/app && /bin/busybox --install -s && printf 'root:x:0:0:root:/root:/bin/sh\\\\napp:x:1000:1000:app:/home/app:/bin/sh\\\\n' > /etc/passwd && printf 'root:x:0:\\\\napp:x:1000:\\\\n' > /etc/group && chmod 1777 /tmp"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
"""


@dataclass
class Built:
    result: BuildResult
    cache: BuildCache
    log: list[str]

    @property
    def image(self):
        return self.result.images[0]

    @property
    def config(self) -> ImageConfig:
        return ImageConfig.from_json(self.image.config)

    def layer_members(self, index: int) -> dict[str, tarfile.TarInfo]:
        layer = self.image.layers[index]
        with tarfile.open(self.cache.blob_path(layer.digest), "r:gz") as tar:
            return {m.name.rstrip("/"): m for m in tar.getmembers()}

    def layer_file(self, index: int, name: str) -> bytes:
        layer = self.image.layers[index]
        with tarfile.open(self.cache.blob_path(layer.digest), "r:gz") as tar:
            f = tar.extractfile(name)
            assert f is not None
            return f.read()


async def push_to_layout(result: BuildResult, cache: BuildCache, layout: OciLayout, repo: str, tag: str) -> None:
    await push_result(result, layout, cache, repo, [tag])


@pytest.fixture(scope="session")
def base_layout(tmp_path_factory) -> OciLayout:
    """busybox:latest (the host's static busybox) in an OCI layout, built once per session."""
    busybox = require_tool("busybox", "busybox-static")
    require_tool("bwrap", "bubblewrap")
    root = tmp_path_factory.mktemp("base")
    context = root / "context"
    context.mkdir()
    shutil.copy(busybox, context / "busybox")
    (context / "Dockerfile").write_text(BASE_DOCKERFILE)
    layout = OciLayout(root / "layout")
    cache = BuildCache(root / "cache")

    async def make() -> None:
        result = await NativeBuilder(None, cache, lambda line: None).build(BuildOptions(context=context))
        await push_to_layout(result, cache, layout, "busybox", "latest")

    asyncio.run(make())
    return layout


@pytest.fixture
def cache(tmp_path) -> BuildCache:
    return BuildCache(tmp_path / "cache")


@pytest.fixture
def build(tmp_path, base_layout, cache):
    """build(dockerfile_text, files={path: text|bytes}, **BuildOptions fields) -> Built."""

    async def run(dockerfile: str, files: dict[str, str | bytes] | None = None, *, context: Path | None = None,
                  use_cache: BuildCache | None = None, **options) -> Built:
        ctx = context or tmp_path / "ctx"
        ctx.mkdir(exist_ok=True)
        (ctx / "Dockerfile").write_text(dockerfile)
        for name, content in (files or {}).items():
            path = ctx / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        log: list[str] = []
        the_cache = use_cache or cache
        result = await NativeBuilder(base_layout, the_cache, log.append).build(BuildOptions(context=ctx, **options))
        return Built(result, the_cache, log)

    return run


def manifest_json(built: Built) -> dict:
    return json.loads(built.image.manifest)
