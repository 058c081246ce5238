"""`acrtui bench` against a real docker-registry, run as users run it: the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from acrtui.bench.plan import QUICK_SCALE, BenchPlan
from acrtui.bench.scenarios import SCENARIO_NAMES
from tests.client.token_server import make_certificate
from tests.support.distribution import run_distribution
from tests.support.tools import free_port

# --quick shrinks the counts 10x; the tests shrink them 100x so a run takes seconds.
TEST_SCALE = 0.01
BLOB_SCENARIOS = {"blob-push-monolithic", "blob-push-chunked", "blob-pull"}


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "acrtui", "bench", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(params=["distribution", "embedded"])
def registry(request) -> tuple[str, int]:
    """(URL, server pid) of docker-registry and of the embedded engine (serving from this process)."""
    if request.param == "distribution":
        server = request.getfixturevalue("distribution")
        return server.url, server.process.pid
    return request.getfixturevalue("embedded_registry"), os.getpid()


def test_quick_json_reports_every_figure(registry):
    url, pid = registry
    done = bench(url, "--quick", "--json", "--scale", str(TEST_SCALE), "--pid", str(pid))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    plan = BenchPlan().scaled(TEST_SCALE)
    assert report["plan"]["tags"] == plan.tags and QUICK_SCALE > TEST_SCALE
    results = {s["name"]: s for s in report["scenarios"]}
    assert list(results) == list(SCENARIO_NAMES)
    expected_counts = {
        "blob-push-monolithic": plan.monolithic_blobs,
        "blob-push-chunked": plan.chunked_blobs,
        "blob-pull": plan.blob_pulls,
        "image-push": plan.images,
        "manifest-get": plan.manifest_gets,
        "tags-list-full": plan.tag_walks,
        "tags-list-first-page": plan.first_pages,
        "catalog-full": plan.catalog_walks,
        "manifest-delete": plan.deletes,
    }
    for name, result in results.items():
        assert result["status"] == "ok", result["reason"]
        assert result["count"] == expected_counts[name]
        assert result["seconds"] > 0 and result["ops_per_s"] > 0
        assert 0 < result["p50_ms"] <= result["p99_ms"]
        if name in BLOB_SCENARIOS:
            assert result["bytes"] == result["count"] * plan.blob_size
            assert result["mb_per_s"] > 0
        else:
            assert result["mb_per_s"] is None
    assert results["tags-list-full"]["items"] == plan.tags
    assert results["tags-list-first-page"]["items"] >= min(plan.first_page_size, plan.tags)
    assert results["catalog-full"]["items"] >= plan.repositories
    memory = report["memory"]
    # VmHWM is updated lazily by the kernel, so a sample of VmRSS may exceed it: no order between them.
    assert memory["pid"] == pid and memory["peak_rss_bytes"] > 0 and memory["hwm_bytes"] > 0


def test_text_report_names_every_scenario(distribution):
    done = bench(distribution.url, "--scale", str(TEST_SCALE), "--only", "image-push", "--only", "manifest-get")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("small image push") for line in lines)
    assert any(line.startswith("manifest GET") for line in lines)
    assert "p99 ms" in done.stdout


def test_unreachable_registry_is_one_sentence():
    done = bench(f"http://127.0.0.1:{free_port()}", "--quick")
    assert done.returncode == 2
    assert done.stdout == ""
    message = done.stderr.strip()
    assert message.startswith("acrtui bench: cannot connect to 127.0.0.1:") and "\n" not in message
    assert "Traceback" not in done.stderr


def test_not_a_url_is_one_sentence():
    done = bench("http://", "--quick")
    assert done.returncode == 2 and "\n" not in done.stderr.strip() and "Traceback" not in done.stderr


def test_registry_without_deletes_skips_only_deletes(tmp_path):
    with run_distribution(tmp_path, delete=False) as registry:
        done = bench(
            registry.url, "--json", "--scale", str(TEST_SCALE), "--only", "image-push", "--only", "manifest-delete"
        )
    assert done.returncode == 0, done.stderr
    results = {s["name"]: s for s in json.loads(done.stdout)["scenarios"]}
    assert results["image-push"]["status"] == "ok"
    deletes = results["manifest-delete"]
    assert deletes["status"] == "skipped" and deletes["count"] == 0
    assert "refused a manifest DELETE" in deletes["reason"] and "storage.delete.enabled" in deletes["reason"]


def test_registry_refusing_pushes_skips_with_one_sentence(token_registry):
    # The token server grants anonymous users pull only, so every push is refused.
    done = bench(token_registry.registry.url, "--scale", str(TEST_SCALE), "--only", "image-push", "--only", "manifest-get")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stdout.splitlines() if "skipped" in line]
    assert len(lines) == 2
    assert "skipped: the registry refused a push" in lines[0] and "--username/--password" in lines[0]
    assert lines[1].endswith("skipped: same as above")


def test_credentials_open_a_token_registry(token_registry):
    from tests.client.conftest import PASSWORD, USER

    done = bench(
        token_registry.registry.url, "--json", "--scale", str(TEST_SCALE), "--username", USER, "--password", PASSWORD,
        "--only", "image-push", "--only", "catalog-full",
    )
    assert done.returncode == 0, done.stderr
    assert all(s["status"] == "ok" for s in json.loads(done.stdout)["scenarios"])


def test_basic_auth_from_the_environment(basic_registry):
    from tests.client.conftest import PASSWORD, USER

    env = {**os.environ, "ACRTUI_BENCH_USERNAME": USER, "ACRTUI_BENCH_PASSWORD": PASSWORD}
    done = subprocess.run(
        [sys.executable, "-m", "acrtui", "bench", basic_registry.url, "--json", "--scale", str(TEST_SCALE),
         "--only", "manifest-get"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scenarios"][0]["status"] == "ok"


def test_missing_credentials_is_one_sentence(basic_registry):
    done = bench(basic_registry.url, "--quick")
    assert done.returncode == 2 and done.stdout == ""
    message = done.stderr.strip()
    assert "\n" not in message and "requires credentials; pass --username and --password" in message


def test_full_listings_follow_links_page_by_page(embedded_registry):
    done = bench(embedded_registry, "--json", "--scale", str(TEST_SCALE), "--page-size", "7",
                 "--only", "tags-list-full", "--only", "catalog-full")
    assert done.returncode == 0, done.stderr
    results = {s["name"]: s for s in json.loads(done.stdout)["scenarios"]}
    plan = BenchPlan().scaled(TEST_SCALE)
    tags = results["tags-list-full"]
    assert tags["status"] == "ok" and tags["items"] == plan.tags
    assert tags["pages"] == -(-plan.tags // 7)
    catalog = results["catalog-full"]
    assert catalog["status"] == "ok" and catalog["pages"] >= plan.repositories // 7


def test_full_listings_over_tls(tmp_path):
    certificate, key = make_certificate(tmp_path, "registry")
    with run_distribution(tmp_path / "tls", tls=(certificate, key)) as registry:
        done = subprocess.run(
            [sys.executable, "-m", "acrtui", "bench", registry.url, "--json", "--scale", str(TEST_SCALE),
             "--only", "tags-list-full", "--only", "catalog-full"],
            capture_output=True, text=True, timeout=120, env={**os.environ, "SSL_CERT_FILE": str(certificate)},
        )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["scenarios"]
    assert [s["status"] for s in results] == ["ok", "ok"], results
    assert results[0]["items"] == BenchPlan().scaled(TEST_SCALE).tags
