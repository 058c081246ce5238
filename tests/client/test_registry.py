"""The client against a real registry: push an image and an index with the client's own push
methods, read everything back, page through listings, find referrers, delete."""

from __future__ import annotations

import logging
import os
import re

import pytest

from acrtui.client import NotFound, RegistryClient, RegistryError, Unsupported, resolve_registry
from acrtui.client.models import Page
from acrtui.client.profiles import Profile
from acrtui.client.registry import referrers_tag
from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import sha256_digest
from tests.client.images import dumps, layer, push_image, push_index, push_referrer

REPO = "team/app"


def one_sentence(message: str) -> bool:
    return "\n" not in message and not re.search(r"[.;]\s+[A-Z]", message) and "Traceback" not in message


async def collect(client: RegistryClient, repo: str, digest: str) -> bytes:
    return b"".join([chunk async for chunk in client.stream_blob(repo, digest)])


async def test_ping_and_empty_catalog(client, registry_kind):
    await client.ping()
    assert await client.supports_acr() is (registry_kind == "embedded")
    assert await client.catalog() == Page([], None)


async def test_image_pushed_in_every_way_reads_back(client, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(300_000))
    small = [layer({"etc/hello": b"hello"}), layer({"usr/bin/app": b"#!/bin/sh\necho hi\n" * 50})]
    pushed = await push_image(client, REPO, "1.0", layers=small, big_layer=big, chunk_size=64 * 1024)

    fetched = await client.get_manifest(REPO, "1.0")
    assert fetched.digest == pushed.digest == sha256_digest(fetched.raw)
    assert fetched.media_type == mt.OCI_MANIFEST
    assert [d.size for d in fetched.manifest.layers] == [len(small[0]), len(small[1]), 300_000]
    assert (await client.get_manifest(REPO, pushed.digest)).raw == pushed.raw

    head = await client.head_manifest(REPO, "1.0")
    assert (head.digest, head.media_type, head.size) == (pushed.digest, mt.OCI_MANIFEST, len(pushed.raw))
    assert await client.head_manifest(REPO, "2.0") is None

    config = await client.get_config(REPO, fetched.manifest)
    assert (config.os, config.architecture, config.config.cmd) == ("linux", "amd64", ["/bin/app"])
    assert config.created.isoformat() == "2024-05-06T07:08:09+00:00"
    assert [h.created_by for h in config.history] == ["ADD layer0", "ADD layer1"]

    for descriptor, expected in zip(fetched.manifest.layers, [*small, big.read_bytes()]):
        assert await client.blob_exists(REPO, descriptor.digest)
        assert await collect(client, REPO, descriptor.digest) == expected
    assert not await client.blob_exists(REPO, sha256_digest(b"absent"))
    assert (await client.tags(REPO)).items == ["1.0"]
    assert (await client.catalog()).items == [REPO]


async def test_docker_media_types_and_index_with_platforms(client, registry_kind):
    amd = await push_image(client, REPO, None, layers=[layer({"a": b"amd"})], created="2024-01-01T00:00:00Z")
    arm = await push_image(
        client, REPO, None, layers=[layer({"a": b"arm"})], arch="arm64", created="2024-02-01T00:00:00Z",
        media_type=mt.DOCKER_MANIFEST,
    )
    index_digest = await push_index(client, REPO, "multi", [(amd, "linux", "amd64"), (arm, "linux", "arm64")])

    index = await client.get_manifest(REPO, "multi")
    assert index.digest == index_digest and index.manifest.is_index
    assert [str(d.platform) for d in index.manifest.manifests] == ["linux/amd64", "linux/arm64"]
    assert (await client.get_manifest(REPO, arm.digest)).media_type == mt.DOCKER_MANIFEST
    with pytest.raises(Unsupported, match="pick one of its platforms"):
        await client.get_config(REPO, index.manifest)

    [tag] = (await client.tag_infos(REPO)).items
    assert (tag.name, tag.digest) == ("multi", index_digest)
    if registry_kind == "distribution":
        assert tag.created.isoformat() == "2024-02-01T00:00:00+00:00"  # derived: the newest platform's image
    infos = {m.digest: m for m in (await client.manifest_infos(REPO)).items}
    info = infos[index_digest]  # ACR's API also lists the untagged platform manifests
    assert info.tags == ["multi"] and info.media_type == mt.OCI_INDEX
    assert [(d, str(p)) for d, p in info.references] == [(amd.digest, "linux/amd64"), (arm.digest, "linux/arm64")]
    if registry_kind == "distribution":
        assert info.size == sum(len(c.config) + sum(map(len, c.layers)) for c in (amd, arm))


