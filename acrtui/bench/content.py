"""What the benchmark pushes: unique blobs made cheaply, and tiny images (config + one layer)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import sha256_digest


class BlobSource:
    """Blobs of one size that differ only in a leading serial, so making one costs a copy, not
    fresh random bytes; the random tail comes from this run, so no two runs share a blob."""

    def __init__(self, size: int, tag: bytes) -> None:
        self.size = size
        self._tail = os.urandom(max(0, size - 32))
        self._tag = tag

    def blob(self, serial: int) -> bytes:
        head = (self._tag + b"-" + serial.to_bytes(8, "big")).ljust(32, b"\0")
        return (head + self._tail)[: self.size]


@dataclass(frozen=True)
class TinyImage:
    config: bytes
    layer: bytes
    manifest: bytes

    @property
    def config_digest(self) -> str:
        return sha256_digest(self.config)

    @property
    def layer_digest(self) -> str:
        return sha256_digest(self.layer)

    @property
    def digest(self) -> str:
        return sha256_digest(self.manifest)

    @property
    def size(self) -> int:
        return len(self.config) + len(self.layer) + len(self.manifest)


def tiny_image(run_id: str, serial: int, layer_size: int = 1024) -> TinyImage:
    """An OCI image whose config and layer are unique to (run, serial)."""
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"acrtui.bench.run": run_id, "acrtui.bench.serial": str(serial)}},
            "rootfs": {"type": "layers", "diff_ids": []},
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    seed = f"{run_id}-{serial}-".encode()
    layer = (seed * (layer_size // len(seed) + 1))[:layer_size]
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "config": {"mediaType": mt.OCI_CONFIG, "digest": sha256_digest(config), "size": len(config)},
            "layers": [{"mediaType": mt.OCI_LAYER, "digest": sha256_digest(layer), "size": len(layer)}],
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    return TinyImage(config=config, layer=layer, manifest=manifest)
