"""What a stack of layers contains, without unpacking it: a per-layer listing read from the tar
headers once and kept in the cache by diff_id. COPY uses it to learn whether a destination is an
existing directory (and its owner and mode) while the root file system stays unmaterialised."""

from __future__ import annotations

import json
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path

from acrtui.build.layers import OPAQUE_MARKER, WHITEOUT_PREFIX
from acrtui.build.rootfs import open_layer


@dataclass(frozen=True)
class PathInfo:
    kind: str  # "dir", "file", "symlink", "other"
    mode: int
    uid: int
    gid: int


def _kind(member: tarfile.TarInfo) -> str:
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    if member.isreg() or member.islnk():
        return "file"
    return "other"


def read_listing(blob: Path) -> dict[str, list]:
    """path → [kind, mode, uid, gid]; whiteouts as "whiteout", opaque dirs as "opaque"."""
    out: dict[str, list] = {}
    with open_layer(blob) as tar:
        for member in tar:
            name = posixpath.normpath(member.name.lstrip("/"))
            parent, base = posixpath.split(name)
            if base == OPAQUE_MARKER:
                out[f"{parent}/" if parent else "/"] = ["opaque", 0, 0, 0]
            elif base.startswith(WHITEOUT_PREFIX):
                out[posixpath.join(parent, base[len(WHITEOUT_PREFIX):])] = ["whiteout", 0, 0, 0]
            else:
                out[name] = [_kind(member), member.mode & 0o7777, member.uid, member.gid]
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
