"""Registry authentication for the benchmark: anonymous, HTTP basic, or the token flow
(a 401 with `WWW-Authenticate: Bearer realm=…` → a token from the realm, cached per scope)."""

from __future__ import annotations

import base64
import re
from collections.abc import Generator

import httpx

_PARAM = re.compile(r'(\w+)="([^"]*)"')
_REPO_PATH = re.compile(r"^/v2/(.+?)/(?:blobs|manifests|tags|referrers)/")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _scope_key(request: httpx.Request) -> tuple[str, bool]:
    """Which token a request needs: its repository (empty for the catalog) and whether it writes."""
    match = _REPO_PATH.match(request.url.path)
    return (match.group(1) if match else "", request.method in _WRITES)


class RegistryAuth(httpx.Auth):
    requires_response_body = True

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self._basic = None
        if username is not None and password is not None:
            pair = base64.b64encode(f"{username}:{password}".encode()).decode()
            self._basic = f"Basic {pair}"
        self._use_basic = False
        self._tokens: dict[tuple[str, bool], str] = {}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = _scope_key(request)
        if key in self._tokens:
            request.headers["authorization"] = f"Bearer {self._tokens[key]}"
        elif self._use_basic and self._basic:
            request.headers["authorization"] = self._basic
        response = yield request
        if response.status_code != 401:
            return
        scheme, _, rest = response.headers.get("www-authenticate", "").partition(" ")
        params = dict(_PARAM.findall(rest))
        if scheme.lower() == "basic" and self._basic:
            self._use_basic = True
            request.headers["authorization"] = self._basic
            yield request
        elif scheme.lower() == "bearer" and "realm" in params:
            query = {k: v for k, v in params.items() if k in ("service", "scope")}
            token_request = httpx.Request("GET", params["realm"], params=query)
            if self._basic:
                token_request.headers["authorization"] = self._basic
            token_response = yield token_request
            token = _token(token_response)
            if token:
                self._tokens[key] = token
                request.headers["authorization"] = f"Bearer {token}"
            # Without a token, retry as is so the caller sees the registry's own refusal.
            yield request


def _token(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return None
    try:
        body = response.json()
        return body.get("token") or body.get("access_token") or None
    except (ValueError, AttributeError):
        return None
