"""The referrers API: manifests whose subject is a digest, as an OCI image index."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from acrtui.engine.access import Access
from acrtui.engine.distribution.common import Context, Endpoints, parse_digest, repository_name
from acrtui.oci import mediatypes as mt


class Referrers:
    def __init__(self, ctx: Context) -> None:
        self.engine = ctx.engine

    def endpoints(self) -> Endpoints:
        return {"referrers": {"GET": self.get}}

    async def get(self, request: Request) -> Response:
        name = repository_name(request)
        subject = parse_digest(request.path_params["digest"])
        artifact_type = request.query_params.get("artifactType") or None
        self.engine.gate.authorize(request, Access(name, "pull"))
        descriptors: list[dict[str, Any]] = []
        for record in self.engine.index.referrers(name, subject, artifact_type):
            if not record.attributes.list_enabled:
                continue
            descriptor: dict[str, Any] = {"mediaType": record.media_type, "digest": record.digest, "size": record.size}
            kind = record.artifact_type or record.config_media_type
            if kind:
                descriptor["artifactType"] = kind
            if record.annotations_json:
                descriptor["annotations"] = json.loads(record.annotations_json)
            descriptors.append(descriptor)
        body = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": descriptors}
        headers = {"OCI-Filters-Applied": "artifactType"} if artifact_type else {}
        return Response(json.dumps(body, separators=(",", ":")), media_type=mt.OCI_INDEX, headers=headers)
