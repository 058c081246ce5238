"""The command palette (ctrl+p): every action of the app, destructive ones hidden when read-only."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from acrtui.tui.app import AcrApp


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    action: str  # an action string, run on `target`
    target: str  # "app" or the id of the pane that owns the action
    destructive: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("Go to Repositories", "Focus the repositories pane (1)", "focus_pane('repositories')", "app"),
    Command("Go to Tags", "Focus the tag tree (2)", "focus_pane('tags')", "app"),
    Command("Go to Inspector", "Focus the inspector (3)", "focus_pane('inspector')", "app"),
    Command("Filter", "Filter the focused list by a regular expression; ! inverts (/)", "filter", "app"),
    Command("Refresh", "Reload repositories, tags and the inspector (r)", "refresh", "app"),
    Command("Switch profile", "Open another registry profile from config.yaml (P)", "switch_profile", "app"),
    Command("Help", "Keys of the focused pane (?)", "help", "app"),
    Command("Dev loop", "Rebuild and push a sample context on every save (b)", "dev_loop", "app"),
    Command("Copy reference", "Copy registry/repository:tag (or @digest) to the clipboard (c)", "copy", "tags"),
    Command("Newest tags first", "Toggle the tag tree between name order and newest first (o)", "toggle_order", "tags"),
    Command("Pick platform", "Choose the platform of an index in the inspector (p)", "pick_platform", "inspector"),
    Command("Delete tag", "Delete the highlighted tag; the manifest stays (d)", "delete_tag", "tags", destructive=True),
    Command("Delete manifest", "Delete the highlighted manifest and every tag on it (D)", "delete_manifest", "tags", destructive=True),
    Command("Lock / unlock", "Toggle write and delete protection of the tag or manifest (L)", "toggle_lock", "tags", destructive=True),
    Command("Quit", "Leave acrtui (q)", "quit", "app"),
)


class ActionsProvider(Provider):
    @property
    def acr(self) -> "AcrApp":
        return self.app  # type: ignore[return-value]

    def _commands(self) -> list[Command]:
        return [c for c in COMMANDS if not (c.destructive and self.acr.read_only)]

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, partial(self.acr.run_command, command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), partial(self.acr.run_command, command), help=command.help)
