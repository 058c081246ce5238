"""`/acr/v1/_catalog` and `/acr/v1/{name}` over a real socket."""

from __future__ import annotations

from datetime import datetime


def _errors(response) -> list[dict]:
    return response.json()["errors"]


def test_catalog_pages_with_link_headers(acr):
    for name in ["web", "api", "team/app", "db"]:
        acr.put_image(name, "v1", seed=name)
    acr.v2.push_blob("blobs-only", b"a blob without a manifest")  # no manifest: not a repository yet

    first = acr.http.get("/acr/v1/_catalog", params={"n": 2})
    assert first.status_code == 200
    assert first.json() == {"repositories": ["api", "db"]}
    assert first.headers["link"] == '</acr/v1/_catalog?last=db&n=2>; rel="next"'
    second = acr.http.get(first.headers["link"][1 : first.headers["link"].index(">")])
    assert second.json() == {"repositories": ["team/app", "web"]}
    assert "link" not in second.headers  # an exactly full last page has no next link

    assert acr.http.get("/acr/v1/_catalog").json()["repositories"] == ["api", "db", "team/app", "web"]
    assert acr.http.get("/acr/v1/_catalog", params={"n": 0}).json() == {}  # ACR leaves an empty list out
    past = acr.http.get("/acr/v1/_catalog", params={"last": "zzz"})
    assert past.json() == {} and "link" not in past.headers


def test_catalog_rejects_bad_n_and_orderby(acr):
    for bad in ["-1", "ten"]:
        r = acr.http.get("/acr/v1/_catalog", params={"n": bad})
        assert r.status_code == 400 and _errors(r)[0]["code"] == "PAGINATION_NUMBER_INVALID"
    r = acr.http.get("/acr/v1/_catalog", params={"orderby": "timedesc"})
    assert r.status_code == 400 and _errors(r)[0]["code"] == "PARAMETER_INVALID"


def test_repository_properties(acr):
    acr.put_image("team/app", "v1", seed="a")
    acr.put_image("team/app", "v2", seed="b")
    r = acr.http.get("/acr/v1/team/app")
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "registry": acr.host,
        "imageName": "team/app",
        "createdTime": body["createdTime"],
        "lastUpdateTime": body["lastUpdateTime"],
        "manifestCount": 2,
        "tagCount": 2,
        "changeableAttributes": {
            "deleteEnabled": True,
            "writeEnabled": True,
            "readEnabled": True,
            "listEnabled": True,
            "teleportEnabled": False,
        },
    }
    assert body["createdTime"].endswith("Z")
    assert datetime.fromisoformat(body["createdTime"]) <= datetime.fromisoformat(body["lastUpdateTime"])
    # The Azure SDK quotes the name as one path segment.
    assert acr.http.get("/acr/v1/team%2Fapp").json()["imageName"] == "team/app"


def test_unknown_and_invalid_repository(acr):
    r = acr.http.get("/acr/v1/nothere")
    assert r.status_code == 404 and _errors(r)[0]["code"] == "NAME_UNKNOWN"
    assert _errors(r)[0]["detail"] == {"name": "nothere"}
    r = acr.http.get("/acr/v1/Bad..Name")
    assert r.status_code == 400 and _errors(r)[0]["code"] == "NAME_INVALID"
    r = acr.http.patch("/acr/v1/nothere", json={"listEnabled": False})
    assert r.status_code == 404
    r = acr.http.delete("/acr/v1/nothere")
    assert r.status_code == 404 and _errors(r)[0]["code"] == "NAME_UNKNOWN"


def test_patch_is_partial_and_hides_from_catalog(acr):
    acr.put_image("hidden", "v1", seed="h")
    acr.put_image("shown", "v1", seed="s")
    r = acr.http.patch("/acr/v1/hidden", json={"listEnabled": False})
    assert r.status_code == 200
    assert r.json()["changeableAttributes"] == {
        "deleteEnabled": True,
        "writeEnabled": True,
        "readEnabled": True,
        "listEnabled": False,
        "teleportEnabled": False,
    }
    assert acr.http.get("/acr/v1/_catalog").json()["repositories"] == ["shown"]
    assert acr.http.get("/acr/v1/hidden").status_code == 200  # hidden from listings, not from lookups
    r = acr.http.patch("/acr/v1/hidden", content=b"")
    assert r.status_code == 200 and r.json()["changeableAttributes"]["listEnabled"] is False


def test_patch_rejects_bad_bodies(acr):
    acr.put_image("app", "v1", seed="a")
    cases = [
        (b"{not json", "not valid JSON"),
        (b"[true]", "JSON object"),
        (b'{"deleteEnabled": "no"}', "true or false"),
        (b'{"frobEnabled": true}', "unknown attribute"),
        (b'{"teleportEnabled": true}', "cannot be changed"),
    ]
    for body, words in cases:
        r = acr.http.patch("/acr/v1/app", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, body
        assert _errors(r)[0]["code"] == "PARAMETER_INVALID" and words in _errors(r)[0]["message"]
    assert acr.http.patch("/acr/v1/app", content=b" " * (2 << 20)).status_code == 413
    assert acr.http.patch("/acr/v1/app", json={"teleportEnabled": False}).status_code == 200
    assert acr.http.get("/acr/v1/app").json()["changeableAttributes"]["deleteEnabled"] is True


def test_delete_repository_and_its_locks(acr):
    digest = acr.put_image("app", "v1", seed="a")
    acr.put_image("app", "v2", seed="b")

    acr.http.patch("/acr/v1/app", json={"deleteEnabled": False})
    r = acr.http.delete("/acr/v1/app")
    assert r.status_code == 403 and _errors(r)[0]["code"] == "DENIED"
    assert "deleteEnabled" in _errors(r)[0]["message"]
    acr.http.patch("/acr/v1/app", json={"deleteEnabled": True, "writeEnabled": False})
    r = acr.http.delete("/acr/v1/app")
    assert r.status_code == 403 and "writeEnabled" in _errors(r)[0]["message"]
    acr.http.patch("/acr/v1/app", json={"writeEnabled": True})

    acr.http.patch("/acr/v1/app/_tags/v1", json={"deleteEnabled": False})
    r = acr.http.delete("/acr/v1/app")
    assert r.status_code == 403 and "tag app:v1" in _errors(r)[0]["message"]
    acr.http.patch("/acr/v1/app/_tags/v1", json={"deleteEnabled": True})
    acr.http.patch(f"/acr/v1/app/_manifests/{digest}", json={"writeEnabled": False})
    r = acr.http.delete("/acr/v1/app")
    assert r.status_code == 403 and f"manifest app@{digest}" in _errors(r)[0]["message"]
    acr.http.patch(f"/acr/v1/app/_manifests/{digest}", json={"writeEnabled": True})

    r = acr.http.delete("/acr/v1/app")
    assert r.status_code == 202
    body = r.json()
    assert sorted(body["tagsDeleted"]) == ["v1", "v2"] and digest in body["manifestsDeleted"]
    assert len(body["manifestsDeleted"]) == 2
    assert acr.http.get("/acr/v1/app").status_code == 404
    assert acr.http.get("/acr/v1/_catalog").json() == {}
