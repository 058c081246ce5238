"""Driving the app in tests: start it on a profile and wait until it is quiet."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from acrtui.client import Profile
from acrtui.tui.app import AcrApp
from acrtui.tui.widgets.tagtree import TagsPane
from tests.tui.content import NOW

# Longer than the panes' debounce before they announce a new choice (0.15 s).
SETTLE_PAUSE = 0.25


def make_app(profile: Profile, **kwargs) -> AcrApp:
    kwargs.setdefault("clock", lambda: NOW)
    kwargs.setdefault("profiles", lambda: {profile.name: profile})
    return AcrApp(profile, **kwargs)


async def settle(pilot: Pilot, rounds: int = 10) -> None:
    """Let workers finish and debounced choices fire, until a pause starts no new work
    (one choice starts the next load: repository, then tags, then the inspector)."""
    for _ in range(rounds):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # superseded by a newer request of its group; the next round waits for that one
        await pilot.pause(SETTLE_PAUSE)
        busy = any(not worker.is_finished for worker in pilot.app.workers)
        choosing = any(pane.choice.pending for pane in pilot.app.query(".pane") if hasattr(pane, "choice"))
        if not busy and not choosing:
            return


def status(app: AcrApp) -> str:
    return str(app.query_one("#status-message").render())


async def open_repository(pilot: Pilot, name: str) -> None:
    """Highlight `name` in the repositories table and wait for its tags."""
    table = pilot.app.query_one("#repositories-table")
    table.move_cursor(row=table.get_row_index(name))
    await settle(pilot)


def focus_group(app: AcrApp, digest: str) -> None:
    """Put the tag tree's cursor (and focus) on the row of the manifest `digest`."""
    pane = app.query_one(TagsPane)
    pane.tree.move_cursor(pane.nodes[digest])
    pane.tree.focus()
