"""The one line where results, refusals and errors appear, with what is loading on the right."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class StatusBar(Horizontal):
    def __init__(self) -> None:
        super().__init__(id="status-bar")
        self._busy: Counter[str] = Counter()

    def compose(self) -> ComposeResult:
        yield Static("", id="status-message")
        yield Static("", id="status-busy")

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#status-message", Static)
        message.set_class(error, "-error")
        message.update(Text(" ".join(text.split())))

    def begin(self, group: str) -> None:
        self._busy[group] += 1
        self._show_busy()

    def end(self, group: str) -> None:
        self._busy[group] -= 1
        if self._busy[group] <= 0:
            del self._busy[group]
        self._show_busy()

    @property
    def busy(self) -> list[str]:
        return sorted(self._busy)

    def _show_busy(self) -> None:
        text = f"loading {', '.join(self.busy)}…" if self._busy else ""
        self.query_one("#status-busy", Static).update(text)
