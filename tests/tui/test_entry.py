"""`acrtui` options that fail before the screen is taken over: one sentence on stderr, exit 2."""

from __future__ import annotations

import re

from acrtui.cli import main
from acrtui.resources import resource_dir, sample_registry_dir, themes_dir


def test_unknown_theme_is_one_sentence(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["--registry", "127.0.0.1:1", "--theme", "neon"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "acrtui: There is no theme named 'neon'; known themes: dark, high-contrast, light."


def test_unknown_profile_is_one_sentence(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "acrtui").mkdir()
    (tmp_path / "acrtui" / "config.yaml").write_text("profiles:\n  prod: {url: 127.0.0.1:5000}\n")
    assert main(["--profile", "staging"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'staging'" in err and "prod" in err


def test_shipped_resources_are_found():
    assert (themes_dir() / "acrtui.tcss").is_file()
    assert {p.stem for p in themes_dir().glob("*.yaml")} >= {"dark", "light", "high-contrast"}
    assert sample_registry_dir().is_dir()
    assert resource_dir("themes") == themes_dir()


def test_first_run_seed_says_what_it_filled(capsys, tmp_path):
    from acrtui.cli import _seed_embedded
    from acrtui.engine.server import EmbeddedServer

    with EmbeddedServer(tmp_path / "registry") as server:
        _seed_embedded(server, tmp_path)
        lines = capsys.readouterr().err.splitlines()
        _seed_embedded(server, tmp_path)  # the marker makes a second start silent
        assert capsys.readouterr().err == ""
    assert lines[0] == "acrtui: first run, seeding the embedded registry with the sample…"
    filled = {m.group(1): m.group(2) for line in lines[1:] if (m := re.fullmatch(r"acrtui: {3}(\S+): (\d+) tags?\b.*", line))}
    assert filled["apps/api"] == "7" and filled["nightly/builds"] == "400"
    assert {"apps/web", "apps/worker", "charts/hello-web", "tools/hello"} < set(filled)
    # base/busybox is imported from the host's busybox, or a note says why not and what to install.
    assert "base/busybox" in filled or any(line.startswith("acrtui: note: ") and "busybox" in line for line in lines)
    assert (tmp_path / "sample-seeded").is_file()
