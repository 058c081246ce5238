"""Query parameters of ACR listings (`n`, `last`, `orderby`) and the `Link` header to the next page.

Pages are keyset pages: `last` names the last item of the previous page. In a time order the
next link's `last` also carries that item's time (`v1@2026-01-02T03:04:05.000000Z`), so paging
goes on after the item is deleted: acr-cli's purge deletes a page's tags before it asks for the
next page. A bare name works too; its time is looked up. One item more than asked is fetched,
so a next link appears only when there really is a next page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import re
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, urlencode

from starlette.requests import Request

from acrtui.engine.distribution.common import page
from acrtui.engine.errors import RegistryError
from acrtui.engine.storage.index import Order

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# The SDK's ArtifactTagOrder / ArtifactManifestOrder values.
ORDERS: dict[str, Order] = {"none": "name", "timedesc": "timedesc", "timeasc": "timeasc"}

_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$")

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    n: int
    last: str | None
    orderby: str | None
    order: Order = "name"
    last_time: str | None = None

    def cursor(self, key: str, time: str) -> str:
        """The `last` that continues after an item: its key, and in a time order its time."""
        return key if self.order == "name" else f"{key}@{time}"

    @property
    def fetch(self) -> int:
        """How many items to ask storage for: one more than the page, to know if another follows."""
        return self.n + 1 if self.n else 0


def page_request(request: Request, *, ordered: bool) -> PageRequest:
    n, last = page(request)
    orderby = request.query_params.get("orderby") or None
    order: Order = "name"
    if orderby is not None:
        if not ordered or orderby.lower() not in ORDERS:
            accepted = "timedesc, timeasc or none" if ordered else "no orderby"
            raise RegistryError(
                "PARAMETER_INVALID", f"unknown orderby {orderby!r}: this listing takes {accepted}", detail={"orderby": orderby}
            )
        order = ORDERS[orderby.lower()]
    last_time = None
    if last and order != "name" and "@" in last:  # tags and digests never contain "@"
        last, last_time = last.rsplit("@", 1)
        if not _TIME_RE.match(last_time):
            raise RegistryError(
                "PARAMETER_INVALID", f"invalid last {last}@{last_time!r}: take it from the Link header", detail={"last": last}
            )
    # Unlike /v2, ACR listings are paged even when the client names no page size.
    size = DEFAULT_PAGE_SIZE if n is None else min(n, MAX_PAGE_SIZE)
    return PageRequest(n=size, last=last, orderby=orderby, order=order, last_time=last_time)


def cut(items: Sequence[T], page: PageRequest) -> tuple[list[T], bool]:
    """The page's items and whether more follow."""
    return list(items[: page.n]), len(items) > page.n


def page_headers(
    request: Request, page: PageRequest, items: list[T], more: bool, key: Callable[[T], str], **extra: str | None
) -> dict[str, str]:
    """The `Link` header to the page after `items`, keeping the listing's other parameters."""
    if not (more and items):
        return {}
    query = {"last": key(items[-1]), "n": str(page.n)}
    if page.orderby:
        query["orderby"] = page.orderby
    query.update({k: v for k, v in extra.items() if v})
    target = quote(request.url.path, safe="/:@") + "?" + urlencode(query, safe=":@")
    return {"Link": f'<{target}>; rel="next"'}
