"""Small real images for the client tests: gzip tar layers, configs, manifests and indexes,
pushed with the client's own push methods."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from acrtui.client import RegistryClient
from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import sha256_digest


def layer(files: dict[str, bytes]) -> bytes:
    """A reproducible tar+gzip layer holding `files`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def dumps(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class Pushed:
    digest: str
    raw: bytes
    config: bytes
    layers: list[bytes]


async def push_image(
    client: RegistryClient,
    repo: str,
    tag: str | None,
    *,
    layers: list[bytes],
    created: str = "2024-05-06T07:08:09Z",
    os: str = "linux",
    arch: str = "amd64",
    media_type: str = mt.OCI_MANIFEST,
    big_layer: Path | None = None,
    chunk_size: int | None = None,
) -> Pushed:
    blobs = list(layers)
    config = dumps({
        "architecture": arch, "os": os, "created": created,
        "config": {"Cmd": ["/bin/app"], "Env": ["PATH=/usr/bin"], "Labels": {"team": "tests"}},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(gzip.decompress(b)) for b in blobs]},
        "history": [{"created": created, "created_by": f"ADD layer{i}"} for i in range(len(blobs))],
    })
    layer_type = mt.OCI_LAYER_GZIP if media_type == mt.OCI_MANIFEST else mt.DOCKER_LAYER_GZIP
    config_type = mt.OCI_CONFIG if media_type == mt.OCI_MANIFEST else mt.DOCKER_CONFIG
    descriptors = []
    for data in blobs:
        digest = sha256_digest(data)
        await client.push_blob(repo, digest, data, chunk_size=chunk_size)
        descriptors.append({"mediaType": layer_type, "digest": digest, "size": len(data)})
    if big_layer is not None:
        data = big_layer.read_bytes()
        await client.push_blob(repo, sha256_digest(data), big_layer, chunk_size=chunk_size)
        descriptors.append({"mediaType": mt.OCI_LAYER, "digest": sha256_digest(data), "size": len(data)})
    await client.push_blob(repo, sha256_digest(config), config)
    manifest = dumps({
        "schemaVersion": 2, "mediaType": media_type,
        "config": {"mediaType": config_type, "digest": sha256_digest(config), "size": len(config)},
        "layers": descriptors,
    })
    digest = await client.put_manifest(repo, tag or sha256_digest(manifest), manifest, media_type)
    return Pushed(digest, manifest, config, blobs)


async def push_index(client: RegistryClient, repo: str, tag: str, children: list[tuple[Pushed, str, str]]) -> str:
    index = dumps({
        "schemaVersion": 2, "mediaType": mt.OCI_INDEX,
        "manifests": [
            {"mediaType": mt.OCI_MANIFEST, "digest": p.digest, "size": len(p.raw), "platform": {"os": os, "architecture": arch}}
            for p, os, arch in children
        ],
    })
    return await client.put_manifest(repo, tag, index, mt.OCI_INDEX)


async def push_referrer(client: RegistryClient, repo: str, subject: Pushed, artifact_type: str, payload: bytes) -> str:
    """An artifact (signature, SBOM …) whose subject is `subject`, pushed by digest."""
    await client.push_blob(repo, mt.EMPTY_JSON_DIGEST, mt.EMPTY_JSON)
    await client.push_blob(repo, sha256_digest(payload), payload)
    manifest = dumps({
        "schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "artifactType": artifact_type,
        "config": {"mediaType": mt.OCI_EMPTY, "digest": mt.EMPTY_JSON_DIGEST, "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": sha256_digest(payload), "size": len(payload)}],
        "subject": {"mediaType": mt.OCI_MANIFEST, "digest": subject.digest, "size": len(subject.raw)},
        "annotations": {"org.example.kind": artifact_type.rsplit(".", 1)[-1]},
    })
    return await client.put_manifest(repo, sha256_digest(manifest), manifest, mt.OCI_MANIFEST)
