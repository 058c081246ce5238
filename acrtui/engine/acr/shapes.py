"""ACR's JSON shapes, field for field as azure-containerregistry and acr-cli deserialize them.

Times pass through as the index stores them (RFC 3339 UTC). Like ACR, a manifest omits the
fields that do not apply to it (no architecture for an index, no references for an image, no
tags when untagged).
"""

from __future__ import annotations

import json
from typing import Any

from acrtui.engine.errors import RegistryError
from acrtui.engine.storage import Attributes, ManifestRecord, RepositoryRecord, TagRecord
from acrtui.oci.manifest import parse_manifest

# A PATCH body is a handful of booleans; anything near this size is not one.
MAX_BODY = 1 << 20

# JSON name -> Attributes field, in the order ACR writes them.
ATTRIBUTE_FIELDS: dict[str, str] = {
    "deleteEnabled": "delete_enabled",
    "writeEnabled": "write_enabled",
    "readEnabled": "read_enabled",
    "listEnabled": "list_enabled",
}


def listing(head: dict[str, Any], key: str, items: list[Any]) -> dict[str, Any]:
    """A listing page. Like ACR, an empty page leaves the list out: acr-cli pages until the list
    is missing and takes the cursor from the last item, so an empty list would break it."""
    return {**head, key: items} if items else head


def attributes_json(attributes: Attributes) -> dict[str, bool]:
    return {name: getattr(attributes, field) for name, field in ATTRIBUTE_FIELDS.items()}


def repository_json(registry: str, repository: RepositoryRecord) -> dict[str, Any]:
    # ACR reports teleportEnabled on repositories; the embedded engine has no teleport.
    return {
        "registry": registry,
        "imageName": repository.name,
        "createdTime": repository.created,
        "lastUpdateTime": repository.updated,
        "manifestCount": repository.manifest_count,
        "tagCount": repository.tag_count,
        "changeableAttributes": {**attributes_json(repository.attributes), "teleportEnabled": False},
    }


def tag_json(tag: TagRecord) -> dict[str, Any]:
    return {
        "name": tag.name,
        "digest": tag.digest,
        "createdTime": tag.created,
        "lastUpdateTime": tag.updated,
        "signed": False,
        "changeableAttributes": attributes_json(tag.attributes),
    }


def manifest_json(manifest: ManifestRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "digest": manifest.digest,
        "imageSize": manifest.image_size,
        "createdTime": manifest.created,
        "lastUpdateTime": manifest.updated,
    }
    if manifest.architecture:
        out["architecture"] = manifest.architecture
    if manifest.os:
        out["os"] = manifest.os
    out["mediaType"] = manifest.media_type
    if manifest.config_media_type:
        out["configMediaType"] = manifest.config_media_type
    if manifest.children:
        out["references"] = _references_json(manifest)
    if manifest.tags:
        out["tags"] = list(manifest.tags)
    out["changeableAttributes"] = attributes_json(manifest.attributes)
    return out


def _references_json(manifest: ManifestRecord) -> list[dict[str, str]]:
    """An index's children in the order the index lists them, with the platform it claims."""
    out = []
    for child in parse_manifest(manifest.body, manifest.media_type).manifests:
        reference = {"digest": child.digest}
        if child.platform and child.platform.architecture:
            reference["architecture"] = child.platform.architecture
        if child.platform and child.platform.os:
            reference["os"] = child.platform.os
        out.append(reference)
    return out


def attribute_changes(body: bytes, *, what: str, read_only: dict[str, bool] | None = None) -> dict[str, bool]:
    """The Attributes fields a PATCH body sets (a partial changeableAttributes object).

    `read_only` names fields a client may send but only with the value they already have
    (teleportEnabled on a repository).
    """
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RegistryError(
            "PARAMETER_INVALID", f"the body is not valid JSON: send the {what}'s changeableAttributes as a JSON object"
        ) from None
    if not isinstance(data, dict):
        raise RegistryError("PARAMETER_INVALID", f"the body must be a JSON object of the {what}'s changeableAttributes")
    read_only = read_only or {}
    changes: dict[str, bool] = {}
    for name, value in data.items():
        if name not in ATTRIBUTE_FIELDS and name not in read_only:
            allowed = ", ".join(ATTRIBUTE_FIELDS)
            raise RegistryError(
                "PARAMETER_INVALID", f"unknown attribute {name!r}: a {what} takes {allowed}", detail={"attribute": name}
            )
        if not isinstance(value, bool):
            raise RegistryError(
                "PARAMETER_INVALID", f"{name} must be true or false, not {json.dumps(value)}", detail={"attribute": name}
            )
        if name in read_only:
            if value != read_only[name]:
                raise RegistryError(
                    "PARAMETER_INVALID", f"{name} cannot be changed on the embedded registry", detail={"attribute": name}
                )
            continue
        changes[ATTRIBUTE_FIELDS[name]] = value
    return changes
