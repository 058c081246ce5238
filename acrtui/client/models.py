"""What the client hands back: pages, locks, and repository / tag / manifest metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from acrtui.oci.manifest import Manifest, Platform

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; pass `next_last` as `last` for the next page (None: no more)."""

    items: list[T]
    next_last: str | None


@dataclass(frozen=True)
class Locks:
    """ACR's changeable attributes: what may be done with a repository, tag or manifest."""

    delete_enabled: bool = True
    write_enabled: bool = True
    read_enabled: bool = True
    list_enabled: bool = True

    @property
    def locked(self) -> bool:
        """ACR's "lock" is write and delete disabled."""
        return not self.write_enabled and not self.delete_enabled


@dataclass(frozen=True)
class RepositoryInfo:
    name: str
    tag_count: int | None = None
    manifest_count: int | None = None
    last_update: datetime | None = None
    locks: Locks | None = None
    created: datetime | None = None
    # Bytes of the repository's manifests (their `imageSize` summed); None where the registry cannot tell cheaply.
    size: int | None = None
    # The sum covers only the first page of manifests: the repository holds at least `size` bytes.
    size_is_lower_bound: bool = False


@dataclass(frozen=True)
class TagInfo:
    name: str
    digest: str | None = None
    created: datetime | None = None
    last_update: datetime | None = None
    locks: Locks | None = None
    signed: bool | None = None


@dataclass(frozen=True)
class ManifestInfo:
    digest: str
    media_type: str | None = None
    size: int | None = None
    created: datetime | None = None
    last_update: datetime | None = None
    architecture: str | None = None
    os: str | None = None
    tags: list[str] = field(default_factory=list)
    references: list[tuple[str, Platform | None]] = field(default_factory=list)
    locks: Locks | None = None


@dataclass(frozen=True)
class ManifestHead:
    """What a HEAD on a manifest tells: enough to know it exists and what it is."""

    digest: str
    media_type: str
    size: int


@dataclass(frozen=True)
class FetchedManifest:
    digest: str
    media_type: str
    raw: bytes
    manifest: Manifest

    @property
    def size(self) -> int:
        return len(self.raw)
