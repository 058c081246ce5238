"""Layer blobs listed from a stream, without extracting anything to disk.

The API is pull-based and synchronous: `LayerReader(stream)` reads a binary file-like
object (anything with `read(n)`: an open file, a SpooledTemporaryFile, the read end of a
pipe, an HTTP response body) once, front to back, never seeking, holding only entry
metadata — file contents are hashed as they stream past and dropped. That makes it safe
for any layer size. An asyncio caller either runs it in a thread
(`await asyncio.to_thread(list_layer, spooled_file, digest)`) once a download finished,
or hands the download's chunks to `list_layer_chunks()`, which feeds a reader thread
through a bounded queue while the download is still running.

Compression is detected from magic bytes (gzip, zstd, xz, bzip2, else plain tar) and the
media type the registry claims is ignored: registries and tools get it wrong.
"""

from __future__ import annotations

import asyncio
import bz2
import collections
import enum
import gzip
import hashlib
import io
import lzma
import posixpath
import queue
import tarfile
import zlib
from collections.abc import AsyncIterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import zstandard

BLOCK = 512
_READ_SIZE = 64 * 1024
_KEEP_RECENT = 4 * tarfile.RECORDSIZE
_SOURCE_READ = 256 * 1024
OPAQUE_MARKER = ".wh..wh..opq"
WHITEOUT_PREFIX = ".wh."
# AUFS bookkeeping entries (.wh..wh.plnk, .wh..wh.aufs): neither files nor deletions.
_AUFS_META_PREFIX = ".wh..wh."


class LayerError(ValueError):
    """A layer blob is not a readable tar: corrupt, truncated, or not a layer at all."""


