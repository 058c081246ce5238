"""The metadata index interface: repositories, tags, manifests, references, locks, times.

Times are RFC 3339 UTC strings with microseconds ("2026-01-02T03:04:05.123456Z"); they sort as
text, so ordering by time needs no conversion. `last` is the keyset cursor for paging: the name
(or digest) of the last item of the previous page.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Literal

from acrtui.engine.storage.records import (
    Attributes,
    ManifestLookup,
    ManifestRecord,
    RepositoryRecord,
    TagRecord,
    UploadRecord,
)

Order = Literal["name", "timedesc", "timeasc"]


def index_time(when: datetime) -> str:
    """A time as the index stores it: RFC 3339 UTC with microseconds, so times sort as text."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MetaIndex(ABC):
    # Repositories
    @abstractmethod
    def get_repository(self, name: str) -> RepositoryRecord | None: ...

    @abstractmethod
    def list_repositories(self, *, last: str | None, limit: int | None, include_hidden: bool) -> list[str]:
        """Repositories holding at least one manifest, sorted by name, after `last`."""

    @abstractmethod
    def repository_attributes(self, name: str) -> Attributes | None:
        """The repository's locks, None when unknown (cheaper than get_repository's counts)."""

    @abstractmethod
    def set_repository_attributes(self, name: str, attributes: Attributes) -> RepositoryRecord | None: ...

    @abstractmethod
    def undeletable(self, repository: str, *, limit: int) -> tuple[list[str], list[str]]:
        """Tags and manifest digests (up to `limit` of each) whose locks forbid deleting them."""

    @abstractmethod
    def delete_repository(self, name: str) -> tuple[list[str], list[str]] | None:
        """Remove a repository; return (manifest digests, tag names) it held, None when unknown."""

    # Blobs linked to a repository (a blob is pullable from a repository only once linked)
    @abstractmethod
    def link_blob(self, repository: str, digest: str, size: int) -> None: ...

    @abstractmethod
    def linked_blob_size(self, repository: str, digest: str) -> int | None: ...

    @abstractmethod
    def blob_link(self, repository: str, digest: str) -> tuple[int, Attributes] | None:
        """Size of a blob linked in the repository and the repository's locks, in one lookup."""

    @abstractmethod
    def any_blob_size(self, digest: str) -> int | None:
        """Size of a blob linked in any repository (for automatic cross-repository mounts)."""

    @abstractmethod
    def missing_blobs(self, repository: str, digests: list[str]) -> list[str]: ...

    @abstractmethod
    def unlink_blob(self, repository: str, digest: str) -> bool: ...

    @abstractmethod
    def blob_in_use(self, digest: str) -> bool:
        """Whether any repository links the blob (a store may drop it when not)."""

    # Upload sessions
    @abstractmethod
    def create_upload(self, upload_id: str, repository: str) -> UploadRecord: ...

    @abstractmethod
    def get_upload(self, upload_id: str) -> UploadRecord | None: ...

    @abstractmethod
    def delete_upload(self, upload_id: str) -> None: ...

    @abstractmethod
    def uploads_started_before(self, stamp: str) -> list[str]:
        """Ids of upload sessions started before `stamp` (RFC 3339 UTC, as the index writes times)."""

    # Manifests and tags
    @abstractmethod
    def put_manifest(self, record: ManifestRecord, tag: str | None) -> str | None:
        """Store a manifest (and point `tag` at it) in one transaction; return the tag's previous digest."""

    @abstractmethod
    def get_manifest(self, repository: str, digest: str) -> ManifestRecord | None: ...

    @abstractmethod
    def lookup_manifest(self, repository: str, reference: str) -> ManifestLookup | None:
        """A manifest by tag or digest (a reference containing ':') with its locks, for serving pulls."""

    @abstractmethod
    def missing_manifests(self, repository: str, digests: list[str]) -> list[str]: ...

    @abstractmethod
    def get_tag(self, repository: str, tag: str) -> TagRecord | None: ...

    @abstractmethod
    def list_tags(
        self,
        repository: str,
        *,
        last: str | None,
        limit: int | None,
        include_hidden: bool,
        order: Order = "name",
        digest: str | None = None,
        last_time: str | None = None,
    ) -> list[TagRecord]:
        """Tags after `last`. In a time order `last_time` is the cursor's time, so paging survives the
        cursor's deletion; without it the time is looked up, and a vanished `last` ends the listing."""

    @abstractmethod
    def tag_names(self, repository: str, *, last: str | None, limit: int | None) -> list[str] | None:
        """Listed tag names sorted, after `last`; None when the repository is unknown."""

    @abstractmethod
    def list_manifests(
        self,
        repository: str,
        *,
        last: str | None,
        limit: int | None,
        include_hidden: bool,
        order: Order = "name",
        last_time: str | None = None,
    ) -> list[ManifestRecord]:
        """Manifests with their tags filled in; `name` order is by digest. `last_time` as for list_tags."""

    @abstractmethod
    def tags_of(self, repository: str, digest: str) -> list[str]: ...

    @abstractmethod
    def parents_of(self, repository: str, digest: str) -> list[str]:
        """Indexes in the repository that list this manifest."""

    @abstractmethod
    def referrers(self, repository: str, subject: str, artifact_type: str | None) -> list[ManifestRecord]: ...

    @abstractmethod
    def delete_manifest(self, repository: str, digest: str) -> list[str] | None:
        """Delete a manifest and its tags; return the tags removed, None when unknown."""

    @abstractmethod
    def delete_tag(self, repository: str, tag: str) -> bool: ...

    @abstractmethod
    def set_tag_attributes(self, repository: str, tag: str, attributes: Attributes) -> TagRecord | None: ...

    @abstractmethod
    def set_manifest_attributes(self, repository: str, digest: str, attributes: Attributes) -> ManifestRecord | None: ...

    @abstractmethod
    def set_times(self, repository: str, *, tag: str | None = None, digest: str | None = None, when: str) -> bool:
        """Set created/updated of a tag or manifest: restoring or seeding history, never a user action."""

    @abstractmethod
    def close(self) -> None: ...
