from __future__ import annotations

import asyncio
import io
import threading

import pytest

from acrtui.oci.layercache import LayerCache
from acrtui.oci.layers import LayerError
from tests.oci.tarballs import file, layer

BLOBS = {f"sha256:{str(i) * 64}": layer([file(f"f{j}", 10) for j in range(i + 1)]) for i in range(1, 6)}
D1, D2, D3, D4, D5 = BLOBS


class Opener:
    """Counts how often a blob is really read."""

    def __init__(self, digest: str, gate: threading.Event | None = None) -> None:
        self.digest = digest
        self.calls = 0
        self.gate = gate

    def __call__(self) -> io.BytesIO:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(5)
        return io.BytesIO(BLOBS[self.digest])


def test_a_shared_layer_is_read_once():
    cache = LayerCache()
    opener = Opener(D2)
    first = cache.get_or_read(D2, opener)
    second = cache.get_or_read(D2, opener)
    assert first is second and opener.calls == 1
    assert (cache.hits, cache.misses) == (1, 1)
    assert len(first.entries) == 3 and first.digest == D2


def test_least_recently_used_goes_first():
    cache = LayerCache(max_layers=2)
    for digest in (D1, D2):
        cache.get_or_read(digest, Opener(digest))
    cache.get(D1)  # D1 is now the most recent
    cache.get_or_read(D3, Opener(D3))
    assert D1 in cache and D3 in cache and D2 not in cache


def test_bounded_by_total_entries():
    cache = LayerCache(max_entries=7)  # D3 has 4 entries, D4 has 5, D2 has 3
    cache.get_or_read(D3, Opener(D3))
    cache.get_or_read(D2, Opener(D2))
    assert len(cache) == 2
    cache.get_or_read(D4, Opener(D4))
    assert list(d for d in (D2, D3, D4) if d in cache) == [D4]
    # A single listing larger than the bound is still kept: it is the one in use.
    cache.get_or_read(D5, Opener(D5))
    assert D5 in cache and len(cache) == 1


def test_concurrent_readers_share_one_read():
    cache = LayerCache()
    gate = threading.Event()
    opener = Opener(D4, gate)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_read(D4, opener))) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert opener.calls == 1 and len(results) == 4 and all(r is results[0] for r in results)


def test_a_failed_read_is_not_cached():
    cache = LayerCache()
    with pytest.raises(LayerError):
        cache.get_or_read(D1, lambda: io.BytesIO(BLOBS[D1][:40]))
    assert D1 not in cache
    assert len(cache.get_or_read(D1, Opener(D1)).entries) == 2


async def test_async_fetches_share_one_download():
    cache = LayerCache()
    downloads = 0

    def fetch():
        async def chunks():
            nonlocal downloads
            downloads += 1
            blob = BLOBS[D3]
            for i in range(0, len(blob), 50):
                await asyncio.sleep(0)
                yield blob[i : i + 50]

        return chunks()

    results = await asyncio.gather(*(cache.get_or_fetch(D3, fetch) for _ in range(3)))
    again = await cache.get_or_fetch(D3, fetch)
    assert downloads == 1 and all(r is again for r in results)
    assert cache.hits == 1
