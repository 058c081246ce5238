"""Where images come from and go to, behind two small interfaces.

`ImageSource` resolves a reference to a manifest and fetches blobs; `ImageSink` receives blobs and
manifests. The registry client implements both (acrtui.build.registry.RegistryStore) and so does an OCI image
layout directory (below): the standard on-disk format (`oci-layout`, `index.json`,
`blobs/sha256/…`) that skopeo, buildah and `acrtui import` read and write.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from acrtui.build.errors import BuildError
from acrtui.oci import mediatypes as mt
from acrtui.oci.config import canonical_json
from acrtui.oci.digest import Digest, is_digest, sha256_digest

REF_NAME = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class ResolvedManifest:
    digest: str
    media_type: str
    raw: bytes


class ImageSource(Protocol):
    description: str  # where images come from, for messages ("registry 127.0.0.1:5000")

    async def get_manifest(self, repo: str, reference: str) -> ResolvedManifest | None:
        """None when the repository or reference does not exist."""

    async def fetch_blob(self, repo: str, digest: str, dest: Path) -> None: ...


class ImageSink(Protocol):
    description: str

    async def has_blob(self, repo: str, digest: str) -> bool: ...

    async def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool:
        """Make a blob of `from_repo` part of `repo` without sending it; False when not possible."""

    async def put_blob(self, repo: str, digest: str, path: Path) -> None: ...

    async def put_manifest(self, repo: str, reference: str, raw: bytes, media_type: str) -> str: ...


class OciLayout:
    """An OCI image layout directory as both source and sink. Tags are kept in index.json as
    `org.opencontainers.image.ref.name` = `repo:tag`; a bare `tag` (as skopeo writes for
    `oci:dir:tag`) is accepted when reading."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"OCI layout {path}"

    def _blob(self, digest: str) -> Path:
        algorithm, hex_ = digest.split(":", 1)
        return self.path / "blobs" / algorithm / hex_

    def _index(self) -> dict:
        try:
            data = json.loads((self.path / "index.json").read_text())
        except FileNotFoundError:
            return {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": []}
        except ValueError:
            raise BuildError(f"{self.path}/index.json is not valid JSON; the OCI layout is damaged") from None
        return data

    def _ensure(self) -> None:
        (self.path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        layout = self.path / "oci-layout"
        if not layout.exists():
            layout.write_text('{"imageLayoutVersion":"1.0.0"}')

    def tags(self) -> list[str]:
        return [d.get("annotations", {}).get(REF_NAME, "") for d in self._index().get("manifests", [])]

    async def get_manifest(self, repo: str, reference: str) -> ResolvedManifest | None:
        descriptor = None
        if is_digest(reference):
            descriptor = {"digest": reference, "mediaType": ""}
        else:
            for candidate in self._index().get("manifests", []):
                name = candidate.get("annotations", {}).get(REF_NAME)
                if name in (f"{repo}:{reference}", reference):
                    descriptor = candidate
                    break
        if descriptor is None:
            return None
        try:
            raw = self._blob(descriptor["digest"]).read_bytes()
        except FileNotFoundError:
            return None
        media_type = descriptor.get("mediaType") or json.loads(raw).get("mediaType") or mt.OCI_MANIFEST
        return ResolvedManifest(descriptor["digest"], media_type, raw)

    async def fetch_blob(self, repo: str, digest: str, dest: Path) -> None:
        source = self._blob(digest)
        if not source.is_file():
            raise BuildError(f"blob {digest} is missing from {self.description}; the layout is incomplete")
        shutil.copyfile(source, dest)

    async def has_blob(self, repo: str, digest: str) -> bool:
        return self._blob(digest).is_file()

    async def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool:
        return self._blob(digest).is_file()  # one blob store for every repository

    async def put_blob(self, repo: str, digest: str, path: Path) -> None:
        self._ensure()
        target = self._blob(digest)
        if target.is_file():
            return
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)

    async def put_manifest(self, repo: str, reference: str, raw: bytes, media_type: str) -> str:
        self._ensure()
        digest = sha256_digest(raw)
        target = self._blob(digest)
        if not target.is_file():
            target.write_bytes(raw)
        index = self._index()
        name = f"{repo}:{reference}"
        manifests = [d for d in index.get("manifests", []) if d.get("annotations", {}).get(REF_NAME) != name]
        manifests.append({"mediaType": media_type, "digest": digest, "size": len(raw), "annotations": {REF_NAME: name}})
        index["manifests"] = manifests
        tmp = self.path / "index.json.tmp"
        tmp.write_bytes(canonical_json(index))
        os.replace(tmp, self.path / "index.json")
        return digest


def verify_blob(path: Path, digest: str) -> None:
    """Check a fetched blob against its digest, so a corrupt download never enters the cache."""
    expected = Digest.parse(digest)
    h = expected.hasher()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != expected.hex:
        raise BuildError(f"blob {digest} arrived corrupt (its content has another digest); try the build again")
