"""Malformed and hostile requests: always a spec-shaped 4xx, never a 500, never partial state."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from acrtui.oci.digest import sha256_digest
from tests.engine.v2 import error_code


@pytest.mark.parametrize(
    "path",
    [
        "/v2/UPPER/tags/list",
        "/v2/a..b/tags/list",
        "/v2/a%2F..%2F..%2Fetc/tags/list",
        "/v2/-lead/tags/list",
        "/v2/trail-/tags/list",
        "/v2/a//b/tags/list",
        "/v2/" + "a" * 256 + "/tags/list",
        "/v2/" + "/".join(["abc"] * 70) + "/tags/list",
        "/v2/a b/manifests/latest",
        "/v2/%00/blobs/uploads/",
    ],
)
def test_invalid_names(v2, path):
    r = v2.http.request("POST" if path.endswith("uploads/") else "GET", path)
    assert r.status_code == 400 and error_code(r) == "NAME_INVALID", r.text


@pytest.mark.parametrize("reference", ["-bad", "a" * 129, "sha256:abc", "sha256:" + "A" * 64, "md5:" + "0" * 32, ".hidden"])
def test_invalid_references(v2, reference):
    r = v2.http.get(f"/v2/app/manifests/{reference}")
    assert r.status_code == 400 and error_code(r) in {"TAG_INVALID", "DIGEST_INVALID"}, r.text
    r = v2.put_manifest("app", reference, b"{}")
    assert r.status_code == 400


@pytest.mark.parametrize("digest", ["sha256:abc", "sha256:" + "g" * 64, "nope", "sha256:" + "0" * 63])
def test_invalid_blob_digests(v2, digest):
    for method in ("GET", "HEAD", "DELETE"):
        r = v2.http.request(method, f"/v2/app/blobs/{digest}")
        assert r.status_code == 400, (method, r.status_code)


def test_unknown_paths_and_methods_are_spec_errors(v2):
    for method, path in [("GET", "/v3/"), ("GET", "/v2/app/unknown/x"), ("PUT", "/v2/"), ("POST", "/v2/app/manifests/latest"), ("PATCH", "/v2/_catalog")]:
        r = v2.http.request(method, path)
        assert r.status_code in (404, 405) and error_code(r) == "UNSUPPORTED", (method, path)
        assert r.headers["content-type"] == "application/json"


def test_unknown_content_is_404(v2):
    digest = sha256_digest(b"absent")
    assert error_code(v2.http.get(f"/v2/app/blobs/{digest}")) == "BLOB_UNKNOWN"
    assert error_code(v2.http.get("/v2/app/manifests/latest")) == "MANIFEST_UNKNOWN"
    assert v2.http.head(f"/v2/app/manifests/{digest}").status_code == 404


def test_huge_headers_and_garbage_requests_do_not_break_the_server(v2, engine_server):
    for size in (10_000, 1_000_000):
        r = v2.http.get("/v2/", headers={"X-Big": "x" * size})
        assert r.status_code in (200, 400, 431)
    parts = urlsplit(engine_server.url)
    for garbage in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET / HTTP/9.9\r\n\r\n", b"NOT HTTP AT ALL\r\n\r\n"):
        with socket.create_connection((parts.hostname, parts.port)) as sock:
            sock.sendall(garbage)
            sock.settimeout(5)
            try:
                sock.recv(1000)
            except (TimeoutError, ConnectionResetError):
                pass
    assert v2.http.get("/v2/").status_code == 200


def test_bad_content_range_and_negative_numbers(v2):
    location = v2.start("app")
    for header in ("-5-10", "0--1", "bytes=-1-3", "99999999999999999999999-1", "0-1/abc"):
        r = v2.http.patch(location, content=b"ab", headers={"Content-Range": header})
        assert r.status_code == 416, header
    assert v2.http.get(location).headers["range"] == "0-0"
    assert v2.http.patch(location, content=b"ab", headers={"Content-Range": "0-1"}).status_code == 202


def test_content_type_that_contradicts_the_body(v2):
    image = v2.image("app", None)
    r = v2.put_manifest("app", "v1", image.body, "application/vnd.docker.distribution.manifest.list.v2+json")
    assert r.status_code == 400 and error_code(r) == "MANIFEST_INVALID"


def test_wrong_json_types_inside_a_manifest(v2):
    v2.image("app", "v1")
    for body in (
        b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [1, 2]}',
        b'{"schemaVersion": 2, "config": {"digest": "sha256:' + b"0" * 64 + b'", "size": "10"}, "layers": []}',
        b'{"schemaVersion": 2, "config": {"digest": "sha256:' + b"0" * 64 + b'", "size": -1}, "layers": []}',
        b'{"schemaVersion": 2, "config": {"digest": "sha256:' + b"0" * 64 + b'", "size": 1}, "layers": {}}',
        b'{"schemaVersion": "2"}',
        b'{"schemaVersion": 2, "subject": "x", "config": {"digest": "sha256:' + b"0" * 64 + b'", "size": 1}}',
    ):
        r = v2.put_manifest("app", "bad", body)
        assert r.status_code == 400 and error_code(r) == "MANIFEST_INVALID", body
    assert v2.http.get("/v2/app/tags/list").json()["tags"] == ["v1"]


def test_an_unexpected_failure_is_logged_and_answered_as_json(v2, engine_server, caplog):
    engine_server.engine.index.close()  # every index query now raises sqlite3.ProgrammingError
    r = v2.http.get("/v2/app/tags/list")
    assert r.status_code == 500 and error_code(r) == "UNKNOWN"
    assert r.headers["docker-distribution-api-version"] == "registry/2.0"
    assert [rec for rec in caplog.records if rec.name == "acrtui.engine" and rec.exc_info]
