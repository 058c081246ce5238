"""Profiles from ~/.config/acrtui/config.yaml and what a user types as a registry address."""

from __future__ import annotations

import pytest

from acrtui.client import Credentials, Profile, RegistryClient, RegistryError, load_profiles, resolve_registry
from acrtui.client.profiles import config_path

CONFIG = """
profiles:
  prod:
    url: myreg.azurecr.io
    auth: {username: ci, password_env: PROD_PASSWORD}
    read_only: true
    theme: light
    keymap: {delete: ctrl+d}
  local:
    url: localhost:5000
  lab:
    url: http://lab.internal:5000
    insecure: true
    auth: {identity_token: refresh-123}
"""


def test_profiles_from_xdg_config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("PROD_PASSWORD", "hunter2")
    assert config_path() == tmp_path / "acrtui" / "config.yaml"
    assert load_profiles() == {}
    config_path().parent.mkdir(parents=True)
    config_path().write_text(CONFIG)
    profiles = load_profiles()
    prod = profiles["prod"]
    assert prod == Profile(
        name="prod", url="https://myreg.azurecr.io", auth=Credentials("ci", "hunter2"),
        read_only=True, theme="light", keymap={"delete": "ctrl+d"},
    )
    assert "hunter2" not in repr(prod) and "refresh-123" not in repr(profiles["lab"])
    assert profiles["local"].url == "http://localhost:5000"
    assert profiles["lab"].url == "http://lab.internal:5000" and profiles["lab"].insecure
    assert resolve_registry("prod") == prod
    assert resolve_registry("myreg.azurecr.io") == prod  # an address finds the profile that has it


def test_list_form_and_addresses(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("profiles:\n  - name: a\n    url: https://a.example.com/\n")
    profiles = load_profiles(path)
    assert profiles["a"].url == "https://a.example.com"
    assert resolve_registry("127.0.0.1:5000", profiles).url == "http://127.0.0.1:5000"
    assert resolve_registry("[::1]:5000", profiles).url == "http://[::1]:5000"
    assert resolve_registry("ghcr.io", profiles) == Profile(name="ghcr.io", url="https://ghcr.io")
    assert resolve_registry("http://127.0.0.1:8080", profiles).host == "127.0.0.1:8080"
    assert resolve_registry("docker.io", profiles).url == "https://registry-1.docker.io"


@pytest.mark.parametrize(
    "text, message",
    [
        ("profiles: [{url: x.io}]", "has no name"),
        ("profiles: {p: {insecure: true}}", "has no url; add `url: HOST[:PORT]`"),
        ("profiles: {p: {url: 'http://far.example.com'}}", "refusing plain http to far.example.com"),
        ("profiles: {p: {url: x.io, auth: {username: u, password_env: ACRTUI_UNSET_VAR}}}", "$ACRTUI_UNSET_VAR, which is not set"),
        ("profiles: {p: {url: x.io, keymap: [a]}}", "keymap of profile 'p'"),
        ("profiles: 3", "neither a mapping nor a list"),
        ("profiles: [", "fix its YAML"),
    ],
)
def test_bad_profiles_are_one_sentence(tmp_path, text, message):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(RegistryError) as excinfo:
        load_profiles(path)
    assert message in excinfo.value.message and "\n" not in excinfo.value.message


def test_plain_http_only_for_loopback_or_insecure():
    with pytest.raises(RegistryError, match="refusing plain http to registry.example.com"):
        resolve_registry("http://registry.example.com", {})
    with pytest.raises(RegistryError, match="refusing plain http"):
        RegistryClient(Profile(name="x", url="http://registry.example.com"))
    with pytest.raises(RegistryError, match="not a registry address"):
        resolve_registry("ftp://registry.example.com", {})


def test_top_level_theme_and_keymap_are_defaults_for_every_registry(tmp_path):
    from acrtui.client import Profile, load_config

    file = tmp_path / "config.yaml"
    file.write_text(
        "theme: light\n"
        "keymap: {tags.delete-tag: ctrl+d, app.quit: ctrl+q}\n"
        "profiles:\n"
        "  lab: {url: 127.0.0.1:5000, keymap: {app.quit: x}}\n"
        "  prod: {url: reg.example.com, theme: high-contrast}\n"
    )
    config = load_config(file)
    assert config.profiles["lab"].theme == "light"
    assert config.profiles["lab"].keymap == {"tags.delete-tag": "ctrl+d", "app.quit": "x"}
    assert config.profiles["prod"].theme == "high-contrast"
    embedded = config.with_defaults(Profile(name="embedded", url="http://127.0.0.1:1"))
    assert (embedded.theme, embedded.keymap["app.quit"]) == ("light", "ctrl+q")
    with pytest.raises(RegistryError, match="top-level keymap"):
        file.write_text("keymap: [x]\n")
        load_config(file)
