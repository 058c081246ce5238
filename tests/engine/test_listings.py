"""Tag list, catalog and referrers over a real socket: sorting, pagination edges, filters."""

from __future__ import annotations

import pytest

from acrtui.engine.storage import Attributes
from tests.engine.v2 import error_code


def test_tags_list_paginates_with_link(v2):
    image = v2.image("app", None)
    tags = ["b", "a", "c10", "c2", "latest", "v1.0"]
    for tag in tags:
        assert v2.put_manifest("app", tag, image.body).status_code == 201
    assert v2.http.get("/v2/app/tags/list").json() == {"name": "app", "tags": sorted(tags)}
    seen, url = [], "/v2/app/tags/list?n=4"
    while url:
        r = v2.http.get(url)
        seen += r.json()["tags"]
        url = r.links.get("next", {}).get("url")
    assert seen == sorted(tags)
    r = v2.http.get("/v2/app/tags/list", params={"n": 4})
    assert r.headers["link"] == '</v2/app/tags/list?last=c2&n=4>; rel="next"'
    # Exactly n left: no Link; n=0: empty; last past the end: empty.
    assert "link" not in v2.http.get("/v2/app/tags/list", params={"n": 2, "last": "c2"}).headers
    assert v2.http.get("/v2/app/tags/list", params={"n": 0}).json()["tags"] == []
    assert v2.http.get("/v2/app/tags/list", params={"last": "zzz"}).json()["tags"] == []
    assert v2.http.get("/v2/app/tags/list", params={"n": 10**40}).json()["tags"] == sorted(tags)


@pytest.mark.parametrize("n", ["-1", "abc", "1.5", "١"])
def test_bad_page_size(v2, n):
    v2.image("app", "v1")
    for path in ("/v2/app/tags/list", "/v2/_catalog"):
        r = v2.http.get(path, params={"n": n})
        assert r.status_code == 400 and error_code(r) == "PAGINATION_NUMBER_INVALID"


def test_unknown_repository(v2):
    r = v2.http.get("/v2/nothing/here/tags/list")
    assert r.status_code == 404 and error_code(r) == "NAME_UNKNOWN"


def test_catalog(v2):
    image_repos = ["zeta", "alpha/one", "alpha/two", "beta"]
    for repo in image_repos:
        v2.image(repo, "v1")
    v2.push_blob("blobs-only", b"x")  # a repository without manifests is not listed
    assert v2.http.get("/v2/_catalog").json() == {"repositories": sorted(image_repos)}
    r = v2.http.get("/v2/_catalog", params={"n": 2})
    assert r.json()["repositories"] == ["alpha/one", "alpha/two"]
    assert r.headers["link"] == '</v2/_catalog?last=alpha%2Ftwo&n=2>; rel="next"'
    assert v2.http.get(r.links["next"]["url"]).json()["repositories"] == ["beta", "zeta"]
    assert v2.http.get("/v2/_catalog", params={"n": 0}).json()["repositories"] == []
    assert v2.http.get("/v2/_catalog", params={"last": "zz"}).json()["repositories"] == []


def test_list_locks_hide_tags_and_repositories(v2, engine_server):
    v2.image("shown", "v1")
    image = v2.image("hidden", "v1")
    v2.put_manifest("hidden", "secret", image.body)
    index = engine_server.engine.index
    index.set_tag_attributes("hidden", "secret", Attributes(list_enabled=False))
    assert v2.http.get("/v2/hidden/tags/list").json()["tags"] == ["v1"]
    index.set_repository_attributes("hidden", Attributes(list_enabled=False))
    assert v2.http.get("/v2/_catalog").json()["repositories"] == ["shown"]


def test_referrers_with_and_without_filter(v2):
    image = v2.image("app", "v1")
    sbom = v2.artifact("app", image, "application/vnd.example.sbom", {"org.example.kind": "sbom"})
    sig = v2.artifact("app", image, "application/vnd.example.signature")
    r = v2.http.get(f"/v2/app/referrers/{image.digest}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.oci.image.index.v1+json"
    body = r.json()
    assert body["schemaVersion"] == 2 and body["mediaType"] == "application/vnd.oci.image.index.v1+json"
    by_digest = {d["digest"]: d for d in body["manifests"]}
    assert set(by_digest) == {sbom, sig}
    assert by_digest[sbom]["artifactType"] == "application/vnd.example.sbom"
    assert by_digest[sbom]["annotations"] == {"org.example.kind": "sbom"}
    assert by_digest[sbom]["mediaType"] == "application/vnd.oci.image.manifest.v1+json" and by_digest[sbom]["size"] > 0
    assert "oci-filters-applied" not in r.headers
    r = v2.http.get(f"/v2/app/referrers/{image.digest}", params={"artifactType": "application/vnd.example.signature"})
    assert r.headers["oci-filters-applied"] == "artifactType"
    assert [d["digest"] for d in r.json()["manifests"]] == [sig]
    none = v2.http.get(f"/v2/app/referrers/{sig}")
    assert none.status_code == 200 and none.json()["manifests"] == []
    assert v2.http.get(f"/v2/unknown/referrers/{sig}").json()["manifests"] == []
    assert error_code(v2.http.get("/v2/app/referrers/sha256:short")) == "DIGEST_INVALID"
