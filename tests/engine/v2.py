"""A thin /v2 client for the engine's spec tests: raw HTTP, so each test sees exactly what went over the wire."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import sha256_digest
from tests.client.images import dumps, layer


@dataclass
class Image:
    digest: str
    body: bytes
    config: bytes
    layers: list[bytes]


class V2:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)

    def close(self) -> None:
        self.http.close()

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256_digest(data)
        r = self.http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, content=data)
        assert r.status_code == 201, r.text
        return digest

    def start(self, repo: str) -> str:
        r = self.http.post(f"/v2/{repo}/blobs/uploads/")
        assert r.status_code == 202, r.text
        return r.headers["location"]

    def put_manifest(self, repo: str, reference: str, body: bytes, media_type: str = mt.OCI_MANIFEST) -> httpx.Response:
        return self.http.put(f"/v2/{repo}/manifests/{reference}", content=body, headers={"Content-Type": media_type})

    def image(
        self,
        repo: str,
        tag: str | None,
        *,
        seed: str = "a",
        arch: str = "amd64",
        os: str = "linux",
        media_type: str = mt.OCI_MANIFEST,
        extra: dict | None = None,
    ) -> Image:
        """Push a two-layer image (and tag it); return what was pushed."""
        layers = [layer({f"{seed}/one": seed.encode() * 10}), layer({f"{seed}/two": b"2" * 100})]
        config = dumps({
            "architecture": arch, "os": os,
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(b"x" + bytes([i])) for i in range(len(layers))]},
        })
        docker = media_type == mt.DOCKER_MANIFEST
        for blob in [config, *layers]:
            self.push_blob(repo, blob)
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {"mediaType": mt.DOCKER_CONFIG if docker else mt.OCI_CONFIG, "digest": sha256_digest(config), "size": len(config)},
            "layers": [
                {"mediaType": mt.DOCKER_LAYER_GZIP if docker else mt.OCI_LAYER_GZIP, "digest": sha256_digest(b), "size": len(b)}
                for b in layers
            ],
            **(extra or {}),
        }
        body = dumps(manifest)
        r = self.put_manifest(repo, tag or sha256_digest(body), body, media_type)
        assert r.status_code == 201, r.text
        return Image(sha256_digest(body), body, config, layers)

    def index(self, repo: str, tag: str | None, children: list[tuple[Image, str, str]], media_type: str = mt.OCI_INDEX) -> str:
        child_type = mt.DOCKER_MANIFEST if media_type == mt.DOCKER_MANIFEST_LIST else mt.OCI_MANIFEST
        body = dumps({
            "schemaVersion": 2,
            "mediaType": media_type,
            "manifests": [
                {"mediaType": child_type, "digest": img.digest, "size": len(img.body), "platform": {"os": os, "architecture": arch}}
                for img, os, arch in children
            ],
        })
        r = self.put_manifest(repo, tag or sha256_digest(body), body, media_type)
        assert r.status_code == 201, r.text
        return sha256_digest(body)

    def artifact(self, repo: str, subject: Image, artifact_type: str, annotations: dict | None = None) -> str:
        payload = self.push_blob(repo, f"payload for {artifact_type}".encode())
        body = dumps({
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": {"mediaType": mt.OCI_EMPTY, "digest": mt.EMPTY_JSON_DIGEST, "size": 2},
            "layers": [{"mediaType": "application/octet-stream", "digest": payload, "size": len(f"payload for {artifact_type}")}],
            "subject": {"mediaType": mt.OCI_MANIFEST, "digest": subject.digest, "size": len(subject.body)},
            **({"annotations": annotations} if annotations else {}),
        })
        r = self.put_manifest(repo, sha256_digest(body), body)
        assert r.status_code == 201, r.text
        assert r.headers["oci-subject"] == subject.digest
        return sha256_digest(body)


def error_code(response: httpx.Response) -> str:
    return json.loads(response.content)["errors"][0]["code"]
