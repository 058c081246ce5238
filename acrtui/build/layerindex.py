"""What a stack of layers contains, without unpacking it: a per-layer listing read from the tar
headers once and kept in the cache by diff_id. COPY uses it to learn whether a destination is an
existing directory (and its owner and mode) while the root file system stays unmaterialised."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path

from acrtui.oci.layers import EntryType, Whiteout, iter_layer


@dataclass(frozen=True)
class PathInfo:
    kind: str  # "dir", "file", "symlink", "other"
    mode: int
    uid: int
    gid: int


def read_listing(blob: Path) -> dict[str, list]:
    """path → [kind, mode, uid, gid]; deletions as "whiteout", opaque directories as "opaque"
    under the key `dir/` (`/` for the root)."""
    out: dict[str, list] = {}
    with blob.open("rb") as stream:
        for entry in iter_layer(stream, hash_contents=False):
            if entry.whiteout is Whiteout.OPAQUE:
                out[f"{entry.path}/" if entry.path else "/"] = ["opaque", 0, 0, 0]
            elif entry.whiteout is Whiteout.DELETE:
                out[entry.path] = ["whiteout", 0, 0, 0]
            else:
                kind = entry.type.value if entry.type in (EntryType.DIR, EntryType.SYMLINK) else (
                    "file" if entry.type in (EntryType.FILE, EntryType.HARDLINK) else "other")
                out[entry.path] = [kind, entry.mode & 0o7777, entry.uid, entry.gid]
    return out


class LayerIndex:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._memory: dict[str, dict[str, list]] = {}

    def listing(self, diff_id: str, blob: Path) -> dict[str, list]:
        known = self._memory.get(diff_id)
        if known is not None:
            return known
        file = self.directory / f"{diff_id.split(':', 1)[1]}.json"
        try:
            listing = json.loads(file.read_text())
        except (OSError, ValueError):
            listing = read_listing(blob)
            file.write_text(json.dumps(listing))
        self._memory[diff_id] = listing
        return listing

    @staticmethod
    def lookup(listings: list[dict[str, list]], path: str) -> PathInfo | None:
        """The object at `path` in the stack (lowest layer first), or None when absent."""
        path = posixpath.normpath(path.lstrip("/"))
        ancestors = []
        parent = posixpath.dirname(path)
        while parent:
            ancestors.append(parent)
            parent = posixpath.dirname(parent)
        for listing in reversed(listings):
            found = listing.get(path)
            if found is not None:
                return None if found[0] == "whiteout" else PathInfo(found[0], found[1], found[2], found[3])
            if any(listing.get(a, [""])[0] == "whiteout" for a in ancestors):
                return None
            if any(f"{a}/" in listing for a in ancestors) or ("/" in listing):
                return None
        return None
