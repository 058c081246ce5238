"""What can go wrong talking to a registry, each said in one sentence a user can act on."""

from __future__ import annotations

import json
import os
import ssl
from typing import Any

import httpx


class RegistryError(Exception):
    """A registry operation failed; `message` is one user-facing sentence.

    `status` is the HTTP status when there was a response, `code` the spec's error code
    (NAME_UNKNOWN, MANIFEST_UNKNOWN, DENIED …) when the registry sent one.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return self.message


class Unreachable(RegistryError):
    """No usable answer: connection refused, DNS, TLS, timeout."""


class AuthError(RegistryError):
    """The registry wants credentials we do not have, or refused the ones we sent."""


class NotFound(RegistryError):
    """The repository, manifest, tag or blob does not exist."""


class Unsupported(RegistryError):
    """The registry (or this client) cannot do what was asked."""


class Denied(RegistryError):
    """The credentials are valid but not allowed to do this."""


def error_code(body: bytes) -> tuple[str | None, str | None]:
    """The first (code, message) of a spec error body (`{"errors": [...]}`), if there is one."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = errors[0].get("code")
        message = errors[0].get("message")
        return (str(code) if code else None), (str(message) if message else None)
    return None, None


def network_error(exc: Exception, host: str, timeout: float) -> Unreachable:
    """The one sentence for an httpx transport failure talking to `host`."""
    if isinstance(exc, httpx.TimeoutException):
        return Unreachable(f"{host} did not answer within {timeout:g} s; check the network, or raise the timeout")
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or "certificate not trusted"
            return Unreachable(
                f"TLS verification of {host} failed ({reason}); install its CA certificate, "
                "or set insecure: true in its profile if you trust it"
            )
        if isinstance(cause, ssl.SSLError):
            return Unreachable(
                f"TLS handshake with {host} failed ({cause.reason or cause}); check that it serves https on this port, "
                "or use an http:// address for a plain-http registry"
            )
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return Unreachable(f"cannot connect to {host} ({_reason(exc)}); check the address and that the registry is running")
    return Unreachable(f"the connection to {host} failed ({_reason(exc)}); check the network and try again")


def _reason(exc: Exception) -> str:
    # The root OSError says it best ("Connection refused"); httpx wraps it in generic words.
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno:
            return os.strerror(cause.errno)
        cause = cause.__cause__ or cause.__context__
    text = str(exc).strip()
    # Socket errors read "[Errno 111] Connection refused"; the errno helps nobody.
    if text.startswith("[Errno") and "]" in text:
        text = text.split("]", 1)[1].strip()
    return text or type(exc).__name__
