"""A small real token server for distribution's `auth: token:` mode, on 127.0.0.1.

It speaks the Docker token protocol (GET with Basic credentials or anonymously) and ACR's
refresh-token flows (POST /oauth2/token with grant_type=refresh_token, POST /oauth2/exchange
with an "Azure AD" access token), and signs RS256 JWTs with a key made by `openssl`, sending
the certificate in the `x5c` header, which distribution 2.8 verifies against its rootcertbundle.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.support.tools import free_port, require_tool

SERVICE = "acrtui-test-registry"
ISSUER = "acrtui-test-issuer"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenServer:
    url: str
    cert: Path
    key: Path
    users: dict[str, str]
    refresh_tokens: dict[str, str]
    aad_tokens: dict[str, str]
    anonymous_actions: tuple[str, ...]
    lifetime: int
    log: list[dict] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def realm(self) -> str:
        return f"{self.url}/oauth2/token"

    def sign(self, user: str | None, scopes: list[str]) -> str:
        cert_der = "".join(
            line for line in self.cert.read_text().splitlines() if line and not line.startswith("-----")
        )
        header = {"typ": "JWT", "alg": "RS256", "x5c": [cert_der]}
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user or "",
            "aud": SERVICE,
            "exp": now + self.lifetime,
            "nbf": now - 5,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": [self._grant(user, scope) for scope in scopes if scope.count(":") >= 2],
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(), capture_output=True, check=True,
        ).stdout
        return f"{signing_input}.{_b64url(signature)}"

    def _grant(self, user: str | None, scope: str) -> dict:
        kind, rest = scope.split(":", 1)
        name, actions = rest.rsplit(":", 1)
        wanted = actions.split(",")
        allowed = wanted if user else [a for a in wanted if a in self.anonymous_actions]
        return {"type": kind, "name": name, "actions": allowed}

    def record(self, entry: dict) -> None:
        with self._lock:
            self.log.append(entry)


def _handler(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _token(self, user: str | None, scopes: list[str], how: str) -> None:
            server.record({"path": self.path.split("?")[0], "how": how, "user": user, "scopes": scopes})
            token = server.sign(user, scopes)
            self._reply(200, {"token": token, "access_token": token, "expires_in": server.lifetime})

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/oauth2/token":
                return self._reply(404, {"errors": [{"code": "NOT_FOUND"}]})
            query = parse_qs(parts.query)
            user = None
            header = self.headers.get("Authorization", "")
            if header.startswith("Basic "):
                name, _, password = base64.b64decode(header[6:]).decode().partition(":")
                if server.users.get(name) != password:
                    server.record({"path": parts.path, "how": "basic-refused", "user": name, "scopes": []})
                    return self._reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                user = name
            self._token(user, query.get("scope", []), "basic" if user else "anonymous")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            path = urlsplit(self.path).path
            if path == "/oauth2/exchange":
                user = server.aad_tokens.get(form.get("access_token", ""))
                server.record({"path": path, "how": "exchange", "user": user, "scopes": []})
                if form.get("grant_type") != "access_token" or user is None:
                    return self._reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad AAD token"}]})
                refresh = f"refresh-{uuid.uuid4().hex}"
                server.refresh_tokens[refresh] = user
                return self._reply(200, {"refresh_token": refresh})
            if path != "/oauth2/token":
                return self._reply(404, {"errors": [{"code": "NOT_FOUND"}]})
            user = server.refresh_tokens.get(form.get("refresh_token", ""))
            if form.get("grant_type") != "refresh_token" or user is None:
                return self._reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad refresh token"}]})
            self._token(user, form.get("scope", "").split(), "refresh")

    return Handler


def make_certificate(workdir: Path, name: str) -> tuple[Path, Path]:
    """A self-signed RSA certificate for 127.0.0.1 and its key, made by openssl."""
    openssl = require_tool("openssl", "openssl")
    key, cert = workdir / f"{name}.key", workdir / f"{name}.crt"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, check=True,
    )
    return cert, key


@contextmanager
def run_token_server(
    workdir: Path,
    *,
    users: dict[str, str] | None = None,
    refresh_tokens: dict[str, str] | None = None,
    aad_tokens: dict[str, str] | None = None,
    anonymous_actions: tuple[str, ...] = ("pull",),
    lifetime: int = 300,
    certificate: tuple[Path, Path] | None = None,
) -> Iterator[TokenServer]:
    """`certificate` (cert, key) saves making a new RSA key for every server."""
    cert, key = certificate or make_certificate(workdir, "acrtui-test-token")
    port = free_port()
    state = TokenServer(
        url=f"http://127.0.0.1:{port}", cert=cert, key=key, users=dict(users or {}),
        refresh_tokens=dict(refresh_tokens or {}), aad_tokens=dict(aad_tokens or {}),
        anonymous_actions=anonymous_actions, lifetime=lifetime,
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
