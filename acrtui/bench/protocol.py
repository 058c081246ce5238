"""The OCI distribution API spoken directly over httpx: the requests the benchmark times
(full listings are timed over a plainer connection, see acrtui.bench.listing).

This deliberately bypasses acrtui.client so the benchmark measures the protocol and the server,
not a client library's conveniences.
"""

from __future__ import annotations

import hashlib

import httpx

from acrtui.client.errors import error_code
from acrtui.oci import mediatypes as mt

# Status codes and spec error codes that mean "this registry will not let you", not "it broke".
_REFUSAL_STATUS = frozenset({401, 403, 405})
_REFUSAL_CODES = frozenset({"UNAUTHORIZED", "DENIED", "UNSUPPORTED"})


class UnexpectedStatus(Exception):
    """A registry answered a request with an unexpected status."""

    def __init__(self, action: str, response: httpx.Response) -> None:
        self.status = response.status_code
        code, message = error_code(response.content)
        self.code, self.message = code or "", message or ""
        self.action = action
        self.method = response.request.method
        detail = f" {self.code}" if self.code else ""
        detail += f": {self.message}" if self.message else ""
        super().__init__(f"the registry answered {action} with HTTP {self.status}{detail}")

    @property
    def refused(self) -> bool:
        return self.status in _REFUSAL_STATUS or self.code in _REFUSAL_CODES


class Mismatch(Exception):
    """The registry answered, but with the wrong content or count."""


def _expect(response: httpx.Response, action: str, *statuses: int) -> httpx.Response:
    if response.status_code not in statuses:
        raise UnexpectedStatus(action, response)
    return response


class RegistryHTTP:
    """One shared AsyncClient; every method is one protocol operation and raises UnexpectedStatus."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    def _location(self, response: httpx.Response) -> httpx.URL:
        location = response.headers.get("location")
        if not location:
            raise UnexpectedStatus("an upload (no Location header)", response)
        return self.client.base_url.join(location)

    async def ping(self) -> httpx.Response:
        return await self.client.get("/v2/")

    async def start_upload(self, repo: str) -> httpx.URL:
        response = await self.client.post(f"/v2/{repo}/blobs/uploads/")
        return self._location(_expect(response, "a blob upload start", 202))

    async def push_blob(self, repo: str, digest: str, data: bytes) -> None:
        """Monolithic upload: POST for a session, then one PUT carrying the whole blob."""
        location = await self.start_upload(repo)
        response = await self.client.put(
            location.copy_merge_params({"digest": digest}),
            content=data,
            headers={"content-type": "application/octet-stream"},
        )
        _expect(response, "a monolithic blob PUT", 201)

    async def push_blob_chunked(self, repo: str, digest: str, data: bytes, chunk_size: int) -> None:
        """Chunked upload: POST, a PATCH per chunk with Content-Range, then a PUT that closes it."""
        location = await self.start_upload(repo)
        for start in range(0, len(data), chunk_size):
            chunk = data[start : start + chunk_size]
            response = await self.client.patch(
                location,
                content=chunk,
                headers={
                    "content-type": "application/octet-stream",
                    "content-range": f"{start}-{start + len(chunk) - 1}",
                },
            )
            location = self._location(_expect(response, "a chunk PATCH", 202))
        response = await self.client.put(location.copy_merge_params({"digest": digest}))
        _expect(response, "the PUT closing a chunked upload", 201)

    async def mount_blob(self, repo: str, digest: str, source: str) -> bool:
        """Cross-repository mount; False when the registry opened an upload instead (then cancelled)."""
        response = await self.client.post(f"/v2/{repo}/blobs/uploads/", params={"mount": digest, "from": source})
        _expect(response, "a blob mount", 201, 202)
        if response.status_code == 202:
            await self.client.delete(self._location(response))
            return False
        return True

    async def pull_blob(self, repo: str, digest: str) -> int:
        """GET a blob, verify its digest, return its size."""
        hasher = hashlib.sha256()
        size = 0
        async with self.client.stream("GET", f"/v2/{repo}/blobs/{digest}", follow_redirects=True) as response:
            if response.status_code != 200:
                await response.aread()  # the error body names the reason
            _expect(response, "a blob GET", 200)
            async for part in response.aiter_bytes():
                hasher.update(part)
                size += len(part)
        if f"sha256:{hasher.hexdigest()}" != digest:
            raise Mismatch(f"blob {digest} came back with different content")
        return size

    async def put_manifest(self, repo: str, reference: str, body: bytes, media_type: str = mt.OCI_MANIFEST) -> None:
        response = await self.client.put(
            f"/v2/{repo}/manifests/{reference}", content=body, headers={"content-type": media_type}
        )
        _expect(response, "a manifest PUT", 201)

    async def get_manifest(self, repo: str, reference: str) -> int:
        response = await self.client.get(
            f"/v2/{repo}/manifests/{reference}", headers={"accept": mt.ACCEPT_ALL_MANIFESTS}
        )
        return len(_expect(response, "a manifest GET", 200).content)

    async def delete_manifest(self, repo: str, digest: str) -> None:
        response = await self.client.delete(f"/v2/{repo}/manifests/{digest}")
        _expect(response, "a manifest DELETE", 202)

    async def delete_blob(self, repo: str, digest: str) -> None:
        response = await self.client.delete(f"/v2/{repo}/blobs/{digest}")
        _expect(response, "a blob DELETE", 202)

    async def get_listing(self, path: str, params: dict[str, int] | None, action: str) -> httpx.Response:
        """One page of a tag or catalog listing."""
        return _expect(await self.client.get(path, params=params), action, 200)

    async def tags_page(self, repo: str, n: int) -> list[str]:
        response = await self.get_listing(f"/v2/{repo}/tags/list", {"n": n}, "a tag listing")
        return response.json().get("tags") or []
