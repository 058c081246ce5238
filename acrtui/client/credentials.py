"""Credentials from where users already keep them: Docker's config.json and its helpers.

Lookup for a registry host follows the docker CLI: `credHelpers[host]`, then the `auths` entry
(base64 `auth`, `username`/`password`, `identitytoken`), then the `credsStore` helper.
Secrets live only in `Credentials`, whose repr never shows them.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from acrtui.client.errors import AuthError

HELPER_TIMEOUT = 30.0
# What credential helpers put in Username when Secret is an identity (refresh) token.
TOKEN_USERNAME = "<token>"


@dataclass(frozen=True)
class Credentials:
    """A username/password pair or an identity token (an ACR refresh token)."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    identity_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        secret = "identity_token=***" if self.identity_token else "password=***" if self.password else "no secret"
        return f"Credentials(username={self.username!r}, {secret})"

    @property
    def has_secret(self) -> bool:
        return bool(self.password or self.identity_token)


def docker_config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


# Docker Hub answers under several names; Docker keeps its login under index.docker.io.
DOCKER_HUB_NAMES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


def registry_key(value: str) -> str:
    """`host[:port]` of a config key or URL (`https://host/v1/`, `host`, `http://host:5000`)."""
    text = value.strip()
    if "://" not in text:
        text = "//" + text
    key = (urlsplit(text).netloc or text).lower()
    return "index.docker.io" if key in DOCKER_HUB_NAMES else key


def docker_credentials(host: str, config_path: Path | None = None) -> Credentials | None:
    """Credentials Docker would use for `host`, or None when it has none."""
    path = config_path or docker_config_path()
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise AuthError(f"cannot read Docker's {path} ({type(exc).__name__}); fix or remove that file") from None
    if not isinstance(config, dict):
        raise AuthError(f"Docker's {path} is not a JSON object; fix or remove that file")
    key = registry_key(host)
    helpers = config.get("credHelpers") or {}
    for name, helper in helpers.items() if isinstance(helpers, dict) else ():
        if registry_key(name) == key and helper:
            return run_helper(str(helper), host)
    auths = config.get("auths") or {}
    for name, entry in auths.items() if isinstance(auths, dict) else ():
        if registry_key(name) == key and isinstance(entry, dict):
            found = _auth_entry(entry, path)
            if found is not None:
                return found
    store = config.get("credsStore")
    if store:
        return run_helper(str(store), host)
    return None


def _auth_entry(entry: dict[str, Any], path: Path) -> Credentials | None:
    identity = entry.get("identitytoken") or None
    username, password = entry.get("username"), entry.get("password")
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(str(entry["auth"]), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthError(f"an `auth` entry in Docker's {path} is not base64 user:password; run docker login again") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise AuthError(f"an `auth` entry in Docker's {path} has no user:password pair; run docker login again")
    if not (password or identity):
        return None
    return Credentials(username=username or None, password=password or None, identity_token=identity)


def run_helper(name: str, host: str) -> Credentials | None:
    """`docker-credential-<name> get` with the host on stdin; None when it has nothing for it."""
    exe = shutil.which(f"docker-credential-{name}")
    if exe is None:
        raise AuthError(
            f"Docker's config names the credential helper docker-credential-{name}, which is not on PATH; "
            "install it or remove it from config.json"
        )
    try:
        done = subprocess.run(
            [exe, "get"], input=host.encode(), capture_output=True, timeout=HELPER_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise AuthError(f"credential helper docker-credential-{name} did not answer within {HELPER_TIMEOUT:.0f} s; check it works") from None
    if done.returncode != 0:
        # Helpers say "credentials not found" with a non-zero exit; that is "no credentials".
        if b"not found" in done.stdout.lower() + done.stderr.lower():
            return None
        raise AuthError(f"credential helper docker-credential-{name} failed (exit {done.returncode}); run it by hand to see why")
    try:
        data = json.loads(done.stdout)
        username, secret = str(data.get("Username") or ""), str(data.get("Secret") or "")
    except (ValueError, AttributeError):
        raise AuthError(f"credential helper docker-credential-{name} printed something that is not its JSON answer") from None
    if not secret:
        return None
    if username == TOKEN_USERNAME:
        return Credentials(identity_token=secret)
    return Credentials(username=username or None, password=secret)
