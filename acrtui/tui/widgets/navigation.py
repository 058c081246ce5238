"""A table and a tree that move with vim keys and ask for more rows before the user runs out."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Tree

# How close to the last loaded row the cursor or scroll may come before the next page is fetched.
LOOKAHEAD = 20


class NearEnd(Message):
    """The user moved down close to the end of what is loaded; load the next page if there is one.

    Only movement by the user counts, so a short first page does not pull the next one by itself."""


# j/k/g/G move the same way in every table and tree.
VIM_MOVES: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False, id="nav.down"),
    Binding("k", "cursor_up", "Up", show=False, id="nav.up"),
    Binding("g", "first", "First row", show=False, id="nav.first"),
    Binding("G", "last", "Last row", show=False, id="nav.last"),
]


class _Lines:
    """First/last row and the near-end signal on scrolling, for a scrolling widget of rows (mixed in first)."""

    _go_to_line: Callable[[int], None]
    _line_count: Callable[[], int]

    def action_first(self) -> None:
        self._go_to_line(0)

    def action_last(self) -> None:
        self._go_to_line(max(0, self._line_count() - 1))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)  # type: ignore[misc]
        if new > old and new >= self.max_scroll_y - LOOKAHEAD:  # type: ignore[attr-defined]
            self.post_message(NearEnd())  # type: ignore[attr-defined]


class NavTable(_Lines, DataTable):
    # Tables here select whole rows, so left/right (h/l) move between panes instead of columns.
    BINDINGS: ClassVar[list[BindingType]] = [
        *VIM_MOVES,
        Binding("h,left", "app.pane_step(-1)", "Previous pane", show=False, id="nav.pane-left"),
        Binding("l,right", "app.pane_step(1)", "Next pane", show=False, id="nav.pane-right"),
    ]

    def _go_to_line(self, line: int) -> None:
        self.move_cursor(row=line)

    def _line_count(self) -> int:
        return self.row_count

    def watch_cursor_coordinate(self, old, new) -> None:  # type: ignore[override]
        super().watch_cursor_coordinate(old, new)
        if new.row > old.row and new.row >= self.row_count - LOOKAHEAD:
            self.post_message(NearEnd())


class NavTree(_Lines, Tree):
    BINDINGS: ClassVar[list[BindingType]] = [
        *VIM_MOVES,
        Binding("l,right", "expand", "Expand", show=False, id="nav.expand"),
        Binding("h,left", "collapse", "Collapse / parent", show=False, id="nav.collapse"),
    ]

    def _go_to_line(self, line: int) -> None:
        self.move_cursor_to_line(line)

    def _line_count(self) -> int:
        return self.last_line + 1

    def action_expand(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and not node.is_expanded:
            node.expand()

    def action_collapse(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded:
            node.collapse()
        elif node.parent is not None and not node.parent.is_root:
            self.move_cursor(node.parent)

    def watch_cursor_line(self, previous_line: int, line: int) -> None:
        super().watch_cursor_line(previous_line, line)
        if 0 <= previous_line < line and line >= self.last_line - LOOKAHEAD:
            self.post_message(NearEnd())
