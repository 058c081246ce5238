"""`/acr/v1/{name}/_tags[/{tag}]` over a real socket: listings, paging by name and time, locks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


def _errors(response) -> list[dict]:
    return response.json()["errors"]


def _names(response) -> list[str]:
    return [t["name"] for t in response.json()["tags"]]


def _next(response) -> str:
    link = response.headers["link"]
    assert link.endswith('>; rel="next"')
    return link[1 : link.index(">")]


def test_tag_listing_shape(acr):
    digest = acr.put_image("team/app", "v1", seed="a")
    r = acr.http.get("/acr/v1/team/app/_tags")
    assert r.status_code == 200
    body = r.json()
    tag = body["tags"][0]
    assert body == {"registry": acr.host, "imageName": "team/app", "tags": [tag]}
    assert tag == {
        "name": "v1",
        "digest": digest,
        "createdTime": tag["createdTime"],
        "lastUpdateTime": tag["lastUpdateTime"],
        "signed": False,
        "changeableAttributes": {"deleteEnabled": True, "writeEnabled": True, "readEnabled": True, "listEnabled": True},
    }
    one = acr.http.get("/acr/v1/team/app/_tags/v1")
    assert one.json() == {"registry": acr.host, "imageName": "team/app", "tag": tag}


def test_paging_by_name_and_by_time(acr):
    for i in [3, 1, 4, 0, 2]:  # pushed out of name order, so time order differs from name order
        acr.put_image("app", f"t{i}", seed=str(i))
    pushed = ["t3", "t1", "t4", "t0", "t2"]

    first = acr.http.get("/acr/v1/app/_tags", params={"n": 2})
    assert _names(first) == ["t0", "t1"]
    assert parse_qs(urlsplit(_next(first)).query) == {"last": ["t1"], "n": ["2"]}
    second = acr.http.get(_next(first))
    third = acr.http.get(_next(second))
    assert _names(second) == ["t2", "t3"] and _names(third) == ["t4"] and "link" not in third.headers

    newest = acr.http.get("/acr/v1/app/_tags", params={"n": 2, "orderby": "timedesc"})
    assert _names(newest) == pushed[::-1][:2]
    query = parse_qs(urlsplit(_next(newest)).query)
    assert (query["n"], query["orderby"]) == (["2"], ["timedesc"])
    cursor, _, cursor_time = query["last"][0].partition("@")  # a time order's cursor carries the tag's time
    assert (cursor, cursor_time) == ("t0", newest.json()["tags"][1]["lastUpdateTime"])
    rest = acr.http.get(_next(newest))
    assert _names(rest) == ["t4", "t1"]
    assert _names(acr.http.get(_next(rest))) == ["t3"]
    oldest = acr.http.get("/acr/v1/app/_tags", params={"orderby": "timeasc", "last": "t1", "n": 10})
    assert _names(oldest) == ["t4", "t0", "t2"] and "link" not in oldest.headers
    assert _names(acr.http.get("/acr/v1/app/_tags", params={"orderby": "none"})) == sorted(pushed)


def test_time_order_paging_survives_deleting_the_cursor(acr):
    """acr-cli's purge: read a page newest first, delete its tags, then follow the Link."""
    for i in range(7):
        acr.put_image("app", f"t{i}", seed="same")
    seen, deleted = [], []
    r = acr.http.get("/acr/v1/app/_tags", params={"n": 3, "orderby": "timedesc"})
    while True:
        page = _names(r) if "tags" in r.json() else []
        seen += page
        for tag in page[::2] + page[-1:]:  # including the cursor tag
            if tag not in deleted:
                assert acr.http.delete(f"/acr/v1/app/_tags/{tag}").status_code == 202
                deleted.append(tag)
        if "link" not in r.headers:
            break
        r = acr.http.get(_next(r))
    assert seen == [f"t{i}" for i in range(6, -1, -1)]
    r = acr.http.get("/acr/v1/app/_tags", params={"orderby": "timedesc", "last": "t3@yesterday"})
    assert r.status_code == 400 and _errors(r)[0]["code"] == "PARAMETER_INVALID"


