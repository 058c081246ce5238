"""`/acr/v1/{name}/_tags[/{tag}]`: list tags (by name or time, by digest), read, lock, delete one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from acrtui.engine.access import Access, ensure_allowed
from acrtui.engine.acr.lookups import registry_of, repository_name, require_repository, require_tag, tag_name
from acrtui.engine.acr.paging import cut, page_headers, page_request
from acrtui.engine.acr.shapes import MAX_BODY, attribute_changes, listing, tag_json
from acrtui.engine.distribution.common import parse_digest, read_body
from acrtui.engine.state import Engine


class TagApi:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def list_tags(self, request: Request) -> Response:
        name = repository_name(request)
        self.engine.gate.authorize(request, Access(name, "pull"))
        page = page_request(request, ordered=True)
        raw_digest = request.query_params.get("digest")
        digest = parse_digest(raw_digest) if raw_digest else None
        index = self.engine.index
        require_repository(index, name)
        tags = index.list_tags(
            name,
            last=page.last,
            limit=page.fetch,
            include_hidden=False,
            order=page.order,
            digest=digest,
            last_time=page.last_time,
        )
        tags, more = cut(tags, page)
        return JSONResponse(
            listing({"registry": registry_of(request), "imageName": name}, "tags", [tag_json(t) for t in tags]),
            headers=page_headers(request, page, tags, more, key=lambda t: page.cursor(t.name, t.updated), digest=digest),
        )

    async def get(self, request: Request) -> Response:
        name, tag = repository_name(request), tag_name(request)
        self.engine.gate.authorize(request, Access(name, "pull"))
        record = require_tag(self.engine.index, name, tag)
        return JSONResponse({"registry": registry_of(request), "imageName": name, "tag": tag_json(record)})

    async def patch(self, request: Request) -> Response:
        name, tag = repository_name(request), tag_name(request)
        self.engine.gate.authorize(request, Access(name, "push"))
        changes = attribute_changes(await read_body(request, MAX_BODY, "tag attributes"), what="tag")
        index = self.engine.index
        record = require_tag(index, name, tag)
        # None when it was deleted meanwhile: the lookup then answers TAG_UNKNOWN.
        updated = index.set_tag_attributes(name, tag, record.attributes.changed(**changes)) or require_tag(index, name, tag)
        return JSONResponse({"registry": registry_of(request), "imageName": name, "tag": tag_json(updated)})

    async def delete(self, request: Request) -> Response:
        name, tag = repository_name(request), tag_name(request)
        self.engine.gate.authorize(request, Access(name, "delete"))
        index = self.engine.index
        record = require_tag(index, name, tag)
        ensure_allowed(f"repository {name}", require_repository(index, name).attributes, "delete")
        ensure_allowed(f"tag {name}:{tag}", record.attributes, "delete")
        if not index.delete_tag(name, tag):
            require_tag(index, name, tag)  # deleted meanwhile: TAG_UNKNOWN
        return Response(status_code=202)
