"""Manifests over a real socket: push and pull of every media type, negotiation, validation, deletion."""

from __future__ import annotations

import json

import pytest

from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import sha256_digest
from tests.client.images import dumps
from tests.engine.v2 import error_code


@pytest.mark.parametrize("media_type", [mt.OCI_MANIFEST, mt.DOCKER_MANIFEST])
def test_push_and_pull_by_tag_and_digest(v2, engine_server, media_type):
    image = v2.image("lib/web", "v1", media_type=media_type, arch="arm64")
    for reference in ("v1", image.digest):
        r = v2.http.get(f"/v2/lib/web/manifests/{reference}", headers={"Accept": mt.ACCEPT_ALL_MANIFESTS})
        assert r.status_code == 200 and r.content == image.body
        assert r.headers["content-type"] == media_type and r.headers["docker-content-digest"] == image.digest
        assert r.headers["content-length"] == str(len(image.body))
        head = v2.http.head(f"/v2/lib/web/manifests/{reference}")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(image.body)) and head.headers["docker-content-digest"] == image.digest
    record = engine_server.engine.index.get_manifest("lib/web", image.digest)
    assert (record.os, record.architecture) == ("linux", "arm64")
    assert record.image_size == len(image.config) + sum(len(b) for b in image.layers)
    assert record.config_media_type in (mt.OCI_CONFIG, mt.DOCKER_CONFIG)


def test_put_answers_location_and_digest(v2):
    image = v2.image("app", None)
    body = image.body
    r = v2.put_manifest("app", "again", body)
    assert r.status_code == 201 and r.headers["docker-content-digest"] == image.digest
    assert r.headers["location"] == f"/v2/app/manifests/{image.digest}"
    assert "oci-subject" not in r.headers


def test_index_and_manifest_list(v2, engine_server):
    amd = v2.image("multi", None, seed="amd", arch="amd64")
    arm = v2.image("multi", None, seed="arm", arch="arm64")
    digest = v2.index("multi", "latest", [(amd, "linux", "amd64"), (arm, "linux", "arm64")])
    r = v2.http.get("/v2/multi/manifests/latest", headers={"Accept": mt.OCI_INDEX})
    assert r.headers["docker-content-digest"] == digest and r.headers["content-type"] == mt.OCI_INDEX
    record = engine_server.engine.index.get_manifest("multi", digest)
    assert {c.architecture for c in record.children} == {"amd64", "arm64"} and record.os == ""
    d_amd = v2.image("docker", None, seed="amd", media_type=mt.DOCKER_MANIFEST)
    listing = v2.index("docker", "latest", [(d_amd, "linux", "amd64")], media_type=mt.DOCKER_MANIFEST_LIST)
    r = v2.http.get("/v2/docker/manifests/latest", headers={"Accept": mt.DOCKER_MANIFEST_LIST})
    assert r.headers["docker-content-digest"] == listing


def test_accept_negotiation(v2):
    amd = v2.image("neg", None, seed="amd", media_type=mt.DOCKER_MANIFEST)
    arm = v2.image("neg", None, seed="arm", arch="arm64", media_type=mt.DOCKER_MANIFEST)
    v2.index("neg", "list", [(arm, "linux", "arm64"), (amd, "linux", "amd64")], media_type=mt.DOCKER_MANIFEST_LIST)
    oci = v2.image("neg", "oci")
    # A client that only takes schema 2 images gets the list's linux/amd64 image.
    r = v2.http.get("/v2/neg/manifests/list", headers={"Accept": mt.DOCKER_MANIFEST})
    assert r.status_code == 200 and r.headers["docker-content-digest"] == amd.digest
    # An OCI image for a client that lists only Docker types: unknown, saying why.
    r = v2.http.get("/v2/neg/manifests/oci", headers={"Accept": mt.DOCKER_MANIFEST})
    assert r.status_code == 404 and error_code(r) == "MANIFEST_UNKNOWN" and mt.OCI_MANIFEST in r.text
    # No Accept, */*, or no manifest types: whatever is stored. By digest: never negotiated.
    for accept in (None, "*/*", "application/json"):
        headers = {"Accept": accept} if accept else {}
        assert v2.http.get("/v2/neg/manifests/oci", headers=headers).headers["docker-content-digest"] == oci.digest
    r = v2.http.get(f"/v2/neg/manifests/{oci.digest}", headers={"Accept": mt.DOCKER_MANIFEST})
    assert r.status_code == 200
    r = v2.http.get("/v2/neg/manifests/oci", headers={"Accept": f"{mt.DOCKER_MANIFEST}, {mt.OCI_MANIFEST};q=0.5"})
    assert r.headers["docker-content-digest"] == oci.digest


