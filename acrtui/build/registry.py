"""The connected registry as an image source and sink, through acrtui.client."""

from __future__ import annotations

from pathlib import Path

from acrtui.build.store import ResolvedManifest
from acrtui.client import NotFound, RegistryClient


class RegistryStore:
    """`ImageSource` and `ImageSink` over a RegistryClient."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self.description = f"registry {client.host}"

    async def get_manifest(self, repo: str, reference: str) -> ResolvedManifest | None:
        try:
            fetched = await self.client.get_manifest(repo, reference)
        except NotFound:
            return None
        return ResolvedManifest(fetched.digest, fetched.media_type, fetched.raw)

    async def fetch_blob(self, repo: str, digest: str, dest: Path) -> None:
        with dest.open("wb") as out:
            async for chunk in self.client.stream_blob(repo, digest):
                out.write(chunk)

    async def has_blob(self, repo: str, digest: str) -> bool:
        return await self.client.blob_exists(repo, digest)

    async def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool:
        return await self.client.mount_blob(repo, digest, from_repo)

    async def put_blob(self, repo: str, digest: str, path: Path) -> None:
        await self.client.push_blob(repo, digest, path)

    async def put_manifest(self, repo: str, reference: str, raw: bytes, media_type: str) -> str:
        return await self.client.put_manifest(repo, reference, raw, media_type)
