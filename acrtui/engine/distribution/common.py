"""What every /v2 route shares: the engine context, path validation, paging and body reading."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp

from acrtui.engine.errors import RegistryError
from acrtui.engine.state import Engine
from acrtui.oci.digest import Digest, InvalidDigest
from acrtui.oci.reference import is_valid_name, is_valid_tag

# What each route module offers the dispatcher: path kind -> HTTP method -> handler.
Endpoints = dict[str, dict[str, Callable[[Request], Awaitable[ASGIApp]]]]

# Larger than any integer SQLite binds: a client asking for n=10**30 simply gets everything.
_MAX_PAGE = 1 << 62


@dataclass
class Context:
    """The engine plus the little in-process state the routes coordinate through.

    Everything here is touched only from the event loop thread, so plain containers suffice.
    """

    engine: Engine
    upload_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    # Digests whose bytes are being published right now: a blob DELETE must not remove their file.
    publishing: Counter[str] = field(default_factory=Counter)

    def upload_lock(self, upload_id: str) -> asyncio.Lock:
        lock = self.upload_locks.get(upload_id)
        if lock is None:
            lock = self.upload_locks[upload_id] = asyncio.Lock()
        return lock


def repository_name(request: Request) -> str:
    name: str = request.path_params["name"]
    if not is_valid_name(name):
        raise RegistryError("NAME_INVALID", f"invalid repository name {name[:300]!r}", detail={"name": name[:300]})
    return name


def parse_digest(value: str) -> str:
    try:
        return str(Digest.parse(value))
    except InvalidDigest:
        raise RegistryError("DIGEST_INVALID", f"invalid digest {value[:200]!r}", detail={"digest": value[:200]}) from None


def parse_reference(reference: str) -> tuple[str | None, str | None]:
    """A manifest reference as (tag, digest): exactly one of them is set."""
    if is_valid_tag(reference):
        return reference, None
    if ":" in reference:
        return None, parse_digest(reference)
    raise RegistryError("TAG_INVALID", f"invalid tag {reference[:200]!r}", detail={"tag": reference[:200]})


def page(request: Request) -> tuple[int | None, str | None]:
    """`n` and `last` of a paginated listing; a malformed n is PAGINATION_NUMBER_INVALID."""
    params = request.query_params
    raw = params.get("n")
    n = None
    if raw is not None and raw != "":
        if not raw.isdigit() or not raw.isascii():
            raise RegistryError("PAGINATION_NUMBER_INVALID", f"n must be a non-negative integer, not {raw[:50]!r}")
        n = min(int(raw), _MAX_PAGE) if len(raw) < 30 else _MAX_PAGE
    last = params.get("last") or None
    return n, last


def next_link(path: str, n: int, last: str) -> str:
    """RFC 5988 Link to the following page."""
    return f'<{path}?last={quote(last, safe="")}&n={n}>; rel="next"'


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """A small request body (a manifest), refused with 413 once it exceeds limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(what, limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(what, limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise RegistryError("BLOB_UPLOAD_INVALID", f"the client went away while sending the {what}") from None
    return b"".join(chunks)


def _too_large(what: str, limit: int) -> RegistryError:
    return RegistryError(
        "MANIFEST_INVALID",
        f"the {what} is larger than {limit >> 20} MiB, the most this registry accepts",
        detail={"limit": limit},
        status=413,
    )
