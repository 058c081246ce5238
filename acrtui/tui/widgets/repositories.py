"""The Repositories pane: the catalog, page by page, with tag count and last update per row."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.worker import Worker
from textual.widgets import DataTable

from acrtui.client import RegistryError, RepositoryInfo
from acrtui.tui.debounce import Debounced
from acrtui.tui.filtering import Predicate
from acrtui.tui.formatting import human_age
from acrtui.tui.messages import RepositoryChosen
from acrtui.tui.widgets.navigation import NavTable
from acrtui.tui.widgets.paging import PagedPane
from acrtui.tui.work import start

if TYPE_CHECKING:
    from acrtui.tui.app import AcrApp

CATALOG_PAGE = 100
# Details are one request per repository: a few at a time keeps a slow registry usable.
INFO_CONCURRENCY = 8
# Wait this long after the cursor settles before listing a repository's tags.
CHOOSE_DELAY = 0.15


class RepositoriesPane(PagedPane, Vertical):
    """Lists repository names lazily; details (tags, last update) fill in as they arrive."""

    BORDER_TITLE = "1 Repositories"

    def __init__(self) -> None:
        super().__init__(id="repositories", classes="pane")
        self.names: list[str] = []
        self.infos: dict[str, RepositoryInfo | None] = {}
        self.exhausted = False
        self.predicate: Predicate | None = None
        self.filter_text = ""
        self._chosen: str | None = None
        self.choice = Debounced(self, CHOOSE_DELAY, self._announce)

    @property
    def acr(self) -> "AcrApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        table = NavTable(id="repositories-table", cursor_type="row", zebra_stripes=False)
        # Numbers first: a long repository name may be cut at the pane's edge, the numbers never are.
        table.add_column("Tags", key="tags")
        table.add_column("Age", key="updated")
        table.add_column("Repository", key="name")
        yield table

    @property
    def table(self) -> DataTable:
        return self.query_one("#repositories-table", DataTable)

    def reload(self, *, keep_choice: bool = True) -> None:
        """Read the catalog again; with keep_choice the chosen repository stays highlighted."""
        if not keep_choice:
            self._chosen = None
        self.names.clear()
        self.infos.clear()
        self.next_last = None
        self.exhausted = False
        self.table.clear()
        self._cancel_page()
        self.loading = True
        self._load_next_page()

    def _start_page(self) -> Worker:
        return start(self, self._fetch_page, self.next_last, group="catalog")

    async def _fetch_page(self, last: str | None) -> None:
        try:
            page = await self.acr.client.catalog(n=CATALOG_PAGE, last=last)
        finally:
            self.loading = False
        self._page_arrived(page.next_last)
        new = [name for name in page.items if name not in self.infos]
        for name in new:
            self.infos[name] = None
        self.names.extend(new)
        self._add_rows(new)
        if self._chosen in new and self._chosen in self.table.rows:
            self.table.move_cursor(row=self.table.get_row_index(self._chosen))
        elif self._chosen is None and self.table.row_count:
            self._announce()
        self._fill_if_sparse()
        start(self, self._fetch_infos, new, group="repository-info", exclusive=False)

    async def _fetch_infos(self, names: list[str]) -> None:
        gate = asyncio.Semaphore(INFO_CONCURRENCY)
        failures: list[RegistryError] = []

        async def one(name: str) -> None:
            async with gate:
                try:
                    info = await self.acr.client.repository_info(name)
                except RegistryError as exc:
                    failures.append(exc)
                    return
            self.infos[name] = info
            self._show_info(name, info)

        await asyncio.gather(*(one(name) for name in names))
        if failures:
            self.acr.report_error(failures[0], prefix=f"Details of {len(failures)} repositories are missing: ")

    def refresh_info(self, name: str) -> None:
        """Re-read one repository's details after a change (a delete, a lock)."""
        if name in self.infos:
            start(self, self._fetch_infos, [name], group="repository-info", exclusive=False)

    def _visible(self, name: str) -> bool:
        return self.predicate is None or self.predicate(name)

    def _add_rows(self, names: list[str]) -> None:
        for name in names:
            if self._visible(name):
                self.table.add_row(*self._cells(name), key=name)

    def _cells(self, name: str) -> tuple[Text, Text, str]:
        info = self.infos.get(name)
        tags = "…" if info is None else ("–" if info.tag_count is None else str(info.tag_count))
        updated = "…" if info is None else human_age(info.last_update, self.acr.clock())
        return Text(tags, justify="right"), Text(updated, justify="right"), name

    def _show_info(self, name: str, info: RepositoryInfo) -> None:
        if name not in self.table.rows:
            return
        tags, updated, _ = self._cells(name)
        self.table.update_cell(name, "tags", tags, update_width=True)
        self.table.update_cell(name, "updated", updated, update_width=True)

    def set_filter(self, predicate: Predicate | None) -> None:
        self.predicate = predicate
        self.border_subtitle = f"/{self.filter_text}" if self.filter_text else ""
        self.table.clear()
        self._add_rows(self.names)
        self._fill_if_sparse()

    def _fill_if_sparse(self) -> None:
        """With a filter hiding most rows, keep paging until the view is full or the catalog ends."""
        self._page_until_full(self.table.row_count, self.table.size.height)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.choice.poke()

    def action_choose(self) -> None:
        self._announce()
        self.acr.focus_pane("tags")

    def highlighted(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def _announce(self) -> None:
        name = self.highlighted()
        if name is not None and name != self._chosen:
            self._chosen = name
            self.post_message(RepositoryChosen(name))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_choose()
