"""Blob uploads: monolithic, POST then PUT, chunked and streamed PATCH, status, cancel and mounts.

A session is a file under the blob store's uploads/ plus a row in the index naming its repository,
so it survives a restart (resumable). Every chunk either lands whole or not at all: a client that
goes away mid-chunk leaves the session at its previous offset. A blob becomes visible (linked in
the repository) only after its bytes were verified against the digest and renamed into place.
"""

from __future__ import annotations

import asyncio
import re

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from acrtui.engine.access import Access, ensure_allowed
from acrtui.engine.distribution.bodies import stream_into
from acrtui.engine.distribution.common import Context, Endpoints, parse_digest, repository_name
from acrtui.engine.errors import RegistryError
from acrtui.engine.storage import BlobUpload
from acrtui.engine.storage.blobs import DigestMismatch
from acrtui.oci.digest import is_digest
from acrtui.oci.reference import is_valid_name

_UPLOAD_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CONTENT_RANGE = re.compile(r"^(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?$")


def _range_value(size: int) -> str:
    # Distribution's convention: inclusive end, and "0-0" for an empty session.
    return f"0-{size - 1 if size > 0 else 0}"


class Uploads:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.engine = ctx.engine

    def endpoints(self) -> Endpoints:
        return {
            "uploads": {"POST": self.start},
            "upload": {"GET": self.status, "PATCH": self.patch, "PUT": self.finish, "DELETE": self.cancel},
        }

    # responses

    @staticmethod
    def _session_headers(name: str, upload: BlobUpload, size: int) -> dict[str, str]:
        return {
            "Location": f"/v2/{name}/blobs/uploads/{upload.id}",
            "Range": _range_value(size),
            "Docker-Upload-UUID": upload.id,
            "Blob-Upload-Session-ID": upload.id,
            "OCI-Chunk-Min-Length": "0",
        }

    @staticmethod
    def _created(name: str, digest: str) -> Response:
        return Response(
            status_code=201,
            headers={"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest},
        )

    def _range_refused(self, name: str, upload: BlobUpload, size: int, why: str) -> RegistryError:
        return RegistryError("RANGE_INVALID", why, headers=self._session_headers(name, upload, size))

    # helpers

    def _check_push(self, request: Request, name: str) -> None:
        self.engine.gate.authorize(request, Access(name, "push"))
        attributes = self.engine.index.repository_attributes(name)
        if attributes is not None:
            ensure_allowed(f"repository {name}", attributes, "push")

    def _session(self, name: str, upload_id: str) -> BlobUpload:
        unknown = RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload_id[:100]})
        if not _UPLOAD_ID.match(upload_id):
            raise unknown
        record = self.engine.index.get_upload(upload_id)
        if record is None or record.repository != name:
            raise unknown
        upload = self.engine.blobs.get_upload(upload_id)
        if upload is None:
            self.engine.index.delete_upload(upload_id)
            raise unknown
        return upload

    async def _append(self, request: Request, name: str, upload: BlobUpload, offset: int, expected: int | None) -> int:
        """Stream the body in at offset; on a short, long or broken body the session stays at offset."""
        try:
            writer = await asyncio.to_thread(upload.writer, offset)
        except FileNotFoundError:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload.id}) from None
        try:
            written = await stream_into(request, writer)
        except ClientDisconnect:
            await asyncio.to_thread(writer.abort)
            raise RegistryError("BLOB_UPLOAD_INVALID", "the client went away in the middle of the chunk") from None
        except BaseException:
            await asyncio.to_thread(writer.abort)
            raise
        if expected is not None and written != expected:
            await asyncio.to_thread(writer.abort)
            raise self._range_refused(
                name, upload, offset, f"Content-Range announced {expected} bytes but the body had {written}"
            )
        return writer.finish()

    async def _commit(self, name: str, upload: BlobUpload, digest: str) -> None:
        """Verify and publish the session's bytes as digest and link them; the session ends either way."""
        self.ctx.publishing[digest] += 1
        try:
            try:
                size = await asyncio.to_thread(self.engine.blobs.commit_upload, upload, digest)
            except DigestMismatch:
                await asyncio.to_thread(self.engine.blobs.cancel_upload, upload)
                raise RegistryError(
                    "DIGEST_INVALID", f"the uploaded bytes do not match {digest}", detail={"digest": digest}
                ) from None
            except FileNotFoundError:
                raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload.id}) from None
            self.engine.index.link_blob(name, digest, size)
        finally:
            self.ctx.publishing[digest] -= 1
            if not self.ctx.publishing[digest]:
                del self.ctx.publishing[digest]
            self.engine.index.delete_upload(upload.id)
            self.ctx.upload_locks.pop(upload.id, None)

    def _mount(self, name: str, digest: str, source: str | None) -> bool:
        index = self.engine.index
        if source is not None:
            link = index.blob_link(source, digest)
            if link is None or not link[1].read_enabled:
                return False
            size = link[0]
        else:
            found = index.any_blob_size(digest)
            if found is None:
                return False
            size = found
        if self.engine.blobs.size(digest) != size:
            return False
        index.link_blob(name, digest, size)
        return True

    # endpoints

    async def start(self, request: Request) -> Response:
        name = repository_name(request)
        self._check_push(request, name)
        params = request.query_params
        mount = params.get("mount")
        if mount is not None:
            # The spec: a mount with a bad digest or source falls back to an ordinary upload.
            source = params.get("from")
            if is_digest(mount) and (source is None or is_valid_name(source)):
                self.engine.gate.authorize(request, Access(source or name, "pull"))
                if self._mount(name, mount, source):
                    return self._created(name, mount)
        digest_param = params.get("digest")
        digest = parse_digest(digest_param) if digest_param is not None else None
        upload = await asyncio.to_thread(self.engine.blobs.start_upload)
        if digest is not None:
            # Monolithic: the whole blob in this POST. The session never enters the index.
            try:
                await self._append(request, name, upload, 0, None)
            except BaseException:
                await asyncio.to_thread(self.engine.blobs.cancel_upload, upload)
                raise
            await self._commit(name, upload, digest)
            return self._created(name, digest)
        self.engine.index.create_upload(upload.id, name)
        return Response(status_code=202, headers=self._session_headers(name, upload, 0))

    async def status(self, request: Request) -> Response:
        name = repository_name(request)
        self.engine.gate.authorize(request, Access(name, "push"))
        upload = self._session(name, request.path_params["upload_id"])
        return Response(status_code=204, headers=self._session_headers(name, upload, upload.size))

    async def patch(self, request: Request) -> Response:
        name = repository_name(request)
        self._check_push(request, name)
        upload = self._session(name, request.path_params["upload_id"])
        async with self.ctx.upload_lock(upload.id):
            size = upload.size
            expected = self._expected_chunk(request, name, upload, size)
            size = await self._append(request, name, upload, size, expected)
        return Response(status_code=202, headers=self._session_headers(name, upload, size))

    def _expected_chunk(self, request: Request, name: str, upload: BlobUpload, size: int) -> int | None:
        """Length the Content-Range header announces (None without one); 416 unless it starts at size."""
        header = request.headers.get("content-range")
        if header is None:
            return None
        m = _CONTENT_RANGE.match(header.strip())
        if m is None:
            raise self._range_refused(name, upload, size, f"malformed Content-Range {header[:100]!r}")
        start, end = int(m.group(1)), int(m.group(2))
        if end < start:
            raise self._range_refused(name, upload, size, f"Content-Range {header[:100]!r} ends before it starts")
        if start != size:
            raise self._range_refused(
                name, upload, size, f"chunk starts at {start} but the upload has {size} bytes: resume from {size}"
            )
        return end - start + 1

    async def finish(self, request: Request) -> Response:
        name = repository_name(request)
        self._check_push(request, name)
        digest_param = request.query_params.get("digest")
        if digest_param is None:
            raise RegistryError("DIGEST_INVALID", "finishing an upload needs ?digest=")
        digest = parse_digest(digest_param)
        upload = self._session(name, request.path_params["upload_id"])
        async with self.ctx.upload_lock(upload.id):
            size = upload.size
            expected = self._expected_chunk(request, name, upload, size)
            await self._append(request, name, upload, size, expected)
            await self._commit(name, upload, digest)
        return self._created(name, digest)

    async def cancel(self, request: Request) -> Response:
        name = repository_name(request)
        self.engine.gate.authorize(request, Access(name, "push"))
        upload = self._session(name, request.path_params["upload_id"])
        async with self.ctx.upload_lock(upload.id):
            await asyncio.to_thread(self.engine.blobs.cancel_upload, upload)
            self.engine.index.delete_upload(upload.id)
        self.ctx.upload_locks.pop(upload.id, None)
        return Response(status_code=204)

