"""Switching to another registry profile from ~/.config/acrtui/config.yaml."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from acrtui.client import Profile


class ProfileScreen(ModalScreen[Profile | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="profiles.cancel"),
        Binding("j", "cursor('down')", "Down", show=False, id="profiles.down"),
        Binding("k", "cursor('up')", "Up", show=False, id="profiles.up"),
    ]

    def __init__(self, profiles: dict[str, Profile], current: str) -> None:
        super().__init__(classes="dialog-screen")
        self.profiles = profiles
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="profiles", classes="dialog"):
            yield Static("Switch to profile", classes="help-title")
            options = [
                Option(f"{name}  {profile.url}{'  (current)' if name == self.current else ''}", id=name)
                for name, profile in sorted(self.profiles.items())
            ]
            yield OptionList(*options, id="profile-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.profiles.get(event.option.id or ""))

    def action_cursor(self, direction: str) -> None:
        options = self.query_one(OptionList)
        options.action_cursor_down() if direction == "down" else options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
