"""`?`: the keys that work where the user is, the focused pane's first."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HelpSection = tuple[str, list[tuple[str, str]]]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss_help", "Close help", id="help.close"),
    ]

    def __init__(self, sections: list[HelpSection]) -> None:
        super().__init__(classes="dialog-screen")
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            for title, rows in self.sections:
                table = Table.grid(padding=(0, 2))
                table.add_column(style="bold", no_wrap=True)
                table.add_column()
                for key, description in rows:
                    table.add_row(key, description)
                yield Static(Text(title, style="bold underline"), classes="help-title")
                yield Static(table, classes="help-keys")
            yield Static(Text("escape closes this help", style="dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
