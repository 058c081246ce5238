"""Manifests: PUT, GET, HEAD and DELETE by tag or digest.

A push is validated completely (digest, media type, referenced blobs and child manifests present in
the repository, locks) and then written in one index transaction, with no await between the last
check and the write, so concurrent pushes of one tag see each other's results whole.

Deleting a manifest that an index in the same repository still lists is refused (409, DENIED): the
index would otherwise point at nothing and every pull of that platform would fail. Delete the
index first; its children can go after it.
"""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import Response

from acrtui.engine.access import Access, ensure_allowed
from acrtui.engine.distribution.common import Context, Endpoints, parse_reference, read_body, repository_name
from acrtui.engine.distribution.negotiation import DEFAULT_PLATFORM, accepted_types
from acrtui.engine.errors import RegistryError
from acrtui.engine.storage import ChildRef, ManifestLookup, ManifestRecord
from acrtui.oci import mediatypes as mt
from acrtui.oci.config import ImageConfig, InvalidConfig
from acrtui.oci.digest import Digest
from acrtui.oci.manifest import InvalidManifest, Manifest, parse_manifest

MAX_MANIFEST = 4 << 20
_IMAGE_CONFIGS = frozenset({mt.OCI_CONFIG, mt.DOCKER_CONFIG})
_INLINE_READ = 256 << 10


def _manifest_unknown(name: str, reference: str) -> RegistryError:
    return RegistryError(
        "MANIFEST_UNKNOWN",
        f"manifest {reference} is not in repository {name}",
        detail={"name": name, "reference": reference},
    )


