"""What the panes that list a page at a time share: one page worker at most, the next page when
the user nears the end or a filter leaves the view sparse."""

from __future__ import annotations

from collections.abc import Callable

from textual.worker import Worker

from acrtui.tui.widgets.navigation import NearEnd

# However short the view, a sparse one pages until this many rows show (or the listing ends).
MIN_ROWS = 20


class PagedPane:
    """Mixed into a pane (before its Widget base) whose `_start_page` starts a worker loading the
    page after `next_last`, which calls `_page_arrived` first thing."""

    next_last: str | None = None
    exhausted: bool = True
    _page_worker: Worker | None = None
    _start_page: Callable[[], Worker | None]

    def _load_next_page(self) -> None:
        if not self.exhausted and not self._page_loading():
            self._page_worker = self._start_page()

    def _page_arrived(self, next_last: str | None) -> None:
        self._page_worker = None
        self.next_last = next_last
        self.exhausted = next_last is None

    def _page_loading(self) -> bool:
        return self._page_worker is not None and not self._page_worker.is_finished

    def _cancel_page(self) -> None:
        if self._page_worker is not None:
            self._page_worker.cancel()
            self._page_worker = None

    def _page_until_full(self, shown: int, height: int) -> None:
        """Load another page while fewer rows show than fill the view."""
        if not self.exhausted and shown < max(height, MIN_ROWS):
            self._load_next_page()

    def on_near_end(self, message: NearEnd) -> None:
        message.stop()
        self._load_next_page()
