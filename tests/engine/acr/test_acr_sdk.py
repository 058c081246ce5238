"""The Azure SDK (azure-containerregistry) against the engine's ACR API over a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

import pytest
from azure.containerregistry import ArtifactTagOrder, ContainerRegistryClient
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import SansIOHTTPPolicy

from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import sha256_digest
from tests.engine.v2 import error_code


class AllowPlainHttp(SansIOHTTPPolicy):
    """The SDK refuses http:// endpoints unless each call opts out; this opts every call out."""

    def on_request(self, request) -> None:
        request.context.options["enforce_https"] = False


@pytest.fixture
def client(acr) -> Iterator[ContainerRegistryClient]:
    with ContainerRegistryClient(
        acr.url, credential=None, audience="https://containerregistry.azure.net", per_call_policies=[AllowPlainHttp()]
    ) as client:
        yield client


def test_list_repositories_across_pages(acr, client):
    names = [f"team/app{i:02d}" for i in range(7)]
    for name in names:
        acr.put_image(name, "v1", seed=name)
    assert list(client.list_repository_names(results_per_page=3)) == names
    properties = client.get_repository_properties("team/app03")
    assert (properties.name, properties.manifest_count, properties.tag_count) == ("team/app03", 1, 1)
    assert properties.can_delete and properties.can_write and properties.can_read and properties.can_list


def test_tag_properties_ordered_by_time(acr, client):
    pushed = ["b", "c", "a", "e", "d"]
    for tag in pushed:
        acr.put_image("app", tag, seed=tag)
    newest_first = client.list_tag_properties("app", order_by=ArtifactTagOrder.LAST_UPDATED_ON_DESCENDING, results_per_page=2)
    tags = list(newest_first)
    assert [t.name for t in tags] == pushed[::-1]
    assert tags[0].last_updated_on >= tags[-1].last_updated_on
    assert [t.name for t in client.list_tag_properties("app", order_by="timeasc")] == pushed
    assert [t.name for t in client.list_tag_properties("app")] == sorted(pushed)


def test_get_and_update_tag_and_manifest_properties(acr, client):
    image = acr.push("app", "v1", seed="1")
    digest = image.digest
    tag = client.get_tag_properties("app", "v1")
    assert (tag.name, tag.digest) == ("v1", digest)

    manifest = client.get_manifest_properties("app", "v1")  # resolves the tag, then asks by digest
    assert (manifest.digest, manifest.size_in_bytes, manifest.architecture, manifest.operating_system) == (
        digest,
        len(image.config) + sum(len(b) for b in image.layers),
        "amd64",
        "linux",
    )
    assert manifest.tags == ["v1"]
    listed = list(client.list_manifest_properties("app"))
    assert [m.digest for m in listed] == [digest]

    updated = client.update_tag_properties("app", "v1", can_write=False)
    assert updated.can_write is False and updated.can_delete is True
    updated = client.update_manifest_properties("app", digest, can_delete=False, can_list=False)
    assert (updated.can_delete, updated.can_list, updated.can_write) == (False, False, True)
    assert list(client.list_manifest_properties("app")) == []
    repo = client.update_repository_properties("app", can_read=False)
    assert repo.can_read is False and repo.can_write is True

    with pytest.raises(HttpResponseError) as refused:
        client.delete_tag("app", "v1")
    assert refused.value.status_code == 403
    error = refused.value.model.errors[0]  # the SDK deserializes ACR's error body
    assert error.code == "DENIED" and "writeEnabled" in error.message
    client.update_tag_properties("app", "v1", can_write=True)
    client.delete_tag("app", "v1")
    with pytest.raises(ResourceNotFoundError):
        client.get_tag_properties("app", "v1")
    client.delete_tag("app", "v1")  # the SDK treats 404 on delete as done


def test_delete_repository(acr, client):
    acr.put_image("app", "v1", seed="1")
    acr.put_image("keep", "v1", seed="1")
    client.delete_repository("app")
    assert list(client.list_repository_names()) == ["keep"]
    with pytest.raises(ResourceNotFoundError):
        client.get_repository_properties("app")
    client.delete_repository("app")


def test_upload_blob_set_manifest_get_manifest(acr, client):
    config = b'{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    config_digest, config_size = client.upload_blob("sdk/app", BytesIO(config))
    assert (config_digest, config_size) == (sha256_digest(config), len(config))
    layer = bytes(range(256)) * 40
    layer_digest, _ = client.upload_blob("sdk/app", BytesIO(layer))
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": {"mediaType": mt.OCI_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": mt.OCI_LAYER, "digest": layer_digest, "size": len(layer)}],
    }
    digest = client.set_manifest("sdk/app", manifest, tag="v1")
    fetched = client.get_manifest("sdk/app", "v1")
    assert fetched.digest == digest and fetched.manifest == manifest and fetched.media_type == mt.OCI_MANIFEST
    assert client.get_manifest("sdk/app", digest).digest == digest

    properties = client.get_manifest_properties("sdk/app", digest)
    assert (properties.architecture, properties.operating_system) == ("arm64", "linux")
    assert properties.size_in_bytes == len(config) + len(layer)
    assert b"".join(client.download_blob("sdk/app", layer_digest)) == layer


def test_write_lock_refuses_overwrite_and_delete_through_v2(acr, client):
    first = acr.push("app", "v1", seed="first")
    second = acr.push("app", None, seed="second")
    client.update_tag_properties("app", "v1", can_write=False)

    r = acr.v2.put_manifest("app", "v1", second.body)
    assert r.status_code == 403
    assert error_code(r) == "DENIED" and "writeEnabled" in r.json()["errors"][0]["message"]
    with pytest.raises(HttpResponseError) as refused:
        client.delete_manifest("app", "v1")
    assert refused.value.status_code == 403
    assert client.get_tag_properties("app", "v1").digest == first.digest

    client.update_tag_properties("app", "v1", can_write=True)
    client.update_manifest_properties("app", first.digest, can_delete=False)
    with pytest.raises(HttpResponseError) as refused:
        client.delete_manifest("app", first.digest)
    assert refused.value.model.errors[0].code == "DENIED" and "deleteEnabled" in refused.value.model.errors[0].message

    client.update_manifest_properties("app", first.digest, can_delete=True)
    assert acr.v2.put_manifest("app", "v1", second.body).status_code == 201
    client.delete_manifest("app", first.digest)
    assert [m.digest for m in client.list_manifest_properties("app")] == [second.digest]


def test_read_and_list_locks_seen_through_the_sdk(acr, client):
    image = acr.push("app", "v1", seed="1")
    acr.push("app", "v2", seed="2")
    client.update_manifest_properties("app", image.digest, can_read=False)
    with pytest.raises(HttpResponseError) as refused:
        client.get_manifest("app", "v1")
    assert refused.value.status_code == 403
    assert client.get_manifest_properties("app", image.digest).can_read is False  # metadata stays readable

    client.update_tag_properties("app", "v2", can_list=False)
    assert [t.name for t in client.list_tag_properties("app")] == ["v1"]
    client.update_repository_properties("app", can_list=False)
    assert list(client.list_repository_names()) == []
    assert client.get_repository_properties("app").can_list is False
