"""One route for all of /v2: a single regular expression picks the endpoint.

Starlette's router would try a dozen `{name:path}` patterns in turn on every request; here one
match decides the kind of path and a dict lookup the handler. Repository names contain slashes,
so `name` is greedy and the alternatives are ordered so that `/blobs/uploads/...` is never read
as a blob digest.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, NoMatchFound, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from acrtui.engine.distribution.common import Endpoints

_PATH = re.compile(
    r"^/v2/(?:"
    r"(?P<base>)"
    r"|(?P<catalog>_catalog)"
    r"|(?P<name>.+)/(?:"
    r"(?P<uploads>blobs/uploads/?)"
    r"|blobs/uploads/(?P<upload>[^/]+)"
    r"|blobs/(?P<blob>[^/]+)"
    r"|manifests/(?P<manifest>[^/]+)"
    r"|(?P<tags>tags/list)"
    r"|referrers/(?P<referrers>[^/]+)"
    r"))$",
    re.DOTALL,
)
# The path parameter each kind's last group carries, as handlers read it from path_params.
_PARAM = {"upload": "upload_id", "blob": "digest", "manifest": "reference", "referrers": "digest"}
_APP_KEY = "acrtui.v2.app"


class V2Routes(BaseRoute):
    def __init__(self, endpoints: Endpoints) -> None:
        self.apps: dict[str, dict[str, ASGIApp]] = {
            kind: {method: request_response(handler) for method, handler in methods.items()}
            for kind, methods in endpoints.items()
        }
        self.allow = {kind: ", ".join(methods) for kind, methods in endpoints.items()}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        m = _PATH.match(scope["path"])
        if m is None:
            return Match.NONE, {}
        kind = m.lastgroup or "base"
        params: dict[str, str] = {}
        if m.group("name") is not None:
            params["name"] = m.group("name")
            if kind in _PARAM:
                params[_PARAM[kind]] = m.group(kind)
        app = self.apps[kind].get(scope["method"])
        if app is None:
            return Match.PARTIAL, {"path_params": params, _APP_KEY: None, "acrtui.v2.kind": kind}
        return Match.FULL, {"path_params": params, _APP_KEY: app}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope.get(_APP_KEY)
        if app is None:
            raise HTTPException(status_code=405, headers={"Allow": self.allow[scope["acrtui.v2.kind"]]})
        await app(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: object) -> object:
        raise NoMatchFound(name, path_params)
