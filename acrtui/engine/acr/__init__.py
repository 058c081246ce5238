"""The ACR data-plane API (`/acr/v1/…`) and its token endpoints (`/oauth2/…`).

Listings hide items whose listEnabled is false (the catalog a repository, `_tags` a tag,
`_manifests` a manifest), as the /v2 listings do; reading, locking or deleting an item by its
name still works, as in ACR. A listed manifest's `tags` names all of its tags.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, Route

from acrtui.engine.acr.manifests import ManifestApi
from acrtui.engine.acr.oauth2 import TokenApi
from acrtui.engine.acr.repositories import RepositoryApi
from acrtui.engine.acr.tags import TagApi
from acrtui.engine.acr.tokens import TokenIssuer
from acrtui.engine.state import Engine


class _RepositoryPath(Convertor[str]):
    """A repository path: no segment starts with "_", so `_tags`, `_manifests` and `_catalog`
    are never read as part of a name, and an unsupported method on them gets 405, not NAME_INVALID."""

    regex = r"[^/_][^/]*(?:/[^/_][^/]*)*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("acr_repository", _RepositoryPath())


def routes(engine: Engine) -> list[BaseRoute]:
    repositories = RepositoryApi(engine)
    tags = TagApi(engine)
    manifests = ManifestApi(engine)
    tokens = TokenApi(engine, TokenIssuer.for_data_dir(engine.data_dir))
    # Order matters: `{name:acr_repository}` would also match the _catalog, _tags and _manifests paths.
    return [
        Route("/oauth2/exchange", tokens.exchange, methods=["POST"]),
        Route("/oauth2/token", tokens.token, methods=["POST"]),
        Route("/oauth2/token", tokens.token_get, methods=["GET"]),
        Route("/acr/v1/_catalog", repositories.catalog, methods=["GET"]),
        Route("/acr/v1/{name:acr_repository}/_tags", tags.list_tags, methods=["GET"]),
        Route("/acr/v1/{name:acr_repository}/_tags/{tag}", tags.get, methods=["GET"]),
        Route("/acr/v1/{name:acr_repository}/_tags/{tag}", tags.patch, methods=["PATCH"]),
        Route("/acr/v1/{name:acr_repository}/_tags/{tag}", tags.delete, methods=["DELETE"]),
        Route("/acr/v1/{name:acr_repository}/_manifests", manifests.list_manifests, methods=["GET"]),
        Route("/acr/v1/{name:acr_repository}/_manifests/{digest}", manifests.get, methods=["GET"]),
        Route("/acr/v1/{name:acr_repository}/_manifests/{digest}", manifests.patch, methods=["PATCH"]),
        Route("/acr/v1/{name:acr_repository}", repositories.get, methods=["GET"]),
        Route("/acr/v1/{name:acr_repository}", repositories.patch, methods=["PATCH"]),
        Route("/acr/v1/{name:acr_repository}", repositories.delete, methods=["DELETE"]),
    ]
