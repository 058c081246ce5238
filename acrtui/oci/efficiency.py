"""Wasted bytes and the efficiency score, computed the way dive (wagoodman/dive,
`filetree/efficiency.go` and `image/analysis.go`) computes them, so numbers match.

dive's rule, reproduced here:
- Each layer is a tree of its own tar entries (parent directories implied). Every *leaf*
  of that tree is one sighting of its path: a file or an empty directory counts its tar
  size; a whiteout counts 0 if it deleted a file, or the total size under the directory it
  deleted (as the layers below had it) if that directory had its own tar entry.
- Per path: cumulative = the sum of its sightings, minimum = the smallest one.
- efficiency = Σ minimum / Σ cumulative over all paths (1.0 for an image with no bytes).
- A path seen in two or more layers is inefficient; wasted bytes = Σ of those paths'
  cumulative sizes (dive counts the surviving copy too). Largest first, as dive lists them.
- Opaque-directory markers (`.wh..wh..opq`) are not sightings: dive skips them.
- user size = the layers' sizes without the first (base) layer; wasted user percent =
  wasted / user size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from acrtui.oci.filetree import TreeNode, apply_layer
from acrtui.oci.layers import EntryType, LayerEntry, LayerListing, Whiteout


@dataclass
class Inefficiency:
    path: str
    count: int  # sightings: layers that wrote or deleted the path
    cumulative_size: int
    layers: list[int] = field(default_factory=list)


@dataclass
class Efficiency:
    score: float
    wasted_bytes: int
    size_bytes: int
    user_size_bytes: int
    inefficiencies: list[Inefficiency]

    @property
    def wasted_user_percent(self) -> float:
        """As dive reports it: wasted bytes over the non-base layers' bytes (0 for one layer)."""
        return self.wasted_bytes / self.user_size_bytes if self.user_size_bytes else 0.0


@dataclass
class _Sightings:
    cumulative: int = 0
    minimum: int = -1
    layers: list[int] = field(default_factory=list)

    def add(self, size: int, layer: int) -> None:
        self.cumulative += size
        if self.minimum < 0 or size < self.minimum:
            self.minimum = size
        self.layers.append(layer)


def efficiency(layers: Sequence[LayerListing]) -> Efficiency:
    sightings: dict[str, _Sightings] = {}
    below = TreeNode("", "")
    for index, listing in enumerate(layers):
        for path, entry in layer_leaves(listing.entries):
            if entry is None:
                size = 0
            elif entry.whiteout is Whiteout.DELETE:
                size = _deleted_size(below, path)
            else:
                size = entry.size
            sightings.setdefault(path, _Sightings()).add(size, index)
        apply_layer(below, listing.entries, index)
    minimum = sum(s.minimum for s in sightings.values())
    total = sum(s.cumulative for s in sightings.values())
    found = [
        Inefficiency(path, len(s.layers), s.cumulative, s.layers) for path, s in sightings.items() if len(s.layers) > 1
    ]
    found.sort(key=lambda i: (-i.cumulative_size, i.path))
    sizes = [listing.size for listing in layers]
    return Efficiency(
        score=minimum / total if total else 1.0,
        wasted_bytes=sum(i.cumulative_size for i in found),
        size_bytes=sum(sizes),
        user_size_bytes=sum(sizes[1:]),
        inefficiencies=found,
    )


def layer_leaves(entries: Sequence[LayerEntry]) -> list[tuple[str, LayerEntry | None]]:
    """The leaves of one layer's own tree as (path, entry); the entry is None for a directory
    that exists in the layer only as the parent of an opaque marker.

    A whiteout is its own node (`dir/.wh.name`), distinct from `dir/name`, so it never has
    children; an opaque marker is no node at all but its directory is.
    """
    keyed: dict[str, LayerEntry | None] = {}
    parents: set[str] = set()

    def add_parents(path: str) -> None:
        while path:
            path = path.rpartition("/")[0]
            if path in parents:
                return
            parents.add(path)

    for entry in entries:
        if entry.whiteout is Whiteout.OPAQUE:
            keyed.setdefault(entry.path, None)
            add_parents(entry.path)
        elif entry.whiteout is Whiteout.DELETE:
            parent, _, name = entry.path.rpartition("/")
            key = f"{parent}/.wh.{name}" if parent else f".wh.{name}"
            keyed[key] = entry
            add_parents(key)
        else:
            keyed[entry.path] = entry
            add_parents(entry.path)
    return [
        (entry.path if entry is not None else key, entry) for key, entry in keyed.items() if key and key not in parents
    ]


def _deleted_size(below: TreeNode, path: str) -> int:
    node = below.find(path)
    # dive sizes only a deleted directory that had a tar entry of its own; a deleted file is 0.
    if node is None or node.entry is None or node.entry.type is not EntryType.DIR:
        return 0
    return sum(n.entry.size for n in node.walk() if n.entry is not None)
