"""Real layer tarballs built in memory for the oci tests."""

from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass

import zstandard


@dataclass
class Item:
    name: str
    kind: str = "file"  # file, dir, symlink, hardlink, char, block, fifo
    data: bytes = b""
    link: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: int = 1_700_000_000


_KINDS = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
    "char": tarfile.CHRTYPE,
    "block": tarfile.BLKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


def tar_bytes(items: list[Item], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as archive:
        for item in items:
            info = tarfile.TarInfo(item.name)
            info.type = _KINDS[item.kind]
            info.mode = item.mode
            info.uid, info.gid, info.mtime = item.uid, item.gid, item.mtime
            info.linkname = item.link
            if item.kind in ("char", "block"):
                info.devmajor, info.devminor = 1, 3
            if item.kind == "file":
                info.size = len(item.data)
                archive.addfile(info, io.BytesIO(item.data))
            else:
                archive.addfile(info)
    return out.getvalue()


def compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    assert how == "none"
    return data


def layer(items: list[Item], how: str = "gzip") -> bytes:
    return compress(tar_bytes(items), how)


def file(name: str, size: int, fill: bytes = b"x", **kw) -> Item:
    return Item(name, "file", (fill * size)[:size], **kw)


def whiteout(path: str) -> Item:
    parent, _, base = path.rpartition("/")
    return Item(f"{parent}/.wh.{base}" if parent else f".wh.{base}", "file", b"")


def opaque(directory: str) -> Item:
    return Item(f"{directory}/.wh..wh..opq", "file", b"")
