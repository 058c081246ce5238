"""OCI image layout directories built with the standard library, as sources for skopeo's oci: transport."""

from __future__ import annotations

import json
from pathlib import Path

from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import sha256_digest
from tests.client.images import dumps, layer


class Layout:
    """An OCI layout on disk; add images and indexes, each named in index.json by a ref name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
        self.refs: list[dict] = []
        self._save()

    def blob(self, data: bytes) -> dict:
        digest = sha256_digest(data)
        (self.root / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
        return {"digest": digest, "size": len(data)}

    def image(self, seed: str, *, arch: str = "amd64", layers: int = 3, ref: str | None = None) -> dict:
        """A multi-layer linux image; returns its descriptor (with platform)."""
        blobs = [layer({f"{seed}/file{i}": f"{seed} layer {i}\n".encode() * (i + 1)}) for i in range(layers)]
        config = dumps({
            "architecture": arch,
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(_gunzip(b)) for b in blobs]},
            "history": [{"created_by": f"layer {i}"} for i in range(layers)],
        })
        manifest = dumps({
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "config": {"mediaType": mt.OCI_CONFIG, **self.blob(config)},
            "layers": [{"mediaType": mt.OCI_LAYER_GZIP, **self.blob(b)} for b in blobs],
        })
        descriptor = {"mediaType": mt.OCI_MANIFEST, **self.blob(manifest), "platform": {"architecture": arch, "os": "linux"}}
        if ref:
            self._ref(descriptor, ref)
        return descriptor

    def index(self, children: list[dict], ref: str) -> dict:
        body = dumps({"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": children})
        descriptor = {"mediaType": mt.OCI_INDEX, **self.blob(body)}
        self._ref(descriptor, ref)
        return descriptor

    def _ref(self, descriptor: dict, ref: str) -> None:
        entry = {k: v for k, v in descriptor.items() if k != "platform"}
        self.refs.append({**entry, "annotations": {"org.opencontainers.image.ref.name": ref}})
        self._save()

    def _save(self) -> None:
        (self.root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": self.refs}))


def _gunzip(data: bytes) -> bytes:
    import gzip

    return gzip.decompress(data)