def test_paging_edges(acr):
    acr.put_image("app", "a", seed="a")
    acr.put_image("app", "b", seed="b")
    empty = {"registry": acr.host, "imageName": "app"}  # an empty page leaves the list out, as ACR does
    assert acr.http.get("/acr/v1/app/_tags", params={"n": 0}).json() == empty
    past = acr.http.get("/acr/v1/app/_tags", params={"last": "zz"})
    assert past.status_code == 200 and past.json() == empty and "link" not in past.headers
    # A time-ordered cursor that names no tag ends the listing instead of starting it over.
    gone = acr.http.get("/acr/v1/app/_tags", params={"last": "deleted", "orderby": "timedesc"})
    assert gone.status_code == 200 and gone.json() == empty
    r = acr.http.get("/acr/v1/app/_tags", params={"orderby": "size"})
    assert r.status_code == 400 and _errors(r)[0]["code"] == "PARAMETER_INVALID"
    assert "timedesc" in _errors(r)[0]["message"]
    r = acr.http.get("/acr/v1/app/_tags", params={"n": "-3"})
    assert r.status_code == 400 and _errors(r)[0]["code"] == "PAGINATION_NUMBER_INVALID"


def test_digest_filter(acr):
    one = acr.put_image("app", "v1", seed="1")
    acr.put_image("app", "latest", seed="1")
    acr.put_image("app", "v2", seed="2")
    r = acr.http.get("/acr/v1/app/_tags", params={"digest": one, "n": 1})
    assert _names(r) == ["latest"]
    assert parse_qs(urlsplit(_next(r)).query)["digest"] == [one]
    assert _names(acr.http.get(_next(r))) == ["v1"]
    r = acr.http.get("/acr/v1/app/_tags", params={"digest": "sha256:nothex"})
    assert r.status_code == 400 and _errors(r)[0]["code"] == "DIGEST_INVALID"


def test_unknown_and_invalid(acr):
    acr.put_image("app", "v1", seed="1")
    r = acr.http.get("/acr/v1/app/_tags/nope")
    assert r.status_code == 404 and _errors(r)[0]["code"] == "TAG_UNKNOWN"
    assert _errors(r)[0]["detail"] == {"name": "app", "tag": "nope"}
    r = acr.http.get("/acr/v1/other/_tags/v1")
    assert r.status_code == 404 and _errors(r)[0]["code"] == "NAME_UNKNOWN"
    r = acr.http.get("/acr/v1/other/_tags")
    assert r.status_code == 404 and _errors(r)[0]["code"] == "NAME_UNKNOWN"
    r = acr.http.get("/acr/v1/app/_tags/.bad")
    assert r.status_code == 400 and _errors(r)[0]["code"] == "TAG_INVALID"
    assert acr.http.delete("/acr/v1/app/_tags/nope").status_code == 404
    assert acr.http.patch("/acr/v1/app/_tags/nope", json={"listEnabled": False}).status_code == 404


def test_patch_hides_tag_from_listing(acr):
    acr.put_image("app", "v1", seed="1")
    acr.put_image("app", "v2", seed="2")
    r = acr.http.patch("/acr/v1/app/_tags/v1", json={"listEnabled": False, "readEnabled": False})
    assert r.status_code == 200
    assert r.json()["tag"]["changeableAttributes"] == {
        "deleteEnabled": True,
        "writeEnabled": True,
        "readEnabled": False,
        "listEnabled": False,
    }
    assert _names(acr.http.get("/acr/v1/app/_tags")) == ["v2"]
    assert acr.http.get("/acr/v1/app/_tags/v1").status_code == 200
    r = acr.http.patch("/acr/v1/app/_tags/v1", content=b'{"writeEnabled": 1}')
    assert r.status_code == 400 and _errors(r)[0]["code"] == "PARAMETER_INVALID"


def test_delete_tag_respects_locks_on_tag_and_repository(acr):
    digest = acr.put_image("app", "v1", seed="1")
    acr.put_image("app", "v2", seed="1")
    locks = [
        ("/acr/v1/app/_tags/v1", "deleteEnabled"),
        ("/acr/v1/app/_tags/v1", "writeEnabled"),
        ("/acr/v1/app", "deleteEnabled"),
        ("/acr/v1/app", "writeEnabled"),
    ]
    for target, attribute in locks:
        acr.http.patch(target, json={attribute: False})
        r = acr.http.delete("/acr/v1/app/_tags/v1")
        assert r.status_code == 403, (target, attribute)
        error = _errors(r)[0]
        assert error["code"] == "DENIED" and attribute in error["message"]
        acr.http.patch(target, json={attribute: True})

    r = acr.http.delete("/acr/v1/app/_tags/v1")
    assert r.status_code == 202 and r.content == b""
    assert _names(acr.http.get("/acr/v1/app/_tags")) == ["v2"]
    assert acr.engine.index.get_manifest("app", digest) is not None  # deleting a tag keeps its manifest
