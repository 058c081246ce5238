"""Manifests of every media type, parsed into small dataclasses.

One parser serves the engine (which needs what a manifest references, to validate a push) and the
client (which shows what an image is made of).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import InvalidDigest, Digest


class InvalidManifest(ValueError):
    """The bytes are not a manifest of a media type we understand."""


@dataclass(frozen=True)
class Platform:
    os: str = ""
    architecture: str = ""
    variant: str = ""
    os_version: str = ""

    def __str__(self) -> str:
        parts = [p for p in (self.os, self.architecture, self.variant) if p]
        return "/".join(parts) or "unknown"

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Platform | None":
        if not data:
            return None
        return cls(
            os=str(data.get("os", "")),
            architecture=str(data.get("architecture", "")),
            variant=str(data.get("variant", "")),
            os_version=str(data.get("os.version", "")),
        )

    def to_json(self) -> dict[str, str]:
        """The descriptor's `platform` object, empty fields left out."""
        out = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        if self.os_version:
            out["os.version"] = self.os_version
        return out


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    artifact_type: str = ""
    annotations: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any, where: str) -> "Descriptor":
        if not isinstance(data, dict):
            raise InvalidManifest(f"{where} is not a descriptor object")
        digest = data.get("digest")
        size = data.get("size")
        try:
            Digest.parse(digest if isinstance(digest, str) else "")
        except InvalidDigest:
            raise InvalidManifest(f"{where} has an invalid digest {digest!r}") from None
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidManifest(f"{where} has an invalid size {size!r}")
        annotations = data.get("annotations") or {}
        return cls(
            media_type=str(data.get("mediaType", "")),
            digest=digest,
            size=size,
            platform=Platform.from_json(data.get("platform")),
            artifact_type=str(data.get("artifactType", "")),
            annotations={str(k): str(v) for k, v in annotations.items()} if isinstance(annotations, dict) else {},
        )


@dataclass(frozen=True)
class Manifest:
    """An image manifest, an index, or an artifact (an image manifest with artifactType)."""

    media_type: str
    schema_version: int
    config: Descriptor | None = None
    layers: tuple[Descriptor, ...] = ()
    manifests: tuple[Descriptor, ...] = ()
    subject: Descriptor | None = None
    artifact_type: str = ""
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def is_index(self) -> bool:
        return self.media_type in mt.INDEXES

    @property
    def effective_artifact_type(self) -> str:
        """The type the referrers API reports: artifactType, else the config's media type."""
        if self.artifact_type:
            return self.artifact_type
        if self.config is not None and not self.is_index:
            return self.config.media_type
        return ""

    def blob_digests(self) -> list[str]:
        """Blobs this manifest needs in the repository: config and layers (foreign layers excluded)."""
        out = [self.config.digest] if self.config else []
        out += [d.digest for d in self.layers if d.media_type != mt.DOCKER_FOREIGN_LAYER]
        return out

    def child_digests(self) -> list[str]:
        return [d.digest for d in self.manifests]

    @property
    def layer_size(self) -> int:
        return sum(d.size for d in self.layers) + (self.config.size if self.config else 0)


def parse_manifest(body: bytes, content_type: str | None = None) -> Manifest:
    """Parse manifest bytes; the media type comes from the body, else from Content-Type."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidManifest("manifest is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidManifest("manifest is not a JSON object")
    media_type = data.get("mediaType") or (content_type or "").split(";")[0].strip()
    if not media_type:
        # An OCI manifest may omit mediaType; its shape says which one it is.
        media_type = mt.OCI_INDEX if "manifests" in data else mt.OCI_MANIFEST
    if content_type and data.get("mediaType"):
        ct = content_type.split(";")[0].strip()
        if ct in mt.MANIFESTS and ct != data["mediaType"]:
            raise InvalidManifest(f"Content-Type {ct} does not match the manifest's mediaType {data['mediaType']}")
    if media_type not in mt.MANIFESTS:
        raise InvalidManifest(f"unsupported manifest media type {media_type!r}")
    schema_version = data.get("schemaVersion")
    if schema_version != 2:
        raise InvalidManifest(f"unsupported schemaVersion {schema_version!r}")
    subject = Descriptor.from_json(data["subject"], "subject") if data.get("subject") else None
    annotations = data.get("annotations") or {}
    common = dict(
        media_type=media_type,
        schema_version=2,
        subject=subject,
        artifact_type=str(data.get("artifactType", "")),
        annotations=dict(annotations) if isinstance(annotations, dict) else {},
    )
    if media_type in mt.INDEXES:
        children = data.get("manifests")
        if not isinstance(children, list):
            raise InvalidManifest("index has no manifests list")
        return Manifest(
            manifests=tuple(Descriptor.from_json(c, f"manifests[{i}]") for i, c in enumerate(children)),
            **common,
        )
    if "config" not in data:
        raise InvalidManifest("image manifest has no config")
    layers = data.get("layers", [])
    if not isinstance(layers, list):
        raise InvalidManifest("image manifest layers is not a list")
    return Manifest(
        config=Descriptor.from_json(data["config"], "config"),
        layers=tuple(Descriptor.from_json(l, f"layers[{i}]") for i, l in enumerate(layers)),
        **common,
    )
