"""Bad input shows one line in the status bar, never a traceback; themes fail with one sentence."""

from __future__ import annotations

import pytest

from acrtui.client import Credentials, Profile, RegistryClient
from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import sha256_digest
from acrtui.tui.themes import ThemeError, available_themes, pick_theme
from acrtui.tui.widgets.inspector import InspectorPane
from acrtui.tui.widgets.tagtree import TagsPane
from tests.support.distribution import htpasswd_auth, run_distribution
from tests.support.tools import free_port
from tests.tui.content import at, push_image
from tests.tui.pilot import make_app, open_repository, settle, status


def one_line(text: str) -> bool:
    return bool(text) and "\n" not in text and "Traceback" not in text


async def test_unreachable_registry_is_one_line():
    app = make_app(Profile(name="gone", url=f"http://127.0.0.1:{free_port()}"))
    async with app.run_test() as pilot:
        await settle(pilot)
        assert one_line(status(app)) and "Cannot connect" in status(app)


async def test_wrong_password_is_one_line(tmp_path):
    auth = htpasswd_auth(tmp_path, {"alice": "right"})
    with run_distribution(tmp_path, auth=auth) as registry:
        profile = Profile(name="auth", url=registry.url, auth=Credentials(username="alice", password="wrong"))
        app = make_app(profile)
        async with app.run_test() as pilot:
            await settle(pilot)
            line = status(app)
            assert one_line(line) and "wrong" not in line


async def test_corrupt_and_truncated_layers_are_one_line(distribution):
    profile = Profile(name="bad", url=distribution.url)
    async with RegistryClient(profile) as client:
        import gzip

        truncated = gzip.compress(b"x" * 5000, mtime=0)[:40]
        await push_image(client, "bad/layers", [(b"not a tar at all" * 40, "corrupt"), (truncated, "truncated")],
                         created=at(1), tags=("v1",), diff_ids=False)
    app = make_app(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "bad/layers")
        await pilot.press("3", "enter")
        await settle(pilot)
        line = status(app)
        assert one_line(line) and "layer" in line.lower()
        assert not app.query_one(InspectorPane).files.display


async def test_unknown_manifest_media_type_is_one_line(distribution):
    """distribution keeps an OCI manifest whose config is of an unknown type; the inspector says what it is."""
    profile = Profile(name="odd", url=distribution.url)
    async with RegistryClient(profile) as client:
        blob = b"{}"
        await client.push_blob("odd/thing", sha256_digest(blob), blob)
        raw = (
            '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/x-unknown","digest":"%s","size":2},"layers":[]}'
            % (mt.OCI_MANIFEST, sha256_digest(blob))
        ).encode()
        await client.put_manifest("odd/thing", "v1", raw, mt.OCI_MANIFEST)
    app = make_app(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "odd/thing")
        summary = str(app.query_one(InspectorPane).query_one("#inspector-summary").render())
        assert "application/x-unknown" in summary
        assert app.query_one(TagsPane).groups


def test_unknown_theme_lists_the_known_ones():
    with pytest.raises(ThemeError) as caught:
        pick_theme("neon", available_themes())
    assert str(caught.value) == "There is no theme named 'neon'; known themes: dark, high-contrast, light."


def test_user_theme_files_are_added_and_bad_ones_explained(tmp_path):
    (tmp_path / "solar.toml").write_text('name = "solar"\nprimary = "#b58900"\ndark = false\n')
    themes = available_themes(tmp_path)
    assert {"dark", "light", "high-contrast", "solar"} <= set(themes)
    assert themes["solar"].variables["added"]  # mark colours derived when a theme leaves them out
    (tmp_path / "broken.yaml").write_text("name: broken\nprimry: '#fff'\n")
    with pytest.raises(ThemeError) as caught:
        available_themes(tmp_path)
    assert "unknown fields primry" in str(caught.value)
