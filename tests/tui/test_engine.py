"""Actions that need ACR's data-plane API, against the embedded engine over a real socket."""

from __future__ import annotations

import logging
from collections import Counter

from acrtui.client import RegistryClient, registry
from acrtui.tui.formatting import human_size, system_clock
from acrtui.tui.screens.confirm import ConfirmScreen
from acrtui.tui.widgets.repositories import RepositoriesPane
from acrtui.tui.widgets.tagtree import TagsPane
from tests.tui.content import BASE_LAYER, NOW, push_image
from tests.tui.pilot import focus_group, make_app, open_repository, settle, status


async def test_repositories_show_last_update_from_the_acr_api(engine):
    app = make_app(engine.profile, clock=system_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.query_one(RepositoriesPane).table
        ages = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert ages and all(age.endswith("s") or age.endswith("m") for age in ages)  # just pushed


async def test_repository_sizes_fill_in_and_a_partial_sum_is_marked(engine, monkeypatch):
    """The sum of one page of manifests: with pages of 2, demo/small (one image) is exact and
    demo/web (two images and a signature) shows "≥" its first two."""
    monkeypatch.setattr(registry, "SIZE_MANIFESTS", 2)
    async with RegistryClient(engine.profile) as client:
        await push_image(client, "demo/small", [(BASE_LAYER, "ADD base")], created=NOW, tags=("1",))
        listed = {repo: [m.size for m in (await client.manifest_infos(repo)).items] for repo in ("demo/small", "demo/web")}
    assert len(listed["demo/small"]) == 1 and len(listed["demo/web"]) == 3
    app = make_app(engine.profile, clock=system_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.query_one(RepositoriesPane)
        sizes = {name: str(pane.table.get_cell(name, "size")) for name in listed}
        assert sizes == {
            "demo/small": human_size(sum(listed["demo/small"])),
            "demo/web": "≥" + human_size(sum(listed["demo/web"][:2])),
        }
        await open_repository(pilot, "demo/web")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert not pane.with_size and "size" not in pane.table.columns  # 80 columns keep the names
        assert pane.highlighted() == "demo/web"


async def test_each_repository_size_is_read_once(engine, caplog):
    """Highlights and resizes while a size is in flight do not ask for it again."""
    caplog.set_level(logging.INFO, logger="acrtui.engine.access")
    app = make_app(engine.profile, clock=system_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("j", "k", "j")
        await pilot.resize_terminal(130, 40)
        await settle(pilot)
        pane = app.query_one(RepositoriesPane)
        assert all(str(pane.table.get_cell(name, "size")) not in ("", "–") for name in pane.names)
    paths = [record.args[2] for record in caplog.records if record.name == "acrtui.engine.access"]
    reads = Counter(path for path in paths if path.endswith("/_manifests"))
    assert sorted(reads) == sorted(f"/acr/v1/{name}/_manifests" for name in pane.names)
    assert set(reads.values()) == {1}


async def test_deleting_one_tag_keeps_the_manifest_and_its_other_tags(engine):
    app = make_app(engine.profile, clock=system_clock)
    digest = engine.pushed.digests["demo/web:1.0"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        pane = app.query_one(TagsPane)
        focus_group(app, digest)
        await pilot.press("l")
        await settle(pilot)
        tag_node = next(c for c in pane.nodes[digest].children if c.data.kind == "tag" and c.data.tags[0].name == "latest")
        pane.tree.move_cursor(tag_node)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "still tagged 1.0" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert "Deleted tag demo/web:latest" in status(app)
        assert pane.groups[digest].names == ["1.0"]


async def test_lock_and_unlock_a_tag(engine):
    app = make_app(engine.profile, clock=system_clock)
    digest = engine.pushed.digests["demo/web:0.9"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        pane = app.query_one(TagsPane)
        focus_group(app, digest)
        await pilot.press("L")
        await settle(pilot)
        assert status(app) == "Locked demo/web:0.9."
        assert pane.groups[digest].locked
        assert "lock" in str(pane.tree.render_label(pane.nodes[digest], pane.tree.rich_style, pane.tree.rich_style))
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert "locked" in status(app) and "\n" not in status(app)  # the registry refused, and says why
        await pilot.press("L")
        await settle(pilot)
        assert status(app) == "Unlocked demo/web:0.9."
        assert not app.query_one(TagsPane).groups[digest].locked


async def test_a_manifest_of_unknown_media_type_is_one_line(engine):
    """Registries refuse to store one, so it is planted in the engine's index, as an old or foreign
    registry might hold it; the app must still say what is wrong in one line."""
    from acrtui.engine.storage.records import ManifestRecord
    from acrtui.oci.digest import sha256_digest

    media_type = "application/vnd.example.thing+json"
    raw = b'{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}'
    record = ManifestRecord(repository="odd/thing", digest=sha256_digest(raw), media_type=media_type, body=raw)
    engine.server.engine.index.put_manifest(record, "v1")
    app = make_app(engine.profile, clock=system_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "odd/thing")
        line = status(app)
        assert media_type in line and "\n" not in line
        assert "cannot be shown" in str(app.query_one("#inspector-summary").render())


async def test_a_large_catalog_loads_page_by_page(engine):
    """250 more repositories: the first page (100) shows with its details, the rest waits for the cursor."""
    import dataclasses

    from acrtui.tui.widgets.repositories import CATALOG_PAGE

    index = engine.server.engine.index
    record = index.get_manifest("demo/web", engine.pushed.digests["demo/web:1.0"])
    for n in range(250):
        index.put_manifest(dataclasses.replace(record, repository=f"many/r{n:04d}"), "v1")
    app = make_app(engine.profile, clock=system_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.query_one(RepositoriesPane)
        assert len(pane.names) == CATALOG_PAGE and not pane.exhausted
        assert all(pane.infos[name] is not None for name in pane.names)
        await pilot.press("1", "G")
        await settle(pilot)
        assert len(pane.names) == 2 * CATALOG_PAGE
        for _ in range(3):
            await pilot.press("G")
            await settle(pilot)
        assert pane.exhausted and len(pane.names) == 252


async def test_newest_first_orders_tags_by_time(engine):
    app = make_app(engine.profile, clock=system_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        pane = app.query_one(TagsPane)
        await pilot.press("2", "o")
        await settle(pilot)
        assert pane.newest_first and "newest first" in pane.border_subtitle
        times = [max(t.last_update for t in node.data.tags) for node in pane.tree.root.children]
        assert times == sorted(times, reverse=True)
