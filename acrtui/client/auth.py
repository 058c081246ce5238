"""Authentication: Basic, Bearer-token challenges, and ACR's refresh-token exchange.

A request names the scopes it needs (`repository:web:pull`). The first 401 says which scheme the
registry speaks; for Bearer the token endpoint (`realm`) is asked for a token covering the
challenge's scope and the request's, and tokens are cached per scope set until they expire, so
later requests carry one before the registry has to ask.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from acrtui.client.credentials import Credentials
from acrtui.client.errors import AuthError, Denied, RegistryError, network_error
from acrtui.client.profiles import is_loopback

log = logging.getLogger("acrtui.client")

DEFAULT_TOKEN_LIFETIME = 60.0
# Renew a little early so a token does not expire between our check and the registry's.
EXPIRY_MARGIN = 10.0
AZ_TIMEOUT = 60.0

_PARAM_RE = re.compile(r'([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


@dataclass(frozen=True)
class Challenge:
    """One `WWW-Authenticate` challenge: the scheme (lower case) and its parameters."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def scopes(self) -> set[str]:
        return set(self.params.get("scope", "").split())


def parse_challenges(values: Iterable[str]) -> list[Challenge]:
    """Challenges from WWW-Authenticate header values (a value may hold several)."""
    out: list[Challenge] = []
    for value in values:
        # A new challenge starts with a scheme token that is not followed by "=".
        for part in re.split(r",?\s*(?=\b(?:Bearer|Basic|Digest|Negotiate)\b(?!\s*=))", value, flags=re.I):
            part = part.strip()
            if not part:
                continue
            scheme, _, rest = part.partition(" ")
            params = {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)).replace('\\"', '"')
                      for m in _PARAM_RE.finditer(rest)}
            out.append(Challenge(scheme.lower(), params))
    return out


def _resources(scopes: Iterable[str]) -> dict[tuple[str, str], set[str]]:
    """`repository:web:pull,push` → {("repository", "web"): {"pull", "push"}}, merged per resource."""
    out: dict[tuple[str, str], set[str]] = {}
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        out.setdefault((kind, name), set()).update(a for a in actions.split(",") if a)
    return out


def merge_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """One scope string per resource with its actions sorted, so equal needs look equal."""
    return frozenset(f"{kind}:{name}:{','.join(sorted(actions))}" for (kind, name), actions in _resources(scopes).items())


def covers(granted: Iterable[str], wanted: Iterable[str]) -> bool:
    have = _resources(granted)
    return all(actions <= have.get(resource, set()) for resource, actions in _resources(wanted).items())


@dataclass
class _Token:
    value: str
    expires_at: float

    def valid(self) -> bool:
        return time.monotonic() < self.expires_at


