"""Registries the client tests run against: docker-registry anonymous, with htpasswd basic
auth, and with bearer tokens from a real token server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from acrtui.client import RegistryClient, resolve_registry
from tests.client.token_server import ISSUER, SERVICE, TokenServer, make_certificate, run_token_server
from tests.support.distribution import Distribution, htpasswd_auth, run_distribution, token_auth

USER, PASSWORD = "alice", "correct horse"


@dataclass
class TokenRegistry:
    registry: Distribution
    tokens: TokenServer


@pytest.fixture
def basic_registry(tmp_path) -> Iterator[Distribution]:
    with run_distribution(tmp_path, auth=htpasswd_auth(tmp_path, {USER: PASSWORD})) as registry:
        yield registry


@pytest.fixture(scope="session")
def token_certificate(tmp_path_factory) -> tuple[Path, Path]:
    """One signing key for every token server of the session: RSA key generation is slow."""
    return make_certificate(tmp_path_factory.mktemp("token-cert"), "acrtui-test-token")


@pytest.fixture
def token_registry(tmp_path, token_certificate) -> Iterator[TokenRegistry]:
    with run_token_server(
        tmp_path, users={USER: PASSWORD}, refresh_tokens={"identity-alice": USER}, aad_tokens={"aad-alice": USER},
        certificate=token_certificate,
    ) as tokens:
        auth = token_auth(tokens.realm, SERVICE, ISSUER, tokens.cert)
        with run_distribution(tmp_path, auth=auth) as registry:
            yield TokenRegistry(registry, tokens)


@pytest.fixture(params=["distribution", "embedded"])
def registry_url(request) -> str:
    """Each anonymous registry the client must work with: docker-registry and the embedded engine."""
    if request.param == "distribution":
        return request.getfixturevalue("distribution").url
    return request.getfixturevalue("embedded_registry")


@pytest.fixture
async def client(registry_url) -> AsyncIterator[RegistryClient]:
    """A client for an anonymous registry, blind to the user's own Docker credentials."""
    async with RegistryClient(resolve_registry(registry_url, {}), find_credentials=None) as c:
        yield c


@pytest.fixture
def registry_kind(request, registry_url) -> str:
    """"distribution" or "embedded": which registry `client` talks to."""
    return request.node.callspec.params["registry_url"]
