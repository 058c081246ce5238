"""The file tree of one layer, opened from the inspector's layer list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from acrtui.oci.layers import LayerListing, list_layer_chunks
from acrtui.tui.formatting import human_size
from acrtui.tui.widgets.navigation import NavTree
from acrtui.tui.work import start

if TYPE_CHECKING:
    from acrtui.tui.app import AcrApp


class FileTreeView(Vertical):
    def __init__(self) -> None:
        super().__init__(id="files")
        self.cache: dict[str, LayerListing] = {}

    @property
    def acr(self) -> "AcrApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="file-tree-summary")
        yield NavTree("/", id="file-tree")

    def on_mount(self) -> None:
        self.display = False

    def close(self) -> None:
        self.display = False
        self.query_one(NavTree).clear()

    def open(self, inspected: Any, layer_index: int) -> None:
        self.display = True
        self.loading = True
        start(self, self._load, inspected, layer_index, group="layers")

    async def _listing(self, repository: str, digest: str) -> LayerListing:
        if digest not in self.cache:
            self.cache[digest] = await list_layer_chunks(self.acr.client.stream_blob(repository, digest), digest)
        return self.cache[digest]

    async def _load(self, inspected: Any, layer_index: int) -> None:
        try:
            layer = inspected.manifest.layers[layer_index]
            listing = await self._listing(inspected.repository, layer.digest)
        finally:
            self.loading = False
        tree = self.query_one(NavTree)
        tree.clear()
        for entry in listing.entries:
            tree.root.add_leaf(f"{entry.path}  {human_size(entry.size)}")
        tree.root.expand()
        self.query_one("#file-tree-summary", Static).update(f"layer {layer_index + 1}: {len(listing.entries)} entries")
        tree.focus()
