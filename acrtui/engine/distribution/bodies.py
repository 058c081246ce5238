"""Moving blob bytes: request bodies into uploads, blob files out to clients, both off the event loop.

Bodies arrive in small pieces; they are gathered into pieces of about 1 MiB and written (and hashed)
in a worker thread while the loop keeps receiving the next piece, so a 1 GB push holds at most two
pieces in memory and the loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import os
from typing import BinaryIO

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from acrtui.engine.storage.blobs import UploadWriter

PIECE = 1 << 20
# Blobs this small are read in one go on the loop: a page-cache read is cheaper than a thread hop.
_INLINE = 256 << 10


def _write_all(writer: UploadWriter, chunks: list[bytes]) -> None:
    for chunk in chunks:
        writer.write(chunk)


async def stream_into(request: Request, writer: UploadWriter) -> int:
    """Copy the request body into writer; return the byte count. ClientDisconnect propagates."""
    pending: asyncio.Future[None] | None = None
    chunks: list[bytes] = []
    buffered = 0
    total = 0
    try:
        async for chunk in request.stream():
            if not chunk:
                continue
            chunks.append(chunk)
            buffered += len(chunk)
            total += len(chunk)
            if buffered >= PIECE:
                if pending is not None:
                    await pending
                pending = asyncio.ensure_future(asyncio.to_thread(_write_all, writer, chunks))
                chunks, buffered = [], 0
        if pending is not None:
            await pending
    finally:
        # Whatever happened, no thread may still be writing when the caller finishes or aborts.
        if pending is not None and not pending.done():
            await asyncio.wait([pending])
    if chunks:
        if buffered >= _INLINE:
            await asyncio.to_thread(_write_all, writer, chunks)
        else:
            _write_all(writer, chunks)
    return total


class FileSlice:
    """An ASGI response sending `length` bytes of an open file from `start`, read ahead in a thread."""

    def __init__(self, file: BinaryIO, start: int, length: int, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.file = file
        self.start = start
        self.length = length
        self.status = status
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ahead: asyncio.Future[bytes] | None = None
        try:
            await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
            if scope["method"] == "HEAD" or self.length == 0:
                await send({"type": "http.response.body", "body": b""})
                return
            fd = self.file.fileno()
            if self.length <= _INLINE:
                await send({"type": "http.response.body", "body": os.pread(fd, self.length, self.start)})
                return
            offset, end = self.start, self.start + self.length
            ahead = asyncio.ensure_future(asyncio.to_thread(os.pread, fd, min(PIECE, end - offset), offset))
            while True:
                data = await ahead
                ahead = None
                if not data:
                    raise OSError(f"blob file ended {end - offset} bytes early")
                offset += len(data)
                more = offset < end
                if more:
                    ahead = asyncio.ensure_future(asyncio.to_thread(os.pread, fd, min(PIECE, end - offset), offset))
                await send({"type": "http.response.body", "body": data, "more_body": more})
                if not more:
                    return
        finally:
            if ahead is not None:
                await asyncio.wait([ahead])
                if not ahead.cancelled():
                    ahead.exception()  # retrieved: a read racing a gone client is not worth a warning
            self.file.close()
