"""A table and a tree that move with vim keys and ask for more rows before the user runs out."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Tree

# How close to the last loaded row the cursor or scroll may come before the next page is fetched.
LOOKAHEAD = 20


class NearEnd(Message):
    """The user moved down close to the end of what is loaded; load the next page if there is one.

    Only movement by the user counts, so a short first page does not pull the next one by itself."""


class NavTable(DataTable):
    # Tables here select whole rows, so left/right (h/l) move between panes instead of columns.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="nav.down"),
        Binding("k", "cursor_up", "Up", show=False, id="nav.up"),
        Binding("g", "first", "First row", show=False, id="nav.first"),
        Binding("G", "last", "Last row", show=False, id="nav.last"),
        Binding("h,left", "app.pane_step(-1)", "Previous pane", show=False, id="nav.pane-left"),
        Binding("l,right", "app.pane_step(1)", "Next pane", show=False, id="nav.pane-right"),
    ]

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=max(0, self.row_count - 1))

    def watch_cursor_coordinate(self, old, new) -> None:  # type: ignore[override]
        super().watch_cursor_coordinate(old, new)
        if new.row > old.row and new.row >= self.row_count - LOOKAHEAD:
            self.post_message(NearEnd())

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new > old and new >= self.max_scroll_y - LOOKAHEAD:
            self.post_message(NearEnd())


class NavTree(Tree):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="nav.down"),
        Binding("k", "cursor_up", "Up", show=False, id="nav.up"),
        Binding("g", "first", "First row", show=False, id="nav.first"),
        Binding("G", "last", "Last row", show=False, id="nav.last"),
        Binding("l,right", "expand", "Expand", show=False, id="nav.expand"),
        Binding("h,left", "collapse", "Collapse / parent", show=False, id="nav.collapse"),
    ]

    def action_first(self) -> None:
        self.move_cursor_to_line(0)

    def action_last(self) -> None:
        self.move_cursor_to_line(max(0, self.last_line))

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

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new > old and new >= self.max_scroll_y - LOOKAHEAD:
            self.post_message(NearEnd())