async def test_derived_metadata_groups_sibling_tags(distribution):
    async with RegistryClient(resolve_registry(distribution.url, {}), find_credentials=None) as client:
        await _derived_metadata(client)


async def _derived_metadata(client: RegistryClient) -> None:
    image = await push_image(client, REPO, "1.0", layers=[layer({"f": b"1"})])
    await client.put_manifest(REPO, "latest", image.raw, mt.OCI_MANIFEST)
    other = await push_image(client, REPO, "2.0", layers=[layer({"f": b"2"})], created="2025-01-01T00:00:00Z")

    tags = (await client.tag_infos(REPO)).items
    assert [(t.name, t.digest) for t in tags] == [("1.0", image.digest), ("2.0", other.digest), ("latest", image.digest)]
    assert all(t.locks is None and t.signed is None for t in tags)
    manifests = (await client.manifest_infos(REPO)).items
    assert [(m.digest, m.tags) for m in manifests] == [(image.digest, ["1.0", "latest"]), (other.digest, ["2.0"])]
    assert manifests[0].architecture == "amd64" and manifests[0].os == "linux"
    assert (await client.repository_info(REPO)).tag_count == 3
    with pytest.raises(Unsupported, match="by name only"):
        await client.tag_infos(REPO, orderby="timedesc")


async def test_repository_size_is_unknown_without_the_acr_api(distribution):
    """Summing a repository would take every manifest there, so the size stays unknown."""
    async with RegistryClient(resolve_registry(distribution.url, {}), find_credentials=None) as client:
        await push_image(client, "team/app", "1.0", layers=[layer({"f": b"1"})])
        info = await client.repository_info("team/app")
        sized = await client.with_size(info)
        assert sized == info and (sized.size, sized.size_is_lower_bound) == (None, False)


async def test_pagination_edges(client):
    image = await push_image(client, REPO, "t0", layers=[layer({"f": b"x"})])
    for i in range(1, 7):
        await client.put_manifest(REPO, f"t{i}", image.raw, mt.OCI_MANIFEST)
    pages, last = [], None
    while True:
        page = await client.tags(REPO, n=3, last=last)
        pages.append(page.items)
        if page.next_last is None:
            break
        last = page.next_last
    assert [t for p in pages for t in p] == [f"t{i}" for i in range(7)]
    assert all(len(p) <= 3 for p in pages)
    assert (await client.tags(REPO, last="t6")).items == []
    assert (await client.tags(REPO, n=100)) == Page([f"t{i}" for i in range(7)], None)

    info_page = await client.tag_infos(REPO, n=2, last="t2")
    assert [t.name for t in info_page.items] == ["t3", "t4"] and info_page.next_last == "t4"
    await client.put_manifest(REPO, "t35", image.raw, mt.OCI_MANIFEST)  # a push shows on the next page
    assert (await client.tags(REPO, n=2, last="t3")).items == ["t35", "t4"]

    blobs = (await client.get_manifest(REPO, "t0")).manifest.blob_digests()
    for name in ("a/one", "b/two", "c/three"):
        for digest in blobs:
            assert await client.mount_blob(name, digest, REPO)
        await client.put_manifest(name, "v1", image.raw, mt.OCI_MANIFEST)
    first = await client.catalog(n=2)
    assert first.items == ["a/one", "b/two"] and first.next_last == "b/two"
    rest = await client.catalog(n=10, last=first.next_last)
    assert rest.items == ["c/three", REPO] and rest.next_last is None


