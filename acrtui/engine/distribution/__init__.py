"""The OCI Distribution Spec v1.1 API (/v2/...) over the engine's stores."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from acrtui.engine.access import Access
from acrtui.engine.distribution.blobs import Blobs
from acrtui.engine.distribution.common import Context
from acrtui.engine.distribution.dispatch import V2Routes
from acrtui.engine.distribution.listings import Listings
from acrtui.engine.distribution.manifests import Manifests
from acrtui.engine.distribution.referrers import Referrers
from acrtui.engine.distribution.uploads import Uploads
from acrtui.engine.state import Engine


def routes(engine: Engine) -> list[BaseRoute]:
    """Every /v2 endpoint, behind one route."""
    ctx = Context(engine)

    async def base(request: Request) -> Response:
        engine.gate.authorize(request, Access(None, "pull"))
        return Response(b"{}", media_type="application/json")

    endpoints = {"base": {"GET": base, "HEAD": base}}
    for part in (Listings(ctx), Uploads(ctx), Blobs(ctx), Manifests(ctx), Referrers(ctx)):
        endpoints.update(part.endpoints())
    return [V2Routes(endpoints)]
