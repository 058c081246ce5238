"""Path parameters of the ACR API, validated, and the records they name (or ACR's 404)."""

from __future__ import annotations

from starlette.requests import Request

from acrtui.engine.distribution.common import parse_digest, repository_name
from acrtui.engine.errors import RegistryError
from acrtui.engine.storage import ManifestRecord, MetaIndex, RepositoryRecord, TagRecord
from acrtui.oci.reference import is_valid_tag

__all__ = [
    "manifest_digest",
    "registry_of",
    "repository_name",
    "require_manifest",
    "require_repository",
    "require_tag",
    "tag_name",
]


def registry_of(request: Request) -> str:
    """The login server the client addressed (host[:port]), ACR's `registry` field."""
    return request.url.netloc


def tag_name(request: Request) -> str:
    tag = request.path_params["tag"]
    if not is_valid_tag(tag):
        raise RegistryError(
            "TAG_INVALID", f"invalid tag {tag!r}: use up to 128 letters, digits, '.', '_' or '-'", detail={"tag": tag}
        )
    return tag


def manifest_digest(request: Request) -> str:
    return parse_digest(request.path_params["digest"])


def require_repository(index: MetaIndex, name: str) -> RepositoryRecord:
    """A repository exists for ACR once it holds a manifest (blobs alone do not make one)."""
    record = index.get_repository(name)
    if record is None or record.manifest_count == 0:
        raise RegistryError("NAME_UNKNOWN", f"repository {name} does not exist in this registry", detail={"name": name})
    return record


def require_tag(index: MetaIndex, name: str, tag: str) -> TagRecord:
    record = index.get_tag(name, tag)
    if record is None:
        require_repository(index, name)  # an unknown repository is NAME_UNKNOWN, not TAG_UNKNOWN
        raise RegistryError("TAG_UNKNOWN", f"tag {tag} does not exist in repository {name}", detail={"name": name, "tag": tag})
    return record


def require_manifest(index: MetaIndex, name: str, digest: str) -> ManifestRecord:
    record = index.get_manifest(name, digest)
    if record is None:
        require_repository(index, name)
        raise RegistryError(
            "MANIFEST_UNKNOWN", f"manifest {digest} does not exist in repository {name}", detail={"name": name, "digest": digest}
        )
    return record
