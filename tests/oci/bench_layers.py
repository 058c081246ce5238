"""Benchmark: list a 100 MB layer of 20,000 files in one pass, with bounded memory.

Run: python -m pytest tests/oci/bench_layers.py -m benchmark -s   (or python -m tests.oci.bench_layers)
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import time
import tracemalloc
from pathlib import Path

import pytest
import zstandard

from acrtui.oci.efficiency import efficiency
from acrtui.oci.filetree import ImageTree
from acrtui.oci.layers import list_layer

FILES = 20_000
FILE_SIZE = 5_000  # 20,000 × 5,000 B ≈ 100 MB of content


def write_layer(path: Path, how: str) -> None:
    # Half random, half repeated bytes: compresses about 2:1, like real binaries.
    raw_out = open(path, "wb")
    out = gzip.GzipFile(fileobj=raw_out, mode="wb", compresslevel=1, mtime=0) if how == "gzip" else (
        zstandard.ZstdCompressor(level=1).stream_writer(raw_out)
    )
    with out, tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for i in range(FILES):
            info = tarfile.TarInfo(f"usr/lib/pkg{i // 100:03d}/file{i:05d}.so")
            data = os.urandom(FILE_SIZE // 2) + bytes([i % 251]) * (FILE_SIZE - FILE_SIZE // 2)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    raw_out.close()


def measure(path: Path, hash_contents: bool) -> dict[str, float]:
    # CPU time as well as wall time: on a shared machine the wall clock mostly measures the neighbours.
    start, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as blob:
        listing = list_layer(blob, hash_contents=hash_contents)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    assert len(listing.entries) == FILES
    tracemalloc.start()
    with open(path, "rb") as blob:
        list_layer(blob, hash_contents=hash_contents)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "mb_per_s": listing.tar_size / cpu_seconds / 1e6,
        "tar_mb": listing.tar_size / 1e6,
        "blob_mb": path.stat().st_size / 1e6,
        "peak_mb": peak / 1e6,
    }


def run(tmp: Path) -> list[str]:
    lines = []
    for how in ("gzip", "zstd"):
        path = tmp / f"layer.tar.{how}"
        write_layer(path, how)
        for hashing in (True, False):
            m = measure(path, hashing)
            lines.append(
                f"{how:4} hash={'on ' if hashing else 'off'} {FILES} files, tar {m['tar_mb']:.0f} MB, "
                f"blob {m['blob_mb']:.0f} MB: {m['cpu_seconds']:.2f} s CPU, {m['seconds']:.2f} s wall "
                f"({m['mb_per_s']:.0f} MB/s of tar per CPU second), "
                f"peak Python memory {m['peak_mb']:.1f} MB"
            )
    with open(tmp / "layer.tar.gzip", "rb") as blob:
        listing = list_layer(blob)
    cpu = time.process_time()
    image = ImageTree([listing, listing])
    image.at(1)
    result = efficiency(image.layers)
    lines.append(f"tree at layer 1 + efficiency of 2 × {FILES} entries: {time.process_time() - cpu:.2f} s CPU "
                 f"(score {result.score:.2f})")
    return lines


@pytest.mark.benchmark
def test_bench_layers(tmp_path):
    for line in run(tmp_path):
        print(line)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        for line in run(Path(d)):
            print(line)
