"""The OCI Distribution Spec v1.1 API (/v2/...) over the engine's stores."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from acrtui.engine.access import Access
from acrtui.engine.distribution.blobs import Blobs
from acrtui.engine.distribution.common import Context
from acrtui.engine.distribution.listings import Listings
from acrtui.engine.distribution.manifests import Manifests
from acrtui.engine.distribution.referrers import Referrers
from acrtui.engine.distribution.uploads import Uploads
from acrtui.engine.state import Engine


def routes(engine: Engine) -> list[BaseRoute]:
    """Every /v2 route, ordered so that fixed paths win over {name:path} patterns."""
    ctx = Context(engine)

    async def base(request: Request) -> Response:
        engine.gate.authorize(request, Access(None, "pull"))
        return Response(b"{}", media_type="application/json")

    # Uploads before blobs: /blobs/uploads/<id> must never be read as a blob digest.
    return [
        Route("/v2/", base, methods=["GET"]),
        *Listings(ctx).routes(),
        *Uploads(ctx).routes(),
        *Blobs(ctx).routes(),
        *Manifests(ctx).routes(),
        *Referrers(ctx).routes(),
    ]