def azure_access_token(host: str) -> str | None:
    """An Azure AD access token: $AZURE_ACCESS_TOKEN, else `az` for *.azurecr.io when installed."""
    token = os.environ.get("AZURE_ACCESS_TOKEN")
    if token:
        return token
    az = shutil.which("az")
    if az is None or not host.split(":")[0].endswith(".azurecr.io"):
        return None
    try:
        done = subprocess.run(
            [az, "account", "get-access-token", "--query", "accessToken", "--output", "tsv"],
            capture_output=True, timeout=AZ_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired:
        raise AuthError(f"`az account get-access-token` did not answer within {AZ_TIMEOUT:.0f} s; run `az login` and retry") from None
    if done.returncode != 0:
        raise AuthError("`az account get-access-token` failed; run `az login` (or set AZURE_ACCESS_TOKEN) and retry")
    return done.stdout.decode().strip() or None


class Authenticator:
    """Holds what is needed to authorise requests to one registry; never logs secrets."""

    def __init__(
        self,
        host: str,
        http: httpx.AsyncClient,
        *,
        timeout: float,
        credentials: Credentials | None = None,
        find_credentials: Callable[[str], Credentials | None] | None = None,
        aad_token: Callable[[str], str | None] = azure_access_token,
        allow_plain_http: bool = False,
    ) -> None:
        self.host = host
        self._http = http
        self._timeout = timeout
        self._credentials = credentials
        self._find_credentials = find_credentials
        self._looked_up = credentials is not None
        self._aad_token = aad_token
        self._allow_plain_http = allow_plain_http
        self._scheme: str | None = None
        self._tokens: dict[frozenset[str], _Token] = {}
        self._refresh_token: str | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"Authenticator(host={self.host!r}, scheme={self._scheme!r})"

    async def credentials(self) -> Credentials | None:
        if not self._looked_up:
            self._looked_up = True
            if self._find_credentials is not None:
                self._credentials = await asyncio.to_thread(self._find_credentials, self.host)
        return self._credentials

    def headers(self, scopes: Iterable[str]) -> dict[str, str]:
        """The Authorization header to send up front, when one is already known."""
        if self._scheme == "basic" and self._credentials and self._credentials.password:
            return {"Authorization": _basic(self._credentials)}
        if self._scheme == "bearer":
            wanted = list(scopes)
            for granted, token in self._tokens.items():
                if token.valid() and covers(granted, wanted):
                    return {"Authorization": f"Bearer {token.value}"}
        return {}

    async def answer(self, response: httpx.Response, scopes: Iterable[str], *, sent: str | None) -> dict[str, str]:
        """Headers to retry a request that got `response` (a 401) with; raises when there is no way in.

        `sent` is the Authorization header that request carried, if any.
        """
        challenges = parse_challenges(response.headers.get_list("www-authenticate"))
        bearer = next((c for c in challenges if c.scheme == "bearer" and c.params.get("realm")), None)
        basic = next((c for c in challenges if c.scheme == "basic"), None)
        creds = await self.credentials()
        if bearer is not None:
            async with self._lock:
                self._scheme = "bearer"
                needed = merge_scopes([*scopes, *bearer.scopes])
                # Concurrent requests that met the same challenge share the token the first one fetched.
                for granted, token in self._tokens.items():
                    if token.valid() and covers(granted, needed) and sent != f"Bearer {token.value}":
                        return {"Authorization": f"Bearer {token.value}"}
                token = await self._fetch_token(bearer, needed, creds)
                self._tokens = {k: t for k, t in self._tokens.items() if t.valid()}
                self._tokens[needed] = token
            return {"Authorization": f"Bearer {token.value}"}
        if basic is not None or not challenges:
            if creds is None or not creds.password:
                raise AuthError(
                    f"{self.host} requires a username and password; run `docker login {self.host}` "
                    "or add auth to its profile", status=401, code="UNAUTHORIZED")
            if sent is not None and sent.startswith("Basic"):
                raise self._refused(creds)
            self._scheme = "basic"
            return {"Authorization": _basic(creds)}
        raise AuthError(
            f"{self.host} asks for {challenges[0].scheme} authentication, which acrtui does not speak; "
            "use a token-based login", status=401)

    def rejected(self, response: httpx.Response, scopes: Iterable[str]) -> RegistryError:
        """The error for a 401 that came back although the retry carried fresh authorisation."""
        challenges = parse_challenges(response.headers.get_list("www-authenticate"))
        bearer = next((c for c in challenges if c.scheme == "bearer"), None)
        creds = self._credentials
        if bearer is not None and (bearer.params.get("error") == "insufficient_scope" or creds is None):
            return Denied(
                f"{self.host} does not allow {self._who(creds)} {_describe(bearer.scopes or set(scopes))}; "
                "ask for access or use other credentials", status=401, code="DENIED")
        return self._refused(creds)

    def _who(self, creds: Credentials | None) -> str:
        if creds is None:
            return "anonymous access to"
        return f"{creds.username} to" if creds.username else "these credentials to"

    def _refused(self, creds: Credentials | None) -> AuthError:
        who = f"user {creds.username!r}" if creds and creds.username else "the stored token"
        return AuthError(
            f"{self.host} refused the credentials of {who}; check the password, or log in again "
            f"(docker login {self.host})", status=401, code="UNAUTHORIZED")

    async def _fetch_token(
        self, challenge: Challenge, scopes: frozenset[str], creds: Credentials | None, *, renew: bool = True
    ) -> _Token:
        realm = challenge.params["realm"]
        service = challenge.params.get("service", "")
        refresh = self._refresh_token or (creds.identity_token if creds else None)
        if refresh is None and (creds is None or not creds.password) and _acr_realm(realm):
            aad = await asyncio.to_thread(self._aad_token, self.host)
            if aad:
                self._check_realm(realm)
                refresh = await self._exchange(realm, service, aad)
        exchanged = refresh is not None and refresh == self._refresh_token
        if refresh is not None or (creds is not None and creds.password):
            self._check_realm(realm)
        if refresh is not None:
            form = {"grant_type": "refresh_token", "service": service, "refresh_token": refresh}
            if scopes:
                form["scope"] = " ".join(sorted(scopes))
            response = await self._call("POST", realm, data=form)
        else:
            params: list[tuple[str, str]] = [("service", service)] if service else []
            params += [("scope", s) for s in sorted(scopes)]
            headers = {}
            if creds is not None and creds.password:
                headers["Authorization"] = _basic(creds)
                if creds.username:
                    params.append(("account", creds.username))
            response = await self._call("GET", realm, params=params, headers=headers)
        if response.status_code in (401, 403):
            if exchanged and renew:
                # An exchanged refresh token lasts hours, not forever: exchange once more.
                self._refresh_token = None
                return await self._fetch_token(challenge, scopes, creds, renew=False)
            if creds is None and refresh is None:
                raise AuthError(
                    f"{self.host} does not allow anonymous access to {_describe(scopes)}; run `docker login {self.host}` "
                    "or add auth to its profile", status=response.status_code, code="UNAUTHORIZED")
            raise self._refused(creds)
        data = _json(response, self.host)
        value = data.get("token") or data.get("access_token")
        if not isinstance(value, str) or not value:
            raise AuthError(f"the token service of {self.host} answered without a token; check its realm {realm}")
        lifetime = data.get("expires_in")
        lifetime = float(lifetime) if isinstance(lifetime, (int, float)) and lifetime > 0 else DEFAULT_TOKEN_LIFETIME
        log.debug("token for %s scopes=%s lifetime=%ss", self.host, sorted(scopes), lifetime)
        return _Token(value, time.monotonic() + max(lifetime - EXPIRY_MARGIN, lifetime / 2))

    def _check_realm(self, realm: str) -> None:
        """Secrets go to a token service over https, or plain http on loopback / when allowed."""
        parts = urlsplit(realm)
        if parts.scheme == "https" or (parts.scheme == "http" and (self._allow_plain_http or is_loopback(parts.hostname or ""))):
            return
        raise AuthError(
            f"{self.host} sends logins to {parts.scheme}://{parts.netloc}, which is not https, so acrtui will not send "
            "credentials there; set insecure: true in the profile only if you trust that network")

    async def _exchange(self, realm: str, service: str, aad_token: str) -> str:
        """ACR: trade an Azure AD access token for a registry refresh token."""
        parts = urlsplit(realm)
        url = urlunsplit((parts.scheme, parts.netloc, "/oauth2/exchange", "", ""))
        form = {"grant_type": "access_token", "service": service, "access_token": aad_token}
        response = await self._call("POST", url, data=form)
        if response.status_code in (401, 403):
            raise AuthError(
                f"{self.host} refused the Azure AD token; run `az login` (or refresh AZURE_ACCESS_TOKEN) "
                "and check your role on the registry", status=response.status_code)
        value = _json(response, self.host).get("refresh_token")
        if not isinstance(value, str) or not value:
            raise AuthError(f"{self.host} answered the token exchange without a refresh token; check its /oauth2/exchange")
        self._refresh_token = value
        return value

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, timeout=self._timeout, **kwargs)
        except httpx.HTTPError as exc:
            raise network_error(exc, urlsplit(url).netloc or self.host, self._timeout) from None
        if response.status_code >= 500:
            raise RegistryError(
                f"the token service of {self.host} failed with HTTP {response.status_code}; try again later",
                status=response.status_code)
        return response


def _acr_realm(realm: str) -> bool:
    return urlsplit(realm).path.rstrip("/") == "/oauth2/token"


def _basic(creds: Credentials) -> str:
    raw = f"{creds.username or ''}:{creds.password or ''}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def _json(response: httpx.Response, host: str) -> dict[str, Any]:
    try:
        data = json.loads(response.content)
    except ValueError:
        data = None
    if response.status_code != 200 or not isinstance(data, dict):
        raise AuthError(
            f"the token service of {host} answered HTTP {response.status_code} without a token; check the registry's auth setup",
            status=response.status_code)
    return data


def _describe(scopes: Iterable[str]) -> str:
    """`repository:web:pull,push` → `push to web` etc., for sentences."""
    parts = []
    # Registries name actions in any order (distribution: Go map order); say them sorted.
    for scope in sorted(merge_scopes(scopes)):
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        parts.append(f"{actions or 'access'} on {kind} {name}" if name else scope)
    return ", ".join(parts) or "this registry"

