"""The three panes against a real docker-registry: what each shows and how it loads."""

from __future__ import annotations

from acrtui.tui.formatting import short_digest
from acrtui.tui.widgets.inspector import InspectorPane
from acrtui.tui.widgets.tagtree import TAG_PAGE, TagsPane
from tests.tui.conftest import NIGHTLY_TAGS
from tests.tui.content import SIGNATURE_TYPE
from tests.tui.pilot import focus_group, make_app, open_repository, settle, status


def tree_labels(app) -> list[str]:
    tree = app.query_one(TagsPane).tree
    return [str(tree.render_label(n, tree.rich_style, tree.rich_style)) for n in tree.root.children]


async def test_repositories_lists_catalog_with_tag_counts(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.query_one("#repositories-table")
        rows = {table.get_row_at(i)[-1]: str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert rows == {"demo/multi": "1", "demo/nightly": str(NIGHTLY_TAGS), "demo/web": "4"}
        # docker-registry has no ACR API: a size would take every manifest, so it stays unknown.
        assert {str(table.get_cell(name, "size")) for name in rows} == {"–"}
        assert status(app) == ""


async def test_tag_tree_groups_sibling_tags_and_hides_referrer_tags(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        pane = app.query_one(TagsPane)
        groups = {row.digest: sorted(row.names) for row in pane.groups.values()}
        assert groups == {
            seeded.pushed.digests["demo/web:1.0"]: ["1.0", "latest"],
            seeded.pushed.digests["demo/web:0.9"]: ["0.9"],
        }
        labels = tree_labels(app)
        assert any("1.0, latest" in label and "3d" in label for label in labels)


async def test_expanding_a_manifest_shows_its_tags_and_referrers(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        pane = app.query_one(TagsPane)
        node = pane.nodes[seeded.pushed.digests["demo/web:1.0"]]
        pane.tree.move_cursor(node)
        await pilot.press("2", "l")
        await settle(pilot)
        children = [(c.data.kind, c.data.detail or c.data.tags[0].name) for c in node.children]
        assert ("tag", "1.0") in children and ("tag", "latest") in children
        assert ("referrer", SIGNATURE_TYPE) in children


async def test_an_index_expands_into_platforms_and_offers_a_platform_picker(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/multi")
        pane = app.query_one(TagsPane)
        node = pane.nodes[seeded.pushed.digests["demo/multi:2.0"]]
        await pilot.press("2", "l")
        await settle(pilot)
        assert sorted(c.data.detail for c in node.children) == ["linux/amd64", "linux/arm64"]
        inspector = app.query_one(InspectorPane)
        picker = inspector.query_one("#platform-picker")
        assert picker.display
        assert "linux/amd64" in str(inspector.query_one("#inspector-summary").render())
        await pilot.press("3", "p")
        assert picker.expanded and picker in app.focused.ancestors_with_self
        await pilot.press("escape")
        arm = next(c.data.digest for c in node.children if c.data.detail == "linux/arm64")
        picker.value = arm
        await settle(pilot)
        summary = str(inspector.query_one("#inspector-summary").render())
        assert "linux/arm64" in summary and f"Index {short_digest(seeded.pushed.digests['demo/multi:2.0'])}" in summary
        assert "COPY bin-arm64 /app" in str(inspector.layers_table.get_row_at(1)[2])


async def test_inspector_shows_config_and_layers_with_history(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        pane = app.query_one(TagsPane)
        focus_group(app, seeded.pushed.digests["demo/web:1.0"])
        await settle(pilot)
        inspector = app.query_one(InspectorPane)
        summary = str(inspector.query_one("#inspector-summary").render())
        assert "linux/amd64" in summary and "Created 3d" in summary and "/app/serve" in summary
        history = [str(inspector.layers_table.get_row_at(i)[2]) for i in range(inspector.layers_table.row_count)]
        assert history == ["ADD file:base in /", "RUN make install"]
        row = pane.groups[seeded.pushed.digests["demo/web:1.0"]]
        assert row.size is not None  # the inspector measured it for the tree's size column


async def test_tag_pages_load_lazily_as_the_cursor_nears_the_end(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/nightly")
        pane = app.query_one(TagsPane)
        loaded = sum(len(row.tags) for row in pane.groups.values())
        assert loaded == TAG_PAGE and not pane.exhausted
        for node in pane.tree.root.children:
            node.expand()
        await settle(pilot)
        await pilot.press("2", "G")
        await settle(pilot)
        assert sum(len(row.tags) for row in pane.groups.values()) == NIGHTLY_TAGS
        assert pane.exhausted


async def test_a_missing_repository_is_one_line(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.query_one(TagsPane).show_repository("demo/absent")
        await settle(pilot)
        line = status(app)
        assert "demo/absent" in line and "\n" not in line


async def test_a_layer_opens_the_merged_file_tree_with_marks_and_efficiency(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        pane = app.query_one(TagsPane)
        focus_group(app, seeded.pushed.digests["demo/web:1.0"])
        await settle(pilot)
        await pilot.press("3")
        inspector = app.query_one(InspectorPane)
        assert app.focused is inspector.layers_table
        await pilot.press("j", "enter")
        await settle(pilot)
        files = inspector.files
        assert files.display and files.analysis is not None and files.analysis.layer == 1
        marks = {n.path: n.change.value for n in files.analysis.root.walk() if n.path}
        assert marks["app/serve"] == "added"
        assert marks["usr/bin/tool"] == "modified"
        assert marks["usr/share/doc/readme"] == "removed"
        summary = str(files.query_one("#file-tree-summary").render())
        assert "Layer 2 of 2" in summary and "efficiency" in summary and "wasted 10.1 kB" in summary
        await pilot.press("escape")
        assert not files.display
