"""The ACR data-plane API (`/acr/v1/…`) and its token endpoints (`/oauth2/…`).

Listings hide items whose listEnabled is false, as the /v2 listings do; reading one by name
still works, as in ACR.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from acrtui.engine.acr.manifests import ManifestApi
from acrtui.engine.acr.oauth2 import TokenApi
from acrtui.engine.acr.repositories import RepositoryApi
from acrtui.engine.acr.tags import TagApi
from acrtui.engine.acr.tokens import TokenIssuer
from acrtui.engine.state import Engine


def routes(engine: Engine) -> list[BaseRoute]:
    repositories = RepositoryApi(engine)
    tags = TagApi(engine)
    manifests = ManifestApi(engine)
    tokens = TokenApi(engine, TokenIssuer.for_data_dir(engine.data_dir))
    # Order matters: `{name:path}` would also match the _catalog, _tags and _manifests paths.
    return [
        Route("/oauth2/exchange", tokens.exchange, methods=["POST"]),
        Route("/oauth2/token", tokens.token, methods=["POST"]),
        Route("/oauth2/token", tokens.token_get, methods=["GET"]),
        Route("/acr/v1/_catalog", repositories.catalog, methods=["GET"]),
        Route("/acr/v1/{name:path}/_tags", tags.list_tags, methods=["GET"]),
        Route("/acr/v1/{name:path}/_tags/{tag}", tags.get, methods=["GET"]),
        Route("/acr/v1/{name:path}/_tags/{tag}", tags.patch, methods=["PATCH"]),
        Route("/acr/v1/{name:path}/_tags/{tag}", tags.delete, methods=["DELETE"]),
        Route("/acr/v1/{name:path}/_manifests", manifests.list_manifests, methods=["GET"]),
        Route("/acr/v1/{name:path}/_manifests/{digest}", manifests.get, methods=["GET"]),
        Route("/acr/v1/{name:path}/_manifests/{digest}", manifests.patch, methods=["PATCH"]),
        Route("/acr/v1/{name:path}", repositories.get, methods=["GET"]),
        Route("/acr/v1/{name:path}", repositories.patch, methods=["PATCH"]),
        Route("/acr/v1/{name:path}", repositories.delete, methods=["DELETE"]),
    ]
