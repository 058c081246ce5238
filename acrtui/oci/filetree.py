"""An image's merged file tree across its layers, as dive shows it.

`ImageTree(listings).at(n)` is the file system after layers 0..n are applied, with every
path marked for what layer n did to it: added, modified, removed (a whiteout, or an opaque
directory hiding what lower layers put in it), or unchanged. Removed paths stay in the
tree at layer n, marked, so a viewer can show what the layer deleted; they are gone from
layer n+1 on. Directory sizes are the sum of what they contain.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from acrtui.oci.layers import EntryType, LayerEntry, LayerListing, Whiteout


class Change(str, enum.Enum):
    ADDED = "added"
    MODIFIED = "modified"
    REMOVED = "removed"
    UNCHANGED = "unchanged"


@dataclass(eq=False, slots=True)
class TreeNode:
    """A path in the merged tree. `entry` is None for a directory only implied by its children
    (tars often omit parent directories) and for the root."""

    name: str
    path: str
    entry: LayerEntry | None = None
    layer: int = -1  # the layer that last wrote this path
    change: Change = Change.UNCHANGED
    size: int = 0  # a file's size; a directory's total (removed children left out unless it is removed itself)
    children: dict[str, "TreeNode"] = field(default_factory=dict)

    @property
    def is_dir(self) -> bool:
        return self.entry is None or self.entry.type is EntryType.DIR

    @property
    def removed(self) -> bool:
        return self.change is Change.REMOVED

    def sorted_children(self) -> list["TreeNode"]:
        return [self.children[name] for name in sorted(self.children)]

    def walk(self) -> Iterator["TreeNode"]:
        """This node and its descendants, depth first, children in name order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.sorted_children()))

    def find(self, path: str) -> "TreeNode | None":
        node: TreeNode | None = self
        for part in path.split("/") if path else ():
            node = node.children.get(part) if node is not None else None
        return node

    def count(self) -> int:
        """Entries below this node (itself excluded), removed ones included."""
        return sum(1 for _ in self.walk()) - 1


def same_content(old: LayerEntry | None, new: LayerEntry) -> bool:
    """Whether a later layer rewrote a path without changing it (dive's comparison: type,
    content, mode, owner and link target; the modification time is ignored because every
    build touches it)."""
    if old is None:
        return new.type is EntryType.DIR
    if old.type is not new.type or old.mode != new.mode or (old.uid, old.gid) != (new.uid, new.gid):
        return False
    if old.link_target != new.link_target or old.size != new.size:
        return False
    return old.content_hash == new.content_hash


class ImageTree:
    """The layers of one image, bottom first; trees are built on demand."""

    def __init__(self, layers: Sequence[LayerListing]) -> None:
        self.layers = list(layers)

    def at(self, index: int) -> TreeNode:
        """The tree after layers 0..index, marked with what layer `index` changed."""
        if not 0 <= index < len(self.layers):
            raise IndexError(f"layer {index} does not exist; the image has {len(self.layers)} layers")
        root = TreeNode("", "")
        for i in range(index):
            apply_layer(root, self.layers[i].entries, i)
        apply_layer(root, self.layers[index].entries, index, mark=True)
        finish_tree(root)
        return root

    def top(self) -> TreeNode:
        """The image's final file system, removals already gone."""
        root = TreeNode("", "")
        for i, listing in enumerate(self.layers):
            apply_layer(root, listing.entries, i)
        finish_tree(root)
        return root

    def changes(self, index: int) -> dict[str, Change]:
        """Every path layer `index` touched (itself or below it), with its mark."""
        return {n.path: n.change for n in self.at(index).walk() if n.path and n.change is not Change.UNCHANGED}


def apply_layer(root: TreeNode, entries: Sequence[LayerEntry], index: int, mark: bool = False) -> None:
    """Apply one layer to the tree in place.

    Whiteouts apply to the layers below only, so all of them go first, then the layer's
    own entries in tar order. With `mark`, removed paths are kept and marked instead of
    dropped, and every touched path gets its Change.
    """
    for entry in entries:
        if entry.whiteout is Whiteout.NONE:
            continue
        target = root.find(entry.path)
        if target is None or target is root and entry.whiteout is Whiteout.DELETE:
            continue
        if entry.whiteout is Whiteout.DELETE:
            parent = root.find(_parent(entry.path))
            if parent is not None:
                _remove(parent, target.name, mark)
        else:
            for name in list(target.children):
                _remove(target, name, mark)
    for entry in entries:
        if entry.whiteout is Whiteout.NONE:
            _add(root, entry, index, mark)


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _remove(parent: TreeNode, name: str, mark: bool) -> None:
    if not mark:
        del parent.children[name]
        return
    for node in parent.children[name].walk():
        node.change = Change.REMOVED


def _add(root: TreeNode, entry: LayerEntry, index: int, mark: bool) -> None:
    node = root
    parts = entry.path.split("/")
    for depth, part in enumerate(parts[:-1]):
        child = node.children.get(part)
        if child is None:
            child = TreeNode(part, "/".join(parts[: depth + 1]), layer=index)
            child.change = Change.ADDED if mark else Change.UNCHANGED
            node.children[part] = child
        elif child.removed:
            # A removed directory that this layer writes into exists again.
            child.change = Change.MODIFIED
        node = child
    name = parts[-1]
    existing = node.children.get(name)
    if existing is None:
        node.children[name] = TreeNode(
            name, entry.path, entry, index, Change.ADDED if mark else Change.UNCHANGED
        )
        return
    if mark:
        existing.change = Change.UNCHANGED if same_content(existing.entry, entry) else Change.MODIFIED
    if entry.type is not EntryType.DIR and existing.children:
        # A file replaces a directory: whatever it held is gone.
        for child in list(existing.children):
            _remove(existing, child, mark)
    existing.entry = entry
    existing.layer = index


def finish_tree(root: TreeNode) -> None:
    """Set directory sizes and mark directories holding changes as modified (as dive does),
    children before parents."""
    order = list(root.walk())
    for node in reversed(order):
        if node.entry is not None and node.entry.type is not EntryType.DIR:
            node.size = node.entry.size
            continue
        node.size = sum(c.size for c in node.children.values() if node.removed or not c.removed)
        if node.change is Change.UNCHANGED and any(c.change is not Change.UNCHANGED for c in node.children.values()):
            node.change = Change.MODIFIED
