"""Docker's config.json and credential helpers (real helper executables on PATH)."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from acrtui.client import AuthError, Credentials, docker_credentials

HOST = "registry.example.com:5000"


def write_config(tmp_path, monkeypatch, config: dict) -> None:
    (tmp_path / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))


def helper(tmp_path, monkeypatch, name: str, script: str) -> None:
    """A docker-credential-<name> executable on PATH that runs `script` (sh)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / f"docker-credential-{name}"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_auths_entry_base64_and_identity_token(tmp_path, monkeypatch):
    auth = base64.b64encode(b"alice:s3cret:with:colons").decode()
    write_config(tmp_path, monkeypatch, {"auths": {
        f"https://{HOST}/v1/": {"auth": auth},
        "myreg.azurecr.io": {"auth": base64.b64encode(b"00000000-0000-0000-0000-000000000000:").decode(),
                             "identitytoken": "refresh-abc"},
    }})
    assert docker_credentials(HOST) == Credentials("alice", "s3cret:with:colons")
    acr = docker_credentials("myreg.azurecr.io")
    assert acr.identity_token == "refresh-abc" and acr.password is None
    assert docker_credentials("other.example.com") is None
    assert "s3cret" not in repr(docker_credentials(HOST)) and "refresh-abc" not in repr(acr)


def test_docker_hub_logins_are_found_under_any_of_its_names(tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, {"auths": {"https://index.docker.io/v1/": {"username": "eve", "password": "pw"}}})
    for name in ("docker.io", "registry-1.docker.io", "index.docker.io"):
        assert docker_credentials(name) == Credentials("eve", "pw")


def test_missing_config_and_docker_config_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "absent"))
    assert docker_credentials(HOST) is None
    write_config(tmp_path, monkeypatch, {"auths": {HOST: {"username": "bob", "password": "pw"}}})
    assert docker_credentials(HOST) == Credentials("bob", "pw")


def test_cred_helpers_win_over_auths_and_creds_store_is_the_fallback(tmp_path, monkeypatch):
    helper(tmp_path, monkeypatch, "pass", 'read host; printf \'{"ServerURL":"%s","Username":"carol","Secret":"from-helper"}\' "$host"\n')
    helper(tmp_path, monkeypatch, "store", 'read host; echo "credentials not found in native keychain"; exit 1\n')
    helper(tmp_path, monkeypatch, "tokens", 'read host; echo \'{"Username":"<token>","Secret":"refresh-xyz"}\'\n')
    write_config(tmp_path, monkeypatch, {
        "auths": {HOST: {"auth": base64.b64encode(b"dave:ignored").decode()}},
        "credHelpers": {HOST: "pass", "myreg.azurecr.io": "tokens"},
        "credsStore": "store",
    })
    assert docker_credentials(HOST) == Credentials("carol", "from-helper")
    assert docker_credentials("myreg.azurecr.io") == Credentials(identity_token="refresh-xyz")
    assert docker_credentials("elsewhere.example.com") is None


def test_broken_helpers_and_configs_are_one_sentence(tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, {"credsStore": "nowhere-to-be-found"})
    with pytest.raises(AuthError, match="docker-credential-nowhere-to-be-found, which is not on PATH"):
        docker_credentials(HOST)
    helper(tmp_path, monkeypatch, "crash", "exit 3\n")
    write_config(tmp_path, monkeypatch, {"credsStore": "crash"})
    with pytest.raises(AuthError, match=r"docker-credential-crash failed \(exit 3\)"):
        docker_credentials(HOST)
    write_config(tmp_path, monkeypatch, {"auths": {HOST: {"auth": "%%%not base64"}}})
    with pytest.raises(AuthError, match="not base64 user:password; run docker login again"):
        docker_credentials(HOST)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(AuthError, match="cannot read Docker's"):
        docker_credentials(HOST)
