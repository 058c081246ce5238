"""ACR's data-plane metadata API (`/acr/v1/…`): repository, tag and manifest attributes.

Shapes follow the ACR REST API (as the azure-containerregistry SDK models them): `_tags` answers
`{registry, imageName, tags: [{name, digest, createdTime, lastUpdateTime, signed,
changeableAttributes}]}`, `_manifests` answers `{…, manifests: [{digest, imageSize, createdTime,
lastUpdateTime, architecture, os, mediaType, tags, references, changeableAttributes}]}`, and
paging is a Link header with `last`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from acrtui.client.errors import RegistryError
from acrtui.client.models import Locks, ManifestInfo, Page, RepositoryInfo, TagInfo
from acrtui.client.transport import Transport, next_last
from acrtui.oci.config import parse_time
from acrtui.oci.manifest import Platform

CATALOG_SCOPE = "registry:catalog:*"
LOCK_FIELDS = {
    "delete_enabled": "deleteEnabled",
    "write_enabled": "writeEnabled",
    "read_enabled": "readEnabled",
    "list_enabled": "listEnabled",
}


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def locks_from(value: Any) -> Locks | None:
    if not isinstance(value, dict):
        return None
    return Locks(**{name: bool(value.get(key, True)) for name, key in LOCK_FIELDS.items()})


def tag_info(data: dict[str, Any]) -> TagInfo:
    signed = data.get("signed")
    return TagInfo(
        name=str(data.get("name", "")),
        digest=data.get("digest") or None,
        created=_time(data.get("createdTime")),
        last_update=_time(data.get("lastUpdateTime")),
        locks=locks_from(data.get("changeableAttributes")),
        signed=signed if isinstance(signed, bool) else None,
    )


def manifest_info(data: dict[str, Any]) -> ManifestInfo:
    references = []
    for ref in data.get("references") or []:
        if isinstance(ref, dict) and ref.get("digest"):
            platform = Platform(os=str(ref.get("os") or ""), architecture=str(ref.get("architecture") or ""))
            references.append((str(ref["digest"]), platform if platform.os or platform.architecture else None))
    size = data.get("imageSize")
    return ManifestInfo(
        digest=str(data.get("digest", "")),
        media_type=data.get("mediaType") or None,
        size=size if isinstance(size, int) else None,
        created=_time(data.get("createdTime")),
        last_update=_time(data.get("lastUpdateTime")),
        architecture=data.get("architecture") or None,
        os=data.get("os") or None,
        tags=[str(t) for t in data.get("tags") or []],
        references=references,
        locks=locks_from(data.get("changeableAttributes")),
    )


def lock_changes(changes: dict[str, bool]) -> dict[str, bool]:
    unknown = set(changes) - set(LOCK_FIELDS)
    if unknown:
        raise ValueError(f"unknown lock attribute(s) {sorted(unknown)}; use {sorted(LOCK_FIELDS)}")
    return {LOCK_FIELDS[name]: bool(value) for name, value in changes.items()}


class AcrApi:
    """Calls to `/acr/v1`; only used once the registry has shown it has that API."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def available(self) -> bool:
        response = await self._t.request("GET", "/acr/v1/_catalog", params={"n": 1}, scopes=[CATALOG_SCOPE])
        body = await response.aread()
        await response.aclose()
        if response.status_code == 200:
            return isinstance(_loads(body), dict)
        # A registry that has the API but will not list the catalog for us still has the API.
        return response.status_code == 403 and isinstance(_loads(body), dict)

    async def repository(self, repo: str) -> RepositoryInfo:
        data = await self._get(f"/acr/v1/{quote(repo)}", _read(repo), f"repository {repo}", repo)
        tags, manifests = data.get("tagCount"), data.get("manifestCount")
        return RepositoryInfo(
            name=str(data.get("imageName") or repo),
            tag_count=tags if isinstance(tags, int) else None,
            manifest_count=manifests if isinstance(manifests, int) else None,
            last_update=_time(data.get("lastUpdateTime")),
            locks=locks_from(data.get("changeableAttributes")),
            created=_time(data.get("createdTime")),
        )

    async def tags(self, repo: str, n: int | None, last: str | None, orderby: str | None) -> Page[TagInfo]:
        response = await self._page(f"/acr/v1/{quote(repo)}/_tags", repo, n, last, orderby, f"tags of {repo}")
        data = _object(await response.aread(), self._t.host, f"tags of {repo}")
        items = [tag_info(t) for t in data.get("tags") or [] if isinstance(t, dict)]
        return Page(items, next_last(response))

    async def manifests(self, repo: str, n: int | None, last: str | None, orderby: str | None) -> Page[ManifestInfo]:
        response = await self._page(f"/acr/v1/{quote(repo)}/_manifests", repo, n, last, orderby, f"manifests of {repo}")
        data = _object(await response.aread(), self._t.host, f"manifests of {repo}")
        items = [manifest_info(m) for m in data.get("manifests") or [] if isinstance(m, dict)]
        return Page(items, next_last(response))

    async def tag(self, repo: str, tag: str) -> TagInfo:
        data = await self._get(f"/acr/v1/{quote(repo)}/_tags/{quote(tag)}", _read(repo), f"tag {repo}:{tag}", repo)
        return tag_info(data.get("tag") or {})

    async def manifest(self, repo: str, digest: str) -> ManifestInfo:
        data = await self._get(f"/acr/v1/{quote(repo)}/_manifests/{digest}", _read(repo), f"manifest {repo}@{digest}", repo)
        return manifest_info(data.get("manifest") or {})

    async def delete_tag(self, repo: str, tag: str) -> None:
        what = f"tag {repo}:{tag}"
        response = await self._t.request(
            "DELETE", f"/acr/v1/{quote(repo)}/_tags/{quote(tag)}", scopes=[f"repository:{repo}:delete"]
        )
        if response.status_code not in (200, 202, 204):
            raise await self._t.error(response, what, repo)
        await response.aclose()

    async def set_tag_locks(self, repo: str, tag: str, changes: dict[str, bool]) -> Locks:
        data = await self._patch(f"/acr/v1/{quote(repo)}/_tags/{quote(tag)}", repo, changes, f"tag {repo}:{tag}")
        return locks_from((data.get("tag") or {}).get("changeableAttributes")) or Locks()

    async def set_manifest_locks(self, repo: str, digest: str, changes: dict[str, bool]) -> Locks:
        data = await self._patch(f"/acr/v1/{quote(repo)}/_manifests/{digest}", repo, changes, f"manifest {repo}@{digest}")
        return locks_from((data.get("manifest") or {}).get("changeableAttributes")) or Locks()

    async def _page(self, path: str, repo: str, n: int | None, last: str | None, orderby: str | None, what: str) -> httpx.Response:
        params = {k: v for k, v in (("n", n), ("last", last), ("orderby", orderby)) if v is not None}
        response = await self._t.request("GET", path, params=params, scopes=_read(repo))
        if response.status_code != 200:
            raise await self._t.error(response, what, repo)
        return response

    async def _get(self, path: str, scopes: list[str], what: str, repo: str) -> dict[str, Any]:
        response = await self._t.request("GET", path, scopes=scopes)
        if response.status_code != 200:
            raise await self._t.error(response, what, repo)
        return _object(await response.aread(), self._t.host, what)

    async def _patch(self, path: str, repo: str, changes: dict[str, bool], what: str) -> dict[str, Any]:
        body = json.dumps(lock_changes(changes)).encode()
        response = await self._t.request(
            "PATCH", path, content=body, headers={"Content-Type": "application/json"},
            scopes=[f"repository:{repo}:metadata_write"],
        )
        if response.status_code != 200:
            raise await self._t.error(response, what, repo)
        return _object(await response.aread(), self._t.host, what)


def _read(repo: str) -> list[str]:
    return [f"repository:{repo}:metadata_read"]


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _object(body: bytes, host: str, what: str) -> dict[str, Any]:
    data = _loads(body)
    if not isinstance(data, dict):
        raise RegistryError(f"{host} answered the request for {what} with something that is not JSON; check it is an ACR-compatible registry")
    return data
