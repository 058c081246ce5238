"""Reproducible layer blobs: the same entries give the same bytes on any machine.

Entries are written sorted by path (a parent always before its children), owners are numeric with
empty user/group names, every timestamp is SOURCE_DATE_EPOCH (0 when unset), and gzip runs at a
fixed level with mtime 0 and no file name. The tar's sha256 (the diff_id) and the gzip's sha256
(the blob digest) are computed while writing, in one pass.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from acrtui.oci.layers import OPAQUE_MARKER, TAR_TYPE, WHITEOUT_PREFIX, EntryType

GZIP_LEVEL = 6


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH from the environment (reproducible-builds.org), else 0."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() else 0


@dataclass(frozen=True)
class LayerEntry:
    name: str  # path inside the layer, without a leading "/"
    kind: str  # "file", "dir", "symlink", "hardlink", "char", "block", "fifo"
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    source: Path | None = None  # a file's content on disk …
    data: bytes | None = None  # … or in memory
    link: str = ""  # symlink target, or the layer path a hardlink points to
    devmajor: int = 0
    devminor: int = 0

    @staticmethod
    def whiteout(parent: str, name: str) -> "LayerEntry":
        path = f"{parent}/{WHITEOUT_PREFIX}{name}" if parent else f"{WHITEOUT_PREFIX}{name}"
        return LayerEntry(path, "file", 0, data=b"")

    @staticmethod
    def opaque(directory: str) -> "LayerEntry":
        return LayerEntry(f"{directory}/{OPAQUE_MARKER}", "file", 0, data=b"")


@dataclass(frozen=True)
class LayerBlob:
    digest: str  # sha256 of the compressed blob
    diff_id: str  # sha256 of the uncompressed tar
    size: int  # compressed size
    path: Path


class _Hashing(io.RawIOBase):
    """A write-only stream that hashes and counts what passes through to `target`."""

    def __init__(self, target: BinaryIO | None) -> None:
        self.target = target
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        view = bytes(data)
        self.sha.update(view)
        self.size += len(view)
        if self.target is not None:
            self.target.write(view)
        return len(view)


def write_layer(entries: list[LayerEntry], dest: Path, epoch: int | None = None) -> LayerBlob:
    """Write a gzip layer to `dest`; entries are sorted here, duplicates keep the last one."""
    mtime = source_date_epoch() if epoch is None else epoch
    unique = {e.name.strip("/"): e for e in entries if e.name.strip("/")}
    with dest.open("wb") as out:
        compressed = _Hashing(out)
        with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, compresslevel=GZIP_LEVEL, mtime=0) as gz:
            raw = _Hashing(gz)
            with tarfile.open(fileobj=raw, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[arg-type]
                for name in sorted(unique):
                    _add(tar, unique[name], name, mtime)
    return LayerBlob(
        digest=f"sha256:{compressed.sha.hexdigest()}",
        diff_id=f"sha256:{raw.sha.hexdigest()}",
        size=compressed.size,
        path=dest,
    )


def _add(tar: tarfile.TarFile, entry: LayerEntry, name: str, mtime: int) -> None:
    info = tarfile.TarInfo(name + "/" if entry.kind == "dir" else name)
    info.type = TAR_TYPE[EntryType(entry.kind)]
    info.mode = entry.mode & 0o7777
    info.uid, info.gid = entry.uid, entry.gid
    info.uname = info.gname = ""
    info.mtime = mtime
    if entry.kind in ("symlink", "hardlink"):
        info.linkname = entry.link
    if entry.kind in ("char", "block"):
        info.devmajor, info.devminor = entry.devmajor, entry.devminor
    if entry.kind != "file":
        tar.addfile(info)
        return
    if entry.data is not None:
        info.size = len(entry.data)
        tar.addfile(info, io.BytesIO(entry.data))
        return
    assert entry.source is not None
    with entry.source.open("rb") as f:
        info.size = os.fstat(f.fileno()).st_size
        tar.addfile(info, f)


def compress_tar(stream: BinaryIO, dest: Path) -> LayerBlob:
    """Gzip an uncompressed tar stream as a layer blob (fixed level, mtime 0), hashing both sides."""
    with dest.open("wb") as out:
        compressed = _Hashing(out)
        with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, compresslevel=GZIP_LEVEL, mtime=0) as gz:
            raw = _Hashing(gz)
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                raw.write(chunk)
    return LayerBlob(f"sha256:{compressed.sha.hexdigest()}", f"sha256:{raw.sha.hexdigest()}", compressed.size, dest)
