"""Profiles: named registries in `~/.config/acrtui/config.yaml` (XDG_CONFIG_HOME honoured).

```yaml
theme: dark                           # defaults for every registry, the embedded one included
keymap: {tags.delete-tag: "ctrl+d"}   # binding id -> keys; a profile's keymap adds to it
profiles:
  prod:                               # or a list of entries with `name:`
    url: myreg.azurecr.io             # HOST[:PORT] or URL; https unless loopback
    auth: {username: me, password_env: PROD_PASSWORD}   # or password:, identity_token:
    insecure: false                   # allow plain http / unverified TLS
    read_only: true
    theme: high-contrast              # overrides the default theme for this profile
```
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from acrtui.client.credentials import DOCKER_HUB_NAMES, Credentials
from acrtui.client.errors import RegistryError


@dataclass(frozen=True)
class Profile:
    name: str
    url: str
    auth: Credentials | None = None
    insecure: bool = False
    read_only: bool = False
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """`host[:port]` as registries name themselves in tokens and Docker's config."""
        return urlsplit(self.url).netloc


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "acrtui" / "config.yaml"


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def normalize_url(target: str) -> str:
    """`scheme://host[:port]` for what a user typed; a bare host gets https unless it is loopback."""
    text = target.strip().rstrip("/")
    if "://" not in text:
        host = urlsplit("//" + text).hostname or ""
        text = ("http://" if is_loopback(host) else "https://") + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RegistryError(f"{target!r} is not a registry address; give HOST[:PORT] or an http(s) URL")
    if parts.netloc.lower() in DOCKER_HUB_NAMES:
        return "https://registry-1.docker.io"  # where Docker Hub serves the registry API
    return f"{parts.scheme}://{parts.netloc}"


def check_transport(profile: Profile) -> None:
    """Plain http only for loopback or a profile that says `insecure: true`."""
    parts = urlsplit(profile.url)
    if parts.scheme == "http" and not profile.insecure and not is_loopback(parts.hostname or ""):
        raise RegistryError(
            f"refusing plain http to {parts.netloc}, which would send credentials in clear; "
            "use https, or set insecure: true in its profile"
        )


@dataclass(frozen=True)
class Config:
    """The config file: defaults for every registry, and the named profiles (defaults applied)."""

    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)

    def with_defaults(self, profile: Profile) -> Profile:
        """A profile that did not come from the file (the embedded registry, --registry) with the defaults."""
        return replace(profile, theme=profile.theme or self.theme, keymap={**self.keymap, **profile.keymap})


def load_config(path: Path | str | None = None) -> Config:
    """The config file; an absent file is an empty config."""
    file = Path(path) if path is not None else config_path()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return Config()
    except (OSError, yaml.YAMLError) as exc:
        raise RegistryError(f"cannot read {file} ({type(exc).__name__}); fix its YAML") from None
    if not isinstance(data, dict):
        raise RegistryError(f"{file} is not a mapping; start it with `profiles:`")
    entries = data.get("profiles") or {}
    if isinstance(entries, dict):
        entries = [{"name": name, **(entry or {})} for name, entry in entries.items()]
    if not isinstance(entries, list):
        raise RegistryError(f"`profiles` in {file} is neither a mapping nor a list")
    defaults = Config(
        theme=str(data["theme"]) if data.get("theme") else None,
        keymap=_keymap(data.get("keymap"), "the top-level keymap", file),
    )
    profiles = {}
    for entry in entries:
        profile = defaults.with_defaults(_profile(entry, file))
        profiles[profile.name] = profile
    return replace(defaults, profiles=profiles)


def load_profiles(path: Path | str | None = None) -> dict[str, Profile]:
    """Every profile in the config file by name; an absent file means no profiles."""
    return load_config(path).profiles


def _keymap(value: Any, where: str, file: Path) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RegistryError(f"{where} in {file} is not a mapping of binding id to keys")
    return {str(k): str(v) for k, v in value.items()}


def _profile(entry: Any, file: Path) -> Profile:
    if not isinstance(entry, dict) or not entry.get("name"):
        raise RegistryError(f"a profile in {file} has no name; give each profile a `name:`")
    name = str(entry["name"])
    if not entry.get("url"):
        raise RegistryError(f"profile {name!r} in {file} has no url; add `url: HOST[:PORT]`")
    profile = Profile(
        name=name,
        url=normalize_url(str(entry["url"])),
        auth=_auth(entry.get("auth"), name, file),
        insecure=bool(entry.get("insecure", False)),
        read_only=bool(entry.get("read_only", False)),
        theme=str(entry["theme"]) if entry.get("theme") else None,
        keymap=_keymap(entry.get("keymap"), f"keymap of profile {name!r}", file),
    )
    check_transport(profile)
    return profile


def _auth(value: Any, name: str, file: Path) -> Credentials | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RegistryError(f"auth of profile {name!r} in {file} is not a mapping (username, password or identity_token)")
    password = value.get("password")
    if value.get("password_env"):
        password = os.environ.get(str(value["password_env"]))
        if password is None:
            raise RegistryError(f"profile {name!r} takes its password from ${value['password_env']}, which is not set; export it")
    return Credentials(
        username=str(value["username"]) if value.get("username") else None,
        password=str(password) if password else None,
        identity_token=str(value["identity_token"]) if value.get("identity_token") else None,
    )


def resolve_registry(target: str, profiles: dict[str, Profile] | None = None) -> Profile:
    """A profile name, or HOST[:PORT] / URL (matched to a profile with that address when one exists)."""
    known = load_profiles() if profiles is None else profiles
    if target in known:
        return known[target]
    url = normalize_url(target)
    for profile in known.values():
        if profile.url == url:
            return profile
    profile = Profile(name=urlsplit(url).netloc, url=url)
    check_transport(profile)
    return profile
