"""acrtui in a real terminal (tmux): fresh data dir, first-run seed, keys, what the screen shows."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time

from tests.support.tools import require_tool

SESSION_SIZE = ("100", "30")


def _capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True, check=True).stdout


def _wait_for(session: str, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(session)
        if text in screen:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def test_acrtui_in_tmux_shows_repositories_tags_and_a_layer_file_tree(tmp_path):
    require_tool("tmux", "tmux")
    session = f"acrtui-test-{tmp_path.name}"
    env = f"XDG_DATA_HOME={tmp_path / 'data'} XDG_CONFIG_HOME={tmp_path / 'config'} TERM=xterm-256color"
    # Without -u, COLUMNS/LINES that reach the pane (80x24 under pytest) would override the pane's own size.
    command = f"env -u COLUMNS -u LINES {env} {shlex.quote(sys.executable)} -m acrtui"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", SESSION_SIZE[0], "-y", SESSION_SIZE[1], command], check=True)
    try:
        screen = _wait_for(session, "apps/api")
        assert "1 Repositories" in screen and "nightly/builds" in screen
        _wait_for(session, "latest")  # the tag tree of the first repository
        _wait_for(session, "Created by")
        # `3` focuses the inspector (its footer offers the platform key) once its load finished.
        deadline = time.monotonic() + 30
        while "Platform  q Quit" not in _capture(session) and time.monotonic() < deadline:
            subprocess.run(["tmux", "send-keys", "-t", session, "3"], check=True)
            time.sleep(0.5)
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)
        screen = _wait_for(session, "efficiency")
        assert "etc/" in screen or "usr/" in screen
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
