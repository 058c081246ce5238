"""The engine's ASGI application: the /v2 API (and the ACR API), spec-shaped errors, one log line per request."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acrtui.engine import acr, distribution
from acrtui.engine.errors import RegistryError
from acrtui.engine.expiry import expire_periodically
from acrtui.engine.state import Engine

log = logging.getLogger("acrtui.engine")
access_log = logging.getLogger("acrtui.engine.access")

_API_VERSION = (b"docker-distribution-api-version", b"registry/2.0")
_INTERNAL_ERROR = json.dumps(
    {"errors": [{"code": "UNKNOWN", "message": "the registry failed to handle the request; its log says why"}]}
).encode()


def create_app(engine: Engine) -> Starlette:
    routes = [*distribution.routes(engine), *acr.routes(engine)]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        housekeeping = asyncio.create_task(expire_periodically(engine))
        try:
            yield
        finally:
            housekeeping.cancel()
            with suppress(asyncio.CancelledError):
                await housekeeping

    app = Starlette(
        routes=routes,
        exception_handlers={RegistryError: _registry_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.add_middleware(RequestLog)
    return app


async def _registry_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegistryError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (no route) and 405 (route, wrong method), as spec errors."""
    assert isinstance(exc, HTTPException)
    what = f"{request.method} {request.url.path[:200]}"
    if exc.status_code == 405:
        message = f"{what} is not supported: this path does not take {request.method}"
    elif exc.status_code == 404:
        message = f"{what} is not an endpoint of this registry"
    else:
        message = f"{what} failed: {exc.detail}"
    return RegistryError("UNSUPPORTED", message, status=exc.status_code, headers=dict(exc.headers or {})).response()


class RequestLog:
    """Logs one line per request and answers any unexpected exception with a spec-shaped 500.

    It sits inside Starlette's ServerErrorMiddleware, so an exception stops here: it is logged
    once, with its traceback, and the client still gets JSON rather than a bare text 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_with_version(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), _API_VERSION]
            await send(message)

        try:
            await self.app(scope, receive, send_with_version)
        except Exception:
            log.exception("%s %r failed", scope["method"], scope["path"])
            if status == 0:
                status = 500
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
                            _API_VERSION,
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": _INTERNAL_ERROR})
        if access_log.isEnabledFor(logging.INFO):
            client = scope.get("client")
            # The raw (still percent-encoded) path: a decoded one could forge extra log lines.
            raw_path = scope.get("raw_path")
            access_log.info(
                '%s "%s %s" %d %.1fms',
                client[0] if client else "-",
                scope["method"],
                raw_path.decode("latin-1") if raw_path else scope["path"].encode("unicode_escape").decode(),
                status,
                (time.perf_counter() - started) * 1000,
            )
