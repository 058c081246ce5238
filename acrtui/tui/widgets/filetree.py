"""The merged file tree at one layer, opened from the inspector's layer list.

Every layer of the image is listed (streamed, never extracted, cached by digest across images)
because a layer's marks depend on what the layers below it hold; the tree, the wasted bytes and
the efficiency score come from acrtui.oci, computed off the UI thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode as WidgetNode

from acrtui.oci.efficiency import Efficiency, efficiency
from acrtui.oci.filetree import Change, ImageTree, TreeNode
from acrtui.oci.layercache import LayerCache
from acrtui.oci.layers import LayerListing
from acrtui.tui.formatting import human_size
from acrtui.tui.widgets.navigation import NavTree
from acrtui.tui.work import start

if TYPE_CHECKING:
    from acrtui.tui.app import AcrApp
    from acrtui.tui.widgets.inspector import Inspected

MARKS = {Change.ADDED: "+", Change.MODIFIED: "~", Change.REMOVED: "-", Change.UNCHANGED: " "}
# Theme variables (see themes/*.yaml) that colour each mark.
MARK_COLOURS = {Change.ADDED: "added", Change.MODIFIED: "modified", Change.REMOVED: "removed"}
SIZE_W = 9


@dataclass
class Analysis:
    layer: int
    root: TreeNode
    efficiency: Efficiency


class FileTree(NavTree):
    """Paths of the merged tree; a directory's children are added when it is first expanded."""

    def __init__(self) -> None:
        super().__init__("/", id="file-tree")
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False

    def show(self, root: TreeNode) -> None:
        self.clear()
        self._add_children(self.root, root)
        self.root.expand()
        for child in self.root.children:
            if child.allow_expand:
                child.expand()

    def _add_children(self, parent: WidgetNode, node: TreeNode) -> None:
        for child in node.sorted_children():
            if child.is_dir and child.children:
                parent.add(child.name, data=child)
            else:
                parent.add_leaf(child.name, data=child)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        event.stop()
        node = event.node
        if node.data is not None and not node.children:
            self._add_children(node, node.data)

    def render_label(self, node: WidgetNode, base_style: Style, style: Style) -> Text:
        entry: TreeNode | None = node.data
        if entry is None:
            return super().render_label(node, base_style, style)
        colour = self.app.theme_variables.get(MARK_COLOURS.get(entry.change, ""), "")
        mark_style = Style.parse(colour) if colour else Style()
        name = entry.name + ("/" if entry.is_dir else "")
        if entry.entry is not None and entry.entry.link_target:
            name += f" → {entry.entry.link_target}"
        label = Text.assemble(
            (MARKS[entry.change] + " ", mark_style + Style(bold=True)),
            (human_size(entry.size).rjust(SIZE_W) + "  ", "dim"),
            (name, mark_style if entry.change is not Change.UNCHANGED else Style()),
        )
        label.stylize(style)
        prefix = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        return Text.assemble((prefix if node.allow_expand else "  ", base_style), label)


class FileTreeView(Vertical):
    def __init__(self) -> None:
        super().__init__(id="files")
        self.cache = LayerCache()
        self.analysis: Analysis | None = None

    @property
    def acr(self) -> "AcrApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="file-tree-summary")
        yield FileTree()

    @property
    def tree(self) -> FileTree:
        return self.query_one(FileTree)

    def on_mount(self) -> None:
        self.display = False

    def close(self) -> None:
        self.display = False
        self.analysis = None
        self.tree.clear()

    def open(self, inspected: "Inspected", layer: int) -> None:
        self.display = True
        self.loading = True
        self.query_one("#file-tree-summary", Static).update(f"Layer {layer + 1}: reading layers…")
        start(self, self._analyse, inspected, layer, group="layers")

    async def _listing(self, repository: str, digest: str) -> LayerListing:
        client = self.acr.client
        return await self.cache.get_or_fetch(digest, lambda: client.stream_blob(repository, digest))

    async def _analyse(self, inspected: "Inspected", layer: int) -> None:
        try:
            listings = await asyncio.gather(
                *(self._listing(inspected.repository, d.digest) for d in inspected.manifest.layers)
            )
            root, score = await asyncio.to_thread(_merge, listings, layer)
        except BaseException:
            self.close()
            raise
        finally:
            self.loading = False
        self.analysis = Analysis(layer, root, score)
        self.query_one("#file-tree-summary", Static).update(
            f"Layer {layer + 1} of {len(listings)} · efficiency {score.score:.1%} · "
            f"wasted {human_size(score.wasted_bytes)} · + added ~ modified - removed"
        )
        self.tree.show(root)
        self.tree.focus()


def _merge(listings: list[LayerListing], layer: int) -> tuple[TreeNode, Efficiency]:
    return ImageTree(listings).at(layer), efficiency(listings)
