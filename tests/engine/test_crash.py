"""kill -9 in the middle of uploads and manifest pushes: the store reopens and serves consistently."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx

from acrtui.oci.digest import sha256_digest
from tests.engine.serve_process import serve_process
from tests.engine.v2 import V2


def _push_images_until_error(url: str, pushed: list[str]) -> None:
    client = V2(url)
    try:
        for i in range(10_000):
            client.image(f"crash/repo{i % 5}", f"t{i}", seed=f"s{i}")
            pushed.append(f"t{i}")
    except (httpx.HTTPError, AssertionError):
        pass
    finally:
        client.close()


def _upload_big_blob_until_error(url: str, location: list[str]) -> None:
    with httpx.Client(base_url=url, timeout=60) as http:
        try:
            r = http.post("/v2/crash/big/blobs/uploads/")
            location.append(r.headers["location"])
            piece = os.urandom(1 << 20)

            def body():
                for _ in range(2048):  # 2 GiB: the kill comes long before the end
                    yield piece

            http.patch(location[0], content=body())
        except httpx.HTTPError:
            pass


def test_kill_9_during_big_upload_and_manifest_pushes(tmp_path):
    data = tmp_path / "data"
    pushed: list[str] = []
    location: list[str] = []
    with serve_process(data) as (process, url):
        V2(url).image("crash/stable", "v1", seed="stable")
        workers = [
            threading.Thread(target=_push_images_until_error, args=(url, pushed)),
            threading.Thread(target=_upload_big_blob_until_error, args=(url, location)),
        ]
        for w in workers:
            w.start()
        deadline = time.monotonic() + 60
        uploads = data / "uploads"
        while time.monotonic() < deadline:
            sizes = [f.stat().st_size for f in uploads.iterdir()] if uploads.exists() else []
            if len(pushed) >= 5 and any(s > 32 << 20 for s in sizes):
                break
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        for w in workers:
            w.join(timeout=60)
    assert len(pushed) >= 5

    with serve_process(data) as (_, url):
        client = V2(url)
        http = client.http
        repositories = http.get("/v2/_catalog").json()["repositories"]
        assert "crash/stable" in repositories
        tags_seen = 0
        for repo in repositories:
            for tag in http.get(f"/v2/{repo}/tags/list").json()["tags"]:
                tags_seen += 1
                manifest = http.get(f"/v2/{repo}/manifests/{tag}")
                assert manifest.status_code == 200
                assert manifest.headers["docker-content-digest"] == sha256_digest(manifest.content)
                body = manifest.json()
                for blob in [body["config"], *body["layers"]]:
                    got = http.get(f"/v2/{repo}/blobs/{blob['digest']}")
                    assert got.status_code == 200 and sha256_digest(got.content) == blob["digest"]
        # Every push the client saw succeed survived (the index commits before the 201).
        assert tags_seen >= len(pushed) + 1
        # The interrupted upload is either resumable where the disk left it, or gone; never corrupt.
        status = http.get(location[0])
        if status.status_code == 204:
            size = int(status.headers["range"].split("-")[1]) + 1
            tail = http.patch(location[0], content=b"end", headers={"Content-Range": f"{size}-{size + 2}"})
            assert tail.status_code == 202
        else:
            assert status.status_code == 404
        # And the registry takes new pushes.
        client.image("crash/after", "v1", seed="after")
        assert http.get("/v2/crash/after/manifests/v1").status_code == 200
        client.close()
