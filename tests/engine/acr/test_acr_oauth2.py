"""`/oauth2/exchange` and `/oauth2/token`, driven by raw requests and by the Azure SDK's own token clients."""

from __future__ import annotations

import base64
import json
import time

from azure.containerregistry._anonymous_exchange_client import AnonymousACRExchangeClient
from azure.containerregistry._exchange_client import ACRExchangeClient
from azure.containerregistry._helpers import _parse_exp_time
from azure.core.credentials import AccessToken

from acrtui.engine.access import Gate
from acrtui.engine.acr.tokens import REFRESH_LIFETIME, TokenIssuer


def _errors(response) -> list[dict]:
    return response.json()["errors"]


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class FixedAadToken:
    """Stands in for Azure AD: the registry under test only needs some bearer string to exchange."""

    def get_token(self, *scopes: str, **kwargs) -> AccessToken:
        return AccessToken("aad-token-for-the-exchange", int(time.time()) + 3600)


def test_sdk_anonymous_flow_gets_an_access_token(acr):
    challenge = f'Bearer realm="{acr.url}/oauth2/token",service="{acr.host}",scope="repository:team/app:pull"'
    with AnonymousACRExchangeClient(acr.url) as client:
        token = client.get_acr_access_token(challenge)
    claims = _claims(token)
    assert claims["sub"] == "$anonymous" and claims["aud"] == acr.host
    assert claims["access"] == [{"type": "repository", "name": "team/app", "actions": ["pull"]}]
    assert claims["exp"] > time.time()


def test_sdk_credential_flow_exchanges_then_refreshes(acr):
    challenge = f'Bearer realm="{acr.url}/oauth2/token",service="{acr.host}",scope="registry:catalog:*"'
    with ACRExchangeClient(acr.url, FixedAadToken()) as client:
        token = client.get_acr_access_token(challenge)
        refresh = client._refresh_token
    assert _claims(token)["access"] == [{"type": "registry", "name": "catalog", "actions": ["*"]}]
    # The SDK reads the refresh token's expiry itself, with its own base64 handling.
    assert abs(_parse_exp_time(refresh) - (time.time() + REFRESH_LIFETIME)) < 60


def test_token_endpoint_forms_and_errors(acr):
    form = {"grant_type": "password", "service": acr.host, "scope": "repository:a:pull repository:b:pull,push"}
    r = acr.http.post("/oauth2/token", data=form)
    assert r.status_code == 200 and list(r.json()) == ["access_token"]
    assert [g["name"] for g in _claims(r.json()["access_token"])["access"]] == ["a", "b"]

    exchange = acr.http.post("/oauth2/exchange", data={"grant_type": "access_token", "service": acr.host, "access_token": "x"})
    assert exchange.status_code == 200 and list(exchange.json()) == ["refresh_token"]
    refresh = exchange.json()["refresh_token"]
    ok = acr.http.post("/oauth2/token", data={"grant_type": "refresh_token", "service": acr.host, "scope": "", "refresh_token": refresh})
    assert ok.status_code == 200

    for data, status, code in [
        ({"grant_type": "refresh_token", "service": acr.host, "refresh_token": "garbage"}, 401, "UNAUTHORIZED"),
        ({"grant_type": "refresh_token", "service": "elsewhere", "refresh_token": refresh}, 401, "UNAUTHORIZED"),
        ({"grant_type": "refresh_token", "service": acr.host, "refresh_token": ok.json()["access_token"]}, 401, "UNAUTHORIZED"),
        ({"grant_type": "refresh_token", "service": acr.host}, 400, "PARAMETER_INVALID"),
        ({"grant_type": "client_credentials", "service": acr.host}, 400, "PARAMETER_INVALID"),
        ({"grant_type": "password"}, 400, "PARAMETER_INVALID"),
        ({"grant_type": "password", "service": acr.host, "scope": "repository:nocolon"}, 400, "PARAMETER_INVALID"),
    ]:
        r = acr.http.post("/oauth2/token", data=data)
        assert (r.status_code, _errors(r)[0]["code"]) == (status, code), data
    tampered = refresh[:-4] + ("AAAA" if not refresh.endswith("AAAA") else "BBBB")
    r = acr.http.post("/oauth2/token", data={"grant_type": "refresh_token", "service": acr.host, "refresh_token": tampered})
    assert r.status_code == 401 and "not issued by this registry" in _errors(r)[0]["message"]

    r = acr.http.post("/oauth2/token", content=b"a" * (2 << 20), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    r = acr.http.post("/oauth2/token", json=form)
    assert r.status_code == 400 and "x-www-form-urlencoded" in _errors(r)[0]["message"]
    r = acr.http.post("/oauth2/exchange", data={"grant_type": "access_token", "service": acr.host})
    assert r.status_code == 400 and "access_token" in _errors(r)[0]["message"]
    r = acr.http.post("/oauth2/exchange", data={"grant_type": "password", "service": acr.host})
    assert r.status_code == 400 and _errors(r)[0]["code"] == "PARAMETER_INVALID"


def test_docker_style_get(acr):
    r = acr.http.get("/oauth2/token", params=[("service", acr.host), ("scope", "repository:a:pull"), ("scope", "repository:b:push")])
    assert r.status_code == 200
    body = r.json()
    assert body["token"] == body["access_token"] and body["expires_in"] > 0 and body["issued_at"].endswith("Z")
    assert [g["name"] for g in _claims(body["token"])["access"]] == ["a", "b"]
    assert _claims(acr.http.get("/oauth2/token").json()["token"])["aud"] == acr.host


def test_no_tokens_when_anonymous_access_is_off(acr):
    refresh = acr.http.post("/oauth2/exchange", data={"grant_type": "access_token", "service": acr.host, "access_token": "x"}).json()["refresh_token"]
    acr.engine.gate = Gate(allow_anonymous=False)
    for method, url, data in [
        ("POST", "/oauth2/token", {"grant_type": "password", "service": acr.host, "scope": "repository:a:pull"}),
        ("POST", "/oauth2/token", {"grant_type": "refresh_token", "service": acr.host, "refresh_token": refresh}),
        ("POST", "/oauth2/exchange", {"grant_type": "access_token", "service": acr.host, "access_token": "x"}),
        ("GET", "/oauth2/token", None),
    ]:
        r = acr.http.request(method, url, data=data)
        assert r.status_code == 401 and _errors(r)[0]["code"] == "UNAUTHORIZED", url


def test_signing_key_persists_in_the_data_dir(tmp_path):
    first = TokenIssuer.for_data_dir(tmp_path)
    token = first.refresh_token("someone", "svc")
    assert TokenIssuer.for_data_dir(tmp_path).verify(token, kind="refresh_token", service="svc")["sub"] == "someone"
    assert (tmp_path / "token-signing.key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["token-signing.key"]
