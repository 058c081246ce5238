"""Registry tokens: HS256-signed JWTs, refresh tokens and access tokens, as ACR issues them.

Clients treat the tokens as opaque except for `exp`, which the Azure SDK reads from the
payload to know when to refresh. The signing key lives in the data directory, so tokens
outlive a restart and every process serving the same data agrees on them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["refresh_token", "access_token"]

REFRESH_LIFETIME = 3 * 3600
ACCESS_LIFETIME = 3600
_HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(ValueError):
    """A token this registry did not issue, or one that expired or was meant for another use."""


class InvalidScope(ValueError):
    """A scope that is not `type:name:actions`."""


@dataclass(frozen=True)
class Grant:
    """One entry of a token's `access` claim: what may be done to which resource."""

    type: str
    name: str
    actions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "actions": list(self.actions)}


def parse_scopes(text: str) -> list[Grant]:
    """Space-separated scopes (`repository:team/app:pull,push registry:catalog:*`)."""
    grants = []
    for scope in text.split():
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        if not kind or not name or not actions:
            raise InvalidScope(f"invalid scope {scope!r}: use type:name:actions, e.g. repository:team/app:pull")
        grants.append(Grant(kind, name, tuple(a for a in actions.split(",") if a)))
    return grants


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> "TokenIssuer":
        """Load the signing key kept in the data directory, creating it on first use."""
        path = data_dir / "token-signing.key"
        if not path.exists():
            temporary = data_dir / f".token-signing.key.{secrets.token_hex(8)}"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
                f.flush()
                os.fsync(f.fileno())
            # Another process may have won the race; link() keeps whichever key came first.
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            finally:
                temporary.unlink()
        return cls(path.read_bytes())

    def _sign(self, claims: dict[str, Any]) -> str:
        signing_input = _b64(json.dumps(_HEADER, separators=(",", ":")).encode()) + "." + _b64(
            json.dumps(claims, separators=(",", ":")).encode()
        )
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + _b64(signature)

    def _claims(self, kind: Kind, subject: str, service: str, lifetime: int) -> dict[str, Any]:
        now = int(time.time())
        return {
            "jti": secrets.token_hex(16),
            "sub": subject,
            "iss": "acrtui",
            "aud": service,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "grant_type": kind,
        }

    def refresh_token(self, subject: str, service: str) -> str:
        return self._sign(self._claims("refresh_token", subject, service, REFRESH_LIFETIME))

    def access_token(self, subject: str, service: str, grants: list[Grant]) -> str:
        claims = self._claims("access_token", subject, service, ACCESS_LIFETIME)
        claims["access"] = [g.to_json() for g in grants]
        return self._sign(claims)

    def verify(self, token: str, *, kind: Kind, service: str) -> dict[str, Any]:
        """The claims of a token this registry issued for `service`, still valid, of this kind."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("the token is not a registry token")
        expected = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            signature = _unb64(parts[2])
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, UnicodeDecodeError):
            raise InvalidToken("the token is not a registry token") from None
        if not hmac.compare_digest(signature, expected) or not isinstance(claims, dict):
            raise InvalidToken("the token was not issued by this registry")
        if claims.get("grant_type") != kind:
            raise InvalidToken(f"the token is not a {kind.replace('_', ' ')}")
        if claims.get("aud") != service:
            raise InvalidToken(f"the token was issued for service {claims.get('aud')!r}, not {service!r}")
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= time.time():
            raise InvalidToken("the token has expired")
        return claims
