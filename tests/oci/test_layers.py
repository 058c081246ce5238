from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import os
import tarfile
import tempfile
import threading

import pytest
import zstandard

from acrtui.oci.layers import (
    Compression,
    EntryType,
    LayerError,
    Whiteout,
    detect_compression,
    iter_layer,
    list_layer,
    list_layer_chunks,
    normalize_path,
)
from tests.oci.tarballs import Item, compress, file, layer, opaque, tar_bytes, whiteout

DIGEST = "sha256:abcd" + "0" * 60

ALL_TYPES = [
    Item("./etc", "dir", mode=0o755),
    Item("./etc/hosts", "file", b"127.0.0.1 localhost\n", mode=0o644, uid=1000, gid=1001, mtime=1_600_000_000),
    Item("./etc/hosts.link", "hardlink", link="./etc/hosts"),
    Item("./etc/localtime", "symlink", link="../usr/share/zoneinfo/UTC"),
    Item("./dev", "dir"),
    Item("./dev/null", "char", mode=0o666),
    Item("./dev/sda", "block", mode=0o660),
    Item("./run/initctl", "fifo", mode=0o600),
]


@pytest.mark.parametrize("how", ["none", "gzip", "zstd"])
def test_every_entry_type(how):
    listing = list_layer(io.BytesIO(layer(ALL_TYPES, how)), DIGEST)
    assert listing.compression == Compression(how)
    by_path = {e.path: e for e in listing.entries}
    assert list(by_path) == ["etc", "etc/hosts", "etc/hosts.link", "etc/localtime", "dev", "dev/null", "dev/sda", "run/initctl"]
    assert [e.type for e in listing.entries] == [
        EntryType.DIR,
        EntryType.FILE,
        EntryType.HARDLINK,
        EntryType.SYMLINK,
        EntryType.DIR,
        EntryType.CHAR,
        EntryType.BLOCK,
        EntryType.FIFO,
    ]
    hosts = by_path["etc/hosts"]
    assert (hosts.size, hosts.mode, hosts.uid, hosts.gid, hosts.mtime) == (20, 0o644, 1000, 1001, 1_600_000_000)
    assert hosts.content_hash == hashlib.blake2b(b"127.0.0.1 localhost\n", digest_size=16).digest()
    assert by_path["etc/hosts.link"].link_target == "etc/hosts"
    assert by_path["etc/hosts.link"].size == 0
    assert by_path["etc/localtime"].link_target == "../usr/share/zoneinfo/UTC"
    assert listing.size == 20
    assert listing.diff_id == "sha256:" + hashlib.sha256(tar_bytes(ALL_TYPES)).hexdigest()
    assert listing.digest == DIGEST


def test_compression_detected_by_magic_not_name():
    assert detect_compression(b"\x1f\x8b\x08\x00") is Compression.GZIP
    assert detect_compression(b"\x28\xb5\x2f\xfd\x00") is Compression.ZSTD
    assert detect_compression(b"\xfd7zXZ\x00") is Compression.XZ
    assert detect_compression(b"BZh91AY") is Compression.BZIP2
    assert detect_compression(b"etc/\x00\x00") is Compression.NONE


def test_xz_and_bzip2_layers():
    import bz2
    import lzma

    raw = tar_bytes([file("a", 10)])
    for blob, kind in ((lzma.compress(raw), Compression.XZ), (bz2.compress(raw), Compression.BZIP2)):
        listing = list_layer(io.BytesIO(blob))
        assert listing.compression is kind and [e.path for e in listing.entries] == ["a"]


def test_multi_frame_zstd_and_multi_member_gzip():
    raw = tar_bytes([file("a", 3000), file("b", 5000)])
    half = len(raw) // 2
    z = zstandard.ZstdCompressor()
    assert [e.path for e in list_layer(io.BytesIO(z.compress(raw[:half]) + z.compress(raw[half:]))).entries] == ["a", "b"]
    g = gzip.compress(raw[:half]) + gzip.compress(raw[half:])
    assert [e.path for e in list_layer(io.BytesIO(g)).entries] == ["a", "b"]


def test_whiteouts_and_opaque_dirs():
    blob = layer(
        [
            Item("var/cache", "dir"),
            opaque("var/cache"),
            whiteout("etc/motd"),
            whiteout("old"),
            Item("var/cache/.wh..wh.plnk", "file"),
            file("var/cache/new", 4),
        ]
    )
    entries = list(iter_layer(io.BytesIO(blob)))
    assert [(e.path, e.whiteout) for e in entries] == [
        ("var/cache", Whiteout.NONE),
        ("var/cache", Whiteout.OPAQUE),
        ("etc/motd", Whiteout.DELETE),
        ("old", Whiteout.DELETE),
        ("var/cache/new", Whiteout.NONE),
    ]
    assert all(e.content_hash is None for e in entries if e.is_whiteout)


def test_paths_are_normalized():
    assert normalize_path("./usr/bin/") == "usr/bin"
    assert normalize_path("/usr//lib/./x") == "usr/lib/x"
    assert normalize_path("./") == ""
    listing = list_layer(io.BytesIO(layer([Item("./", "dir"), Item("/abs", "dir"), file("./a/b/../c", 1)])))
    assert [e.path for e in listing.entries] == ["abs", "a/c"]


def test_entry_climbing_above_root_stays_inside():
    assert [e.path for e in list_layer(io.BytesIO(layer([file("../../etc/passwd", 3)]))).entries] == ["etc/passwd"]


