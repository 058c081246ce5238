"""An in-memory LRU of layer listings keyed by layer digest.

Base layers are shared by many images; with one cache held by the client, each is read
once however many images are analysed. Bounded by layer count and by total entries (the
memory a listing holds is proportional to its entries). Thread-safe, and a digest being
read by one thread is waited for, not read again, by the others.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncIterable, Callable
from typing import BinaryIO

from acrtui.oci.layers import LayerListing, list_layer, list_layer_chunks


class LayerCache:
    def __init__(self, max_layers: int = 128, max_entries: int = 500_000) -> None:
        self.max_layers = max_layers
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._listings: OrderedDict[str, LayerListing] = OrderedDict()
        self._entries = 0
        self._lock = threading.Lock()
        self._reading: dict[str, threading.Event] = {}
        self._fetching: dict[str, asyncio.Future[LayerListing]] = {}

    def __len__(self) -> int:
        return len(self._listings)

    def __contains__(self, digest: str) -> bool:
        return digest in self._listings

    def get(self, digest: str) -> LayerListing | None:
        with self._lock:
            listing = self._listings.get(digest)
            if listing is None:
                return None
            self._listings.move_to_end(digest)
            return listing

    def put(self, listing: LayerListing) -> None:
        with self._lock:
            old = self._listings.pop(listing.digest, None)
            if old is not None:
                self._entries -= len(old.entries)
            self._listings[listing.digest] = listing
            self._entries += len(listing.entries)
            # The newest listing stays even if it alone exceeds the bound: it is in use.
            while len(self._listings) > 1 and (
                len(self._listings) > self.max_layers or self._entries > self.max_entries
            ):
                _, evicted = self._listings.popitem(last=False)
                self._entries -= len(evicted.entries)

    def get_or_read(self, digest: str, open_blob: Callable[[], BinaryIO], hash_contents: bool = True) -> LayerListing:
        """The cached listing, else read it from the stream `open_blob()` returns (and close it)."""
        while True:
            with self._lock:
                listing = self._listings.get(digest)
                if listing is not None:
                    self._listings.move_to_end(digest)
                    self.hits += 1
                    return listing
                pending = self._reading.get(digest)
                if pending is None:
                    self._reading[digest] = threading.Event()
                    self.misses += 1
                    break
            # Another thread is reading this digest: wait, then look again (it may have failed).
            pending.wait()
        try:
            with open_blob() as blob:
                listing = list_layer(blob, digest, hash_contents)
            self.put(listing)
            return listing
        finally:
            with self._lock:
                self._reading.pop(digest).set()

    async def get_or_fetch(
        self, digest: str, fetch: Callable[[], AsyncIterable[bytes]], hash_contents: bool = True
    ) -> LayerListing:
        """The cached listing, else list the chunks `fetch()` yields while they download.

        Concurrent calls for one digest on the same event loop share a single download."""
        listing = self.get(digest)
        if listing is not None:
            self.hits += 1
            return listing
        task = self._fetching.get(digest)
        if task is None:
            self.misses += 1
            task = asyncio.ensure_future(self._fetch(digest, fetch, hash_contents))
            self._fetching[digest] = task
            task.add_done_callback(lambda _: self._fetching.pop(digest, None))
        # Shielded: one caller giving up does not cancel the download the others wait for.
        return await asyncio.shield(task)

    async def _fetch(self, digest: str, fetch: Callable[[], AsyncIterable[bytes]], hash_contents: bool) -> LayerListing:
        listing = await list_layer_chunks(fetch(), digest, hash_contents)
        self.put(listing)
        return listing
