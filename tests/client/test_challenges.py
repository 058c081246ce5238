"""WWW-Authenticate parsing and scope bookkeeping: pure functions, no server needed."""

from __future__ import annotations

from acrtui.client.auth import Challenge, covers, merge_scopes, parse_challenges


def test_challenges_with_commas_in_quoted_values_and_several_per_header():
    [bearer, basic] = parse_challenges([
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",'
        'scope="repository:team/app:pull,push",error="insufficient_scope", Basic realm="Registry Realm"'
    ])
    assert bearer == Challenge("bearer", {
        "realm": "https://auth.example.com/token", "service": "registry.example.com",
        "scope": "repository:team/app:pull,push", "error": "insufficient_scope",
    })
    assert basic == Challenge("basic", {"realm": "Registry Realm"})
    assert parse_challenges(["Basic realm=plain"]) == [Challenge("basic", {"realm": "plain"})]
    assert parse_challenges(['Bearer realm="r",scope="repository:a:pull repository:b:pull"'])[0].scopes == {
        "repository:a:pull", "repository:b:pull"}


def test_scopes_merge_per_resource_and_cover_subsets():
    merged = merge_scopes(["repository:a:push", "repository:a:pull", "repository:b:pull", "registry:catalog:*"])
    assert merged == frozenset({"repository:a:pull,push", "repository:b:pull", "registry:catalog:*"})
    assert covers(merged, ["repository:a:pull"]) and covers(merged, [])
    assert not covers(merged, ["repository:b:push"]) and not covers(merged, ["repository:c:pull"])
