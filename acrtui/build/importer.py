"""`acrtui import`: bring an image into the registry from wherever it is.

Sources, told apart by what they are:
- another registry: `host[:port]/repo[:tag|@digest]` (as `az acr import` does), copied byte for byte;
- an OCI image layout directory, optionally `DIR:REF` (as skopeo's `oci:DIR:REF`);
- a `docker save` archive (a tar holding manifest.json);
- a root file system, as a directory or a tarball (as `docker import` does): one layer.
"""

from __future__ import annotations

import asyncio
import bz2
import gzip
import json
import lzma
import tarfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from acrtui.build.builder import BuildResult, Layer, PlatformImage
from acrtui.build.cache import BuildCache
from acrtui.build.context import SourceTree
from acrtui.build.errors import BuildError
from acrtui.build.layers import LayerBlob, LayerEntry, compress_tar, source_date_epoch, write_layer
from acrtui.build.platforms import host_platform
from acrtui.build.push import push_result
from acrtui.build.store import ImageSink, ImageSource, OciLayout, verify_blob
from acrtui.oci import mediatypes as mt
from acrtui.oci.config import HistoryEntry, ImageConfig, InvalidConfig, canonical_json
from acrtui.oci.digest import sha256_digest
from acrtui.oci.manifest import InvalidManifest, Platform, parse_manifest
from acrtui.oci.reference import ImageReference
from acrtui.oci.layers import Compression, detect_compression

LogSink = Callable[[str], None]


async def import_image(source: str, sink: ImageSink, repo: str, tag: str, cache: BuildCache, log: LogSink,
                       platform: Platform | None = None, remote: Callable[[str], object] | None = None) -> str:
    """Import `source` as `repo:tag`; returns the manifest digest. `remote(host)` opens an
    ImageSource for another registry (an async context manager), when the source is one."""
    path, _, ref = source.partition(":") if not Path(source).exists() else (source, "", "")
    local = Path(path)
    if local.is_dir() and (local / "oci-layout").is_file():
        layout = OciLayout(local)
        reference = ref or _only_manifest(layout, source)
        log(f"copying {reference} from {layout.description}")
        return await copy_image(layout, "", reference, sink, repo, tag, cache, log)
    if Path(source).is_dir():
        return await _push_single(await asyncio.to_thread(_rootfs_dir, Path(source), cache, platform), sink, cache, repo, tag, log)
    if Path(source).is_file():
        if _is_docker_archive(Path(source)):
            return await _push_single(await asyncio.to_thread(_docker_archive, Path(source), cache), sink, cache, repo, tag, log)
        return await _push_single(await asyncio.to_thread(_rootfs_tarball, Path(source), cache, platform), sink, cache, repo, tag, log)
    try:
        image = ImageReference.parse(source)
    except ValueError:
        raise BuildError(f"{source} is neither a file, a directory nor an image reference; check the path") from None
    if not image.registry:
        raise BuildError(
            f"{source} names no registry and there is no internet to reach Docker Hub; give a registry "
            f"(e.g. myregistry.azurecr.io/{image.repository}:{image.tag or 'latest'}), an OCI layout directory, "
            "a docker save archive or a root file system"
        )
    if remote is None:
        raise BuildError(f"cannot reach {image.registry} from here; import from an OCI layout or archive instead")
    async with remote(image.registry) as other:  # type: ignore[attr-defined]
        log(f"copying {image.repository}:{image.reference} from {other.description}")
        return await copy_image(other, image.repository, image.reference, sink, repo, tag, cache, log)


def _only_manifest(layout: OciLayout, source: str) -> str:
    names = layout.tags()
    if len(names) == 1:
        index = json.loads((layout.path / "index.json").read_text())
        return index["manifests"][0]["digest"]
    shown = ", ".join(n for n in names if n) or "none"
    raise BuildError(f"{source} holds {len(names)} images; name one as {source}:REF (references: {shown})")


async def copy_image(source: ImageSource, src_repo: str, reference: str, sink: ImageSink, repo: str, tag: str,
                     cache: BuildCache, log: LogSink) -> str:
    """Copy a manifest (an index with all its images) and its blobs, unchanged."""
    fetched = await source.get_manifest(src_repo, reference)
    if fetched is None:
        raise BuildError(f"{src_repo or 'the layout'}:{reference} does not exist in {source.description}; check the name and tag")
    try:
        manifest = parse_manifest(fetched.raw, fetched.media_type)
    except InvalidManifest as exc:
        raise BuildError(f"{reference} in {source.description} is not an image manifest ({exc})") from None
    if manifest.is_index:
        for child in manifest.manifests:
            await copy_image(source, src_repo, child.digest, sink, repo, child.digest, cache, log)
    else:
        for digest in manifest.blob_digests():
            if await sink.has_blob(repo, digest):
                continue
            tmp = cache.temp_path()
            try:
                await source.fetch_blob(src_repo, digest, tmp)
                await asyncio.to_thread(verify_blob, tmp, digest)
                await sink.put_blob(repo, digest, tmp)
            finally:
                tmp.unlink(missing_ok=True)
            log(f"  blob {digest[7:19]} copied")
    return await sink.put_manifest(repo, tag, fetched.raw, fetched.media_type)


async def _push_single(image: PlatformImage, sink: ImageSink, cache: BuildCache, repo: str, tag: str, log: LogSink) -> str:
    result = BuildResult((image,), image.manifest, mt.OCI_MANIFEST, image.digest, 0, 0)
    report = await push_result(result, sink, cache, repo, [tag])
    log(f"  {report.blobs_sent} blob(s) sent, {report.blobs_skipped} already there")
    return report.digest


