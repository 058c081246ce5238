"""Authorising the benchmark's requests with acrtui.client's Authenticator (Basic, Bearer token
challenges, ACR's token exchange, Docker's stored credentials), as an httpx.Auth flow so the timed
requests stay plain httpx calls."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator

import httpx

from acrtui.client.acr import CATALOG_SCOPE
from acrtui.client.auth import Authenticator

_REPO_PATH = re.compile(r"^/v2/(.+?)/(?:blobs|manifests|tags|referrers)/")


def scopes_for(request: httpx.Request) -> list[str]:
    """The token scopes a distribution API request needs."""
    match = _REPO_PATH.match(request.url.path)
    if not match:
        return [CATALOG_SCOPE] if request.url.path.startswith("/v2/_catalog") else []
    repo = match.group(1)
    if request.method == "DELETE":
        return [f"repository:{repo}:delete"]
    if request.method in ("POST", "PUT", "PATCH"):
        return [f"repository:{repo}:pull,push"]
    return [f"repository:{repo}:pull"]


class RegistryAuth(httpx.Auth):
    """Sends a known Authorization up front; on a 401 asks the Authenticator and retries once."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        scopes = scopes_for(request)
        request.headers.update(self.authenticator.headers(scopes))
        response = yield request
        if response.status_code != 401:
            return
        sent = request.headers.get("authorization")
        request.headers.update(await self.authenticator.answer(response, scopes, sent=sent))
        yield request
