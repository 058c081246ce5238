"""How much work each scenario does: the full-size counts of the benchmark, scaled for --quick."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

MIB = 1024 * 1024


@dataclass(frozen=True)
class BenchPlan:
    monolithic_blobs: int = 50
    chunked_blobs: int = 20
    blob_pulls: int = 100
    blob_size: int = 4 * MIB
    chunk_size: int = 1 * MIB
    images: int = 500
    manifest_gets: int = 2000
    tags: int = 10_000
    tag_walks: int = 20
    first_pages: int = 500
    repositories: int = 1000
    catalog_walks: int = 10
    deletes: int = 500
    # n= of full listings; 0 sends none, as skopeo and docker do, so the registry picks its page size.
    page_size: int = 0
    first_page_size: int = 100
    concurrency: int = 8
    setup_concurrency: int = 16

    def scaled(self, factor: float) -> "BenchPlan":
        """Every count times factor (at least 1; full listings at least 2 so p50 and p99 differ)."""
        counts = {
            f.name: max(2 if f.name.endswith("_walks") else 1, round(getattr(self, f.name) * factor))
            for f in fields(self)
            if f.name not in _NOT_COUNTS
        }
        return replace(self, **counts)


# Sizes and knobs that describe how work is done, not how much of it.
_NOT_COUNTS = frozenset({"blob_size", "chunk_size", "page_size", "first_page_size", "concurrency", "setup_concurrency"})

QUICK_SCALE = 0.1
