"""Root file systems on disk: applying layers (with whiteouts) and diffing before/after a RUN.

Applying follows the OCI image spec's changeset rules: `.wh.<name>` deletes `<name>` from the
layers below, `.wh..wh..opq` empties its directory of everything the lower layers put there.
Every path is resolved inside the root the way a container would see it (a symlink to `/etc`
means the root's `/etc`, never the host's), so a hostile layer cannot write outside the root.

Diffing compares two snapshots (type, mode, owner, size, mtime, inode, link target): new and
changed objects are emitted with their parent directories, deleted ones as whiteouts (one for a
whole deleted directory), and a directory that was removed and created again (a new inode) as an
opaque directory with its full contents.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from acrtui.build.errors import BuildError
from acrtui.build.layers import LayerEntry
from acrtui.oci.layers import OPAQUE_MARKER, WHITEOUT_PREFIX, Compression, detect_compression

_IS_ROOT = os.geteuid() == 0


def resolve_in_root(root: Path, rel: str, *, follow_last: bool = False) -> Path:
    """The host path of `rel` inside `root`, with symlinks in it resolved inside `root`."""
    parts = [p for p in rel.split("/") if p and p != "."]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, part)
        if (parts or follow_last) and candidate.is_symlink():
            hops += 1
            if hops > 40:
                raise BuildError(f"too many levels of symlinks resolving /{rel} in the image")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        resolved.append(part)
    return root.joinpath(*resolved)


def remove_tree(path: Path) -> None:
    """shutil.rmtree that also removes the read-only directories a RUN may leave behind."""
    def unlock(function, name, _exc):
        parent = os.path.dirname(name)
        os.chmod(parent, 0o700)
        if os.path.isdir(name) and not os.path.islink(name):
            os.chmod(name, 0o700)
        function(name)

    shutil.rmtree(path, onerror=unlock)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def apply_layer(root: Path, blob: Path) -> None:
    """Extract one layer blob (tar, gzip or zstd) onto `root`, honouring whiteouts."""
    written: set[str] = set()
    parents = _Parents(root)
    try:
        with open_layer(blob) as tar:
            for member in tar:
                name = posixpath.normpath(member.name.lstrip("/"))
                if name in (".", "") or name.startswith("../"):
                    continue
                parent, base = posixpath.split(name)
                if base == OPAQUE_MARKER:
                    directory = parents.get(parent)
                    for child in os.listdir(directory):
                        rel = f"{parent}/{child}" if parent else child
                        if rel not in written:
                            parents.forget(rel)
                            _remove(Path(directory, child))
                    continue
                if base.startswith(WHITEOUT_PREFIX):
                    rel = posixpath.join(parent, base[len(WHITEOUT_PREFIX):])
                    parents.forget(rel)
                    _remove(Path(parents.get(parent), base[len(WHITEOUT_PREFIX):]))
                    continue
                written.add(name)
                if not member.isdir():
                    parents.forget(name)
                _extract(tar, member, root, Path(parents.get(parent), base))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BuildError(f"cannot unpack layer {blob.name}: {exc}; the blob is corrupt, pull the base image again") from None


class _Parents:
    """Host directories for layer paths, resolved inside the root once and remembered until
    something at or above them is replaced (a layer may turn a directory into a symlink)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.known: dict[str, str] = {}

    def get(self, rel: str) -> str:
        found = self.known.get(rel)
        if found is None:
            path = resolve_in_root(self.root, rel, follow_last=True)
            path.mkdir(parents=True, exist_ok=True)
            found = self.known[rel] = str(path)
        return found

    def forget(self, rel: str) -> None:
        if not self.known:
            return
        prefix = rel + "/"
        for key in [k for k in self.known if k == rel or k.startswith(prefix)]:
            del self.known[key]


def open_layer(blob: Path) -> tarfile.TarFile:
    with blob.open("rb") as f:
        head = f.read(8)
    if detect_compression(head) is Compression.ZSTD:
        import zstandard

        stream = zstandard.ZstdDecompressor().stream_reader(blob.open("rb"))
        return tarfile.open(fileobj=stream, mode="r|")
    return tarfile.open(blob, mode="r|*")


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, root: Path, path: Path) -> None:
    if os.path.lexists(path) and not (member.isdir() and path.is_dir() and not path.is_symlink()):
        _remove(path)
    if member.isdir():
        path.mkdir(exist_ok=True)
    elif member.isreg():
        source = tar.extractfile(member)
        assert source is not None
        with path.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    elif member.issym():
        os.symlink(member.linkname, path)
    elif member.islnk():
        target = resolve_in_root(root, member.linkname.lstrip("/"))
        try:
            os.link(target, path, follow_symlinks=False)
        except OSError:
            shutil.copy2(target, path, follow_symlinks=False)
    elif member.ischr() or member.isblk() or member.isfifo():
        if member.isfifo():
            os.mkfifo(path)
        elif _IS_ROOT:
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            os.mknod(path, kind | 0o600, os.makedev(member.devmajor, member.devminor))
        else:
            return  # Device nodes need root; the sandbox provides /dev itself.
    else:
        return
    if _IS_ROOT:
        os.lchown(path, member.uid, member.gid)
    if not member.issym():
        os.chmod(path, member.mode & 0o7777)
        os.utime(path, (member.mtime, member.mtime))


