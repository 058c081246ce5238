"""SVG snapshots at 80x24 and 120x40: fixed content, fixed clock, fixed profile name."""

from __future__ import annotations

import pytest

from tests.tui.pilot import make_app, settle


async def _open_web_layer(pilot) -> None:
    await settle(pilot)
    table = pilot.app.query_one("#repositories-table")
    table.move_cursor(row=table.get_row_index("demo/web"))
    await settle(pilot)
    await pilot.press("3", "j", "enter")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_browsing_a_layer(snap_compare, seeded, size):
    assert snap_compare(make_app(seeded.profile, theme="dark"), terminal_size=size, run_before=_open_web_layer)


def test_snapshot_high_contrast_repositories(snap_compare, seeded):
    assert snap_compare(make_app(seeded.profile, theme="high-contrast"), terminal_size=(80, 24), run_before=settle)