class Manifests:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.engine = ctx.engine

    def endpoints(self) -> Endpoints:
        return {"manifest": {"GET": self.get, "HEAD": self.get, "PUT": self.put, "DELETE": self.delete}}

    # pull

    async def get(self, request: Request) -> Response:
        name = repository_name(request)
        tag, digest = parse_reference(request.path_params["reference"])
        reference = tag or digest or ""
        self.engine.gate.authorize(request, Access(name, "pull"))
        found = self.engine.index.lookup_manifest(name, reference)
        if found is None:
            raise _manifest_unknown(name, reference)
        self._check_read(name, tag, found)
        if tag is not None:
            # Go clients (skopeo, buildah, docker) send one Accept header per media type.
            types = accepted_types(",".join(request.headers.getlist("accept")))
            if types is not None and found.media_type not in types:
                found = self._negotiate(name, tag, found, types)
        return Response(
            found.body,
            headers={
                "Content-Type": found.media_type,
                "Docker-Content-Digest": found.digest,
                "ETag": f'"{found.digest}"',
            },
        )

    @staticmethod
    def _check_read(name: str, tag: str | None, found: ManifestLookup) -> None:
        ensure_allowed(f"repository {name}", found.repository_attributes, "pull")
        if tag is not None and found.tag_attributes is not None:
            ensure_allowed(f"tag {name}:{tag}", found.tag_attributes, "pull")
        ensure_allowed(f"manifest {name}@{found.digest}", found.attributes, "pull")

    def _negotiate(self, name: str, tag: str, found: ManifestLookup, types: frozenset[str]) -> ManifestLookup:
        if found.media_type in mt.INDEXES:
            record = self.engine.index.get_manifest(name, found.digest)
            for child in record.children if record else ():
                if (child.os, child.architecture) == DEFAULT_PLATFORM:
                    image = self.engine.index.lookup_manifest(name, child.digest)
                    if image is not None and image.media_type in types:
                        self._check_read(name, None, image)
                        return image
        raise RegistryError(
            "MANIFEST_UNKNOWN",
            f"{name}:{tag} is a {found.media_type}, which the request's Accept header does not list",
            detail={"name": name, "reference": tag, "mediaType": found.media_type},
        )

    # push

    async def put(self, request: Request) -> Response:
        name = repository_name(request)
        tag, reference_digest = parse_reference(request.path_params["reference"])
        self.engine.gate.authorize(request, Access(name, "push"))
        body = await read_body(request, MAX_MANIFEST, "manifest")
        algorithm = Digest.parse(reference_digest).algorithm if reference_digest else "sha256"
        digest = str(Digest.of(body, algorithm))
        if reference_digest is not None and digest != reference_digest:
            raise RegistryError(
                "DIGEST_INVALID",
                f"the manifest's digest is {digest}, not {reference_digest} as the URL says",
                detail={"digest": reference_digest},
            )
        try:
            manifest = parse_manifest(body, request.headers.get("content-type"))
        except InvalidManifest as e:
            raise RegistryError("MANIFEST_INVALID", str(e)) from None
        index = self.engine.index
        if mt.EMPTY_JSON_DIGEST in index.missing_blobs(name, manifest.blob_digests()):
            # Artifacts name the empty config {} and not every client pushes those two bytes.
            await asyncio.to_thread(self.engine.blobs.put, mt.EMPTY_JSON_DIGEST, mt.EMPTY_JSON)
            index.link_blob(name, mt.EMPTY_JSON_DIGEST, len(mt.EMPTY_JSON))
        platform = await self._config_platform(name, manifest)
        # From here to the write nothing awaits: the checks hold when the transaction commits.
        attributes = index.repository_attributes(name)
        if attributes is not None:
            ensure_allowed(f"repository {name}", attributes, "push")
        if tag is not None:
            current = index.get_tag(name, tag)
            if current is not None and current.digest != digest:
                ensure_allowed(f"tag {name}:{tag}", current.attributes, "push")
        missing = index.missing_blobs(name, manifest.blob_digests()) + index.missing_manifests(
            name, manifest.child_digests()
        )
        if missing:
            raise RegistryError(
                "MANIFEST_BLOB_UNKNOWN",
                f"the manifest references {missing[0]}, which repository {name} does not have: push it first",
                detail={"digest": missing[0]},
            )
        index.put_manifest(_record(name, digest, body, manifest, platform), tag)
        headers = {
            "Location": f"/v2/{name}/manifests/{digest}",
            "Docker-Content-Digest": digest,
        }
        if manifest.subject is not None:
            headers["OCI-Subject"] = manifest.subject.digest
        return Response(status_code=201, headers=headers)

    async def _config_platform(self, name: str, manifest: Manifest) -> tuple[str, str]:
        """(os, architecture) from an image's config blob; empty for indexes and artifacts."""
        config = manifest.config
        if config is None or config.media_type not in _IMAGE_CONFIGS or config.size > MAX_MANIFEST:
            return "", ""
        if self.engine.index.blob_link(name, config.digest) is None:
            return "", ""  # the push is refused for the missing blob anyway
        try:
            with self.engine.blobs.open(config.digest) as f:
                data = f.read() if config.size <= _INLINE_READ else await asyncio.to_thread(f.read)
            image = ImageConfig.from_json(data)
        except (OSError, InvalidConfig):
            return "", ""
        return image.os, image.architecture

    # delete

    async def delete(self, request: Request) -> Response:
        name = repository_name(request)
        tag, digest = parse_reference(request.path_params["reference"])
        reference = tag or digest or ""
        self.engine.gate.authorize(request, Access(name, "delete"))
        index = self.engine.index
        attributes = index.repository_attributes(name)
        if attributes is None:
            raise _manifest_unknown(name, reference)
        ensure_allowed(f"repository {name}", attributes, "delete")
        if tag is not None:
            current = index.get_tag(name, tag)
            if current is None:
                raise _manifest_unknown(name, tag)
            ensure_allowed(f"tag {name}:{tag}", current.attributes, "delete")
            index.delete_tag(name, tag)
            return Response(status_code=202)
        assert digest is not None
        found = index.lookup_manifest(name, digest)
        if found is None:
            raise _manifest_unknown(name, digest)
        ensure_allowed(f"manifest {name}@{digest}", found.attributes, "delete")
        for current in index.list_tags(name, last=None, limit=None, include_hidden=True, digest=digest):
            ensure_allowed(f"tag {name}:{current.name}", current.attributes, "delete")
        parents = index.parents_of(name, digest)
        if parents:
            raise RegistryError(
                "DENIED",
                f"manifest {name}@{digest} is listed by index {parents[0]}: delete that index first",
                detail={"digest": digest, "parents": parents},
                status=409,
            )
        index.delete_manifest(name, digest)
        return Response(status_code=202)


def _record(name: str, digest: str, body: bytes, manifest: Manifest, platform: tuple[str, str]) -> ManifestRecord:
    if manifest.is_index:
        size = sum(d.size for d in manifest.manifests)
    else:
        size = manifest.layer_size
    return ManifestRecord(
        repository=name,
        digest=digest,
        media_type=manifest.media_type,
        body=body,
        subject=manifest.subject.digest if manifest.subject else None,
        artifact_type=manifest.artifact_type,
        config_media_type=manifest.config.media_type if manifest.config else "",
        os=platform[0],
        architecture=platform[1],
        image_size=size,
        blobs=tuple(dict.fromkeys(manifest.blob_digests())),
        children=tuple(
            ChildRef(
                d.digest,
                d.platform.architecture if d.platform else "",
                d.platform.os if d.platform else "",
                d.platform.variant if d.platform else "",
            )
            for d in manifest.manifests
        ),
        annotations_json=json.dumps(manifest.annotations, separators=(",", ":")) if manifest.annotations else "",
    )
