"""The sample's generation, without a registry: reproducible, and every artifact well formed."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import tarfile
import gzip
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from acrtui.oci.efficiency import efficiency
from acrtui.oci.layers import Whiteout, list_layer
from acrtui.oci.manifest import parse_manifest
from acrtui.resources import sample_registry_dir
from acrtui.sample.description import DescriptionError, load_description
from acrtui.sample.generate import sample_plans
from acrtui.sample.plan import RepositoryPlan


def _plans(tmp_path: Path, source: Path | None = None) -> dict[str, RepositoryPlan]:
    workdir = tmp_path / f"work{len(list(tmp_path.iterdir()))}"
    workdir.mkdir()
    return {p.name: p for p in sample_plans(load_description(source or sample_registry_dir()), workdir)}


def _tagged(plan: RepositoryPlan, tag: str):
    return next(m for m in plan.manifests if tag in m.tags)


def test_two_generations_give_identical_bytes(tmp_path, monkeypatch):
    first = _plans(tmp_path)
    # Another install: a copy with other modes and times, and a builder default that must not leak in.
    copy = tmp_path / "installed" / "sample-registry"
    shutil.copytree(sample_registry_dir(), copy)
    for path in copy.rglob("*"):
        if path.is_file():
            path.chmod(0o600)
            os.utime(path, (1_000_000_000, 1_000_000_000))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    second = _plans(tmp_path, copy)
    assert list(first) == list(second)
    for name in first:
        assert [m.raw for m in first[name].manifests] == [m.raw for m in second[name].manifests]
        assert first[name].blobs().keys() == second[name].blobs().keys()


# The digests every machine must produce. When sample-registry/ changes on purpose, update them;
# when they change without that, the layer writer, gzip or JSON output stopped being reproducible.
PINNED = {
    ("apps/web", "1.1.0"): "sha256:f293d383ab2b6b380af284e0d2423b55da32101ff520375069585f2f47b45412",
    ("tools/hello", "latest"): "sha256:7afae23dfa82507023079957dbd9bf8ae31766898f9af03830e33b156f0f0a48",
    ("charts/hello-web", "0.2.0"): "sha256:e698082ce9d6425f6a542bb689118371e32e33b04ed8751d8c6fb66d7fdf0c90",
    ("nightly/builds", "nightly-2026-11-26"): "sha256:2d09976433ee80a7ba1dafd185f702cfe752452dc85deeff09cd2ec8ec61a09f",
}


def test_digests_are_the_same_on_every_machine(tmp_path):
    plans = _plans(tmp_path)
    assert {(repo, tag): _tagged(plans[repo], tag).digest for repo, tag in PINNED} == PINNED


def test_sibling_tags_share_one_manifest(tmp_path):
    web = _plans(tmp_path)["apps/web"]
    assert _tagged(web, "latest").tags == ("1.1.0", "1.1", "latest")
    assert len({m.digest for m in web.manifests}) == len(web.manifests) == 3


def test_cleanup_layer_deletes_and_overwrites_what_earlier_layers_wrote(tmp_path):
    web = _plans(tmp_path)["apps/web"]
    image = _tagged(web, "1.1.0")
    manifest = parse_manifest(image.raw)
    blobs = {b.digest: b.data for b in image.blobs}
    listings = [list_layer(io.BytesIO(blobs[d.digest]), d.digest) for d in manifest.layers]
    whiteouts = {(e.path, e.whiteout) for listing in listings for e in listing.entries if e.is_whiteout}
    assert ("tmp/build-cache/minify.log", Whiteout.DELETE) in whiteouts
    assert ("srv/www", Whiteout.OPAQUE) in whiteouts
    report = efficiency(listings)
    wasted = {i.path for i in report.inefficiencies}
    assert {"srv/www/index.html", "srv/www/style.css", "tmp/build-cache/minify.log"} <= wasted
    assert report.wasted_bytes > 14_000 and report.score < 1.0


def test_image_configs_carry_platform_runtime_and_history(tmp_path):
    api = _plans(tmp_path)["apps/api"]
    image = _tagged(api, "2.0.0")
    manifest = parse_manifest(image.raw)
    config = json.loads(next(b.data for b in image.blobs if b.digest == manifest.config.digest))
    assert (config["os"], config["architecture"], config["created"]) == ("linux", "amd64", "2026-10-14T11:20:00Z")
    assert config["config"]["Entrypoint"] == ["/srv/api/server.sh"]
    assert "API_PORT=9000" in config["config"]["Env"]
    assert config["config"]["Labels"]["org.opencontainers.image.version"] == "2.0.0"
    layered = [h for h in config["history"] if not h.get("empty_layer")]
    assert len(layered) == len(manifest.layers) == len(config["rootfs"]["diff_ids"]) == 3
    assert layered[-1]["created_by"] == "COPY api/ /srv/api/"


def test_scripts_are_executable_in_their_layer(tmp_path):
    hello = _plans(tmp_path)["tools/hello"]
    amd64 = next(m for m in hello.manifests if b'"amd64"' in next(b.data for b in m.blobs if b.data.startswith(b"{")))
    layer = next(b.data for b in amd64.blobs if b.data.startswith(b"\x1f\x8b") and b"hello" in gzip.decompress(b.data))
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        member = tar.getmember("usr/local/bin/hello")
    assert member.mode == 0o755 and member.mtime == 0 and member.uname == ""


def test_index_lists_three_platforms(tmp_path):
    hello = _plans(tmp_path)["tools/hello"]
    index = parse_manifest(_tagged(hello, "latest").raw)
    assert index.is_index
    assert sorted(str(d.platform) for d in index.manifests) == ["linux/amd64", "linux/arm64/v8", "windows/amd64"]
    windows = next(d for d in index.manifests if d.platform.os == "windows")
    assert windows.platform.os_version == "10.0.20348.2340"


def test_chart_is_a_helm_artifact(tmp_path):
    chart = _tagged(_plans(tmp_path)["charts/hello-web"], "0.2.0")
    manifest = parse_manifest(chart.raw)
    assert manifest.config.media_type == "application/vnd.cncf.helm.config.v1+json"
    assert [d.media_type for d in manifest.layers] == ["application/vnd.cncf.helm.chart.content.v1.tar+gzip"]
    blobs = {b.digest: b.data for b in chart.blobs}
    assert json.loads(blobs[manifest.config.digest])["version"] == "0.2.0"
    with tarfile.open(fileobj=io.BytesIO(blobs[manifest.layers[0].digest])) as tar:
        names = tar.getnames()
        chart_yaml = tar.extractfile("hello-web/Chart.yaml").read()
    assert sorted(names) == [
        "hello-web/Chart.yaml", "hello-web/templates/deployment.yaml", "hello-web/templates/service.yaml", "hello-web/values.yaml",
    ]
    assert b"name: hello-web" in chart_yaml


def test_signature_is_a_verifiable_notation_envelope(tmp_path):
    api = _plans(tmp_path)["apps/api"]
    subject = _tagged(api, "2.0.0")
    signature = next(m for m in api.manifests if b"notary.signature" in m.raw)
    manifest = parse_manifest(signature.raw)
    assert manifest.artifact_type == "application/vnd.cncf.notary.signature"
    assert manifest.subject.digest == subject.digest and manifest.subject.size == subject.size
    envelope = json.loads(next(b.data for b in signature.blobs if b.digest == manifest.layers[0].digest))
    certificate = x509.load_der_x509_certificate(base64.b64decode(envelope["header"]["x5c"][0]))
    raw = _unb64(envelope["signature"])
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    signed = f"{envelope['protected']}.{envelope['payload']}".encode()
    certificate.public_key().verify(der, signed, ec.ECDSA(hashes.SHA256()))  # raises when it does not verify
    payload = json.loads(_unb64(envelope["payload"]))
    assert payload["targetArtifact"]["digest"] == subject.digest
    assert json.loads(_unb64(envelope["protected"]))["alg"] == "ES256"


def test_sbom_lists_the_files_of_the_final_file_system(tmp_path):
    api = _plans(tmp_path)["apps/api"]
    subject = _tagged(api, "2.0.0")
    sbom = next(m for m in api.manifests if b"spdx+json" in m.raw)
    manifest = parse_manifest(sbom.raw)
    assert manifest.artifact_type == "application/spdx+json" and manifest.subject.digest == subject.digest
    document = json.loads(next(b.data for b in sbom.blobs if b.digest == manifest.layers[0].digest))
    assert document["spdxVersion"] == "SPDX-2.3"
    files = {f["fileName"] for f in document["files"]}
    assert {"/srv/api/server.sh", "/srv/api/routes/orders.sh", "/etc/passwd"} <= files
    assert document["packages"][0]["versionInfo"] == "2.0.0"


def test_nightly_repository_has_untagged_rebuilds_and_spread_ages(tmp_path):
    nightly = _plans(tmp_path)["nightly/builds"]
    tagged = [m for m in nightly.manifests if m.tags]
    untagged = [m for m in nightly.manifests if not m.tags]
    assert len(tagged) == 400 and len(untagged) == 24
    newest = max(m.created for m in tagged)
    ages = sorted((newest - m.created).days for m in tagged)
    assert ages[0] == 0 and ages[-1] >= 420
    assert len({m.created.strftime("%Y-%m") for m in tagged}) >= 14
    assert len({m.digest for m in nightly.manifests}) == 424


def test_a_broken_description_names_the_entry(tmp_path):
    source = tmp_path / "sample"
    shutil.copytree(sample_registry_dir(), source)
    text = (source / "registry.yaml").read_text()
    (source / "registry.yaml").write_text(text.replace("{image: web-1.0.0,", "{image: web-9,", 1))
    with pytest.raises(DescriptionError, match=r"repositories.apps/web\[0\] uses image 'web-9'"):
        load_description(source)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
