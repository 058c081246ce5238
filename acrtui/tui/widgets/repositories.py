"""The Repositories pane: the catalog, page by page, with tag count, last update and size per row."""

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
from acrtui.tui.formatting import human_age, human_size
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
# Cells the Tags, Age and Size columns and the name's padding usually take ("400", "2mo", "12.3 MB").
NUMBERS_W = 6 + 5 + 9 + 2
# The Size column shows only where names keep this many cells (from about 110 terminal columns).
MIN_NAME_W = 12


class RepositoriesPane(PagedPane, Vertical):
    """Lists repository names lazily; details (tags, last update) fill in as they arrive, sizes
    only for the rows on screen."""

    BORDER_TITLE = "1 Repositories"

    def __init__(self) -> None:
        super().__init__(id="repositories", classes="pane")
        self.names: list[str] = []
        self.infos: dict[str, RepositoryInfo | None] = {}
        # Repositories whose size the registry cannot tell cheaply (no ACR API, or it refused).
        self.size_unknown: set[str] = set()
        # Repositories whose size is being read: a highlight or resize meanwhile must not ask again.
        self.sizing: set[str] = set()
        self.with_size = False
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
        self._add_columns(table)
        yield table

    def _add_columns(self, table: DataTable) -> None:
        # Numbers first: a long repository name may be cut at the pane's edge, the numbers never are.
        table.add_column("Tags", key="tags")
        table.add_column("Age", key="updated")
        if self.with_size:
            table.add_column("Size", key="size")
        table.add_column("Repository", key="name")

    def on_resize(self) -> None:
        self._show_size_column(self.content_size.width - NUMBERS_W >= MIN_NAME_W)

    def _show_size_column(self, show: bool) -> None:
        """Add or drop the Size column (narrow terminals keep the names instead), keeping the cursor."""
        if show == self.with_size:
            return
        self.with_size = show
        chosen = self.highlighted()
        table = self.table
        table.clear(columns=True)
        self._add_columns(table)
        self._add_rows(self.names)
        if chosen is not None and chosen in table.rows:
            table.move_cursor(row=table.get_row_index(chosen), animate=False)
        self._size_visible()

    @property
    def table(self) -> DataTable:
        return self.query_one("#repositories-table", DataTable)

    def reload(self, *, keep_choice: bool = True) -> None:
        """Read the catalog again; with keep_choice the chosen repository stays highlighted."""
        if not keep_choice:
            self._chosen = None
        self.names.clear()
        self.infos.clear()
        self.size_unknown.clear()
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
            self._show_info(name)

        await asyncio.gather(*(one(name) for name in names))
        if failures:
            self.acr.report_error(failures[0], prefix=f"Details of {len(failures)} repositories are missing: ")
        self._size_visible()

    def refresh_info(self, name: str) -> None:
        """Re-read one repository's details after a change (a delete, a lock)."""
        if name in self.infos:
            self.size_unknown.discard(name)
            start(self, self._fetch_infos, [name], group="repository-info", exclusive=False)

    def _size_visible(self) -> None:
        """Ask the sizes of the rows on screen (and a screenful below) whose details are in: one
        manifest listing each, never the whole catalog."""
        if not self.with_size:
            return
        table = self.table
        top = int(table.scroll_offset.y)
        rows = table.ordered_rows[top : top + 2 * max(table.size.height, 10)]
        wanted = [
            name
            for row in rows
            if (name := str(row.key.value)) not in self.size_unknown and name not in self.sizing
            and (info := self.infos.get(name)) is not None and info.size is None
        ]
        if wanted:
            self.sizing.update(wanted)
            start(self, self._fetch_sizes, wanted, group="repository-sizes", exclusive=False)

    async def _fetch_sizes(self, names: list[str]) -> None:
        try:
            await self._read_sizes(names)
        finally:
            self.sizing.difference_update(names)
        # A reload meanwhile made these answers stale and skipped the rows while they were in flight.
        self._size_visible()

    async def _read_sizes(self, names: list[str]) -> None:
        gate = asyncio.Semaphore(INFO_CONCURRENCY)

        async def one(name: str) -> None:
            info = self.infos.get(name)
            if info is None:
                return
            try:
                async with gate:
                    sized = await self.acr.client.with_size(info)
            except RegistryError:
                # Shown as unknown; opening the repository says what is wrong with it.
                sized = info
            if self.infos.get(name) is not info:
                return  # read again meanwhile (a delete): that read asks for its own size
            if sized.size is None:
                self.size_unknown.add(name)
            self.infos[name] = sized
            self._show_info(name)

        await asyncio.gather(*(one(name) for name in names))

    def _visible(self, name: str) -> bool:
        return self.predicate is None or self.predicate(name)

    def _add_rows(self, names: list[str]) -> None:
        for name in names:
            if self._visible(name):
                self.table.add_row(*self._cells(name).values(), key=name)

    def _cells(self, name: str) -> dict[str, Text | str]:
        info = self.infos.get(name)
        tags = "…" if info is None else ("–" if info.tag_count is None else str(info.tag_count))
        updated = "…" if info is None else human_age(info.last_update, self.acr.clock())
        cells: dict[str, Text | str] = {"tags": Text(tags, justify="right"), "updated": Text(updated, justify="right")}
        if self.with_size:
            cells["size"] = Text(self._size_text(name, info), justify="right")
        cells["name"] = name
        return cells

    def _size_text(self, name: str, info: RepositoryInfo | None) -> str:
        if info is None or (info.size is None and name not in self.size_unknown):
            return "…"
        if info.size is None:
            return "–"
        return ("≥" if info.size_is_lower_bound else "") + human_size(info.size)

    def _show_info(self, name: str) -> None:
        if name not in self.table.rows:
            return
        for key, cell in self._cells(name).items():
            if key != "name":
                self.table.update_cell(name, key, cell, update_width=True)

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
        self._size_visible()
        name = self.highlighted()
        if name is not None and name != self._chosen:
            self._chosen = name
            self.post_message(RepositoryChosen(name))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_choose()
