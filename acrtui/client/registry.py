"""RegistryClient: one async client for any OCI registry, embedded or remote."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from acrtui.client.acr import CATALOG_SCOPE, AcrApi
from acrtui.client.credentials import Credentials, docker_credentials
from acrtui.client.derived import DerivedMetadata, LruCache
from acrtui.client.errors import Denied, NotFound, RegistryError, Unsupported, network_error
from acrtui.client.models import FetchedManifest, Locks, ManifestHead, ManifestInfo, Page, RepositoryInfo, TagInfo
from acrtui.client.profiles import Profile
from acrtui.client.transport import Body, Transport, next_last, next_url
from acrtui.oci import mediatypes as mt
from acrtui.oci.config import ImageConfig, InvalidConfig
from acrtui.oci.digest import Digest, InvalidDigest
from acrtui.oci.manifest import Descriptor, InvalidManifest, Manifest, parse_manifest
from acrtui.oci.reference import is_valid_name, is_valid_reference, is_valid_tag

MANIFEST_LIMIT = 4 * 1024 * 1024
CONFIG_LIMIT = 8 * 1024 * 1024
# OCI 1.1-rc artifact manifests (ACR stores them): asked for so they can be named, not read.
OCI_ARTIFACT_MANIFEST = "application/vnd.oci.artifact.manifest.v1+json"
ACCEPT_MANIFESTS = f"{mt.ACCEPT_ALL_MANIFESTS}, {OCI_ARTIFACT_MANIFEST}"
# Blobs up to this size go in one PUT; bigger ones in PATCH chunks of DEFAULT_CHUNK.
MONOLITHIC_LIMIT = 16 * 1024 * 1024
DEFAULT_CHUNK = 16 * 1024 * 1024
# Blobs up to this size go in the POST itself. A registry without single-POST uploads ignores
# the body, so it is sent twice: cheap at this size, which is also what Go's HTTP server (hence
# distribution) drains from an unread body before it drops the connection.
SMALL_BLOB = 256 * 1024
FILE_READ = 1024 * 1024
# A repository's size costs one page of ACR's manifest listing, at its largest.
SIZE_MANIFESTS = 1000
# Full tag lists kept for registries that ignore `n` (a 100,000-tag list is a few MB).
UNPAGED_REPOSITORIES = 4


def _pull(repo: str) -> list[str]:
    return [f"repository:{repo}:pull"]


def _push(repo: str) -> list[str]:
    return [f"repository:{repo}:pull,push"]


def _delete(repo: str) -> list[str]:
    return [f"repository:{repo}:delete"]


def referrers_tag(digest: str) -> str:
    """The fallback tag schema's tag for a subject: `sha256:abc…` → `sha256-abc…`."""
    return digest.replace(":", "-")


