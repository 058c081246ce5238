"""What COPY and ADD put in a layer: context entries as layer entries, and local archives that
ADD unpacks."""

from __future__ import annotations

import posixpath
import tarfile
from pathlib import Path

from acrtui.build.context import Entry
from acrtui.build.errors import BuildError
from acrtui.build.layers import LayerEntry


def context_entry(name: str, entry: Entry, uid: int, gid: int, chmod: int | None) -> LayerEntry:
    mode = chmod if chmod is not None and entry.kind != "symlink" else entry.mode
    if entry.kind == "dir":
        return LayerEntry(name, "dir", mode, uid, gid)
    if entry.kind == "symlink":
        return LayerEntry(name, "symlink", 0o777, uid, gid, link=entry.link)
    if entry.kind == "file":
        return LayerEntry(name, "file", mode, uid, gid, source=entry.path)
    raise BuildError(f"{entry.rel} is a special file (device, socket or fifo) and cannot be copied into an image")


def is_archive(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(512)
    if head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00":
        return True
    return len(head) >= 262 and head[257:262] == b"ustar"


def archive_entries(path: Path, dest: str, chown: bool, uid: int, gid: int) -> list[LayerEntry]:
    """ADD of a local archive: its members, unpacked under dest (owners kept unless --chown)."""
    entries: list[LayerEntry] = []
    try:
        with tarfile.open(path, mode="r:*") as tar:
            for member in tar:
                name = posixpath.normpath(member.name.lstrip("/"))
                if name == "." or name.startswith("../"):
                    continue
                target = posixpath.join(dest, name)
                owner = (uid, gid) if chown else (member.uid, member.gid)
                mode = member.mode & 0o7777
                if member.isdir():
                    entries.append(LayerEntry(target, "dir", mode, *owner))
                elif member.issym():
                    entries.append(LayerEntry(target, "symlink", 0o777, *owner, link=member.linkname))
                elif member.islnk():
                    entries.append(LayerEntry(target, "hardlink", mode, *owner, link=posixpath.join(dest, member.linkname.lstrip("/"))))
                elif member.isreg():
                    data = tar.extractfile(member)
                    assert data is not None
                    entries.append(LayerEntry(target, "file", mode, *owner, data=data.read()))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BuildError(f"ADD {path.name}: the archive cannot be unpacked ({exc}); check the file") from None
    return entries
