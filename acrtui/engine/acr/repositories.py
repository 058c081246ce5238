"""`/acr/v1/_catalog` and `/acr/v1/{name}`: list repositories, read, lock and delete one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from acrtui.engine.access import Access, ensure_allowed
from acrtui.engine.acr.lookups import registry_of, repository_name, require_repository
from acrtui.engine.acr.paging import cut, page_headers, page_request
from acrtui.engine.acr.shapes import MAX_BODY, attribute_changes, listing, repository_json
from acrtui.engine.distribution.common import read_body
from acrtui.engine.errors import RegistryError
from acrtui.engine.state import Engine


class RepositoryApi:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def catalog(self, request: Request) -> Response:
        self.engine.gate.authorize(request, Access(None, "list"))
        page = page_request(request, ordered=False)
        names = self.engine.index.list_repositories(last=page.last, limit=page.fetch, include_hidden=False)
        names, more = cut(names, page)
        return JSONResponse(listing({}, "repositories", names), headers=page_headers(request, page, names, more, key=str))

    async def get(self, request: Request) -> Response:
        name = repository_name(request)
        self.engine.gate.authorize(request, Access(name, "pull"))
        return JSONResponse(repository_json(registry_of(request), require_repository(self.engine.index, name)))

    async def patch(self, request: Request) -> Response:
        name = repository_name(request)
        self.engine.gate.authorize(request, Access(name, "push"))
        changes = attribute_changes(await read_body(request, MAX_BODY, "repository attributes"), what="repository", read_only={"teleportEnabled": False})
        index = self.engine.index
        record = require_repository(index, name)
        # None when it was deleted meanwhile: the lookup then answers NAME_UNKNOWN.
        updated = index.set_repository_attributes(name, record.attributes.changed(**changes)) or require_repository(index, name)
        return JSONResponse(repository_json(registry_of(request), updated))

    async def delete(self, request: Request) -> Response:
        name = repository_name(request)
        self.engine.gate.authorize(request, Access(name, "delete"))
        index = self.engine.index
        record = index.get_repository(name)
        if record is not None:
            ensure_allowed(f"repository {name}", record.attributes, "delete")
            tags, digests = index.undeletable(name, limit=1)
            if tags or digests:
                what = f"tag {name}:{tags[0]}" if tags else f"manifest {name}@{digests[0]}"
                raise RegistryError(
                    "DENIED",
                    f"repository {name} holds a locked item ({what}): unlock it before you delete the repository",
                    detail={"target": what},
                )
        deleted = index.delete_repository(name)
        if deleted is None:
            raise RegistryError("NAME_UNKNOWN", f"repository {name} does not exist in this registry", detail={"name": name})
        digests, tags = deleted
        return JSONResponse({"manifestsDeleted": digests, "tagsDeleted": tags}, status_code=202)