class EntryType(str, enum.Enum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHAR = "char"
    BLOCK = "block"
    FIFO = "fifo"


class Whiteout(str, enum.Enum):
    """What an entry means to the layers below it."""

    NONE = "none"
    DELETE = "delete"  # `.wh.<name>`: <name> (file or whole directory) is deleted
    OPAQUE = "opaque"  # `.wh..wh..opq`: the directory's lower contents are hidden


class Compression(str, enum.Enum):
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"
    XZ = "xz"
    BZIP2 = "bzip2"


# The tar type flag of each entry type: writers use it as is, the reader inverts it.
TAR_TYPE: dict[EntryType, bytes] = {
    EntryType.FILE: tarfile.REGTYPE,
    EntryType.DIR: tarfile.DIRTYPE,
    EntryType.SYMLINK: tarfile.SYMTYPE,
    EntryType.HARDLINK: tarfile.LNKTYPE,
    EntryType.CHAR: tarfile.CHRTYPE,
    EntryType.BLOCK: tarfile.BLKTYPE,
    EntryType.FIFO: tarfile.FIFOTYPE,
}
# Anything else (old-style regular files, contiguous files) reads as a regular file.
_TYPES = {flag: kind for kind, flag in TAR_TYPE.items()}

_MAGIC = (
    (b"\x1f\x8b", Compression.GZIP),
    (b"\x28\xb5\x2f\xfd", Compression.ZSTD),
    (b"\xfd7zXZ\x00", Compression.XZ),
    (b"BZh", Compression.BZIP2),
)


@dataclass(frozen=True, slots=True)
class LayerEntry:
    """One tar entry. For a DELETE whiteout `path` is the deleted path; for OPAQUE it is the
    directory whose lower contents are hidden. `content_hash` (regular files only, when
    hashing is on) lets a later layer's rewrite be told apart from a true modification."""

    path: str
    type: EntryType
    size: int
    mode: int
    uid: int
    gid: int
    mtime: int
    link_target: str = ""
    whiteout: Whiteout = Whiteout.NONE
    content_hash: bytes | None = None

    @property
    def is_whiteout(self) -> bool:
        return self.whiteout is not Whiteout.NONE


@dataclass(frozen=True)
class LayerListing:
    digest: str
    entries: tuple[LayerEntry, ...]
    compression: Compression
    diff_id: str  # sha256 of the uncompressed tar, what the config's rootfs.diff_ids hold
    tar_size: int  # uncompressed bytes of the tar stream

    @property
    def size(self) -> int:
        """Bytes of content the layer adds (tar header sizes of non-whiteout entries)."""
        return sum(e.size for e in self.entries if not e.is_whiteout)


def detect_compression(head: bytes) -> Compression:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return Compression.NONE


def normalize_path(name: str) -> str:
    """`./usr/bin/` and `/usr/bin` both become `usr/bin`; the root becomes ``.

    `..` cannot climb above the root (it stays there, as a container runtime resolves it)."""
    path = posixpath.normpath("/" + name.lstrip("/"))
    return path.lstrip("/")


class _Peeked(io.RawIOBase):
    """A non-seekable stream with its first bytes already read, put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        try:
            data = self._rest.read(len(buffer))
        except OSError as e:
            raise _SourceError(e) from e
        buffer[: len(data)] = data
        return len(data)


class _SourceError(Exception):
    """Reading the caller's stream failed; kept apart from decompression errors (also OSError)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _TarFeed:
    """The uncompressed tar as tarfile reads it: hashes it (diff_id), counts it, and keeps the
    last chunks so the reader can check what stopped tarfile (it treats a truncated or
    garbage header after the first as a quiet end of archive).

    It pulls large reads from the decompressor and serves tarfile's small ones from them:
    per-call overhead in the decompressors otherwise dominates."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.offset = 0
        self.hasher = hashlib.sha256()
        self._buffer = b""
        self._at = 0
        self._recent: collections.deque[tuple[int, bytes]] = collections.deque()
        self._recent_bytes = 0

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = _READ_SIZE
        if self._at + n > len(self._buffer):
            more = self._source.read(max(n, _SOURCE_READ))
            self.hasher.update(more)
            self._buffer = self._buffer[self._at :] + more
            self._at = 0
        data = self._buffer[self._at : self._at + n]
        self._at += len(data)
        if data:
            self._recent.append((self.offset, data))
            self._recent_bytes += len(data)
            # tarfile reads at most one record ahead of the header it parses; keep a margin.
            while self._recent_bytes - len(self._recent[0][1]) >= _KEEP_RECENT:
                self._recent_bytes -= len(self._recent.popleft()[1])
            self.offset += len(data)
        return data

    def drain(self) -> None:
        while self.read(_READ_SIZE):
            pass

    def block_at(self, offset: int) -> bytes:
        """The bytes at [offset, offset+BLOCK) among the recent chunks (short at end of data)."""
        out = bytearray()
        for start, data in self._recent:
            lo = max(offset, start)
            hi = min(offset + BLOCK, start + len(data))
            if lo < hi and lo == offset + len(out):
                out += data[lo - start : hi - start]
        return bytes(out)


class LayerReader:
    """Iterate a layer blob's entries in tar order, in one pass.

    After the iteration finished, `compression`, `diff_id` and `tar_size` are set. Any
    failure raises `LayerError` with a sentence a user can act on.
    """

    def __init__(self, stream: BinaryIO, digest: str = "", hash_contents: bool = True) -> None:
        self._stream = stream
        self.digest = digest
        self.hash_contents = hash_contents
        self.compression = Compression.NONE
        self.diff_id = ""
        self.tar_size = 0

    @property
    def _name(self) -> str:
        if not self.digest:
            return "layer"
        algorithm, _, hex_ = self.digest.partition(":")
        return f"layer {algorithm}:{hex_[:12]}…" if hex_ else f"layer {self.digest}"

    def _truncated(self) -> LayerError:
        return LayerError(
            f"{self._name} is truncated: the registry sent fewer bytes than the tar needs; "
            "pull it again or check the registry's storage"
        )

    def _corrupt(self, what: str) -> LayerError:
        return LayerError(f"{self._name} is corrupt: {what}; pull it again or rebuild the image")

    def _decompressed(self) -> BinaryIO:
        head = b""
        while len(head) < 6 and (more := self._stream.read(6 - len(head))):  # pipes return short reads
            head += more
        if not head:
            raise LayerError(f"{self._name} is empty: a layer must be a tar archive; push the layer again")
        self.compression = detect_compression(head)
        raw = io.BufferedReader(_Peeked(head, self._stream), buffer_size=_READ_SIZE)
        if self.compression is Compression.GZIP:
            return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
        if self.compression is Compression.ZSTD:
            return zstandard.ZstdDecompressor().stream_reader(raw, read_size=_READ_SIZE, read_across_frames=True)  # type: ignore[return-value]
        if self.compression is Compression.XZ:
            return lzma.LZMAFile(raw)  # type: ignore[return-value]
        if self.compression is Compression.BZIP2:
            return bz2.BZ2File(raw)  # type: ignore[return-value]
        return raw  # type: ignore[return-value]

    def __iter__(self) -> Iterator[LayerEntry]:
        try:
            yield from self._entries()
        except _SourceError as e:
            raise e.error from None  # the caller's stream failed, not the layer
        except EOFError:
            raise self._truncated() from None
        except (OSError, zlib.error, lzma.LZMAError, zstandard.ZstdError) as e:
            raise self._corrupt(f"its {self.compression.value} data does not decompress ({e})") from None

    def _entries(self) -> Iterator[LayerEntry]:
        feed = _TarFeed(self._decompressed())
        try:
            archive = tarfile.open(fileobj=feed, mode="r|", bufsize=tarfile.RECORDSIZE)  # type: ignore[call-overload]
        except tarfile.ReadError as e:
            # Damaged compression explains a bad tar better than "not a tar": read on to see.
            feed.drain()
            raise self._not_tar(feed, str(e)) from None
        with archive:
            try:
                while (member := archive.next()) is not None:
                    # tarfile remembers every member it read; drop them to keep memory flat.
                    archive.members.clear()
                    entry = self._entry(member, archive)
                    if entry is not None:
                        yield entry
            except tarfile.ReadError as e:
                if "unexpected end of data" in str(e):
                    raise self._truncated() from None
                raise self._corrupt(f"the tar is damaged near byte {archive.offset} ({e})") from None
            end = archive.offset
        self._check_end(feed, end)
        feed.drain()
        self.tar_size = feed.offset
        self.diff_id = f"sha256:{feed.hasher.hexdigest()}"

    def _not_tar(self, feed: _TarFeed, detail: str) -> LayerError:
        if detail == "empty file" or (feed.offset and feed.offset < BLOCK):
            return self._truncated()
        what = "is" if self.compression is Compression.NONE else f"holds {self.compression.value} data that is"
        return LayerError(f"{self._name} {what} not a tar archive; the blob is not an image layer or is damaged")

    def _check_end(self, feed: _TarFeed, end: int) -> None:
        """tarfile stops quietly at a short or invalid header; only a zero block is a real end."""
        block = feed.block_at(end)
        if len(block) < BLOCK:
            # Read on: the block may lie beyond what tarfile has pulled so far.
            while len(block) < BLOCK and feed.read(BLOCK):
                block = feed.block_at(end)
        if len(block) < BLOCK:
            raise self._truncated()
        if block.strip(b"\0"):
            raise self._corrupt(f"the tar header at byte {end} is invalid")

    def _entry(self, member: tarfile.TarInfo, archive: tarfile.TarFile) -> LayerEntry | None:
        path = normalize_path(member.name)
        if not path:
            return None
        parent, base = posixpath.split(path)
        whiteout = Whiteout.NONE
        if base == OPAQUE_MARKER:
            whiteout, path = Whiteout.OPAQUE, parent
        elif base.startswith(_AUFS_META_PREFIX):
            return None
        elif base.startswith(WHITEOUT_PREFIX):
            whiteout, path = Whiteout.DELETE, posixpath.join(parent, base[len(WHITEOUT_PREFIX) :])
        kind = _TYPES.get(member.type, EntryType.FILE)
        link = ""
        if kind is EntryType.SYMLINK:
            link = member.linkname
        elif kind is EntryType.HARDLINK:
            link = normalize_path(member.linkname)
        content_hash = None
        if kind is EntryType.FILE and whiteout is Whiteout.NONE and self.hash_contents:
            content_hash = _hash_member(archive, member)
        return LayerEntry(
            path=path,
            type=kind,
            size=member.size if kind is EntryType.FILE else 0,
            mode=member.mode,
            uid=member.uid,
            gid=member.gid,
            mtime=int(member.mtime),
            link_target=link,
            whiteout=whiteout,
            content_hash=content_hash,
        )


def _hash_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    """Hash a regular file's data straight off the stream, which sits at the data's first byte
    right after its header was read. (extractfile() builds two file objects per member, which
    adds up on layers of many small files.)"""
    hasher = hashlib.blake2b(digest_size=16)
    if member.issparse():
        # Stored data is shorter than `size` and scattered: let tarfile map it.
        sparse = archive.extractfile(member)
        while sparse is not None and (chunk := sparse.read(_READ_SIZE)):
            hasher.update(chunk)
        return hasher.digest()
    stream = archive.fileobj
    remaining = member.size
    while remaining:
        chunk = stream.read(min(remaining, _READ_SIZE))
        if not chunk:
            raise tarfile.ReadError("unexpected end of data")
        hasher.update(chunk)
        remaining -= len(chunk)
    return hasher.digest()


def iter_layer(stream: BinaryIO, digest: str = "", hash_contents: bool = True) -> Iterator[LayerEntry]:
    return iter(LayerReader(stream, digest, hash_contents))


def list_layer(stream: BinaryIO, digest: str = "", hash_contents: bool = True) -> LayerListing:
    """Read a whole layer blob from `stream` into a listing (metadata only)."""
    reader = LayerReader(stream, digest, hash_contents)
    entries = tuple(reader)
    return LayerListing(
        digest=digest or reader.diff_id,
        entries=entries,
        compression=reader.compression,
        diff_id=reader.diff_id,
        tar_size=reader.tar_size,
    )


class _ChunkQueueReader:
    """The consumer end of `list_layer_chunks`: a blocking `read(n)` over queued chunks."""

    def __init__(self, chunks: "queue.Queue[bytes | BaseException | None]") -> None:
        self._chunks = chunks
        self._buffer = b""
        self._eof = False

    def read(self, n: int = -1) -> bytes:
        while not self._eof and (n < 0 or len(self._buffer) < n):
            item = self._chunks.get()
            if item is None:
                self._eof = True
            elif isinstance(item, BaseException):
                raise item
            else:
                self._buffer += item
        if n < 0:
            n = len(self._buffer)
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out


class _Abandoned(Exception):
    """The download stopped before the end; the reader thread gives up quietly."""


async def list_layer_chunks(
    chunks: AsyncIterable[bytes], digest: str = "", hash_contents: bool = True, max_queued: int = 16
) -> LayerListing:
    """List a layer while it downloads: chunks go through a bounded queue to a reader thread,
    so at most `max_queued` chunks are held however large the layer is."""
    pending: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=max_queued)
    worker = asyncio.ensure_future(asyncio.to_thread(_list_from_queue, pending, digest, hash_contents))

    async def put(item: bytes | BaseException | None) -> None:
        # Time-limited waits: a reader that stopped early never takes another chunk.
        while not worker.done():
            try:
                pending.put_nowait(item)
                return
            except queue.Full:
                try:
                    await asyncio.to_thread(pending.put, item, True, 0.2)
                    return
                except queue.Full:
                    continue

    try:
        async for chunk in chunks:
            if worker.done():
                break  # the reader failed early; awaiting it below raises its error
            if chunk:
                await put(chunk)
        await put(None)
    except BaseException:
        await put(_Abandoned())
        await asyncio.wait([worker])
        if not worker.cancelled():
            worker.exception()  # retrieved: the download's own error is the one to report
        raise
    return await worker


def _list_from_queue(
    pending: "queue.Queue[bytes | BaseException | None]", digest: str, hash_contents: bool
) -> LayerListing:
    try:
        return list_layer(_ChunkQueueReader(pending), digest, hash_contents)  # type: ignore[arg-type]
    finally:
        # Unblock a producer waiting on a full queue; it stops at its next chunk.
        while True:
            try:
                pending.get_nowait()
            except queue.Empty:
                break
