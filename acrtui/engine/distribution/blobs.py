"""Blobs: HEAD and GET (with single byte ranges) and DELETE of a blob linked in a repository."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from acrtui.engine.access import Access, ensure_allowed
from acrtui.engine.distribution.bodies import FileSlice
from acrtui.engine.distribution.common import Context, Endpoints, parse_digest, repository_name
from acrtui.engine.errors import RegistryError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a single-range header; None to send everything; 416 when unsatisfiable."""
    m = _RANGE.match(header.strip())
    if m is None:
        if "," in header and header.strip().startswith("bytes="):
            return None  # several ranges: RFC 9110 lets a server answer with the whole blob
        raise _unsatisfiable(header, size)
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        raise _unsatisfiable(header, size)
    if first == "":
        suffix = int(last)
        if suffix == 0:
            raise _unsatisfiable(header, size)
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        raise _unsatisfiable(header, size)
    return start, end


def _unsatisfiable(header: str, size: int) -> RegistryError:
    return RegistryError(
        "RANGE_INVALID",
        f"cannot serve range {header[:100]!r} of a {size}-byte blob",
        headers={"Content-Range": f"bytes */{size}"},
    )


class Blobs:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.engine = ctx.engine

    def endpoints(self) -> Endpoints:
        return {"blob": {"GET": self.get, "HEAD": self.get, "DELETE": self.delete}}

    async def get(self, request: Request) -> FileSlice:
        name = repository_name(request)
        digest = parse_digest(request.path_params["digest"])
        self.engine.gate.authorize(request, Access(name, "pull"))
        link = self.engine.index.blob_link(name, digest)
        if link is None:
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": digest})
        size, repo_attributes = link
        ensure_allowed(f"repository {name}", repo_attributes, "pull")
        try:
            file = self.engine.blobs.open(digest)
        except FileNotFoundError:
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": digest}) from None
        headers = [
            (b"content-type", b"application/octet-stream"),
            (b"docker-content-digest", digest.encode()),
            (b"etag", f'"{digest}"'.encode()),
            (b"accept-ranges", b"bytes"),
            (b"cache-control", b"max-age=31536000"),
        ]
        start, length, status = 0, size, 200
        range_header = request.headers.get("range")
        if range_header is not None:
            try:
                chosen = byte_range(range_header, size)
            except RegistryError:
                file.close()
                raise
            if chosen is not None:
                start, end = chosen
                length, status = end - start + 1, 206
                headers.append((b"content-range", f"bytes {start}-{end}/{size}".encode()))
        headers.append((b"content-length", str(length).encode()))
        return FileSlice(file, start, length, status, headers)

    async def delete(self, request: Request) -> Response:
        name = repository_name(request)
        digest = parse_digest(request.path_params["digest"])
        self.engine.gate.authorize(request, Access(name, "delete"))
        index = self.engine.index
        attributes = index.repository_attributes(name)
        if attributes is not None:
            ensure_allowed(f"repository {name}", attributes, "delete")
        if not index.unlink_blob(name, digest):
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": digest})
        # The bytes go once no repository links them, unless an upload is publishing them this moment.
        if not index.blob_in_use(digest) and not self.ctx.publishing[digest]:
            self.engine.blobs.delete(digest)
        return Response(status_code=202, headers={"Docker-Content-Digest": digest})