async def test_blob_uploads_of_every_shape(client, tmp_path):
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(5000))
    cases = [(b"", None), (small, None), (os.urandom(10_001), 4096), (small, 1024)]
    for i, (data, chunk) in enumerate(cases):
        content = data if isinstance(data, bytes) else data.read_bytes()
        repo = f"shapes/case{i}"
        await client.push_blob(repo, sha256_digest(content), data, chunk_size=chunk)
        assert await collect(client, repo, sha256_digest(content)) == content


async def test_mount_and_skip_present_blobs(client):
    data = layer({"shared": b"shared bytes"})
    digest = sha256_digest(data)
    await client.push_blob("lib/base", digest, data)
    assert await client.mount_blob("app/one", digest, "lib/base") is True
    assert await client.blob_exists("app/one", digest)
    assert await client.mount_blob("app/two", sha256_digest(b"nowhere"), "lib/base") is False
    await client.push_blob("app/three", digest, data, mount_from="lib/base")
    assert await collect(client, "app/three", digest) == data
    with pytest.raises(ValueError, match="does not have that digest"):
        await client.push_blob("app/one", digest, b"other bytes")


async def test_small_blobs_go_in_the_post(engine_server, caplog):
    """No existence check: one POST carries the blob or mounts it; a failed mount takes one PUT more."""
    caplog.set_level(logging.INFO, logger="acrtui.engine.access")
    shared, alone = layer({"shared": b"shared bytes"}), b"only here"
    async with RegistryClient(resolve_registry(engine_server.url, {}), find_credentials=None) as client:
        await client.push_blob("lib/base", sha256_digest(shared), shared)
        await client.push_blob("app/one", sha256_digest(shared), shared, mount_from="lib/base")
        await client.push_blob("app/two", sha256_digest(alone), alone, mount_from="lib/base")
        assert await collect(client, "app/one", sha256_digest(shared)) == shared
        assert await collect(client, "app/two", sha256_digest(alone)) == alone
    requests = [record.getMessage().split('"')[1:3] for record in caplog.records if record.name == "acrtui.engine.access"]
    pushes = [(line.split("?")[0], status.split()[0]) for line, status in requests if "/blobs/uploads/" in line]
    assert [(line.split("/blobs/")[0], status) for line, status in pushes] == [
        ("POST /v2/lib/base", "201"), ("POST /v2/app/one", "201"), ("POST /v2/app/two", "202"), ("PUT /v2/app/two", "201"),
    ]
    assert not any(line.startswith("HEAD") for line, _ in requests)


async def test_referrers_by_api_or_by_the_tag_schema(client, registry_kind):
    image = await push_image(client, REPO, "1.0", layers=[layer({"f": b"signed"})])
    signature = await push_referrer(client, REPO, image, "application/vnd.example.signature", b"sig")
    sbom = await push_referrer(client, REPO, image, "application/spdx+json", b"{}")

    found = await client.referrers(REPO, image.digest)
    assert [(d.digest, d.artifact_type) for d in found] == [
        (signature, "application/vnd.example.signature"), (sbom, "application/spdx+json")]
    assert found[0].annotations == {"org.example.kind": "signature"}
    assert [d.digest for d in await client.referrers(REPO, image.digest, "application/spdx+json")] == [sbom]
    # docker-registry 2.8 has no referrers API: the client kept the sha256-<hex> index itself.
    fallback = referrers_tag(image.digest) in (await client.tags(REPO)).items
    assert fallback is (registry_kind == "distribution")
    assert await client.referrers(REPO, signature) == []
    await client.delete_manifest(REPO, signature)
    assert [d.digest for d in await client.referrers(REPO, image.digest)] == [sbom]
    assert await client.referrers("nothing/here", image.digest) == []


