"""One async client for every registry, embedded or remote; users import from here only."""

from acrtui.client.credentials import Credentials, docker_credentials
from acrtui.client.errors import AuthError, Denied, NotFound, RegistryError, Unreachable, Unsupported
from acrtui.client.models import FetchedManifest, Locks, ManifestHead, ManifestInfo, Page, RepositoryInfo, TagInfo
from acrtui.client.profiles import Config, Profile, config_path, load_config, load_profiles, resolve_registry
from acrtui.client.registry import RegistryClient

__all__ = [
    "Config",
    "AuthError",
    "Credentials",
    "Denied",
    "FetchedManifest",
    "Locks",
    "ManifestHead",
    "ManifestInfo",
    "NotFound",
    "Page",
    "Profile",
    "RegistryClient",
    "RegistryError",
    "RepositoryInfo",
    "TagInfo",
    "Unreachable",
    "Unsupported",
    "config_path",
    "docker_credentials",
    "load_config",
    "load_profiles",
    "resolve_registry",
]
