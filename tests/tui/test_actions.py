"""Actions, keys, filter, help, palette and read-only mode, against a real docker-registry."""

from __future__ import annotations

from acrtui.client import Profile
from acrtui.tui.commands import ActionsProvider
from acrtui.tui.screens.confirm import ConfirmScreen
from acrtui.tui.screens.help import HelpScreen
from acrtui.tui.widgets.repositories import RepositoriesPane
from acrtui.tui.widgets.tagtree import TagsPane
from tests.tui.pilot import focus_group, make_app, open_repository, settle, status


async def test_copy_puts_the_reference_on_the_clipboard(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        focus_group(app, seeded.pushed.digests["demo/web:0.9"])
        await pilot.press("c")
        assert app.clipboard == f"{seeded.profile.host}/demo/web:0.9"
        focus_group(app, seeded.pushed.digests["demo/web:1.0"])
        await pilot.press("c")
        assert app.clipboard == f"{seeded.profile.host}/demo/web@{seeded.pushed.digests['demo/web:1.0']}"


async def test_deleting_a_manifest_confirms_with_every_tag_then_deletes(scratch):
    app = make_app(scratch.profile)
    digest = scratch.pushed.digests["demo/web:1.0"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        focus_group(app, digest)
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "1.0, latest" in app.screen.question or "latest, 1.0" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert digest not in app.query_one(TagsPane).groups
        assert "Deleted manifest" in status(app)


async def test_deleting_a_tag_and_cancelling(scratch):
    app = make_app(scratch.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        focus_group(app, scratch.pushed.digests["demo/web:1.0"])
        await pilot.press("d")
        assert "pick one tag" in status(app)  # two tags share the manifest
        focus_group(app, scratch.pushed.digests["demo/web:0.9"])
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert status(app) == "Nothing was changed."
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        # distribution 2.8 has no tag deletion: the app says so in one line and keeps the tag.
        assert "cannot delete a tag on its own" in status(app)
        names = [n for row in app.query_one(TagsPane).groups.values() for n in row.names]
        assert sorted(names) == ["0.9", "1.0", "latest"]


async def test_lock_on_a_registry_without_attributes_is_one_line(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        focus_group(app, seeded.pushed.digests["demo/web:0.9"])
        await pilot.press("L")
        await settle(pilot)
        assert "no lock attributes" in status(app)


async def test_read_only_refuses_destructive_actions_and_hides_them_from_the_palette(seeded):
    app = make_app(seeded.profile, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        focus_group(app, seeded.pushed.digests["demo/web:0.9"])
        for key in ("d", "D", "L"):
            await pilot.press(key)
            assert not isinstance(app.screen, ConfirmScreen)
            assert "read-only" in status(app)
        assert "read-only" in app.sub_title
        provider = ActionsProvider(app.screen)
        names = [c.name for c in provider._commands()]
        assert "Refresh" in names and "Delete tag" not in names and "Lock / unlock" not in names


async def test_palette_lists_every_action_and_runs_one(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        names = [c.name for c in ActionsProvider(app.screen)._commands()]
        assert {"Delete tag", "Delete manifest", "Lock / unlock", "Copy reference", "Switch profile", "Refresh"} <= set(names)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go to tags")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused_pane() == "tags"


async def test_number_keys_jump_between_panes(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, pane in (("2", "tags"), ("3", "inspector"), ("1", "repositories")):
            await pilot.press(key)
            assert app.focused_pane() == pane
        await pilot.press("l")  # in a table, l and h step between panes
        assert app.focused_pane() == "tags"
        await pilot.press("1", "h")  # and wrap around
        assert app.focused_pane() == "inspector"


async def test_filter_by_regex_inverted_and_invalid(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.query_one(RepositoriesPane).table
        await pilot.press("slash", *"web")
        assert [table.get_row_at(i)[-1] for i in range(table.row_count)] == ["demo/web"]
        await pilot.press("enter")
        assert app.focused_pane() == "repositories"
        await pilot.press("slash", "backspace", "backspace", "backspace", "exclamation_mark", *"web")
        assert [table.get_row_at(i)[-1] for i in range(table.row_count)] == ["demo/multi", "demo/nightly"]
        await pilot.press("left_square_bracket")
        assert "not a valid regular expression" in status(app)
        assert table.row_count == 2  # the last valid filter stays
        await pilot.press("escape")
        assert table.row_count == 3


async def test_help_lists_the_focused_panes_keys_first(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.sections]
        keys = {description for _, rows in app.screen.sections for _, description in rows}
        assert titles == ["2 Tags", "Everywhere", "Moving around"]
        assert {"Delete tag", "Copy ref", "Down", "Quit", "Filter"} <= keys
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keymap_from_the_profile_remaps_bindings_by_id(seeded):
    profile = Profile(name="test", url=seeded.profile.url, keymap={"app.help": "f1", "nav.down": "n"})
    app = make_app(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.query_one(RepositoriesPane).table
        await pilot.press("n")
        assert table.cursor_row == 1
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_switching_profile_reloads_from_the_other_registry(seeded, scratch):
    profiles = {"test": seeded.profile, "scratch": scratch.profile}
    app = make_app(seeded.profile, profiles=lambda: profiles)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await pilot.pause()
        await pilot.press("home", "enter")  # options are sorted: scratch first
        await settle(pilot)
        assert app.profile.name == "scratch" and app.client.url == scratch.profile.url
        assert app.query_one(RepositoriesPane).names == ["demo/multi", "demo/web"]


async def test_refresh_reloads_and_keeps_the_chosen_repository(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        await pilot.press("r")
        assert status(app) == "Refreshing."
        await settle(pilot)
        repositories = app.query_one(RepositoriesPane)
        assert repositories.highlighted() == "demo/web"
        assert app.query_one(TagsPane).repository == "demo/web" and app.query_one(TagsPane).groups


async def test_filtering_tags_keeps_their_order(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_repository(pilot, "demo/web")
        pane = app.query_one(TagsPane)
        before = [node.data.digest for node in pane.tree.root.children]
        await pilot.press("2", "slash", *"^0")
        assert [sorted(node.data.names) for node in pane.tree.root.children] == [["0.9"]]
        assert "/^0" in pane.border_subtitle
        await pilot.press("escape")
        assert [node.data.digest for node in pane.tree.root.children] == before


async def test_typing_in_the_filter_never_triggers_app_keys(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "q", "1", "r", "question_mark")
        assert app.is_running and not isinstance(app.screen, HelpScreen)
        assert app.query_one("#filter-bar").value == "q1r?"
        assert app.query_one(RepositoriesPane).table.row_count == 0  # nothing matches /q1r?/


async def test_newest_first_without_the_acr_api_is_one_line(seeded):
    app = make_app(seeded.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2", "o")
        await settle(pilot)
        assert "ordering by time needs the ACR metadata API" in status(app)