class RegistryClient:
    """Async; one instance per registry; connections are reused until `aclose()`."""

    def __init__(
        self,
        profile: Profile,
        *,
        timeout: float = 30.0,
        find_credentials: Callable[[str], Credentials | None] | None = docker_credentials,
    ) -> None:
        self.profile = profile
        self._t = Transport(profile, timeout=timeout, find_credentials=find_credentials)
        self.url = profile.url
        self.host = profile.host
        self.read_only = profile.read_only
        self._acr_api = AcrApi(self._t)
        self._acr: bool | None = None
        self._acr_probe = asyncio.Lock()
        self._derived = DerivedMetadata(self)
        self._unpaged_tags: LruCache[str, list[str]] = LruCache(UNPAGED_REPOSITORIES)

    def __repr__(self) -> str:
        return f"RegistryClient(url={self.url!r}, read_only={self.read_only})"

    async def __aenter__(self) -> "RegistryClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._t.aclose()

    # -- discovery -------------------------------------------------------------------------

    async def ping(self) -> None:
        response = await self._t.request("GET", "/v2/")
        if response.status_code == 200:
            return
        if response.status_code == 404:
            await response.aclose()
            raise Unsupported(f"{self.host} does not serve the registry API at /v2/; check the address", status=404)
        raise await self._t.error(response, "the registry API")

    async def supports_acr(self) -> bool:
        """Whether `/acr/v1` answers (ACR and the embedded engine); asked once per client."""
        async with self._acr_probe:
            if self._acr is None:
                try:
                    self._acr = await self._acr_api.available()
                except Denied:
                    self._acr = True
        return self._acr

    async def catalog(self, n: int | None = None, last: str | None = None) -> Page[str]:
        response = await self._t.request("GET", "/v2/_catalog", params=_paging(n, last), scopes=[CATALOG_SCOPE])
        if response.status_code != 200:
            raise await self._t.error(response, "the repository catalog")
        data = _json_object(response.content, self.host, "the repository catalog")
        return _window([str(r) for r in data.get("repositories") or []], n, last, next_last(response))

    async def tags(self, repo: str, n: int | None = None, last: str | None = None) -> Page[str]:
        _check_repo(repo)
        unpaged = self._unpaged_tags.get(repo)
        if last is not None and n is not None and unpaged is not None:
            return _window(unpaged, n, last, None)
        response = await self._t.request("GET", f"/v2/{repo}/tags/list", params=_paging(n, last), scopes=_pull(repo))
        if response.status_code != 200:
            raise await self._t.error(response, f"the tags of {repo}", repo)
        data = _json_object(response.content, self.host, f"the tags of {repo}")
        items = sorted(str(t) for t in data.get("tags") or [])
        if n is not None and len(items) > n:
            # The registry ignored `n` (docker-registry 2.8 always lists every tag): keep the
            # list so the next pages do not download it again; a first page fetches it afresh.
            self._unpaged_tags.put(repo, items)
        return _window(items, n, last, next_last(response))

    # -- metadata (ACR API, else derived) --------------------------------------------------

    async def repository_info(self, repo: str) -> RepositoryInfo:
        _check_repo(repo)
        if await self.supports_acr():
            return await self._acr_api.repository(repo)
        return await self._derived.repository_info(repo)

    async def with_size(self, info: RepositoryInfo, *, n: int | None = None) -> RepositoryInfo:
        """`info` with its size: the `imageSize` of the repository's manifests summed, from one
        page of ACR's listing (`n`, by default SIZE_MANIFESTS; a lower bound when more follow).
        Without the ACR API it would take every manifest, so `info` comes back as it is (size None)."""
        _check_repo(info.name)
        if not await self.supports_acr():
            return info
        page = await self._acr_api.manifests(info.name, n or SIZE_MANIFESTS, None, None)
        size = sum(m.size or 0 for m in page.items)
        return dataclasses.replace(info, size=size, size_is_lower_bound=page.next_last is not None)

    async def tag_infos(
        self, repo: str, n: int | None = None, last: str | None = None, orderby: str | None = None
    ) -> Page[TagInfo]:
        """`orderby` is ACR's `timedesc`/`timeasc`; without the ACR API tags come by name only."""
        _check_repo(repo)
        if await self.supports_acr():
            return await self._acr_api.tags(repo, n, last, orderby)
        _check_order(orderby, self.host)
        return await self._derived.tag_infos(repo, n, last)

    async def manifest_infos(
        self, repo: str, n: int | None = None, last: str | None = None, orderby: str | None = None
    ) -> Page[ManifestInfo]:
        _check_repo(repo)
        if await self.supports_acr():
            return await self._acr_api.manifests(repo, n, last, orderby)
        _check_order(orderby, self.host)
        return await self._derived.manifest_infos(repo, n, last)

    # -- manifests -------------------------------------------------------------------------

    async def get_manifest(self, repo: str, reference: str) -> FetchedManifest:
        _check_repo(repo)
        _check_reference(reference)
        what = f"manifest {repo}{_at(reference)}"
        response = await self._t.request(
            "GET", f"/v2/{repo}/manifests/{reference}", headers={"Accept": ACCEPT_MANIFESTS}, scopes=_pull(repo)
        )
        if response.status_code != 200:
            raise await self._t.error(response, what, repo)
        raw = response.content
        if len(raw) > MANIFEST_LIMIT:
            raise Unsupported(f"{what} is {len(raw)} bytes, over the 4 MiB a manifest may have; it cannot be shown")
        digest = _verified_digest(raw, reference, what)
        content_type = response.headers.get("content-type")
        try:
            manifest = parse_manifest(raw, content_type)
        except InvalidManifest as exc:
            declared = _declared_media_type(raw) or (content_type or "").split(";")[0].strip()
            if declared and declared not in mt.MANIFESTS:
                raise Unsupported(
                    f"{what} has media type {declared}, which acrtui cannot read; inspect it with a tool that knows that type"
                ) from None
            raise RegistryError(f"{what} is not a valid manifest ({exc}); push it again") from None
        return FetchedManifest(digest=digest, media_type=manifest.media_type, raw=raw, manifest=manifest)

    async def head_manifest(self, repo: str, reference: str) -> ManifestHead | None:
        """Digest, media type and size of a manifest; None when it does not exist."""
        _check_repo(repo)
        _check_reference(reference)
        response = await self._t.request(
            "HEAD", f"/v2/{repo}/manifests/{reference}", headers={"Accept": ACCEPT_MANIFESTS}, scopes=_pull(repo)
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise await self._t.error(response, f"manifest {repo}{_at(reference)}", repo)
        digest = response.headers.get("docker-content-digest")
        media_type = (response.headers.get("content-type") or "").split(";")[0].strip()
        size = response.headers.get("content-length")
        if not digest or not media_type or not (size or "").isdigit():
            # Some registries leave HEAD headers out; the body says it all.
            fetched = await self.get_manifest(repo, reference)
            return ManifestHead(fetched.digest, fetched.media_type, fetched.size)
        return ManifestHead(digest, media_type, int(size))

    async def put_manifest(self, repo: str, reference: str, raw: bytes, media_type: str) -> str:
        """Push a manifest under a tag or its digest; returns its digest.

        A manifest with a `subject` pushed to a registry without the referrers API is also
        added to the subject's `sha256-<hex>` index, as the distribution spec asks of clients.
        """
        _check_repo(repo)
        _check_reference(reference)
        self._check_writable("push a manifest")
        self._unpaged_tags.discard(repo)
        what = f"manifest {repo}{_at(reference)}"
        response = await self._t.request(
            "PUT", f"/v2/{repo}/manifests/{reference}", content=raw, headers={"Content-Type": media_type}, scopes=_push(repo)
        )
        if response.status_code not in (200, 201):
            raise await self._t.error(response, what, repo)
        digest = response.headers.get("docker-content-digest") or str(Digest.of(raw))
        try:
            manifest = parse_manifest(raw, media_type)
        except InvalidManifest:
            return digest
        if manifest.subject is not None and "oci-subject" not in response.headers:
            entry = Descriptor(
                media_type, digest, len(raw), artifact_type=manifest.effective_artifact_type, annotations=manifest.annotations
            )
            await self._update_referrers_tag(repo, manifest.subject.digest, add=entry, remove=digest)
        return digest

    async def _update_referrers_tag(self, repo: str, subject: str, *, add: Descriptor | None, remove: str) -> None:
        """Rewrite the subject's `sha256-<hex>` index: without `remove`, with `add` when given."""
        tag = referrers_tag(subject)
        try:
            listed = list((await self.get_manifest(repo, tag)).manifest.manifests)
        except NotFound:
            if add is None:
                return
            listed = []
        kept = [d for d in listed if d.digest != remove]
        if add is None and len(kept) == len(listed):
            return
        index = {
            "schemaVersion": 2,
            "mediaType": mt.OCI_INDEX,
            "manifests": [_descriptor_json(d) for d in kept + ([add] if add else [])],
        }
        await self.put_manifest(repo, tag, json.dumps(index, separators=(",", ":")).encode(), mt.OCI_INDEX)

    async def delete_manifest(self, repo: str, digest: str) -> None:
        """Delete by digest; a referrer is also taken out of its subject's fallback tag index."""
        _check_repo(repo)
        _check_digest(digest)
        self._check_writable("delete a manifest")
        self._unpaged_tags.discard(repo)
        subject = None
        if not await self.supports_acr():
            try:
                subject = (await self.get_manifest(repo, digest)).manifest.subject
            except (NotFound, Unsupported):
                subject = None
        response = await self._t.request("DELETE", f"/v2/{repo}/manifests/{digest}", scopes=_delete(repo))
        if response.status_code in (405, 501) or (response.status_code == 400 and b"UNSUPPORTED" in response.content):
            await response.aclose()
            raise Unsupported(f"{self.host} does not allow deleting manifests; enable deletes on the registry", status=405)
        if response.status_code not in (200, 202):
            raise await self._t.error(response, f"manifest {repo}@{digest}", repo)
        if subject is not None:
            await self._update_referrers_tag(repo, subject.digest, add=None, remove=digest)

    async def delete_tag(self, repo: str, tag: str) -> None:
        """Untag: ACR's `_tags` DELETE when present, else the spec 1.1 DELETE of a tag reference."""
        _check_repo(repo)
        if not is_valid_tag(tag):
            raise RegistryError(f"{tag!r} is not a valid tag; tags are letters, digits, '_', '.' and '-'")
        self._check_writable("delete a tag")
        self._unpaged_tags.discard(repo)
        if await self.supports_acr():
            return await self._acr_api.delete_tag(repo, tag)
        response = await self._t.request("DELETE", f"/v2/{repo}/manifests/{tag}", scopes=_delete(repo))
        if response.status_code in (200, 202):
            return
        if response.status_code in (400, 405, 501):
            await response.aclose()
            raise Unsupported(
                f"{self.host} cannot delete a tag on its own; delete the manifest it points to instead (that removes all its tags)",
                status=response.status_code)
        raise await self._t.error(response, f"tag {repo}:{tag}", repo)

    async def set_tag_locks(self, repo: str, tag: str, **changes: bool) -> Locks:
        _check_repo(repo)
        self._check_writable("change locks")
        await self._require_acr()
        return await self._acr_api.set_tag_locks(repo, tag, changes)

    async def set_manifest_locks(self, repo: str, digest: str, **changes: bool) -> Locks:
        _check_repo(repo)
        _check_digest(digest)
        self._check_writable("change locks")
        await self._require_acr()
        return await self._acr_api.set_manifest_locks(repo, digest, changes)

    # -- configs and referrers -------------------------------------------------------------

    async def get_config(self, repo: str, manifest: Manifest) -> ImageConfig:
        if manifest.is_index:
            raise Unsupported("an index has no image config of its own; pick one of its platforms")
        config = manifest.config
        if config is None or config.media_type not in (mt.OCI_CONFIG, mt.DOCKER_CONFIG):
            kind = config.media_type if config else "none"
            raise Unsupported(f"this is an artifact (config type {kind}), not an image, so it has no image config")
        if config.size > CONFIG_LIMIT:
            raise Unsupported(f"the image config {config.digest} is {config.size} bytes, too big to read")
        body = b"".join([chunk async for chunk in self.stream_blob(repo, config.digest)])
        try:
            return ImageConfig.from_json(body)
        except InvalidConfig as exc:
            raise RegistryError(f"the image config of {repo} is unreadable ({exc})") from None

    async def referrers(self, repo: str, digest: str, artifact_type: str | None = None) -> list[Descriptor]:
        """Manifests whose subject is `digest`: the referrers API, else the `sha256-<hex>` tag schema."""
        _check_repo(repo)
        _check_digest(digest)
        params = {"artifactType": artifact_type} if artifact_type else None
        response = await self._t.request(
            "GET", f"/v2/{repo}/referrers/{digest}", params=params, headers={"Accept": mt.OCI_INDEX}, scopes=_pull(repo)
        )
        if response.status_code == 404:
            await response.aclose()
            return await self._referrers_by_tag(repo, digest, artifact_type)
        if response.status_code != 200:
            raise await self._t.error(response, f"the referrers of {repo}@{digest}", repo)
        found = _descriptors(response.content, f"the referrers of {repo}@{digest}", self.host)
        while (last_url := next_url(response)) is not None:
            response = await self._t.request("GET", last_url, headers={"Accept": mt.OCI_INDEX}, scopes=_pull(repo))
            if response.status_code != 200:
                raise await self._t.error(response, f"the referrers of {repo}@{digest}", repo)
            found += _descriptors(response.content, f"the referrers of {repo}@{digest}", self.host)
        applied = response.headers.get("oci-filters-applied", "")
        if artifact_type and "artifactType" not in applied:
            found = [d for d in found if d.artifact_type == artifact_type]
        return found

    async def _referrers_by_tag(self, repo: str, digest: str, artifact_type: str | None) -> list[Descriptor]:
        try:
            index = (await self.get_manifest(repo, referrers_tag(digest))).manifest
        except NotFound:
            return []
        return [d for d in index.manifests if not artifact_type or d.artifact_type == artifact_type]

    # -- blobs -----------------------------------------------------------------------------

    async def blob_exists(self, repo: str, digest: str) -> bool:
        _check_repo(repo)
        _check_digest(digest)
        return await self._blob_exists(repo, digest, _pull(repo))

    async def _blob_exists(self, repo: str, digest: str, scopes: list[str]) -> bool:
        response = await self._t.request("HEAD", f"/v2/{repo}/blobs/{digest}", scopes=scopes, follow_redirects=True)
        if response.status_code == 200:
            return True
        if response.status_code == 404:
            return False
        raise await self._t.error(response, f"blob {digest} in {repo}", repo)

    async def stream_blob(self, repo: str, digest: str) -> AsyncIterator[bytes]:
        """The blob's bytes as they arrive, checked against its digest at the end."""
        _check_repo(repo)
        expected = _check_digest(digest)
        response = await self._t.request(
            "GET", f"/v2/{repo}/blobs/{digest}", scopes=_pull(repo), stream=True, follow_redirects=True
        )
        try:
            if response.status_code != 200:
                raise await self._t.error(response, f"blob {digest} in {repo}", repo)
            hasher = expected.hasher()
            try:
                async for chunk in response.aiter_bytes():
                    hasher.update(chunk)
                    yield chunk
            except httpx.HTTPError as exc:
                raise network_error(exc, self.host, self._t.timeout) from None
            if hasher.hexdigest() != expected.hex:
                raise RegistryError(
                    f"blob {digest} in {repo} arrived truncated or corrupt (its content does not match its digest); try again")
        finally:
            await response.aclose()

    async def mount_blob(self, repo: str, digest: str, from_repo: str | None) -> bool:
        """Cross-repository mount; False when the registry would rather have the upload."""
        _check_repo(repo)
        _check_digest(digest)
        self._check_writable("push")
        params = {"mount": digest}
        scopes = _push(repo)
        if from_repo:
            _check_repo(from_repo)
            params["from"] = from_repo
            scopes += _pull(from_repo)
        response = await self._t.request("POST", f"/v2/{repo}/blobs/uploads/", params=params, scopes=scopes)
        if response.status_code == 201:
            return True
        if response.status_code == 202:
            # The registry opened an upload instead; cancel it rather than leave it dangling.
            location = response.headers.get("location")
            if location:
                await self._cancel_upload(location, scopes)
            return False
        raise await self._t.error(response, f"blob {digest} in {repo}", repo)

    async def push_blob(
        self,
        repo: str,
        digest: str,
        data: bytes | Path,
        *,
        chunk_size: int | None = None,
        mount_from: str | None = None,
    ) -> None:
        """Upload a blob unless the repository has it (or can mount it from `mount_from`).

        Up to 16 MiB goes in one PUT unless `chunk_size` is given; bigger blobs go in PATCH chunks.
        A small blob in memory skips the existence check, which would cost as much as sending it.
        """
        _check_repo(repo)
        expected = _check_digest(digest)
        self._check_writable("push")
        if isinstance(data, bytes) and hashlib.new(expected.algorithm, data).hexdigest() != expected.hex:
            raise ValueError(f"the data given for {digest} does not have that digest")
        if isinstance(data, bytes) and len(data) <= SMALL_BLOB and chunk_size is None:
            await self._push_small(repo, digest, data, mount_from)
            return
        # Ask with the push scope already, so the upload that may follow needs no second token.
        if await self._blob_exists(repo, digest, _push(repo)):
            return
        if mount_from and await self.mount_blob(repo, digest, mount_from):
            return
        size = len(data) if isinstance(data, bytes) else data.stat().st_size
        response = await self._t.request("POST", f"/v2/{repo}/blobs/uploads/", scopes=_push(repo))
        if response.status_code != 202:
            raise await self._t.error(response, f"an upload to {repo}", repo)
        await self._upload_into(repo, digest, data, size, _location(response, self.host), chunk_size)

    async def _push_small(self, repo: str, digest: str, data: bytes, mount_from: str | None) -> None:
        """One POST: a mount, or the whole blob (the spec's single-POST upload). A registry that
        does neither answers 202 with a session, which a PUT of the blob then completes."""
        scopes = _push(repo)
        if mount_from:
            _check_repo(mount_from)
            params, content, scopes = {"mount": digest, "from": mount_from}, b"", scopes + _pull(mount_from)
        else:
            params, content = {"digest": digest}, data
        response = await self._t.request(
            "POST", f"/v2/{repo}/blobs/uploads/", params=params, content=content, scopes=scopes,
            headers={"Content-Type": "application/octet-stream"},
        )
        if response.status_code == 201:
            return
        if response.status_code != 202:
            raise await self._t.error(response, f"blob {digest} upload to {repo}", repo)
        await self._upload_into(repo, digest, data, len(data), _location(response, self.host), None)

    async def _upload_into(
        self, repo: str, digest: str, data: bytes | Path, size: int, location: str, chunk_size: int | None
    ) -> None:
        """Fill the upload session at `location`; cancel it when the registry refuses."""
        try:
            await self._upload(repo, digest, data, size, location, chunk_size)
        except RegistryError:
            await self._cancel_upload(location, _push(repo))
            raise

    async def _upload(
        self, repo: str, digest: str, data: bytes | Path, size: int, location: str, chunk_size: int | None
    ) -> None:
        what = f"blob {digest} upload to {repo}"
        chunked = chunk_size is not None or size > MONOLITHIC_LIMIT
        final: Body = b""
        if chunked:
            step = chunk_size or DEFAULT_CHUNK
            for start in range(0, size, step):
                end = min(start + step, size)
                response = await self._t.request(
                    "PATCH", location, scopes=_push(repo), content=_body(data, start, end),
                    headers={"Content-Type": "application/octet-stream", "Content-Length": str(end - start),
                             "Content-Range": f"{start}-{end - 1}"},
                )
                if response.status_code != 202:
                    raise await self._t.error(response, what, repo)
                location = _location(response, self.host)
        else:
            final = _body(data, 0, size)
        response = await self._t.request(
            "PUT", location, params={"digest": digest}, content=final, scopes=_push(repo),
            headers={"Content-Type": "application/octet-stream", "Content-Length": "0" if chunked else str(size)},
        )
        if response.status_code != 201:
            raise await self._t.error(response, what, repo)

    async def _cancel_upload(self, location: str, scopes: list[str]) -> None:
        try:
            response = await self._t.request("DELETE", location, scopes=scopes)
            await response.aclose()
        except RegistryError:
            # Best effort: the registry expires abandoned uploads on its own.
            pass

    # -- helpers ---------------------------------------------------------------------------

    def _check_writable(self, action: str) -> None:
        if self.read_only:
            raise Denied(f"profile {self.profile.name} is read-only, so acrtui will not {action}; use a profile without read_only")

    async def _require_acr(self) -> None:
        if not await self.supports_acr():
            raise Unsupported(f"{self.host} has no lock attributes; locks are an Azure Container Registry feature")


def _paging(n: int | None, last: str | None) -> dict[str, Any]:
    return {k: v for k, v in (("n", n), ("last", last)) if v is not None}


def _window(items: list[str], n: int | None, last: str | None, following: str | None) -> Page[str]:
    """A page in the spec's lexical order, cut out here when the registry ignored `n`/`last`
    (distribution 2.8 lists every tag, unsorted, whatever was asked)."""
    items = sorted(items)
    if last is not None and items and items[0] <= last:
        items = [i for i in items if i > last]
    if n is not None and len(items) > n:
        return Page(items[:n], items[n - 1])
    return Page(items, following)


def _check_order(orderby: str | None, host: str) -> None:
    if orderby and orderby != "none":
        raise Unsupported(f"{host} lists tags by name only; ordering by time needs the ACR metadata API")


def _check_repo(repo: str) -> None:
    if not is_valid_name(repo):
        raise RegistryError(f"{repo!r} is not a valid repository name; use lower-case path components like team/app")


def _check_reference(reference: str) -> None:
    if not is_valid_reference(reference):
        raise RegistryError(f"{reference!r} is neither a tag nor a digest")


def _check_digest(digest: str) -> Digest:
    try:
        return Digest.parse(digest)
    except InvalidDigest:
        raise RegistryError(f"{digest!r} is not a digest (sha256:<64 hex digits>)") from None


def _at(reference: str) -> str:
    return f"@{reference}" if ":" in reference else f":{reference}"


def _verified_digest(raw: bytes, reference: str, what: str) -> str:
    if ":" not in reference:
        return str(Digest.of(raw))
    expected = Digest.parse(reference)
    if hashlib.new(expected.algorithm, raw).hexdigest() != expected.hex:
        raise RegistryError(f"{what} arrived with content that does not match its digest; the registry's copy is corrupt")
    return reference


def _declared_media_type(raw: bytes) -> str | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    value = data.get("mediaType") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def _json_object(body: bytes, host: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise RegistryError(f"{host} answered the request for {what} with something that is not JSON; check it is a registry")
    return data


def _descriptors(body: bytes, what: str, host: str) -> list[Descriptor]:
    data = _json_object(body, host, what)
    try:
        return [Descriptor.from_json(d, f"manifests[{i}]") for i, d in enumerate(data.get("manifests") or [])]
    except InvalidManifest as exc:
        raise RegistryError(f"{host} answered {what} with an invalid descriptor ({exc})") from None


def _descriptor_json(d: Descriptor) -> dict[str, Any]:
    out: dict[str, Any] = {"mediaType": d.media_type, "digest": d.digest, "size": d.size}
    if d.artifact_type:
        out["artifactType"] = d.artifact_type
    if d.annotations:
        out["annotations"] = dict(d.annotations)
    return out


def _location(response: httpx.Response, host: str) -> str:
    location = response.headers.get("location")
    if not location:
        raise RegistryError(f"{host} started an upload without saying where to send it (no Location header)")
    return location


def _body(data: bytes | Path, start: int, end: int) -> Body:
    if isinstance(data, bytes):
        return data[start:end]

    async def chunks() -> AsyncIterator[bytes]:
        with data.open("rb") as f:
            f.seek(start)
            left = end - start
            while left > 0:
                block = f.read(min(FILE_READ, left))
                if not block:
                    raise RegistryError(f"{data} got shorter while it was being pushed; push again")
                left -= len(block)
                yield block

    return chunks
