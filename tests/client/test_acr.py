"""ACR metadata through `/acr/v1` on the embedded engine: times, locks, ordering, counts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from acrtui.client import Denied, Locks, RegistryClient, RepositoryInfo, Unsupported, resolve_registry
from acrtui.engine.storage.records import ManifestRecord
from acrtui.oci.digest import sha256_digest
from tests.client.images import layer, push_image

REPO = "team/app"
ARTIFACT = "application/vnd.oci.artifact.manifest.v1+json"


@pytest.fixture
async def acr(embedded_registry) -> AsyncIterator[RegistryClient]:
    async with RegistryClient(resolve_registry(embedded_registry, {}), find_credentials=None) as client:
        assert await client.supports_acr()
        yield client


async def test_tags_manifests_and_repository_metadata(acr):
    old = await push_image(acr, REPO, "1.0", layers=[layer({"f": b"1"})])
    new = await push_image(acr, REPO, "2.0", layers=[layer({"f": b"2"})])
    untagged = await push_image(acr, REPO, None, layers=[layer({"f": b"3"})])

    by_name = (await acr.tag_infos(REPO)).items
    assert [(t.name, t.digest) for t in by_name] == [("1.0", old.digest), ("2.0", new.digest)]
    assert all(t.created and t.last_update and t.locks == Locks() for t in by_name)
    newest_first = (await acr.tag_infos(REPO, orderby="timedesc")).items
    assert [t.name for t in newest_first] == ["2.0", "1.0"]
    page = await acr.tag_infos(REPO, n=1, orderby="timedesc")
    assert [t.name for t in page.items] == ["2.0"] and page.next_last  # an opaque cursor: pass it back
    page = await acr.tag_infos(REPO, n=1, last=page.next_last, orderby="timedesc")
    assert [t.name for t in page.items] == ["1.0"]

    first = await acr.tag_infos(REPO, n=1)
    assert [t.name for t in first.items] == ["1.0"] and first.next_last == "1.0"
    second = await acr.tag_infos(REPO, n=1, last=first.next_last)
    assert [t.name for t in second.items] == ["2.0"]

    manifests = {m.digest: m for m in (await acr.manifest_infos(REPO)).items}
    assert set(manifests) == {old.digest, new.digest, untagged.digest}
    assert manifests[untagged.digest].tags == [] and manifests[old.digest].tags == ["1.0"]
    assert manifests[old.digest].architecture == "amd64" and manifests[old.digest].size

    info = await acr.repository_info(REPO)
    assert (info.name, info.tag_count, info.manifest_count) == (REPO, 2, 3)


async def test_repository_size_sums_one_page_of_manifests(acr):
    pushed = [
        await push_image(acr, REPO, tag, layers=[layer({"f": bytes([i]) * 1000 * (i + 1)}), layer({"g": tag.encode()})])
        for i, tag in enumerate(["1.0", "2.0", "3.0"])
    ]
    sizes = {p.digest: (await acr.get_manifest(REPO, p.digest)).manifest.layer_size for p in pushed}

    info = await acr.with_size(await acr.repository_info(REPO))
    assert (info.size, info.size_is_lower_bound, info.tag_count) == (sum(sizes.values()), False, 3)
    exact = await acr.with_size(RepositoryInfo(REPO), n=3)
    assert (exact.size, exact.size_is_lower_bound) == (sum(sizes.values()), False)
    # More manifests than one page: the first page's sum (digest order), marked as a lower bound.
    partial = await acr.with_size(RepositoryInfo(REPO), n=2)
    assert (partial.size, partial.size_is_lower_bound) == (sum(sizes[d] for d in sorted(sizes)[:2]), True)


async def test_locks(acr):
    image = await push_image(acr, REPO, "1.0", layers=[layer({"f": b"locked"})])
    locks = await acr.set_tag_locks(REPO, "1.0", write_enabled=False, delete_enabled=False)
    assert locks.locked and locks.read_enabled
    [tag] = (await acr.tag_infos(REPO)).items
    assert tag.locks == locks
    with pytest.raises(Denied) as excinfo:
        await acr.delete_tag(REPO, "1.0")
    assert "is locked" in excinfo.value.message and "\n" not in excinfo.value.message
    assert (await acr.set_tag_locks(REPO, "1.0", write_enabled=True, delete_enabled=True)) == Locks()
    manifest_locks = await acr.set_manifest_locks(REPO, image.digest, delete_enabled=False)
    assert not manifest_locks.delete_enabled and manifest_locks.write_enabled
    with pytest.raises(ValueError, match="unknown lock attribute"):
        await acr.set_tag_locks(REPO, "1.0", frozen=True)


async def test_a_manifest_of_unknown_media_type(engine_server, acr):
    """Planted through the engine's own index (no registry accepts such a push any more), as ACR
    still serves OCI 1.1-rc artifact manifests pushed years ago."""
    body = json.dumps({"mediaType": ARTIFACT, "artifactType": "application/vnd.example", "blobs": []}).encode()
    record = ManifestRecord(repository=REPO, digest=sha256_digest(body), media_type=ARTIFACT, body=body)
    engine_server.engine.index.put_manifest(record, "old-artifact")
    with pytest.raises(Unsupported) as excinfo:
        await acr.get_manifest(REPO, "old-artifact")
    assert excinfo.value.message == (
        f"manifest {REPO}:old-artifact has media type {ARTIFACT}, which acrtui cannot read; "
        "inspect it with a tool that knows that type")
    [tag] = (await acr.tag_infos(REPO)).items  # listing still works around it
    assert tag.digest == record.digest
