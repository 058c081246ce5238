"""ACR's token endpoints: `/oauth2/exchange` (→ refresh token) and `/oauth2/token` (→ access token).

Who the caller is gets decided in one place (`_subject`); today the only identity is the
anonymous one, granted while the gate admits anonymous access. Verifying Azure AD tokens and
registry users slots into that method without the endpoints changing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from acrtui.engine.acr.lookups import registry_of
from acrtui.engine.acr.shapes import MAX_BODY
from acrtui.engine.acr.tokens import ACCESS_LIFETIME, InvalidScope, InvalidToken, TokenIssuer, parse_scopes
from acrtui.engine.distribution.common import read_body
from acrtui.engine.errors import RegistryError
from acrtui.engine.state import Engine

ANONYMOUS = "$anonymous"
_FORM = "application/x-www-form-urlencoded"
# grant_type -> the credentials it comes with
_EXCHANGE_GRANTS = {
    "access_token": ("access_token",),
    "access_token_refresh_token": ("access_token", "refresh_token"),
    "refresh_token": ("refresh_token",),
}


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM:
        raise RegistryError("PARAMETER_INVALID", f"send the token request as {_FORM}, not {content_type or 'no content type'}")
    try:
        return dict(parse_qsl((await read_body(request, MAX_BODY, "token request")).decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise RegistryError("PARAMETER_INVALID", "the token request form is not valid UTF-8") from None


def _required(form: dict[str, str], field: str) -> str:
    value = form.get(field, "")
    if not value:
        raise RegistryError("PARAMETER_INVALID", f"the token request lacks {field}", detail={"field": field})
    return value


class TokenApi:
    def __init__(self, engine: Engine, issuer: TokenIssuer) -> None:
        self.engine = engine
        self.issuer = issuer

    def _anonymous(self) -> str:
        if not self.engine.gate.allow_anonymous:
            raise RegistryError("UNAUTHORIZED", "this registry does not allow anonymous access: sign in with credentials")
        return ANONYMOUS

    def _subject(self, request: Request, form: dict[str, str]) -> str:
        """Whom the request's credentials identify (an Azure AD token, a password, Basic auth).

        No credentials are verifiable yet, so every caller is anonymous.
        """
        return self._anonymous()

    def _access_token(self, subject: str, service: str, scope: str) -> str:
        if subject == ANONYMOUS:
            self._anonymous()
        try:
            grants = parse_scopes(scope)
        except InvalidScope as e:
            raise RegistryError("PARAMETER_INVALID", str(e), detail={"scope": scope}) from None
        return self.issuer.access_token(subject, service, grants)

    async def exchange(self, request: Request) -> Response:
        form = await _form(request)
        grant_type = _required(form, "grant_type")
        if grant_type not in _EXCHANGE_GRANTS:
            raise RegistryError(
                "PARAMETER_INVALID",
                f"unsupported grant_type {grant_type!r}: use {', '.join(_EXCHANGE_GRANTS)}",
                detail={"grant_type": grant_type},
            )
        service = _required(form, "service")
        for field in _EXCHANGE_GRANTS[grant_type]:
            _required(form, field)
        subject = self._subject(request, form)
        return JSONResponse({"refresh_token": self.issuer.refresh_token(subject, service)})

    async def token(self, request: Request) -> Response:
        form = await _form(request)
        grant_type = _required(form, "grant_type")
        service = _required(form, "service")
        if grant_type == "refresh_token":
            try:
                claims = self.issuer.verify(_required(form, "refresh_token"), kind="refresh_token", service=service)
            except InvalidToken as e:
                raise RegistryError("UNAUTHORIZED", f"{e}: get a new refresh token from /oauth2/exchange") from None
            subject = str(claims["sub"])
        elif grant_type == "password":
            subject = self._subject(request, form)
        else:
            raise RegistryError(
                "PARAMETER_INVALID",
                f"unsupported grant_type {grant_type!r}: use refresh_token or password",
                detail={"grant_type": grant_type},
            )
        return JSONResponse({"access_token": self._access_token(subject, service, form.get("scope", ""))})

    async def token_get(self, request: Request) -> Response:
        """Docker's token endpoint: `GET ?service=&scope=` with optional Basic credentials."""
        params = request.query_params
        service = params.get("service") or registry_of(request)
        subject = self._subject(request, dict(params))
        token = self._access_token(subject, service, " ".join(params.getlist("scope")))
        issued = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return JSONResponse({"token": token, "access_token": token, "expires_in": ACCESS_LIFETIME, "issued_at": issued})