def _image(cache: BuildCache, config: ImageConfig, layers: list[LayerBlob], platform: Platform) -> PlatformImage:
    raw_config = config.to_json()
    config_digest = sha256_digest(raw_config)
    cache.put_bytes(config_digest, raw_config)
    stored = [cache.adopt(layer) if layer.path != cache.blob_path(layer.digest) else layer for layer in layers]
    manifest = canonical_json({
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": {"mediaType": mt.OCI_CONFIG, "digest": config_digest, "size": len(raw_config)},
        "layers": [{"mediaType": mt.OCI_LAYER_GZIP, "digest": l.digest, "size": l.size} for l in stored],
    })
    return PlatformImage(platform, manifest, sha256_digest(manifest), raw_config, config_digest,
                         tuple(Layer(l.digest, l.diff_id, l.size, mt.OCI_LAYER_GZIP) for l in stored))


def _new_config(platform: Platform, diff_ids: list[str], comment: str) -> ImageConfig:
    created = datetime.fromtimestamp(source_date_epoch(), tz=timezone.utc)
    config = ImageConfig(os=platform.os, architecture=platform.architecture, variant=platform.variant, created=created,
                         diff_ids=diff_ids, history=[HistoryEntry(created=created, created_by=comment, comment="acrtui import")])
    config.config.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    return config


def _rootfs_dir(root: Path, cache: BuildCache, platform: Platform | None) -> PlatformImage:
    """A directory becomes one layer; owners and modes are kept, times normalised."""
    target = platform or host_platform()
    entries: list[LayerEntry] = []
    for entry in SourceTree(root, label="root file system", confined=False).walk():
        if entry.kind == "file":
            entries.append(LayerEntry(entry.rel, "file", entry.mode, entry.uid, entry.gid, source=entry.path))
        elif entry.kind == "dir":
            entries.append(LayerEntry(entry.rel, "dir", entry.mode, entry.uid, entry.gid))
        elif entry.kind == "symlink":
            entries.append(LayerEntry(entry.rel, "symlink", 0o777, entry.uid, entry.gid, link=entry.link))
    layer = write_layer(entries, cache.temp_path(".tar.gz"))
    return _image(cache, _new_config(target, [layer.diff_id], f"acrtui import {root.name}/"), [layer], target)


def _decompressed(path: Path) -> BinaryIO:
    with path.open("rb") as f:
        head = f.read(8)
    kind = detect_compression(head)
    if kind is Compression.GZIP:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if kind is Compression.BZIP2:
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if kind is Compression.XZ:
        return lzma.open(path, "rb")  # type: ignore[return-value]
    if kind is Compression.ZSTD:
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(path.open("rb"))  # type: ignore[return-value]
    return path.open("rb")


def _rootfs_tarball(path: Path, cache: BuildCache, platform: Platform | None) -> PlatformImage:
    if not _is_tar(path):
        raise BuildError(f"{path} is not a tar archive, an OCI layout or a docker save archive; check the file")
    target = platform or host_platform()
    with _decompressed(path) as stream:
        layer = compress_tar(stream, cache.temp_path(".tar.gz"))
    return _image(cache, _new_config(target, [layer.diff_id], f"acrtui import {path.name}"), [layer], target)


def _is_tar(path: Path) -> bool:
    try:
        with _decompressed(path) as stream:
            head = stream.read(512)
    except (OSError, EOFError, lzma.LZMAError):
        return False
    return len(head) == 512 and head[257:262] == b"ustar"


def _is_docker_archive(path: Path) -> bool:
    if not _is_tar(path):
        return False
    try:
        with tarfile.open(path, "r:*") as tar:
            return any(m.name.lstrip("./") == "manifest.json" for m in tar)
    except tarfile.TarError:
        return False


def _docker_archive(path: Path, cache: BuildCache) -> PlatformImage:
    """`docker save` output (legacy or OCI-in-tar): the first image's config and layers."""
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {m.name.lstrip("./"): m for m in tar.getmembers()}

            def read(name: str) -> bytes:
                member = members.get(name.lstrip("./"))
                data = tar.extractfile(member) if member is not None else None
                if data is None:
                    raise BuildError(f"{path} lacks {name}, which its manifest.json lists; the archive is incomplete")
                return data.read()

            entries = json.loads(read("manifest.json"))
            if not isinstance(entries, list) or not entries:
                raise BuildError(f"{path} has an empty manifest.json; save an image into it first")
            first = entries[0]
            raw_config = read(first["Config"])
            config = ImageConfig.from_json(raw_config)
            layers: list[LayerBlob] = []
            for name in first["Layers"]:
                member = members.get(name.lstrip("./"))
                data = tar.extractfile(member) if member is not None else None
                if data is None:
                    raise BuildError(f"{path} lacks layer {name}; the archive is incomplete")
                tmp = cache.temp_path(".layer")
                with tmp.open("wb") as out:
                    for chunk in iter(lambda: data.read(1 << 20), b""):
                        out.write(chunk)
                with _decompressed(tmp) as stream:
                    layers.append(compress_tar(stream, cache.temp_path(".tar.gz")))
                tmp.unlink()
    except (tarfile.TarError, KeyError, ValueError, InvalidConfig) as exc:
        raise BuildError(f"{path} is not a readable docker save archive ({exc}); save it again") from None
    if [l.diff_id for l in layers] != config.diff_ids:
        raise BuildError(f"{path} is inconsistent: its layers do not match the config's diff_ids; save it again")
    platform = Platform(os=config.os or "linux", architecture=config.architecture, variant=config.variant)
    return _image(cache, config, layers, platform)
