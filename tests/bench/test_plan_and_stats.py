"""The arithmetic behind the figures: nearest-rank percentiles and scaled plans."""

from __future__ import annotations

from acrtui.bench.plan import QUICK_SCALE, BenchPlan
from acrtui.bench.stats import Measurement, ScenarioResult, percentile


def test_percentile_is_nearest_rank():
    samples = [float(v) for v in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) == 0.0


def test_quick_plan_is_a_tenth_with_floors():
    full, quick = BenchPlan(), BenchPlan().scaled(QUICK_SCALE)
    assert (quick.images, quick.manifest_gets, quick.tags, quick.repositories) == (50, 200, 1000, 100)
    assert quick.tag_walks == 2 and quick.catalog_walks == 2  # two walks at least, never one
    assert (quick.blob_size, quick.page_size, quick.concurrency) == (full.blob_size, full.page_size, full.concurrency)
    tiny = BenchPlan().scaled(0.0001)
    assert tiny.monolithic_blobs == 1 and tiny.tags == 1


def test_figures_of_a_result():
    m = Measurement(latencies=[0.010, 0.020, 0.030, 0.040], bytes=8_000_000, seconds=2.0)
    blob = ScenarioResult("blob-pull", "blob pull", "ok", measurement=m, transfers_bytes=True)
    assert blob.ops_per_s == 2.0 and blob.mb_per_s == 4.0
    assert blob.latency_ms(50) == 20.0 and blob.latency_ms(99) == 40.0
    listing = ScenarioResult("catalog-full", "catalog, full", "ok", measurement=m)
    assert listing.mb_per_s is None and listing.to_json()["mb_per_s"] is None
    skipped = ScenarioResult("manifest-delete", "manifest delete", "skipped", reason="no deletes")
    assert skipped.to_json()["ops_per_s"] is None and skipped.to_json()["count"] == 0
