"""Authentication against docker-registry with htpasswd basic auth and with bearer tokens from a
real token server (Docker's token protocol and ACR's refresh-token / AAD exchange flows)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging

import pytest

from acrtui.client import AuthError, Credentials, Denied, Profile, RegistryClient
from acrtui.oci import mediatypes as mt
from tests.client.conftest import PASSWORD, USER
from tests.client.images import layer, push_image
from tests.client.token_server import ISSUER, SERVICE
from tests.support.distribution import run_distribution, token_auth

REPO = "team/app"


def profile(url: str, auth: Credentials | None = None) -> Profile:
    return Profile(name="test", url=url, auth=auth)


def secret_free(text: str) -> bool:
    encoded = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return PASSWORD not in text and encoded not in text


async def test_basic_auth_with_profile_credentials(basic_registry, caplog):
    caplog.set_level(logging.DEBUG, logger="acrtui")
    creds = Credentials(USER, PASSWORD)
    async with RegistryClient(profile(basic_registry.url, creds), find_credentials=None) as client:
        await client.ping()
        pushed = await push_image(client, REPO, "1.0", layers=[layer({"f": b"basic"})])
        assert (await client.get_manifest(REPO, "1.0")).digest == pushed.digest
        assert (await client.catalog()).items == [REPO]
        assert await client.supports_acr() is False
        assert [t.name for t in (await client.tag_infos(REPO)).items] == ["1.0"]
    assert secret_free(caplog.text) and secret_free(repr(creds)) and secret_free(repr(client))


async def test_basic_auth_refusals_are_one_sentence(basic_registry):
    async with RegistryClient(profile(basic_registry.url, Credentials(USER, "wrong")), find_credentials=None) as client:
        with pytest.raises(AuthError) as excinfo:
            await client.ping()
    assert excinfo.value.message == (
        f"{client.host} refused the credentials of user 'alice'; check the password, "
        f"or log in again (docker login {client.host})")
    assert "wrong" not in excinfo.value.message
    async with RegistryClient(profile(basic_registry.url), find_credentials=None) as client:
        with pytest.raises(AuthError, match="requires a username and password; run `docker login"):
            await client.tags(REPO)


async def test_basic_auth_from_docker_config(basic_registry, tmp_path, monkeypatch):
    config = tmp_path / "docker"
    config.mkdir()
    host = basic_registry.url.removeprefix("http://")
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {f"http://{host}/v1/": {"auth": auth}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    async with RegistryClient(profile(basic_registry.url)) as client:
        await client.ping()


async def test_bearer_tokens_with_password_are_cached_per_scope(token_registry, caplog):
    caplog.set_level(logging.DEBUG, logger="acrtui")
    url, tokens = token_registry.registry.url, token_registry.tokens
    async with RegistryClient(profile(url, Credentials(USER, PASSWORD)), find_credentials=None) as client:
        await client.ping()
        pushed = await push_image(client, REPO, "1.0", layers=[layer({"f": b"a"}), layer({"f": b"b"})])
        before = len(tokens.log)
        for _ in range(3):
            fetched = await client.get_manifest(REPO, pushed.digest)
            await client.get_config(REPO, fetched.manifest)
        assert len(tokens.log) == before  # the push token covers pulls: no new token
        assert (await client.catalog()).items == [REPO]
        assert await client.supports_acr() is False
    assert {e["how"] for e in tokens.log} == {"basic"} and {e["user"] for e in tokens.log} == {USER}
    assert ["repository:team/app:pull,push"] in [e["scopes"] for e in tokens.log]
    assert secret_free(caplog.text)


async def test_concurrent_requests_share_one_token(token_registry):
    url, tokens = token_registry.registry.url, token_registry.tokens
    async with RegistryClient(profile(url, Credentials(USER, PASSWORD)), find_credentials=None) as client:
        await push_image(client, REPO, "1.0", layers=[layer({"f": b"x"})])
    before = len(tokens.log)
    async with RegistryClient(profile(url, Credentials(USER, PASSWORD)), find_credentials=None) as client:
        fetched = await asyncio.gather(*(client.get_manifest(REPO, "1.0") for _ in range(8)))
    assert len({f.digest for f in fetched}) == 1
    assert len(tokens.log) == before + 1


async def test_bearer_anonymous_may_pull_but_not_push(token_registry):
    url = token_registry.registry.url
    async with RegistryClient(profile(url, Credentials(USER, PASSWORD)), find_credentials=None) as client:
        await push_image(client, REPO, "1.0", layers=[layer({"f": b"public"})])
    async with RegistryClient(profile(url), find_credentials=None) as anonymous:
        assert (await anonymous.get_manifest(REPO, "1.0")).media_type == mt.OCI_MANIFEST
        with pytest.raises(Denied, match="does not allow anonymous access to pull,push on repository team/app"):
            await anonymous.push_blob(REPO, mt.EMPTY_JSON_DIGEST, mt.EMPTY_JSON)


async def test_bearer_wrong_password(token_registry):
    url = token_registry.registry.url
    async with RegistryClient(profile(url, Credentials(USER, "nope")), find_credentials=None) as client:
        with pytest.raises(AuthError, match="refused the credentials of user 'alice'"):
            await client.tags(REPO)


async def test_identity_token_uses_the_refresh_grant(token_registry):
    url, tokens = token_registry.registry.url, token_registry.tokens
    async with RegistryClient(profile(url, Credentials(identity_token="identity-alice")), find_credentials=None) as client:
        await push_image(client, REPO, "1.0", layers=[layer({"f": b"refresh"})])
    assert {e["how"] for e in tokens.log} == {"refresh"}
    async with RegistryClient(profile(url, Credentials(identity_token="stale")), find_credentials=None) as client:
        with pytest.raises(AuthError, match="refused the credentials of the stored token"):
            await client.tags(REPO)


async def test_azure_ad_token_is_exchanged_for_a_refresh_token(token_registry, monkeypatch):
    url, tokens = token_registry.registry.url, token_registry.tokens
    monkeypatch.setenv("AZURE_ACCESS_TOKEN", "aad-alice")
    async with RegistryClient(profile(url), find_credentials=None) as client:
        await push_image(client, REPO, "1.0", layers=[layer({"f": b"aad"})])
        assert (await client.tags(REPO)).items == ["1.0"]
    hows = [e["how"] for e in tokens.log]
    assert hows.count("exchange") == 1 and set(hows) == {"exchange", "refresh"}
    monkeypatch.setenv("AZURE_ACCESS_TOKEN", "aad-expired")
    async with RegistryClient(profile(url), find_credentials=None) as client:
        with pytest.raises(AuthError, match="refused the Azure AD token; run `az login`"):
            await client.tags(REPO)


async def test_expired_tokens_and_refresh_tokens_are_renewed(token_registry, monkeypatch):
    url, tokens = token_registry.registry.url, token_registry.tokens
    monkeypatch.setenv("AZURE_ACCESS_TOKEN", "aad-alice")
    tokens.lifetime = 1  # the client keeps such a token for half its life
    async with RegistryClient(profile(url), find_credentials=None) as client:
        await push_image(client, REPO, "1.0", layers=[layer({"f": b"renew"})])
        fetched = len(tokens.log)
        await asyncio.sleep(0.6)
        await client.get_manifest(REPO, "1.0")
        assert len(tokens.log) == fetched + 1
        tokens.refresh_tokens.clear()  # the registry forgot the exchanged refresh token
        await asyncio.sleep(0.6)
        await client.get_manifest(REPO, "1.0")
    assert [e["how"] for e in tokens.log].count("exchange") == 2


async def test_credentials_never_go_to_a_plain_http_token_service(tmp_path, token_certificate):
    auth = token_auth("http://tokens.example.com/oauth2/token", SERVICE, ISSUER, token_certificate[0])
    with run_distribution(tmp_path, auth=auth) as registry:
        async with RegistryClient(profile(registry.url, Credentials(USER, PASSWORD)), find_credentials=None) as client:
            with pytest.raises(AuthError, match="sends logins to http://tokens.example.com, which is not https"):
                await client.ping()
