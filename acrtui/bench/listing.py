"""Full listings, timed over one keep-alive connection of the standard library's http.client.

httpx's async path costs about 0.7 ms per request on a 2-core machine, and parsing 10,000 names
another 0.5 ms: more than a fast registry needs to answer the whole listing, so timing through
it would measure the client. A walk here runs in a worker thread over one connection, keeps the
raw pages and parses them after the clock has stopped. The first page is fetched once through
the benchmark's httpx client beforehand: that runs the auth flow and yields the Authorization
header the timed walks reuse.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from time import perf_counter

import httpx

from acrtui.bench.protocol import Mismatch, RegistryHTTP, UnexpectedStatus
from acrtui.bench.stats import Measurement
from acrtui.client.transport import link_next


@dataclass(frozen=True)
class Listing:
    items: list[str]
    pages: int


def parse_pages(pages: list[bytes], key: str) -> Listing:
    """The entries under `key` of every page, in order, as the registry sent them."""
    items: list[str] = []
    for page in pages:
        items += json.loads(page).get(key) or []
    return Listing(items=items, pages=len(pages))


class ListingWalk:
    """Walks of one listing (first URL, then Link rel="next" to the end) over one connection."""

    def __init__(self, start: httpx.URL, action: str, authorization: str | None, timeout: float | None) -> None:
        self.start = start
        self.action = action
        self.headers = {"Accept": "application/json", "User-Agent": "acrtui-bench"}
        if authorization:
            self.headers["Authorization"] = authorization
        if start.scheme == "https":
            # The same trust as the httpx client (certifi, or SSL_CERT_FILE / SSL_CERT_DIR).
            self.connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                start.host, start.port, timeout=timeout, context=httpx.create_ssl_context()
            )
        else:
            self.connection = http.client.HTTPConnection(start.host, start.port, timeout=timeout)

    @classmethod
    async def prepare(cls, registry: RegistryHTTP, path: str, n: int, action: str) -> "ListingWalk":
        """Fetch the first page through httpx (auth flow included) and keep its Authorization."""
        response = await registry.get_listing(path, {"n": n} if n else None, action)
        timeout = registry.client.timeout.read
        return cls(response.url, action, response.request.headers.get("authorization"), timeout)

    def time(self, walks: int) -> tuple[Measurement, list[bytes]]:
        """Walk `walks` times, one after another; their latencies and the last walk's pages."""
        measurement = Measurement()
        pages: list[bytes] = []
        try:
            self._get(self.start)  # connect before the clock starts, as httpx's pool already has
            began = perf_counter()
            for _ in range(walks):
                started = perf_counter()
                pages = self._walk()
                measurement.latencies.append(perf_counter() - started)
            measurement.seconds = perf_counter() - began
        finally:
            self.connection.close()
        return measurement, pages

    def _walk(self) -> list[bytes]:
        pages: list[bytes] = []
        visited: set[httpx.URL] = set()
        url: httpx.URL | None = self.start
        while url is not None:
            if url in visited:
                raise Mismatch(f"{self.action} looped: page {len(pages) + 1} links back to {url.raw_path.decode()}")
            visited.add(url)
            page, link = self._get(url)
            pages.append(page)
            url = self._next(url, link)
        return pages

    def _get(self, url: httpx.URL) -> tuple[bytes, str]:
        self.connection.request("GET", url.raw_path.decode("ascii"), headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise UnexpectedStatus(
                self.action, httpx.Response(response.status, content=body, request=httpx.Request("GET", url))
            )
        return body, response.getheader("link", "")

    def _next(self, url: httpx.URL, link: str) -> httpx.URL | None:
        target = link_next(link)
        if target is None:
            return None
        following = url.join(target)
        if (following.scheme, following.netloc) != (url.scheme, url.netloc):
            raise Mismatch(f"{self.action} links its next page to another server ({following.netloc.decode()})")
        return following
