"""The `/` input: a regular expression applied as the user types; `!` in front inverts it."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class FilterBar(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", id="filter.clear"),
    ]

    class Done(Message):
        """Editing finished; `cleared` when the user dropped the filter."""

        def __init__(self, cleared: bool) -> None:
            super().__init__()
            self.cleared = cleared

    def __init__(self) -> None:
        super().__init__(placeholder="filter: regular expression, ! to invert; enter keeps, escape clears", id="filter-bar")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Done(cleared=False))

    def action_clear_filter(self) -> None:
        self.value = ""
        self.post_message(self.Done(cleared=True))
