"""Real clients against the engine: skopeo copy/inspect/list-tags/delete and buildah push/pull."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.engine.oci_layout import Layout
from tests.support.tools import require_tool


@pytest.fixture
def policy(tmp_path) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    return path


def _run(*argv: str | Path) -> str:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{argv[0]} failed: {done.stderr}"
    return done.stdout


def test_skopeo_copies_images_and_indexes_in_and_out(engine_server, tmp_path, policy):
    skopeo = require_tool("skopeo", "skopeo")
    host = engine_server.url.removeprefix("http://")
    source = Layout(tmp_path / "source")
    image = source.image("single", layers=3, ref="v1")
    amd = source.image("amd", arch="amd64")
    arm = source.image("arm", arch="arm64")
    multi = source.index([amd, arm], ref="multi")

    base = [skopeo, "--policy", policy]
    _run(*base, "copy", "--dest-tls-verify=false", f"oci:{source.root}:v1", f"docker://{host}/lib/single:v1")
    _run(*base, "copy", "--all", "--dest-tls-verify=false", f"oci:{source.root}:multi", f"docker://{host}/lib/multi:latest")

    inspected = json.loads(_run(*base, "inspect", "--tls-verify=false", f"docker://{host}/lib/single:v1"))
    assert inspected["Digest"] == image["digest"] and len(inspected["Layers"]) == 3
    assert inspected["Architecture"] == "amd64" and inspected["Os"] == "linux"
    raw = _run(*base, "inspect", "--raw", "--tls-verify=false", f"docker://{host}/lib/multi:latest")
    assert {m["digest"] for m in json.loads(raw)["manifests"]} == {amd["digest"], arm["digest"]}
    arm_inspect = json.loads(
        _run(*base, "--override-arch", "arm64", "inspect", "--tls-verify=false", f"docker://{host}/lib/multi:latest")
    )
    assert arm_inspect["Digest"] == multi["digest"] and arm_inspect["Architecture"] == "arm64"

    out = tmp_path / "out"
    _run(*base, "copy", "--src-tls-verify=false", f"docker://{host}/lib/single:v1", f"oci:{out}:v1")
    _run(*base, "copy", "--all", "--src-tls-verify=false", f"docker://{host}/lib/multi:latest", f"oci:{out}:multi")
    refs = {m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"] for m in json.loads((out / "index.json").read_text())["manifests"]}
    assert refs == {"v1": image["digest"], "multi": multi["digest"]}
    for digest in (image["digest"], amd["digest"], arm["digest"]):
        assert (out / "blobs" / "sha256" / digest.split(":")[1]).read_bytes() == (source.root / "blobs" / "sha256" / digest.split(":")[1]).read_bytes()

    _run(*base, "copy", "--dest-tls-verify=false", f"oci:{source.root}:v1", f"docker://{host}/lib/single:v2")
    tags = json.loads(_run(*base, "list-tags", "--tls-verify=false", f"docker://{host}/lib/single"))
    assert tags == {"Repository": f"{host}/lib/single", "Tags": ["v1", "v2"]}
    _run(*base, "delete", "--tls-verify=false", f"docker://{host}/lib/single:v1")
    tags = json.loads(_run(*base, "list-tags", "--tls-verify=false", f"docker://{host}/lib/single"))
    assert tags["Tags"] == []  # skopeo deletes the manifest, and with it every tag


def test_buildah_push_and_pull(engine_server, tmp_path, policy):
    buildah = require_tool("buildah", "buildah")
    skopeo = require_tool("skopeo", "skopeo")
    host = engine_server.url.removeprefix("http://")
    source = Layout(tmp_path / "source")
    source.image("buildah", layers=2, ref="v1")
    _run(skopeo, "--policy", policy, "copy", "--dest-tls-verify=false", f"oci:{source.root}:v1", f"docker://{host}/base:v1")

    storage = [
        buildah, "--storage-driver", "vfs", "--root", tmp_path / "root", "--runroot", tmp_path / "runroot",
        "--registries-conf", _registries_conf(tmp_path),
    ]
    _run(*storage, "pull", "--signature-policy", policy, "--tls-verify=false", f"docker://{host}/base:v1")
    _run(*storage, "tag", f"{host}/base:v1", f"{host}/pushed/by-buildah:v2")
    _run(*storage, "push", "--signature-policy", policy, "--tls-verify=false", f"{host}/pushed/by-buildah:v2")
    pushed = json.loads(_run(skopeo, "--policy", policy, "inspect", "--tls-verify=false", f"docker://{host}/pushed/by-buildah:v2"))
    assert len(pushed["Layers"]) == 2 and pushed["Architecture"] == "amd64"
    # buildah recompresses or converts layers as it likes; the content must survive a round trip all the same.
    _run(*storage, "rmi", "--all", "--force")
    _run(*storage, "pull", "--signature-policy", policy, "--tls-verify=false", f"docker://{host}/pushed/by-buildah:v2")
    images = _run(*storage, "images", "--format", "{{.Name}}:{{.Tag}}")
    assert f"{host}/pushed/by-buildah:v2" in images


def _registries_conf(tmp_path: Path) -> Path:
    path = tmp_path / "registries.conf"
    path.write_text('unqualified-search-registries = []\n')
    return path
