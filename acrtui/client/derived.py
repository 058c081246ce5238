"""Metadata for registries without ACR's API, derived from the OCI API one page at a time.

A tag's digest comes from a HEAD on its manifest; its time and platform from the image config's
`created`, `os` and `architecture`; sizes from the manifest's descriptors. Only the requested
page is looked at, never every manifest, and manifests and configs are cached by digest (they
never change), so sibling tags and later pages cost little.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from acrtui.client.errors import NotFound, RegistryError, Unsupported
from acrtui.client.models import ManifestInfo, Page, RepositoryInfo, TagInfo
from acrtui.oci import mediatypes as mt

if TYPE_CHECKING:
    from acrtui.client.registry import RegistryClient

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_PAGE = 100
CONCURRENCY = 8
CACHE_ENTRIES = 4096


class LruCache(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def discard(self, key: K) -> None:
        self._items.pop(key, None)

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


@dataclass(frozen=True)
class _Summary:
    """What a manifest digest tells once looked at: never changes, so it is cached."""

    media_type: str
    size: int | None
    created: datetime | None
    architecture: str | None
    os: str | None
    references: list


class DerivedMetadata:
    def __init__(self, client: "RegistryClient") -> None:
        self._client = client
        self._summaries: LruCache[tuple[str, str], _Summary] = LruCache(CACHE_ENTRIES)
        self._gate = asyncio.Semaphore(CONCURRENCY)
        self._pending: dict[tuple[str, str], asyncio.Future[_Summary | None]] = {}

    async def repository_info(self, repo: str) -> RepositoryInfo:
        """The tag count, from the registry's own pages (no `n`: one request where it lists all)."""
        count, last = 0, None
        while True:
            page = await self._client.tags(repo, last=last)
            count += len(page.items)
            if page.next_last is None or not page.items:
                return RepositoryInfo(name=repo, tag_count=count)
            last = page.next_last

    async def tag_infos(self, repo: str, n: int | None, last: str | None) -> Page[TagInfo]:
        page = await self._client.tags(repo, n=n or DEFAULT_PAGE, last=last)
        pairs = await asyncio.gather(*(self._tag(repo, tag) for tag in page.items))
        return Page([info for info, _ in pairs], page.next_last)

    async def manifest_infos(self, repo: str, n: int | None, last: str | None) -> Page[ManifestInfo]:
        """One page of tags, grouped by the manifest they point to (untagged manifests are invisible here)."""
        page = await self._client.tags(repo, n=n or DEFAULT_PAGE, last=last)
        pairs = await asyncio.gather(*(self._tag(repo, tag) for tag in page.items))
        grouped: dict[str, tuple[_Summary, list[str]]] = {}
        for info, summary in pairs:
            if info.digest and summary is not None:
                grouped.setdefault(info.digest, (summary, []))[1].append(info.name)
        items = [
            ManifestInfo(
                digest=digest,
                media_type=s.media_type,
                size=s.size,
                created=s.created,
                architecture=s.architecture,
                os=s.os,
                tags=tags,
                references=list(s.references),
            )
            for digest, (s, tags) in grouped.items()
        ]
        return Page(items, page.next_last)

    async def _tag(self, repo: str, tag: str) -> tuple[TagInfo, _Summary | None]:
        async with self._gate:
            head = await self._client.head_manifest(repo, tag)
        if head is None:
            # Deleted between listing and looking: show the name, nothing else.
            return TagInfo(name=tag), None
        summary = await self.summary(repo, head.digest)
        return TagInfo(name=tag, digest=head.digest, created=summary.created if summary else None), summary

    async def summary(self, repo: str, digest: str) -> _Summary | None:
        key = (repo, digest)
        cached = self._summaries.get(key)
        if cached is not None:
            return cached
        # Sibling tags on one page ask for the same digest at once: look at it only once.
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = asyncio.ensure_future(self._summarize(repo, digest))
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    async def _summarize(self, repo: str, digest: str) -> _Summary | None:
        try:
            async with self._gate:
                fetched = await self._client.get_manifest(repo, digest)
        except (NotFound, Unsupported):
            return None
        manifest = fetched.manifest
        if manifest.is_index:
            children = await asyncio.gather(*(self.summary(repo, d.digest) for d in manifest.manifests))
            known = [c for c in children if c is not None]
            times = [c.created for c in known if c.created]
            summary = _Summary(
                media_type=fetched.media_type,
                size=sum(c.size or 0 for c in known) if known else None,
                created=max(times) if times else None,
                architecture=None,
                os=None,
                references=[(d.digest, d.platform) for d in manifest.manifests],
            )
        else:
            created = arch = os_name = None
            if manifest.config is not None and manifest.config.media_type in (mt.OCI_CONFIG, mt.DOCKER_CONFIG):
                try:
                    async with self._gate:
                        config = await self._client.get_config(repo, manifest)
                    created, arch, os_name = config.created, config.architecture or None, config.os or None
                except RegistryError:
                    # A missing or unreadable config leaves the time unknown; the rest still shows.
                    pass
            summary = _Summary(fetched.media_type, manifest.layer_size, created, arch, os_name, [])
        self._summaries.put((repo, digest), summary)
        return summary
