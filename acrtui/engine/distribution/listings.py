"""Content discovery: the tag list of a repository and the catalog, sorted and paginated."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from acrtui.engine.access import Access
from acrtui.engine.distribution.common import Context, Endpoints, next_link, page, repository_name
from acrtui.engine.errors import RegistryError


def _json_strings(names: list[str]) -> str:
    # Repository and tag names match the spec's grammars ([a-z0-9._/-], [A-Za-z0-9._-]), which
    # need no JSON escaping, so a listing of 10,000 names is joined instead of encoded.
    return '"' + '","'.join(names) + '"' if names else ""


def _listing(prefix: str, key: str, path: str, names: list[str], n: int | None) -> Response:
    """The page as JSON, with a Link to the next one when `names` holds one entry more than n."""
    headers = {}
    if n is not None and len(names) > n:
        del names[n:]
        if names:
            headers["Link"] = next_link(path, n, names[-1])
    body = f'{{{prefix}"{key}":[{_json_strings(names)}]}}'
    return Response(body, media_type="application/json", headers=headers)


class Listings:
    def __init__(self, ctx: Context) -> None:
        self.engine = ctx.engine

    def endpoints(self) -> Endpoints:
        return {"catalog": {"GET": self.catalog}, "tags": {"GET": self.tags}}

    async def tags(self, request: Request) -> Response:
        name = repository_name(request)
        n, last = page(request)
        self.engine.gate.authorize(request, Access(name, "pull"))
        # One row more than asked tells whether a next page exists without a second query.
        names = self.engine.index.tag_names(name, last=last, limit=None if n is None else n + 1)
        if names is None:
            raise RegistryError("NAME_UNKNOWN", f"repository {name} is not in this registry", detail={"name": name})
        return _listing(f'"name":"{name}",', "tags", f"/v2/{name}/tags/list", names, n)

    async def catalog(self, request: Request) -> Response:
        n, last = page(request)
        self.engine.gate.authorize(request, Access(None, "list"))
        names = self.engine.index.list_repositories(
            last=last, limit=None if n is None else n + 1, include_hidden=False
        )
        return _listing("", "repositories", "/v2/_catalog", names, n)
