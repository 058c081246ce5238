"""`/acr/v1/{name}/_manifests[/{digest}]` over a real socket."""

from __future__ import annotations

from urllib.parse import quote

from acrtui.oci import mediatypes as mt


def _errors(response) -> list[dict]:
    return response.json()["errors"]


def _digests(response) -> list[str]:
    return [m["digest"] for m in response.json()["manifests"]]


def test_manifest_shapes_for_image_and_index(acr):
    amd_image = acr.push("app", "amd", seed="amd", arch="amd64")
    arm_image = acr.push("app", None, seed="arm", arch="arm64")
    amd, arm = amd_image.digest, arm_image.digest
    index = acr.v2.index("app", "v1", [(amd_image, "linux", "amd64"), (arm_image, "linux", "arm64")])

    r = acr.http.get(f"/acr/v1/app/_manifests/{quote(amd, safe='')}")  # sha256%3A… as the SDK sends it
    assert r.status_code == 200
    body = r.json()
    manifest = body["manifest"]
    assert body == {"registry": acr.host, "imageName": "app", "manifest": manifest}
    assert manifest == {
        "digest": amd,
        "imageSize": len(amd_image.config) + sum(len(b) for b in amd_image.layers),
        "createdTime": manifest["createdTime"],
        "lastUpdateTime": manifest["lastUpdateTime"],
        "architecture": "amd64",
        "os": "linux",
        "mediaType": mt.OCI_MANIFEST,
        "configMediaType": mt.OCI_CONFIG,
        "tags": ["amd"],
        "changeableAttributes": {"deleteEnabled": True, "writeEnabled": True, "readEnabled": True, "listEnabled": True},
    }
    index_json = acr.http.get(f"/acr/v1/app/_manifests/{index}").json()["manifest"]
    assert index_json["mediaType"] == mt.OCI_INDEX and index_json["tags"] == ["v1"]
    assert index_json["references"] == [
        {"digest": amd, "architecture": "amd64", "os": "linux"},
        {"digest": arm, "architecture": "arm64", "os": "linux"},
    ]
    assert "architecture" not in index_json and "configMediaType" not in index_json
    untagged = acr.http.get(f"/acr/v1/app/_manifests/{arm}").json()["manifest"]
    assert "tags" not in untagged

    # The listing reads tags and children for a whole page at once: each entry must still be its own.
    acr.v2.put_manifest("app", "amd-too", amd_image.body)
    listed = acr.http.get("/acr/v1/app/_manifests").json()["manifests"]
    assert sorted(m["digest"] for m in listed) == sorted([amd, arm, index])
    for entry in listed:
        assert entry == acr.http.get(f"/acr/v1/app/_manifests/{entry['digest']}").json()["manifest"]
    assert next(m for m in listed if m["digest"] == amd)["tags"] == ["amd", "amd-too"]


def test_manifest_listing_pages_by_digest_and_time(acr):
    pushed = [acr.put_image("app", f"t{i}", seed=str(i)) for i in range(5)]
    r = acr.http.get("/acr/v1/app/_manifests", params={"n": 2})
    assert r.json()["registry"] == acr.host and r.json()["imageName"] == "app"
    seen = _digests(r)
    while "link" in r.headers:
        link = r.headers["link"]
        r = acr.http.get(link[1 : link.index(">")])
        seen += _digests(r)
    assert seen == sorted(pushed)

    newest = acr.http.get("/acr/v1/app/_manifests", params={"n": 3, "orderby": "timedesc"})
    assert _digests(newest) == pushed[::-1][:3]
    link = newest.headers["link"]
    assert "orderby=timedesc" in link and f"last={pushed[2]}@" in link
    assert _digests(acr.http.get(link[1 : link.index(">")])) == pushed[1::-1]
    oldest = acr.http.get("/acr/v1/app/_manifests", params={"orderby": "timeasc", "last": pushed[2]})
    assert _digests(oldest) == pushed[3:]
    empty = {"registry": acr.host, "imageName": "app"}  # an empty page leaves the list out, as ACR does
    assert acr.http.get("/acr/v1/app/_manifests", params={"n": 0}).json() == empty
    assert acr.http.get("/acr/v1/app/_manifests", params={"last": "sha256:" + "f" * 64}).json() == empty
    r = acr.http.get("/acr/v1/app/_manifests", params={"orderby": "newest"})
    assert r.status_code == 400 and _errors(r)[0]["code"] == "PARAMETER_INVALID"


def test_patch_manifest_hides_and_locks(acr):
    digest = acr.put_image("app", "v1", seed="1")
    other = acr.put_image("app", "v2", seed="2")
    r = acr.http.patch(f"/acr/v1/app/_manifests/{quote(digest, safe='')}", json={"listEnabled": False, "deleteEnabled": False})
    assert r.status_code == 200
    assert r.json()["manifest"]["changeableAttributes"] == {
        "deleteEnabled": False,
        "writeEnabled": True,
        "readEnabled": True,
        "listEnabled": False,
    }
    assert _digests(acr.http.get("/acr/v1/app/_manifests")) == [other]
    r = acr.http.patch(f"/acr/v1/app/_manifests/{digest}", content=b'{"listEnabled": true, "quarantineState": "x"}')
    assert r.status_code == 400 and "quarantineState" in _errors(r)[0]["message"]
    assert acr.engine.index.get_manifest("app", digest).attributes.list_enabled is False  # nothing half-applied


def test_unknown_and_invalid_manifests(acr):
    acr.put_image("app", "v1", seed="1")
    missing = "sha256:" + "a" * 64
    r = acr.http.get(f"/acr/v1/app/_manifests/{missing}")
    assert r.status_code == 404 and _errors(r)[0]["code"] == "MANIFEST_UNKNOWN"
    assert _errors(r)[0]["detail"] == {"name": "app", "digest": missing}
    assert acr.http.patch(f"/acr/v1/app/_manifests/{missing}", json={"readEnabled": False}).status_code == 404
    r = acr.http.get("/acr/v1/app/_manifests/v1")  # a tag is not a digest
    assert r.status_code == 400 and _errors(r)[0]["code"] == "DIGEST_INVALID"
    r = acr.http.get("/acr/v1/nothere/_manifests")
    assert r.status_code == 404 and _errors(r)[0]["code"] == "NAME_UNKNOWN"
    r = acr.http.get(f"/acr/v1/nothere/_manifests/{missing}")
    assert r.status_code == 404 and _errors(r)[0]["code"] == "NAME_UNKNOWN"


def test_methods_the_api_lacks_are_405(acr):
    digest = acr.put_image("app", "v1", seed="1")
    for method, path in [
        ("DELETE", f"/acr/v1/app/_manifests/{digest}"),
        ("PUT", "/acr/v1/app/_tags/v1"),
        ("POST", "/acr/v1/app"),
        ("DELETE", "/acr/v1/_catalog"),
    ]:
        r = acr.http.request(method, path)
        assert r.status_code == 405, (method, path)
        assert _errors(r)[0]["code"] == "UNSUPPORTED"
    assert acr.engine.index.get_manifest("app", digest) is not None
