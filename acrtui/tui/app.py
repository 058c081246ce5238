"""The acrtui application: three panes over one registry client, keys, themes and the palette."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Footer, Header

from acrtui.client import Profile, RegistryClient, RegistryError, load_profiles
from acrtui.resources import themes_dir
from acrtui.tui.commands import ActionsProvider, Command
from acrtui.tui.filtering import InvalidFilter, compile_filter
from acrtui.tui.formatting import Clock, system_clock
from acrtui.tui.messages import ManifestChosen, ManifestMeasured, RegistryChanged, RepositoryChosen
from acrtui.tui.screens.confirm import ConfirmScreen
from acrtui.tui.screens.help import HelpScreen, HelpSection
from acrtui.tui.screens.profiles import ProfileScreen
from acrtui.tui.themes import ThemeError, available_themes, pick_theme
from acrtui.tui.widgets.filterbar import FilterBar
from acrtui.tui.widgets.inspector import InspectorPane
from acrtui.tui.widgets.repositories import RepositoriesPane
from acrtui.tui.widgets.statusbar import StatusBar
from acrtui.tui.widgets.tagtree import TagsPane

PANES = ("repositories", "tags", "inspector")
# A full digest would push the reason out of the one status line; 12 hex digits identify it.
SHORTEN_DIGEST = re.compile(r"(sha256:[0-9a-f]{12})[0-9a-f]{52}")
FILTERABLE = ("repositories", "tags")


def describe_error(error: BaseException) -> str:
    """One sentence for any failure; registry errors already carry theirs."""
    if isinstance(error, RegistryError):
        text = error.message
    elif isinstance(error, (ValueError, OSError)) and str(error):
        text = str(error)
    else:
        text = f"unexpected {type(error).__name__}: {error}; please report it"
    text = SHORTEN_DIGEST.sub(lambda m: m.group(1) + "…", " ".join(text.split()))
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


class AcrApp(App[None]):
    TITLE = "acrtui"
    CSS_PATH = str(themes_dir() / "acrtui.tcss")
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("1", "focus_pane('repositories')", "Go to Repositories", show=False, id="app.pane-repositories"),
        Binding("2", "focus_pane('tags')", "Go to Tags", show=False, id="app.pane-tags"),
        Binding("3", "focus_pane('inspector')", "Go to Inspector", show=False, id="app.pane-inspector"),
        Binding("slash", "filter", "Filter", id="app.filter"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("r", "refresh", "Refresh", id="app.refresh"),
        Binding("P", "switch_profile", "Profile", show=False, id="app.switch-profile"),
        Binding("b", "dev_loop", "Dev loop", show=False, id="app.dev-loop"),
    ]

    def __init__(
        self,
        profile: Profile,
        *,
        read_only: bool = False,
        theme: str | None = None,
        clock: Clock = system_clock,
        profiles: Callable[[], dict[str, Profile]] = load_profiles,
    ) -> None:
        super().__init__()
        self.profile = profile
        self.forced_read_only = read_only
        self.clock = clock
        self._profiles = profiles
        self.client = RegistryClient(profile)
        self._filter_target: str | None = None
        themes = available_themes()
        for definition in themes.values():
            self.register_theme(definition)
        self.theme = pick_theme(theme or profile.theme, themes).name
        self.set_keymap(profile.keymap)

    @property
    def read_only(self) -> bool:
        return self.forced_read_only or self.profile.read_only or self.client.read_only

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="panes"):
            yield RepositoriesPane()
            with Vertical(id="right"):
                yield TagsPane()
                yield InspectorPane()
        yield FilterBar()
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(FilterBar).display = False
        self._show_profile()
        self.focus_pane("repositories")
        self.query_one(RepositoriesPane).reload()

    async def on_unmount(self) -> None:
        await self.client.aclose()

    def _show_profile(self) -> None:
        self.sub_title = f"{self.profile.name}{' · read-only' if self.read_only else ''}"

    # The single place for outcomes: one line in the status bar.

    def report_error(self, error: BaseException, prefix: str = "") -> None:
        self.log.error(repr(error))
        self.query_one(StatusBar).say(prefix + describe_error(error), error=True)

    def show_status(self, text: str) -> None:
        self.query_one(StatusBar).say(text)

    def begin_work(self, group: str) -> None:
        self.query_one(StatusBar).begin(group)

    def end_work(self, group: str) -> None:
        self.query_one(StatusBar).end(group)

    def refuse_if_read_only(self, what: str) -> bool:
        if self.read_only:
            self.show_status(f"This session is read-only (--read-only or the profile's read_only), so {what} is disabled.")
        return self.read_only

    def confirm(self, question: str, then: Callable[[], object]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()
            else:
                self.show_status("Nothing was changed.")

        self.push_screen(ConfirmScreen(question), answered)

    # Panes talking to each other.

    def on_repository_chosen(self, message: RepositoryChosen) -> None:
        self.query_one(TagsPane).show_repository(message.repository)
        self.query_one(InspectorPane).clear()

    def on_manifest_chosen(self, message: ManifestChosen) -> None:
        self.query_one(InspectorPane).show_manifest(message.repository, message.digest)

    def on_manifest_measured(self, message: ManifestMeasured) -> None:
        self.query_one(TagsPane).set_size(message.digest, message.size)

    def on_registry_changed(self, message: RegistryChanged) -> None:
        self.query_one(TagsPane).reload()
        self.query_one(InspectorPane).clear()
        self.query_one(RepositoriesPane).refresh_info(message.repository)

    # Actions.

    def pane(self, name: str) -> Widget:
        return self.query_one(f"#{name}")

    def focus_pane(self, name: str) -> None:
        pane = self.pane(name)
        # The focus chain holds only what can take focus now (hidden pickers and trees excluded).
        for widget in self.screen.focus_chain:
            if pane in widget.ancestors:
                widget.focus()
                return

    def action_focus_pane(self, name: str) -> None:
        self.focus_pane(name)

    def action_pane_step(self, step: int) -> None:
        current = self.focused_pane()
        index = PANES.index(current) if current in PANES else 0
        self.focus_pane(PANES[(index + step) % len(PANES)])

    def focused_pane(self) -> str | None:
        node = self.focused
        while node is not None:
            if node.id in PANES:
                return node.id
            node = node.parent
        return None

    def action_filter(self) -> None:
        target = self.focused_pane() or "repositories"
        if target not in FILTERABLE:
            self.show_status("Filtering works in Repositories (1) and Tags (2); go there and press / again.")
            return
        self._filter_target = target
        bar = self.query_one(FilterBar)
        pane = self.pane(target)
        bar.value = getattr(pane, "filter_text", "")
        bar.display = True
        bar.focus()

    @on(FilterBar.Changed)
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        event.stop()
        if self._filter_target is None:
            return
        pane = self.pane(self._filter_target)
        try:
            predicate = compile_filter(event.value)
        except InvalidFilter as exc:
            self.query_one(StatusBar).say(str(exc), error=True)
            return
        self.show_status("")
        pane.filter_text = event.value  # type: ignore[attr-defined]
        pane.set_filter(predicate)  # type: ignore[attr-defined]

    def on_filter_bar_done(self, message: FilterBar.Done) -> None:
        bar = self.query_one(FilterBar)
        bar.display = False
        if self._filter_target is not None:
            self.focus_pane(self._filter_target)
        self._filter_target = None

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    def help_sections(self) -> list[HelpSection]:
        """The focused pane's actions first, then the app-wide keys, then moving around."""
        sections: dict[str, list[tuple[str, str]]] = {}
        for active_binding in self.screen.active_bindings.values():
            binding = active_binding.binding
            if not binding.description or binding.system:
                continue
            node = active_binding.node
            if node is self:
                title = "Everywhere"
            elif getattr(node, "BORDER_TITLE", None):
                title = str(node.BORDER_TITLE)  # type: ignore[attr-defined]
            else:
                title = "Moving around"
            row = (self.get_key_display(binding), binding.description)
            rows = sections.setdefault(title, [])
            if row not in rows:
                rows.append(row)
        order = sorted(sections, key=lambda t: {"Everywhere": 1, "Moving around": 2}.get(t, 0))
        return [(title, sections[title]) for title in order]

    def action_refresh(self) -> None:
        self.query_one(RepositoriesPane).reload()
        self.query_one(TagsPane).reload()
        self.query_one(InspectorPane).clear()
        self.show_status("Refreshing.")

    def action_switch_profile(self) -> None:
        try:
            profiles = self._profiles()
        except RegistryError as exc:
            self.report_error(exc)
            return
        if not profiles:
            self.show_status("No profiles are configured; add one under profiles: in ~/.config/acrtui/config.yaml.")
            return
        self.push_screen(ProfileScreen(profiles, self.profile.name), self._switch_to)

    def _switch_to(self, profile: Profile | None) -> None:
        if profile is None or profile.name == self.profile.name:
            return
        old = self.client
        self.profile = profile
        self.client = RegistryClient(profile)
        self.run_worker(old.aclose(), group="close")
        self.set_keymap(profile.keymap)
        if profile.theme:
            try:
                self.theme = pick_theme(profile.theme, available_themes()).name
            except ThemeError as exc:
                self.report_error(exc)
        self._show_profile()
        self.query_one(TagsPane).show_repository(None)
        self.query_one(InspectorPane).clear()
        self.query_one(RepositoriesPane).reload(keep_choice=False)
        self.show_status(f"Switched to {profile.name} ({profile.url}).")

    def action_dev_loop(self) -> None:
        from acrtui.tui.screens.devloop import DevLoopScreen, sample_contexts

        self.push_screen(DevLoopScreen(self.client, sample_contexts(), read_only=self.read_only), self._show_pushed)

    def _show_pushed(self, pushed: tuple[str, str] | None) -> None:
        """Back from the Dev loop: show the repository it pushed to in the tag tree."""
        if pushed is None:
            return
        repository, tag = pushed
        self.query_one(TagsPane).show_repository(repository)
        self.query_one(InspectorPane).clear()
        self.focus_pane("tags")
        self.show_status(f"Showing {repository}, where the Dev loop pushed {tag}.")

    async def run_command(self, command: Command) -> None:
        """What the palette runs: the action on its pane, or refused when read-only."""
        if command.destructive and self.refuse_if_read_only(command.name.lower()):
            return
        target = self if command.target == "app" else self.pane(command.target)
        await self.run_action(command.action, target)


def run_app(profile: Profile, *, read_only: bool = False, theme: str | None = None) -> int:
    """Open the app on `profile`; an unknown theme is refused before the screen is taken over."""
    app = AcrApp(profile, read_only=read_only, theme=theme)
    app.run()
    return 0
