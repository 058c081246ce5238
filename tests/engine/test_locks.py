"""Locks (ACR changeableAttributes) enforced on the /v2 API, each refusal naming the lock."""

from __future__ import annotations

from acrtui.engine.storage import Attributes
from acrtui.oci.digest import sha256_digest
from tests.engine.v2 import error_code


def _refused(response, lock: str) -> None:
    assert response.status_code == 403, response.text
    assert error_code(response) == "DENIED"
    error = response.json()["errors"][0]
    assert error["detail"]["attribute"] == lock and lock in error["message"]


def test_write_locked_tag_refuses_repointing_and_delete(v2, engine_server):
    first = v2.image("app", "v1", seed="one")
    second = v2.image("app", None, seed="two")
    engine_server.engine.index.set_tag_attributes("app", "v1", Attributes(write_enabled=False))
    _refused(v2.put_manifest("app", "v1", second.body), "writeEnabled")
    assert v2.put_manifest("app", "v1", first.body).status_code == 201  # same content: no change
    _refused(v2.http.delete("/v2/app/manifests/v1"), "writeEnabled")
    # Deleting the manifest would take the locked tag with it.
    _refused(v2.http.delete(f"/v2/app/manifests/{first.digest}"), "writeEnabled")
    assert v2.http.get("/v2/app/manifests/v1").headers["docker-content-digest"] == first.digest


def test_delete_locks(v2, engine_server):
    image = v2.image("app", "v1")
    index = engine_server.engine.index
    index.set_manifest_attributes("app", image.digest, Attributes(delete_enabled=False))
    _refused(v2.http.delete(f"/v2/app/manifests/{image.digest}"), "deleteEnabled")
    index.set_manifest_attributes("app", image.digest, Attributes())
    index.set_repository_attributes("app", Attributes(delete_enabled=False))
    _refused(v2.http.delete("/v2/app/manifests/v1"), "deleteEnabled")
    _refused(v2.http.delete(f"/v2/app/blobs/{sha256_digest(image.layers[0])}"), "deleteEnabled")


def test_write_locked_repository_refuses_pushes(v2, engine_server):
    image = v2.image("app", "v1")
    engine_server.engine.index.set_repository_attributes("app", Attributes(write_enabled=False))
    _refused(v2.put_manifest("app", "v2", image.body), "writeEnabled")
    _refused(v2.http.post("/v2/app/blobs/uploads/"), "writeEnabled")
    _refused(v2.http.delete("/v2/app/manifests/v1"), "writeEnabled")


def test_read_locks_refuse_pulls(v2, engine_server):
    image = v2.image("app", "v1")
    index = engine_server.engine.index
    index.set_manifest_attributes("app", image.digest, Attributes(read_enabled=False))
    _refused(v2.http.get("/v2/app/manifests/v1"), "readEnabled")
    _refused(v2.http.get(f"/v2/app/manifests/{image.digest}"), "readEnabled")
    index.set_manifest_attributes("app", image.digest, Attributes())
    index.set_tag_attributes("app", "v1", Attributes(read_enabled=False))
    _refused(v2.http.get("/v2/app/manifests/v1"), "readEnabled")
    assert v2.http.get(f"/v2/app/manifests/{image.digest}").status_code == 200
    index.set_repository_attributes("app", Attributes(read_enabled=False))
    _refused(v2.http.get(f"/v2/app/manifests/{image.digest}"), "readEnabled")
    _refused(v2.http.get(f"/v2/app/blobs/{sha256_digest(image.config)}"), "readEnabled")
    assert v2.http.head(f"/v2/app/manifests/{image.digest}").status_code == 403