@dataclass(frozen=True)
class Node:
    kind: str
    mode: int
    uid: int
    gid: int
    size: int
    mtime_ns: int
    ino: int
    link: str
    rdev: int


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISCHR(mode):
        return "char"
    if stat.S_ISBLK(mode):
        return "block"
    if stat.S_ISFIFO(mode):
        return "fifo"
    return "socket"


def snapshot(root: Path, skip: frozenset[str] = frozenset()) -> dict[str, Node]:
    """Every object under root by relative path; `skip` names mount points (relative paths) whose
    contents belong to no layer."""
    out: dict[str, Node] = {}
    stack = [("", str(root))]
    while stack:
        rel_dir, directory = stack.pop()
        with os.scandir(directory) as it:
            for entry in it:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if rel in skip:
                    continue
                st = entry.stat(follow_symlinks=False)
                kind = _kind(st.st_mode)
                link = os.readlink(entry.path) if kind == "symlink" else ""
                out[rel] = Node(kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_size,
                                st.st_mtime_ns, st.st_ino, link, st.st_rdev)
                if kind == "dir":
                    stack.append((rel, entry.path))
    return out


def _changed(old: Node, new: Node) -> bool:
    if old.kind != new.kind or old.mode != new.mode or old.uid != new.uid or old.gid != new.gid:
        return True
    if new.kind == "dir":
        return False
    return (old.size, old.mtime_ns, old.ino, old.link, old.rdev) != (new.size, new.mtime_ns, new.ino, new.link, new.rdev)


Owner = Callable[[Node], tuple[int, int]]


def diff(root: Path, before: dict[str, Node], after: dict[str, Node], owner: Owner | None = None) -> list[LayerEntry]:
    """The layer that turns `before` into `after` (both snapshots of `root`)."""
    keep: Owner = lambda node: (node.uid, node.gid)  # noqa: E731
    owner = owner or keep
    emit: set[str] = set()
    opaque: set[str] = set()
    for rel, node in after.items():
        old = before.get(rel)
        if old is None or _changed(old, node):
            emit.add(rel)
        elif node.kind == "dir" and old.ino != node.ino:
            opaque.add(rel)
    for directory in opaque:
        emit.add(directory)
        prefix = directory + "/"
        emit.update(p for p in after if p.startswith(prefix))
    whiteouts: list[LayerEntry] = []
    for rel in before:
        if rel in after and before[rel].kind == after[rel].kind:
            continue
        parent, name = posixpath.split(rel)
        if rel in after:
            continue  # replaced by another kind: the new object overwrites it
        if _under_any(parent, opaque) or (parent and parent not in after) or _kind_changed(parent, before, after):
            continue  # a deleted or replaced parent already hides it
        whiteouts.append(LayerEntry.whiteout(parent, name))
    # Parent directories go in too (as containerd's diff does), with the owner they have.
    parents: set[str] = set()
    for rel in emit:
        parent = posixpath.dirname(rel)
        while parent and parent not in emit and parent not in parents:
            parents.add(parent)
            parent = posixpath.dirname(parent)
    entries = [_entry(root, rel, after[rel], owner) for rel in emit]
    entries += [_entry(root, rel, after[rel], keep) for rel in parents]
    entries += whiteouts
    entries += [LayerEntry.opaque(d) for d in opaque]
    return _with_hardlinks(entries, after)


def _under_any(path: str, directories: set[str]) -> bool:
    return any(path == d or path.startswith(d + "/") for d in directories)


def _kind_changed(path: str, before: dict[str, Node], after: dict[str, Node]) -> bool:
    while path:
        if path in before and path in after and before[path].kind != after[path].kind:
            return True
        path = posixpath.dirname(path)
    return False


def _entry(root: Path, rel: str, node: Node, owner: Owner) -> LayerEntry:
    uid, gid = owner(node)
    common = dict(mode=node.mode, uid=uid, gid=gid)
    if node.kind == "file":
        return LayerEntry(rel, "file", source=root / rel, **common)
    if node.kind == "symlink":
        return LayerEntry(rel, "symlink", link=node.link, **common)
    if node.kind in ("char", "block"):
        return LayerEntry(rel, node.kind, devmajor=os.major(node.rdev), devminor=os.minor(node.rdev), **common)
    if node.kind == "fifo":
        return LayerEntry(rel, "fifo", **common)
    return LayerEntry(rel, "dir", **common)


def _with_hardlinks(entries: list[LayerEntry], after: dict[str, Node]) -> list[LayerEntry]:
    """Files sharing an inode inside the layer become one file and hardlinks to it."""
    first: dict[int, str] = {}
    out: list[LayerEntry] = []
    for entry in sorted(entries, key=lambda e: e.name):
        node = after.get(entry.name)
        if entry.kind == "file" and node is not None and entry.source is not None:
            seen = first.get(node.ino)
            if seen is not None:
                out.append(LayerEntry(entry.name, "hardlink", entry.mode, entry.uid, entry.gid, link=seen))
                continue
            first[node.ino] = entry.name
        out.append(entry)
    return out
