"""What a seed pushes: per repository, the blobs and the manifests in the order they can go."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from acrtui.oci.config import canonical_json
from acrtui.oci.digest import sha256_digest


@dataclass(frozen=True)
class Blob:
    digest: str
    data: bytes

    @classmethod
    def of(cls, data: bytes) -> "Blob":
        return cls(sha256_digest(data), data)

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self, media_type: str, **extra: object) -> dict[str, object]:
        return {"mediaType": media_type, "digest": self.digest, "size": self.size, **extra}


@dataclass(frozen=True)
class PlannedManifest:
    """A manifest to push: by each of `tags`, or by digest when it has none.

    `stage` orders pushes inside a repository: an index after its platform images, a referrer
    after its subject (and referrers of one subject one at a time, as a registry without the
    referrers API keeps them in one tag that each push rewrites).
    """

    raw: bytes
    media_type: str
    created: datetime
    tags: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()
    blobs: tuple[Blob, ...] = ()
    stage: int = 0

    @property
    def digest(self) -> str:
        return sha256_digest(self.raw)

    @property
    def size(self) -> int:
        return len(self.raw)

    def descriptor(self, **extra: object) -> dict[str, object]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}


@dataclass
class RepositoryPlan:
    name: str
    manifests: list[PlannedManifest] = field(default_factory=list)

    def blobs(self) -> dict[str, Blob]:
        return {b.digest: b for m in self.manifests for b in m.blobs}

    def stages(self) -> list[list[PlannedManifest]]:
        by_stage: dict[int, list[PlannedManifest]] = {}
        for m in self.manifests:
            by_stage.setdefault(m.stage, []).append(m)
        return [by_stage[s] for s in sorted(by_stage)]

    @property
    def tag_count(self) -> int:
        return sum(len(m.tags) for m in self.manifests)


def manifest_json(obj: dict[str, object]) -> bytes:
    """Manifests are written as canonical JSON, so the same content is the same digest."""
    return canonical_json(obj)
