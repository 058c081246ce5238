"""Root file systems unpacked ahead of time, for the next build of a long-lived process.

A RUN needs its stage's root file system on disk, and unpacking the base image is most of an
incremental build's cost. The watcher (and the TUI's Dev loop) build the same Dockerfile again
and again, so after each build the pool unpacks a fresh copy of every base that a RUN used, in
the background, and the next build takes it instead of unpacking. One-shot builds never see a
difference: the pool starts empty.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from acrtui.build.cache import BuildCache
from acrtui.build.rootfs import apply_layer

MAX_BASES = 4
Key = tuple[str, ...]
# Given a layer digest and its repository of origin, the blob's path in the cache.
EnsureBlob = Callable[[str | None, str], Awaitable[Path]]


class RootfsPool:
    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self._ready: dict[Key, Path] = {}
        self._pending: dict[Key, asyncio.Task[None]] = {}
        self._wanted: dict[Key, list[tuple[str | None, str]]] = {}

    async def take(self, layers: Sequence[tuple[str | None, str]], base_count: int) -> tuple[Path, int] | None:
        """A root with the first n of `layers` applied (n > 0), or None. `layers` are
        (origin, digest) pairs; the first `base_count` come from the base image."""
        key: Key = tuple(digest for _, digest in layers[:base_count])
        if not key:
            return None
        self._wanted[key] = list(layers[:base_count])
        pending = self._pending.get(key)
        if pending is not None:
            await asyncio.shield(pending)
        root = self._ready.pop(key, None)
        return (root, len(key)) if root is not None else None

    def refill(self, ensure_blob: EnsureBlob) -> None:
        """Start unpacking every base a build asked for, in the background."""
        for key, layers in list(self._wanted.items())[-MAX_BASES:]:
            if key not in self._ready and key not in self._pending:
                self._pending[key] = asyncio.create_task(self._unpack(key, layers, ensure_blob))
        self._wanted.clear()

    async def _unpack(self, key: Key, layers: list[tuple[str | None, str]], ensure_blob: EnsureBlob) -> None:
        root = self.cache.temp_dir("pool-")
        try:
            for origin, digest in layers:
                await asyncio.to_thread(apply_layer, root, await ensure_blob(origin, digest))
        except Exception:
            # A failed refill only costs the next build its head start.
            await asyncio.to_thread(shutil.rmtree, root, True)
        else:
            self._ready[key] = root
            while len(self._ready) > MAX_BASES:
                stale = self._ready.pop(next(iter(self._ready)))
                await asyncio.to_thread(shutil.rmtree, stale, True)
        finally:
            self._pending.pop(key, None)

    def prepared(self) -> int:
        """How many bases are unpacked or being unpacked for the next build."""
        return len(self._ready) + len(self._pending)

    async def close(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        await asyncio.gather(*self._pending.values(), return_exceptions=True)
        for root in self._ready.values():
            await asyncio.to_thread(shutil.rmtree, root, True)
        self._ready.clear()
