"""Blob uploads and pulls over a real socket: every upload flavour, resumption, mounts, ranges, errors."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

from acrtui.engine.server import EmbeddedServer
from acrtui.oci.digest import sha256_digest
from tests.engine.v2 import V2, error_code


def test_base_endpoint(v2):
    r = v2.http.get("/v2/")
    assert r.status_code == 200 and r.json() == {}
    assert r.headers["docker-distribution-api-version"] == "registry/2.0"


def test_monolithic_post_then_head_get_delete(v2):
    data = os.urandom(3000)
    digest = v2.push_blob("lib/app", data)
    head = v2.http.head(f"/v2/lib/app/blobs/{digest}")
    assert head.status_code == 200 and head.headers["content-length"] == "3000"
    assert head.headers["docker-content-digest"] == digest and head.content == b""
    assert v2.http.get(f"/v2/lib/app/blobs/{digest}").content == data
    # Linked only where it was pushed.
    assert error_code(v2.http.get(f"/v2/other/blobs/{digest}")) == "BLOB_UNKNOWN"
    assert v2.http.delete(f"/v2/lib/app/blobs/{digest}").status_code == 202
    assert v2.http.head(f"/v2/lib/app/blobs/{digest}").status_code == 404
    assert error_code(v2.http.delete(f"/v2/lib/app/blobs/{digest}")) == "BLOB_UNKNOWN"


def test_post_then_put_with_body_and_empty_blob(v2):
    data = b"hello world" * 1000
    location = v2.start("app")
    r = v2.http.put(location, params={"digest": sha256_digest(data)}, content=data)
    assert r.status_code == 201 and r.headers["location"] == f"/v2/app/blobs/{sha256_digest(data)}"
    assert v2.http.get(r.headers["location"]).content == data
    empty = v2.start("app")
    assert v2.http.put(empty, params={"digest": sha256_digest(b"")}).status_code == 201
    assert v2.http.get(f"/v2/app/blobs/{sha256_digest(b'')}").content == b""


def test_chunked_upload_in_order_and_out_of_order(v2):
    data = os.urandom(250_000)
    location = v2.start("app")
    r = v2.http.patch(location, content=data[:100_000], headers={"Content-Range": "0-99999"})
    assert r.status_code == 202 and r.headers["range"] == "0-99999"
    # Overlapping, then skipping ahead: both refused with the current range, nothing changes.
    for bad in ("50000-149999", "100001-200000", "garbage", "200-100"):
        r = v2.http.patch(location, content=b"x" * 100_000, headers={"Content-Range": bad})
        assert r.status_code == 416, bad
        assert r.headers["range"] == "0-99999" and r.headers["location"] == location
    # A chunk whose body is shorter than its range is refused whole.
    r = v2.http.patch(location, content=b"short", headers={"Content-Range": "100000-199999"})
    assert r.status_code == 416 and r.headers["range"] == "0-99999"
    r = v2.http.patch(location, content=data[100_000:200_000], headers={"Content-Range": "100000-199999"})
    assert r.status_code == 202 and r.headers["range"] == "0-199999"
    status = v2.http.get(location)
    assert status.status_code == 204 and status.headers["range"] == "0-199999"
    assert status.headers["location"] == location and status.headers["docker-upload-uuid"]
    # The last chunk rides on the PUT.
    r = v2.http.put(location, params={"digest": sha256_digest(data)}, content=data[200_000:], headers={"Content-Range": "200000-249999"})
    assert r.status_code == 201, r.text
    assert v2.http.get(f"/v2/app/blobs/{sha256_digest(data)}").content == data
    assert error_code(v2.http.get(location)) == "BLOB_UPLOAD_UNKNOWN"


def test_streamed_patch_without_content_range(v2):
    data = os.urandom(3 << 20)
    location = v2.start("app")

    def pieces():
        for i in range(0, len(data), 65536):
            yield data[i : i + 65536]

    r = v2.http.patch(location, content=pieces())
    assert r.status_code == 202 and r.headers["range"] == f"0-{len(data) - 1}"
    r = v2.http.patch(location, content=b"tail")
    assert r.headers["range"] == f"0-{len(data) + 3}"
    assert v2.http.put(location, params={"digest": sha256_digest(data + b"tail")}).status_code == 201


def test_digest_mismatch_makes_nothing_visible(v2, engine_server):
    data = b"real bytes"
    wrong = sha256_digest(b"other bytes")
    r = v2.http.post("/v2/app/blobs/uploads/", params={"digest": wrong}, content=data)
    assert r.status_code == 400 and error_code(r) == "DIGEST_INVALID"
    location = v2.start("app")
    r = v2.http.put(location, params={"digest": wrong}, content=data)
    assert error_code(r) == "DIGEST_INVALID"
    assert v2.http.head(f"/v2/app/blobs/{wrong}").status_code == 404
    assert v2.http.head(f"/v2/app/blobs/{sha256_digest(data)}").status_code == 404
    assert list(engine_server.engine.blobs.iter_digests()) == []
    assert error_code(v2.http.put(location, params={"digest": sha256_digest(data)})) == "BLOB_UPLOAD_UNKNOWN"
    assert error_code(v2.http.put(v2.start("app"))) == "DIGEST_INVALID"  # no ?digest= at all
    assert error_code(v2.http.post("/v2/app/blobs/uploads/", params={"digest": "sha256:xyz"}, content=b"")) == "DIGEST_INVALID"


def test_cancel_and_unknown_sessions(v2):
    location = v2.start("app")
    v2.http.patch(location, content=b"abc")
    assert v2.http.delete(location).status_code == 204
    assert error_code(v2.http.get(location)) == "BLOB_UPLOAD_UNKNOWN"
    assert error_code(v2.http.patch(location, content=b"x")) == "BLOB_UPLOAD_UNKNOWN"
    for bogus in ("nope", "..%2F..%2Findex.sqlite3", "00000000-0000-0000-0000-000000000000"):
        assert v2.http.get(f"/v2/app/blobs/uploads/{bogus}").status_code == 404
    # A session belongs to the repository that opened it.
    other = v2.start("app")
    assert error_code(v2.http.get(other.replace("/v2/app/", "/v2/elsewhere/"))) == "BLOB_UPLOAD_UNKNOWN"


def test_upload_resumes_after_a_restart(tmp_path):
    data = os.urandom(200_000)
    with EmbeddedServer(tmp_path / "reg") as server:
        v2 = V2(server.url)
        location = v2.start("app")
        v2.http.patch(location, content=data[:120_000], headers={"Content-Range": "0-119999"})
        v2.close()
    with EmbeddedServer(tmp_path / "reg") as server:
        v2 = V2(server.url)
        assert v2.http.get(location).headers["range"] == "0-119999"
        r = v2.http.patch(location, content=data[120_000:], headers={"Content-Range": "120000-199999"})
        assert r.status_code == 202
        assert v2.http.put(location, params={"digest": sha256_digest(data)}).status_code == 201
        assert v2.http.get(f"/v2/app/blobs/{sha256_digest(data)}").content == data
        v2.close()


def test_cross_repository_and_automatic_mounts(v2):
    data = os.urandom(1000)
    digest = v2.push_blob("source", data)
    r = v2.http.post("/v2/target/blobs/uploads/", params={"mount": digest, "from": "source"})
    assert r.status_code == 201 and r.headers["docker-content-digest"] == digest
    assert v2.http.get(f"/v2/target/blobs/{digest}").content == data
    r = v2.http.post("/v2/auto/blobs/uploads/", params={"mount": digest})
    assert r.status_code == 201
    # Not in `from`, unknown digest, invalid arguments: fall back to an upload session.
    unknown = sha256_digest(b"never pushed")
    for params in ({"mount": digest, "from": "empty"}, {"mount": unknown}, {"mount": "bogus", "from": "source"}, {"mount": digest, "from": "../x"}):
        r = v2.http.post("/v2/third/blobs/uploads/", params=params)
        assert r.status_code == 202, params
        assert r.headers["location"].startswith("/v2/third/blobs/uploads/")


def test_range_pulls(v2):
    data = bytes(range(256)) * 4096  # 1 MiB, big enough to stream in pieces
    digest = v2.push_blob("app", data)
    url = f"/v2/app/blobs/{digest}"
    r = v2.http.get(url, headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == data[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{len(data)}" and r.headers["content-length"] == "10"
    assert v2.http.get(url, headers={"Range": "bytes=1000-"}).content == data[1000:]
    assert v2.http.get(url, headers={"Range": "bytes=-5"}).content == data[-5:]
    assert v2.http.get(url, headers={"Range": f"bytes=0-{len(data) * 2}"}).content == data
    for bad in (f"bytes={len(data)}-", "bytes=5-1", "bytes=-0", "items=1-2", "bytes=-", "bytes=--1"):
        r = v2.http.get(url, headers={"Range": bad})
        assert r.status_code == 416, bad
        assert r.headers["content-range"] == f"bytes */{len(data)}"
    assert v2.http.get(url).content == data


def test_client_killed_mid_upload_leaves_session_at_its_last_chunk(v2, engine_server):
    location = v2.start("app")
    v2.http.patch(location, content=b"a" * 1000, headers={"Content-Range": "0-999"})
    parts = urlsplit(engine_server.url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(
            f"PATCH {location} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\nContent-Range: 1000-5000999\r\n\r\n".encode()
            + b"b" * 2_000_000
        )
    # The broken chunk is rolled back, so the session is where the last good chunk left it.
    for _ in range(100):
        r = v2.http.get(location)
        if r.headers["range"] == "0-999":
            break
    assert r.headers["range"] == "0-999"
    assert v2.http.put(location, params={"digest": sha256_digest(b"a" * 1000)}).status_code == 201


def test_write_locked_repository_refuses_uploads(v2, engine_server):
    v2.push_blob("locked", b"x")
    index = engine_server.engine.index
    index.set_repository_attributes("locked", index.repository_attributes("locked").changed(write_enabled=False))
    r = v2.http.post("/v2/locked/blobs/uploads/")
    assert r.status_code == 403 and error_code(r) == "DENIED" and "writeEnabled" in r.json()["errors"][0]["message"]


def test_concurrent_pushes_of_one_blob(v2, engine_server):
    import concurrent.futures

    data = os.urandom(300_000)
    digest = sha256_digest(data)

    def push(i: int) -> int:
        repo = f"repo{i % 3}"
        if i % 2:
            return v2.http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, content=data).status_code
        location = v2.start(repo)
        v2.http.patch(location, content=data[:100_000], headers={"Content-Range": "0-99999"})
        return v2.http.put(location, params={"digest": digest}, content=data[100_000:]).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert set(pool.map(push, range(24))) == {201}
    for repo in ("repo0", "repo1", "repo2"):
        assert v2.http.get(f"/v2/{repo}/blobs/{digest}").content == data
    assert list(engine_server.engine.blobs.iter_digests()) == [digest]
    assert not any((engine_server.data_dir / "tmp").iterdir())