def test_references_must_exist(v2):
    config = v2.push_blob("app", b"{}")
    missing = sha256_digest(b"missing layer")
    body = dumps({
        "schemaVersion": 2, "mediaType": mt.OCI_MANIFEST,
        "config": {"mediaType": mt.OCI_CONFIG, "digest": config, "size": 2},
        "layers": [{"mediaType": mt.OCI_LAYER_GZIP, "digest": missing, "size": 5}],
    })
    r = v2.put_manifest("app", "v1", body)
    assert r.status_code == 400 and error_code(r) == "MANIFEST_BLOB_UNKNOWN"
    assert r.json()["errors"][0]["detail"]["digest"] == missing
    # A blob pushed to another repository does not count.
    v2.push_blob("elsewhere", b"missing layer")
    assert error_code(v2.put_manifest("app", "v1", body)) == "MANIFEST_BLOB_UNKNOWN"
    index = dumps({"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": [
        {"mediaType": mt.OCI_MANIFEST, "digest": missing, "size": 10}]})
    r = v2.put_manifest("app", "idx", index, mt.OCI_INDEX)
    assert error_code(r) == "MANIFEST_BLOB_UNKNOWN" and r.json()["errors"][0]["detail"]["digest"] == missing
    assert v2.http.get("/v2/app/manifests/v1").status_code == 404


def test_digest_reference_must_match_body(v2):
    image = v2.image("app", None)
    r = v2.put_manifest("app", sha256_digest(b"something else"), image.body)
    assert r.status_code == 400 and error_code(r) == "DIGEST_INVALID"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"schemaVersion": 1}', b'{"schemaVersion": 2, "mediaType": "text/plain"}',
     b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": 5}',
     b'{"schemaVersion": 2, "config": {"digest": "sha256:nope", "size": 1}}',
     b'{"schemaVersion": 2, "manifests": "x"}', b"\xff\xfe"],
)
def test_malformed_manifests_are_manifest_invalid(v2, body):
    r = v2.put_manifest("app", "bad", body)
    assert r.status_code == 400 and error_code(r) == "MANIFEST_INVALID"


def test_manifest_over_4_mib_is_413(v2):
    image = v2.image("app", None)
    big = json.loads(image.body)
    big["annotations"] = {"padding": "x" * (4 << 20)}
    r = v2.put_manifest("app", "big", dumps(big))
    assert r.status_code == 413 and error_code(r) == "MANIFEST_INVALID"
    just_under = json.loads(image.body)
    just_under["annotations"] = {"padding": "x" * ((4 << 20) - len(image.body) - 100)}
    assert v2.put_manifest("app", "fits", dumps(just_under)).status_code == 201


def test_artifact_with_empty_config_and_subject(v2):
    image = v2.image("app", "v1")
    # Not every client pushes the two bytes of the empty config: the registry supplies them.
    digest = v2.artifact("app", image, "application/vnd.example.sbom")
    r = v2.http.get(f"/v2/app/manifests/{digest}")
    assert r.status_code == 200 and r.json()["artifactType"] == "application/vnd.example.sbom"
    assert v2.http.get(f"/v2/app/blobs/{mt.EMPTY_JSON_DIGEST}").content == b"{}"


def test_delete_tag_keeps_manifest_and_delete_by_digest(v2):
    image = v2.image("app", "v1")
    v2.put_manifest("app", "v2", image.body)
    assert v2.http.delete("/v2/app/manifests/v1").status_code == 202
    assert v2.http.get("/v2/app/manifests/v1").status_code == 404
    assert v2.http.get(f"/v2/app/manifests/{image.digest}").status_code == 200
    assert v2.http.get("/v2/app/tags/list").json()["tags"] == ["v2"]
    assert v2.http.delete(f"/v2/app/manifests/{image.digest}").status_code == 202
    assert error_code(v2.http.get(f"/v2/app/manifests/{image.digest}")) == "MANIFEST_UNKNOWN"
    assert v2.http.get("/v2/app/manifests/v2").status_code == 404
    assert error_code(v2.http.delete(f"/v2/app/manifests/{image.digest}")) == "MANIFEST_UNKNOWN"
    assert error_code(v2.http.delete("/v2/app/manifests/nope")) == "MANIFEST_UNKNOWN"
    assert error_code(v2.http.delete("/v2/never/manifests/nope")) == "MANIFEST_UNKNOWN"


def test_deleting_a_child_of_an_index_is_refused_until_the_index_goes(v2):
    child = v2.image("multi", None)
    parent = v2.index("multi", "latest", [(child, "linux", "amd64")])
    r = v2.http.delete(f"/v2/multi/manifests/{child.digest}")
    assert r.status_code == 409 and error_code(r) == "DENIED" and parent in r.text
    assert v2.http.delete(f"/v2/multi/manifests/{parent}").status_code == 202
    assert v2.http.delete(f"/v2/multi/manifests/{child.digest}").status_code == 202


def test_concurrent_pushes_of_one_tag(v2, engine_server):
    import concurrent.futures

    images = [v2.image("race", None, seed=f"s{i}") for i in range(8)]

    def push(i: int) -> int:
        return v2.put_manifest("race", "latest", images[i % 8].body).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert set(pool.map(push, range(64))) == {201}
    tag = engine_server.engine.index.get_tag("race", "latest")
    assert tag.digest in {i.digest for i in images}
    assert v2.http.get("/v2/race/manifests/latest").headers["docker-content-digest"] == tag.digest
