"""`/acr/v1/{name}/_manifests[/{digest}]`: list manifests with their metadata, read and lock one.

Manifests are deleted through /v2 (as the Azure SDK does), so there is no DELETE here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from acrtui.engine.access import Access
from acrtui.engine.acr.lookups import manifest_digest, registry_of, repository_name, require_manifest, require_repository
from acrtui.engine.acr.paging import cut, page_headers, page_request
from acrtui.engine.acr.shapes import MAX_BODY, attribute_changes, listing, manifest_json
from acrtui.engine.distribution.common import read_body
from acrtui.engine.state import Engine


class ManifestApi:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def list_manifests(self, request: Request) -> Response:
        name = repository_name(request)
        self.engine.gate.authorize(request, Access(name, "pull"))
        page = page_request(request, ordered=True)
        index = self.engine.index
        require_repository(index, name)
        manifests = index.list_manifests(
            name, last=page.last, limit=page.fetch, include_hidden=False, order=page.order, last_time=page.last_time
        )
        manifests, more = cut(manifests, page)
        return JSONResponse(
            listing({"registry": registry_of(request), "imageName": name}, "manifests", [manifest_json(m) for m in manifests]),
            headers=page_headers(request, page, manifests, more, key=lambda m: page.cursor(m.digest, m.updated)),
        )

    async def get(self, request: Request) -> Response:
        name, digest = repository_name(request), manifest_digest(request)
        self.engine.gate.authorize(request, Access(name, "pull"))
        record = require_manifest(self.engine.index, name, digest)
        return JSONResponse({"registry": registry_of(request), "imageName": name, "manifest": manifest_json(record)})

    async def patch(self, request: Request) -> Response:
        name, digest = repository_name(request), manifest_digest(request)
        self.engine.gate.authorize(request, Access(name, "push"))
        changes = attribute_changes(await read_body(request, MAX_BODY, "manifest attributes"), what="manifest")
        index = self.engine.index
        record = require_manifest(index, name, digest)
        # None when it was deleted meanwhile: the lookup then answers MANIFEST_UNKNOWN.
        updated = index.set_manifest_attributes(name, digest, record.attributes.changed(**changes)) or require_manifest(
            index, name, digest
        )
        return JSONResponse({"registry": registry_of(request), "imageName": name, "manifest": manifest_json(updated)})