async def test_delete_tag_and_manifest(client, registry_kind):
    image = await push_image(client, REPO, "1.0", layers=[layer({"f": b"gone"})])
    await client.put_manifest(REPO, "keep", image.raw, mt.OCI_MANIFEST)
    if registry_kind == "distribution":
        with pytest.raises(Unsupported) as excinfo:
            await client.delete_tag(REPO, "1.0")
        assert one_sentence(excinfo.value.message) and "delete the manifest" in excinfo.value.message
        with pytest.raises(Unsupported, match="Azure Container Registry feature"):
            await client.set_tag_locks(REPO, "1.0", write_enabled=False)
    else:
        await client.delete_tag(REPO, "keep")
        assert (await client.tags(REPO)).items == ["1.0"]
        assert (await client.head_manifest(REPO, image.digest)).digest == image.digest
    await client.delete_manifest(REPO, image.digest)
    assert await client.head_manifest(REPO, "1.0") is None
    with pytest.raises(NotFound, match=f"manifest {REPO}:1.0 was not found"):
        await client.get_manifest(REPO, "1.0")


async def test_read_only_profile_refuses_every_write(distribution):
    profile = Profile(name="prod", url=distribution.url, read_only=True)
    async with RegistryClient(profile, find_credentials=None) as client:
        assert client.read_only
        for attempt in (
            client.push_blob(REPO, mt.EMPTY_JSON_DIGEST, mt.EMPTY_JSON),
            client.put_manifest(REPO, "1.0", b"{}", mt.OCI_MANIFEST),
            client.delete_manifest(REPO, mt.EMPTY_JSON_DIGEST),
            client.delete_tag(REPO, "1.0"),
        ):
            with pytest.raises(RegistryError, match="profile prod is read-only"):
                await attempt


async def test_bad_input_is_one_sentence(client, distribution):
    image = await push_image(client, REPO, "1.0", layers=[layer({"f": b"x"})])
    with pytest.raises(NotFound) as excinfo:
        await client.tags("no/such-repo")
    assert excinfo.value.code == "NAME_UNKNOWN" and excinfo.value.status == 404
    assert str(excinfo.value) == f"repository no/such-repo does not exist on {client.host}; check its name"
    with pytest.raises(NotFound):
        await client.get_manifest("no/such-repo", "latest")
    with pytest.raises(RegistryError, match="not a valid repository name"):
        await client.tags("Upper/Case")
    with pytest.raises(RegistryError, match="neither a tag nor a digest"):
        await client.get_manifest(REPO, "bad tag")
    with pytest.raises(RegistryError, match="is not a digest"):
        await client.blob_exists(REPO, "sha256:1234")
    missing = dumps({
        "schemaVersion": 2, "mediaType": mt.OCI_MANIFEST,
        "config": {"mediaType": mt.OCI_CONFIG, "digest": sha256_digest(b"nope"), "size": 4}, "layers": [],
    })
    with pytest.raises(RegistryError, match="push the blobs it references first"):
        await client.put_manifest(REPO, "broken", missing, mt.OCI_MANIFEST)
    artifact = await push_referrer(client, REPO, image, "application/vnd.example.thing", b"x")
    with pytest.raises(Unsupported, match="not an image"):
        await client.get_config(REPO, (await client.get_manifest(REPO, artifact)).manifest)


async def test_corrupt_and_truncated_blobs_are_caught(distribution):
    """docker-registry's files are damaged behind its back; the client notices on download."""
    async with RegistryClient(resolve_registry(distribution.url, {}), find_credentials=None) as client:
        image = await push_image(client, REPO, "1.0", layers=[layer({"a": os.urandom(1000)}), layer({"b": os.urandom(1000)})])
        first, second = (sha256_digest(b) for b in image.layers)
        blobs = distribution.root / "docker/registry/v2/blobs/sha256"
        data = (blobs / first[7:9] / first[7:] / "data").read_bytes()
        (blobs / first[7:9] / first[7:] / "data").write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        (blobs / second[7:9] / second[7:] / "data").write_bytes(data[:100])
        for digest in (first, second):
            with pytest.raises(RegistryError, match="truncated or corrupt"):
                await collect(client, REPO, digest)


async def test_resolve_registry_reaches_loopback_over_http(distribution):
    profile = resolve_registry(distribution.url.removeprefix("http://"), {})
    assert profile.url == distribution.url
    async with RegistryClient(profile, find_credentials=None) as client:
        await client.ping()
