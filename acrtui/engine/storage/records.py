"""What the metadata index stores, as plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Attributes:
    """ACR's changeableAttributes: the locks on a repository, tag or manifest."""

    delete_enabled: bool = True
    write_enabled: bool = True
    read_enabled: bool = True
    list_enabled: bool = True

    def changed(self, **changes: bool | None) -> "Attributes":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class RepositoryRecord:
    name: str
    created: str
    updated: str
    attributes: Attributes
    manifest_count: int = 0
    tag_count: int = 0


@dataclass(frozen=True)
class TagRecord:
    repository: str
    name: str
    digest: str
    created: str
    updated: str
    attributes: Attributes


@dataclass(frozen=True)
class ChildRef:
    """A manifest an index points to, with the platform the index claims for it."""

    digest: str
    architecture: str = ""
    os: str = ""
    variant: str = ""


@dataclass(frozen=True)
class ManifestRecord:
    repository: str
    digest: str
    media_type: str
    body: bytes
    created: str = ""
    updated: str = ""
    attributes: Attributes = field(default_factory=Attributes)
    subject: str | None = None
    artifact_type: str = ""
    config_media_type: str = ""
    architecture: str = ""
    os: str = ""
    image_size: int = 0
    blobs: tuple[str, ...] = ()
    children: tuple[ChildRef, ...] = ()
    tags: tuple[str, ...] = ()
    annotations_json: str = ""

    @property
    def size(self) -> int:
        return len(self.body)


@dataclass(frozen=True)
class ManifestLookup:
    """What serving a manifest needs, in one query: its bytes and every lock that guards it."""

    digest: str
    media_type: str
    body: bytes
    attributes: Attributes
    repository_attributes: Attributes
    tag_attributes: Attributes | None = None


@dataclass(frozen=True)
class UploadRecord:
    id: str
    repository: str
    started: str
