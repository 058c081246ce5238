"""Layers and images of the sample, generated from its text files with the builder's
reproducible layer writer, so the same description gives the same digests everywhere."""

from __future__ import annotations

import io
import posixpath
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from acrtui.build.layers import LayerEntry, write_layer
from acrtui.oci import mediatypes as mt
from acrtui.oci.config import HistoryEntry, ImageConfig, RuntimeConfig
from acrtui.oci.filetree import ImageTree
from acrtui.oci.layers import EntryType, list_layer
from acrtui.sample.description import ImageSpec, LayerSpec
from acrtui.sample.plan import Blob, PlannedManifest, manifest_json

# Every file in a sample layer carries this time: the sample's files have no history of
# their own, and a fixed value keeps the layers reproducible (as SOURCE_DATE_EPOCH=0 would).
LAYER_EPOCH = 0


@dataclass(frozen=True)
class Layer:
    blob: Blob
    diff_id: str
    entries: tuple[LayerEntry, ...]


def layer_entries(spec: LayerSpec) -> list[LayerEntry]:
    """The tar entries of a layer: its files with their parent directories, then whiteouts."""
    files: dict[str, bytes] = {}
    if spec.directory is not None:
        for path in sorted(p for p in spec.directory.rglob("*") if p.is_file()):
            files[path.relative_to(spec.directory).as_posix()] = path.read_bytes()
    for name, text in spec.files.items():
        files[name.strip("/")] = text.encode("utf-8")
    directories: set[str] = set()
    for directory in [*(posixpath.dirname(p.strip("/")) for p in [*files, *spec.delete]), *spec.opaque]:
        directory = directory.strip("/")
        while directory:
            directories.add(directory)
            directory = posixpath.dirname(directory)
    entries = [LayerEntry(d, "dir", 0o755) for d in sorted(directories) if spec.directories]
    entries += [
        LayerEntry(name, "file", 0o755 if name in spec.executable else 0o644, data=data) for name, data in files.items()
    ]
    for path in spec.delete:
        parent, name = posixpath.split(path.strip("/"))
        entries.append(LayerEntry.whiteout(parent, name))
    entries += [LayerEntry.opaque(d.strip("/")) for d in spec.opaque]
    return entries


class ImageFactory:
    """Makes layers once (shared by every image that uses them) and images from specs."""

    def __init__(self, layers: dict[str, LayerSpec], workdir: Path) -> None:
        self._specs = dict(layers)
        self._workdir = workdir
        self._made: dict[str, Layer] = {}

    def add_layer(self, spec: LayerSpec) -> None:
        self._specs[spec.name] = spec

    def layer(self, name: str) -> Layer:
        if name not in self._made:
            entries = layer_entries(self._specs[name])
            written = write_layer(entries, self._workdir / f"{len(self._made)}.tar.gz", LAYER_EPOCH)
            data = written.path.read_bytes()
            written.path.unlink()
            self._made[name] = Layer(Blob(written.digest, data), written.diff_id, tuple(entries))
        return self._made[name]

    def image(self, spec: ImageSpec) -> PlannedManifest:
        layers = [self.layer(s.layer) for s in spec.steps if s.layer]
        config = image_config(spec, [layer.diff_id for layer in layers])
        config_blob = Blob.of(config.to_json())
        docker = spec.docker_format
        manifest = {
            "schemaVersion": 2,
            "mediaType": mt.DOCKER_MANIFEST if docker else mt.OCI_MANIFEST,
            "config": config_blob.descriptor(mt.DOCKER_CONFIG if docker else mt.OCI_CONFIG),
            "layers": [layer.blob.descriptor(mt.DOCKER_LAYER_GZIP if docker else mt.OCI_LAYER_GZIP) for layer in layers],
        }
        return PlannedManifest(
            raw=manifest_json(manifest),
            media_type=str(manifest["mediaType"]),
            created=spec.created,
            blobs=(config_blob, *(layer.blob for layer in layers)),
        )

    def index(self, images: list[tuple[ImageSpec, PlannedManifest]], created: datetime) -> PlannedManifest:
        index = {
            "schemaVersion": 2,
            "mediaType": mt.OCI_INDEX,
            "manifests": [m.descriptor(platform=spec.platform.to_json()) for spec, m in images],
        }
        return PlannedManifest(raw=manifest_json(index), media_type=mt.OCI_INDEX, created=created, stage=1)


    def final_files(self, spec: ImageSpec) -> dict[str, bytes]:
        """The regular files of an image's merged file system, with their contents."""
        layers = [self.layer(s.layer) for s in spec.steps if s.layer]
        listings = [list_layer(io.BytesIO(layer.blob.data), layer.blob.digest) for layer in layers]
        contents = [{e.name.strip("/"): e.data for e in layer.entries if e.kind == "file"} for layer in layers]
        return {
            node.path: contents[node.layer][node.path] or b""
            for node in ImageTree(listings).top().walk()
            if node.entry is not None and node.entry.type is EntryType.FILE
        }


def image_config(spec: ImageSpec, diff_ids: list[str]) -> ImageConfig:
    runtime = spec.runtime
    return ImageConfig(
        os=spec.platform.os,
        architecture=spec.platform.architecture,
        variant=spec.platform.variant,
        os_version=spec.platform.os_version,
        created=spec.created,
        config=RuntimeConfig(
            entrypoint=list(runtime.entrypoint) if runtime.entrypoint is not None else None,
            cmd=list(runtime.cmd) if runtime.cmd is not None else None,
            env=list(runtime.env),
            labels=dict(runtime.labels),
            working_dir=runtime.workdir,
            user=runtime.user,
            exposed_ports=sorted(runtime.exposed_ports),
        ),
        diff_ids=diff_ids,
        history=[HistoryEntry(created=spec.created, created_by=s.created_by, empty_layer=s.layer is None) for s in spec.steps],
    )