def test_long_names_and_gnu_format():
    long_name = "deep/" * 40 + "file.txt"
    blob = compress(tar_bytes([file(long_name, 5), Item("l", "symlink", link="t" * 200)], fmt=tarfile.GNU_FORMAT), "gzip")
    entries = list_layer(io.BytesIO(blob)).entries
    assert entries[0].path == long_name and entries[1].link_target == "t" * 200


def test_hashing_can_be_turned_off():
    entries = list_layer(io.BytesIO(layer([file("a", 10)])), hash_contents=False).entries
    assert entries[0].content_hash is None and entries[0].size == 10


def test_reads_from_a_pipe():
    blob = layer([file(f"f{i}", 1000) for i in range(200)], "zstd")
    read_end, write_end = os.pipe()

    def writer():
        with os.fdopen(write_end, "wb") as w:
            for i in range(0, len(blob), 777):
                w.write(blob[i : i + 777])

    thread = threading.Thread(target=writer)
    thread.start()
    with os.fdopen(read_end, "rb", buffering=0) as r:
        listing = list_layer(r)
    thread.join()
    assert len(listing.entries) == 200


def test_reads_from_a_spooled_temporary_file():
    with tempfile.SpooledTemporaryFile(max_size=1024) as spool:
        spool.write(layer([file("a", 5000)]))
        spool.seek(0)
        assert list_layer(spool).entries[0].size == 5000


async def test_list_layer_chunks_while_downloading():
    blob = layer([file(f"dir/f{i}", 3000, bytes([i % 250 + 1])) for i in range(100)])

    async def download():
        for i in range(0, len(blob), 1000):
            await asyncio.sleep(0)
            yield blob[i : i + 1000]

    listing = await list_layer_chunks(download(), DIGEST, max_queued=2)
    assert len(listing.entries) == 100 and listing.digest == DIGEST


async def test_list_layer_chunks_reports_a_bad_layer_and_stops_reading():
    sent = 0

    async def download():
        nonlocal sent
        for _ in range(10_000):
            sent += 1
            yield b"\x1f\x8b" + b"junk" * 100

    with pytest.raises(LayerError, match="gzip"):
        await list_layer_chunks(download(), DIGEST, max_queued=2)
    assert sent < 10_000


async def test_list_layer_chunks_passes_the_download_error_on():
    blob = layer([Item("a", "file", os.urandom(100_000))])

    async def download():
        yield blob[:1000]
        raise ConnectionError("reset by peer")

    with pytest.raises(ConnectionError):
        await list_layer_chunks(download())


# --- broken layers ---------------------------------------------------------------------

BIG = [Item(f"f{i}", "file", os.urandom(4000)) for i in range(8)]


@pytest.mark.parametrize("how", ["none", "gzip", "zstd"])
@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_layers(how, cut):
    blob = layer(BIG, how)
    with pytest.raises(LayerError) as info:
        list_layer(io.BytesIO(blob[: int(len(blob) * cut)]), DIGEST)
    message = str(info.value)
    assert message.startswith("layer sha256:abcd00000000… is truncated")
    assert "\n" not in message


def test_tar_cut_at_a_header_boundary_is_truncated():
    raw = tar_bytes(BIG)
    # Each entry is a pax-free header plus 4000 bytes padded to 4096: cut after three entries.
    with pytest.raises(LayerError, match="truncated"):
        list_layer(io.BytesIO(raw[: 3 * (512 + 4096)]))


def test_garbage_header_mid_tar_is_corrupt():
    raw = bytearray(tar_bytes(BIG))
    raw[3 * (512 + 4096) : 3 * (512 + 4096) + 100] = b"Z" * 100
    with pytest.raises(LayerError, match=r"is corrupt: the tar header at byte 13824 is invalid"):
        list_layer(io.BytesIO(bytes(raw)), DIGEST)


@pytest.mark.parametrize(
    "blob, words",
    [
        (b"", "is empty"),
        (b"hello world, this is not a tar" * 40, "layer sha256:abcd00000000… is not a tar archive"),
        (gzip.compress(b"plain text, not tar" * 100), "holds gzip data that is not a tar archive"),
        (b"\x1f\x8b\x08\x00" + b"garbage" * 100, "gzip data does not decompress"),
        (b"\x28\xb5\x2f\xfd" + b"garbage" * 100, "zstd data does not decompress"),
        (b"\xfd7zXZ\x00" + b"garbage" * 100, "xz data does not decompress"),
    ],
)
def test_junk_layers(blob, words):
    with pytest.raises(LayerError) as info:
        list_layer(io.BytesIO(blob), DIGEST)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_a_failing_source_stream_is_not_blamed_on_the_layer():
    class Broken(io.RawIOBase):
        calls = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.calls += 1
            if self.calls > 1:
                raise ConnectionResetError("connection reset by peer")
            data = layer(BIG)[: len(buffer)]
            buffer[: len(data)] = data
            return len(data)

    with pytest.raises(ConnectionResetError):
        list_layer(Broken(), DIGEST)


def test_gzip_crc_damage_is_corrupt():
    blob = bytearray(layer(BIG))
    blob[-6] ^= 0xFF  # inside the CRC32 trailer
    with pytest.raises(LayerError, match="gzip data does not decompress"):
        list_layer(io.BytesIO(bytes(blob)))


def test_empty_tar_is_a_valid_empty_layer():
    listing = list_layer(io.BytesIO(gzip.compress(b"\0" * 1024)))
    assert listing.entries == () and listing.size == 0
