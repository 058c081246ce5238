"""Deterministic registry content for the TUI tests, pushed with acrtui's own client.

Everything (tar entries, mtimes, config times) is fixed, so digests, sizes and ages are the same
on every run, which the SVG snapshots rely on.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from acrtui.client import RegistryClient
from acrtui.oci import mediatypes as mt
from acrtui.oci.config import HistoryEntry, ImageConfig, RuntimeConfig
from acrtui.oci.digest import sha256_digest
from tests.oci.tarballs import file, layer, whiteout

# The clock the app sees in tests; content is dated relative to it.
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SIGNATURE_TYPE = "application/vnd.cncf.notary.signature"


def at(days: float) -> datetime:
    return NOW - timedelta(days=days)


@dataclass
class Pushed:
    digests: dict[str, str] = field(default_factory=dict)  # "repo:tag" -> manifest digest


def _json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


async def push_image(
    client: RegistryClient,
    repo: str,
    layers: list[tuple[bytes, str]],
    *,
    created: datetime,
    arch: str = "amd64",
    os: str = "linux",
    tags: tuple[str, ...] = (),
    cmd: list[str] | None = None,
    diff_ids: bool = True,
) -> str:
    """Push an image whose layers are (blob, history line); returns the manifest digest."""
    descriptors = []
    for blob, _ in layers:
        digest = sha256_digest(blob)
        await client.push_blob(repo, digest, blob)
        descriptors.append({"mediaType": mt.OCI_LAYER_GZIP, "digest": digest, "size": len(blob)})
    config = ImageConfig(
        os=os,
        architecture=arch,
        created=created,
        config=RuntimeConfig(cmd=cmd or ["/app/serve"], env=["PATH=/usr/bin"], working_dir="/app"),
        diff_ids=[sha256_digest(_gunzip(blob)) for blob, _ in layers] if diff_ids else [],
        history=[HistoryEntry(created=created, created_by=line) for _, line in layers],
    )
    config_blob = config.to_json()
    await client.push_blob(repo, sha256_digest(config_blob), config_blob)
    manifest = _json(
        {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "config": {"mediaType": mt.OCI_CONFIG, "digest": sha256_digest(config_blob), "size": len(config_blob)},
            "layers": descriptors,
        }
    )
    digest = await client.put_manifest(repo, sha256_digest(manifest), manifest, mt.OCI_MANIFEST)
    for tag in tags:
        await client.put_manifest(repo, tag, manifest, mt.OCI_MANIFEST)
    return digest


def _gunzip(blob: bytes) -> bytes:
    return gzip.decompress(blob)


BASE_LAYER = layer(
    [
        file("etc/os-release", 120, b"ID=demo\n"),
        file("usr/bin/tool", 4000, b"\x7fELF"),
        file("usr/share/doc/readme", 2000, b"doc "),
    ]
)
APP_LAYER = layer(
    [
        file("app/serve", 3000, b"#!app"),
        file("usr/bin/tool", 4100, b"\x7fELF2"),
        whiteout("usr/share/doc/readme"),
    ]
)


async def push_demo(client: RegistryClient) -> Pushed:
    """demo/web (two tags on one manifest, one older), demo/multi (an index), a signature, a nightly repo."""
    pushed = Pushed()
    web = await push_image(
        client,
        "demo/web",
        [(BASE_LAYER, "/bin/sh -c #(nop) ADD file:base in / "), (APP_LAYER, "/bin/sh -c make install")],
        created=at(3),
        tags=("1.0", "latest"),
    )
    pushed.digests["demo/web:1.0"] = web
    pushed.digests["demo/web:0.9"] = await push_image(
        client, "demo/web", [(BASE_LAYER, "/bin/sh -c #(nop) ADD file:base in / ")], created=at(40), tags=("0.9",)
    )
    signature_blob = b'{"signature":"demo"}'
    await client.push_blob("demo/web", sha256_digest(signature_blob), signature_blob)
    await client.push_blob("demo/web", mt.EMPTY_JSON_DIGEST, mt.EMPTY_JSON)
    signature = _json(
        {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "artifactType": SIGNATURE_TYPE,
            "config": {"mediaType": mt.OCI_EMPTY, "digest": mt.EMPTY_JSON_DIGEST, "size": 2},
            "layers": [
                {"mediaType": "application/jose+json", "digest": sha256_digest(signature_blob), "size": len(signature_blob)}
            ],
            "subject": {"mediaType": mt.OCI_MANIFEST, "digest": web, "size": 0},
        }
    )
    await client.put_manifest("demo/web", sha256_digest(signature), signature, mt.OCI_MANIFEST)

    children = []
    for arch in ("amd64", "arm64"):
        arch_layer = layer([file(f"app/bin-{arch}", 1500, arch.encode())])
        digest = await push_image(
            client, "demo/multi", [(BASE_LAYER, "ADD base"), (arch_layer, f"COPY bin-{arch} /app")], created=at(10), arch=arch
        )
        raw = (await client.get_manifest("demo/multi", digest)).raw
        children.append(
            {"mediaType": mt.OCI_MANIFEST, "digest": digest, "size": len(raw), "platform": {"os": "linux", "architecture": arch}}
        )
    index = _json({"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": children})
    pushed.digests["demo/multi:2.0"] = await client.put_manifest("demo/multi", "2.0", index, mt.OCI_INDEX)
    return pushed


async def push_nightlies(client: RegistryClient, repo: str, count: int) -> None:
    """`count` tags over a handful of manifests: more than one page of the tag tree."""
    digests = [
        await push_image(client, repo, [(layer([file("build", 10 + i, b"n")]), f"build {i}")], created=at(i + 1))
        for i in range(5)
    ]
    raws = [(await client.get_manifest(repo, digest)).raw for digest in digests]
    for n in range(count):
        await client.put_manifest(repo, f"nightly-{n:04d}", raws[n % len(raws)], mt.OCI_MANIFEST)
