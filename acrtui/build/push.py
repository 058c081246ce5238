"""Sending a build result to an `ImageSink`: only the blobs it lacks, then manifests, then tags."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from acrtui.build.builder import BuildResult
from acrtui.build.cache import BuildCache
from acrtui.build.errors import BuildError
from acrtui.build.store import ImageSink, ImageSource, verify_blob
from acrtui.oci import mediatypes as mt

PARALLEL_UPLOADS = 4


@dataclass(frozen=True)
class PushReport:
    repository: str
    tags: tuple[str, ...]
    digest: str
    blobs_sent: int
    blobs_skipped: int
    bytes_sent: int


async def push_result(
    result: BuildResult, sink: ImageSink, cache: BuildCache, repo: str, tags: list[str],
    source: ImageSource | None = None,
) -> PushReport:
    """Push `result` as `repo:tag` for each tag. A blob the sink has is skipped (HEAD), a base
    layer is mounted from its repository when the sink can, and only then are bytes sent; a
    base layer the build never downloaded is fetched from `source` first."""
    blobs: dict[str, tuple[int, str | None]] = {}
    for image in result.images:
        blobs[image.config_digest] = (len(image.config), None)
        for layer in image.layers:
            blobs.setdefault(layer.digest, (layer.size, layer.origin))
    limit = asyncio.Semaphore(PARALLEL_UPLOADS)
    sent: list[int] = []

    async def one(digest: str, size: int, origin: str | None) -> None:
        async with limit:
            if await sink.has_blob(repo, digest):
                return
            if origin and origin != repo and await sink.mount_blob(repo, digest, origin):
                return
            path = cache.blob_path(digest)
            if not path.is_file():
                if source is None or origin is None:
                    raise BuildError(f"blob {digest} is neither in the build cache nor in the registry; build again with --no-cache")
                tmp = cache.temp_path()
                await source.fetch_blob(origin, digest, tmp)
                await asyncio.to_thread(verify_blob, tmp, digest)
                os.replace(tmp, path)
            await sink.put_blob(repo, digest, path)
            sent.append(size)

    await asyncio.gather(*(one(d, size, origin) for d, (size, origin) in blobs.items()))
    if len(result.images) > 1:
        for image in result.images:
            await sink.put_manifest(repo, image.digest, image.manifest, mt.OCI_MANIFEST)
    for tag in tags:
        await sink.put_manifest(repo, tag, result.manifest, result.media_type)
    return PushReport(repo, tuple(tags), result.digest, len(sent), len(blobs) - len(sent), sum(sent))
