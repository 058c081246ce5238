"""HTTP to one registry: a pooled httpx client, authorisation with one retry on 401, and the
mapping of statuses and network failures to the client's one-sentence errors."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from acrtui.client.auth import Authenticator
from acrtui.client.credentials import Credentials, docker_credentials
from acrtui.client.errors import (
    Denied,
    NotFound,
    RegistryError,
    Unsupported,
    error_code,
    network_error,
)
from acrtui.client.profiles import Profile, check_transport

log = logging.getLogger("acrtui.client")

# A request body: bytes, or a factory of async chunks so that a retry can send it again.
Body = bytes | Callable[[], AsyncIterator[bytes]] | None

_LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?', re.I)


class Transport:
    def __init__(
        self,
        profile: Profile,
        *,
        timeout: float,
        find_credentials: Callable[[str], Credentials | None] | None = docker_credentials,
    ) -> None:
        check_transport(profile)
        self.base = profile.url
        self.host = profile.host
        self.timeout = timeout
        self.http = httpx.AsyncClient(
            timeout=timeout,
            verify=not profile.insecure,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
            headers={"User-Agent": "acrtui"},
        )
        self.auth = Authenticator(
            self.host,
            self.http,
            timeout=timeout,
            credentials=profile.auth,
            find_credentials=find_credentials,
            allow_plain_http=profile.insecure,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    def url(self, path: str) -> str:
        """An absolute URL for a registry path or for a Location the registry handed back."""
        return urljoin(self.base + "/", path)

    async def request(
        self,
        method: str,
        path: str,
        *,
        scopes: Iterable[str] = (),
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        content: Body = None,
        stream: bool = False,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        """Send, answering one 401 challenge; the caller checks the status (and closes a stream)."""
        scopes = list(scopes)
        url = self.url(path)
        sent = dict(headers or {})
        # An upload Location on another host gets no Authorization meant for this registry.
        foreign = urlsplit(url).netloc != self.host
        if not foreign:
            sent.update(self.auth.headers(scopes))
        response = await self._send(method, url, params, sent, content, stream, follow_redirects)
        if response.status_code != 401 or foreign:
            return response
        await response.aclose()
        retry = dict(headers or {})
        retry.update(await self.auth.answer(response, scopes, sent=sent.get("Authorization")))
        response = await self._send(method, url, params, retry, content, stream, follow_redirects)
        if response.status_code == 401:
            await response.aclose()
            raise self.auth.rejected(response, scopes)
        return response

    async def _send(
        self,
        method: str,
        url: str,
        params: Any,
        headers: dict[str, str],
        content: Body,
        stream: bool,
        follow_redirects: bool,
    ) -> httpx.Response:
        body = content() if callable(content) else content
        # httpx would replace the query of a Location URL (upload state) with `params`; merge instead.
        target = httpx.URL(url).copy_merge_params(params) if params else httpx.URL(url)
        request = self.http.build_request(method, target, headers=headers, content=body)
        try:
            response = await self.http.send(request, stream=stream, follow_redirects=follow_redirects)
        except httpx.HTTPError as exc:
            raise network_error(exc, self.host, self.timeout) from None
        log.debug("%s %s -> %s", method, request.url.copy_with(query=None), response.status_code)
        return response

    async def error(self, response: httpx.Response, what: str, repo: str | None = None) -> RegistryError:
        """The one-sentence error for an unexpected status, `what` naming the object asked for."""
        try:
            body = await response.aread()
        except httpx.HTTPError:
            body = b""
        finally:
            await response.aclose()
        return status_error(response.status_code, body, self.host, what, repo)


def status_error(status: int, body: bytes, host: str, what: str, repo: str | None = None) -> RegistryError:
    code, detail = error_code(body)
    if status == 404:
        if code == "NAME_UNKNOWN" and repo:
            return NotFound(f"repository {repo} does not exist on {host}; check its name", status=status, code=code)
        return NotFound(f"{what} was not found on {host}; check the name", status=status, code=code)
    if status == 403 or code == "DENIED":
        if detail:
            # The registry's own words name the cause (a lock, a missing role, an index using it).
            return Denied(f"{host} refused the request for {what}: {detail}", status=status, code=code)
        return Denied(f"{host} denied access to {what}; ask for permission or use other credentials", status=status, code=code)
    if status in (405, 501) or code == "UNSUPPORTED":
        return Unsupported(f"{host} does not support this operation on {what}", status=status, code=code)
    if status == 429 or code == "TOOMANYREQUESTS":
        return RegistryError(f"{host} is rate-limiting requests for {what}; wait a minute and retry", status=status, code=code)
    if status >= 500:
        return RegistryError(f"{host} failed with HTTP {status} on {what}; try again later", status=status, code=code)
    reason = f": {detail}" if detail else ""
    hint = _HINTS.get(code or "", "check the request and try again")
    return RegistryError(f"{host} rejected the request for {what} (HTTP {status}{reason}); {hint}", status=status, code=code)


# What to do about the spec's error codes that mean "fix your input".
_HINTS = {
    "BLOB_UNKNOWN": "push the blobs it references first",
    "MANIFEST_BLOB_UNKNOWN": "push the blobs it references first",
    "MANIFEST_INVALID": "check that the manifest is valid JSON of its media type",
    "MANIFEST_UNVERIFIED": "check that the manifest is valid JSON of its media type",
    "DIGEST_INVALID": "the content does not match its digest; push it again",
    "SIZE_INVALID": "the content does not match its declared size; push it again",
    "TAG_INVALID": "use a valid tag",
    "NAME_INVALID": "use a valid repository name",
    "BLOB_UPLOAD_INVALID": "start the upload again",
    "BLOB_UPLOAD_UNKNOWN": "start the upload again",
}


def next_url(response: httpx.Response) -> str | None:
    """The Link header's rel="next" URL; None when this was the last page."""
    return link_next(response.headers.get("link", ""))


def link_next(link: str) -> str | None:
    """The rel="next" URL of a Link header's value."""
    match = _LINK_RE.search(link)
    return match.group(1) if match else None


def next_last(response: httpx.Response) -> str | None:
    """`last` of the Link header's rel="next" URL; None when this was the last page."""
    url = next_url(response)
    values = parse_qs(urlsplit(url).query).get("last") if url else None
    return values[0] if values else None
