"""An engine serving the ACR routes on a real loopback socket, and a way to put content in it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from acrtui.engine.acr import routes
from acrtui.engine.errors import RegistryError
from acrtui.engine.state import Engine
from acrtui.engine.storage import ChildRef, ManifestRecord
from acrtui.oci import mediatypes as mt
from acrtui.oci.digest import sha256_digest
from tests.support.tools import free_port, wait_for_port


@dataclass
class AcrServer:
    url: str
    engine: Engine
    http: httpx.Client

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def put_image(self, repository: str, tag: str | None, *, seed: str, arch: str = "amd64", size: int = 1000) -> str:
        """Store an image manifest (optionally tagged) straight into the index; return its digest."""
        config = sha256_digest(f"config-{seed}".encode())
        body = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": mt.OCI_MANIFEST,
                "config": {"mediaType": mt.OCI_CONFIG, "digest": config, "size": 10},
                "layers": [],
                "annotations": {"seed": seed},
            }
        ).encode()
        record = ManifestRecord(
            repository=repository,
            digest=sha256_digest(body),
            media_type=mt.OCI_MANIFEST,
            body=body,
            config_media_type=mt.OCI_CONFIG,
            architecture=arch,
            os="linux",
            image_size=size,
            blobs=(config,),
        )
        self.engine.index.put_manifest(record, tag)
        return record.digest

    def put_index(self, repository: str, tag: str | None, children: dict[str, str]) -> str:
        """Store an index over `children` (digest -> architecture); return its digest."""
        body = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": mt.OCI_INDEX,
                "manifests": [
                    {"mediaType": mt.OCI_MANIFEST, "digest": d, "size": 1, "platform": {"architecture": a, "os": "linux"}}
                    for d, a in children.items()
                ],
            }
        ).encode()
        record = ManifestRecord(
            repository=repository,
            digest=sha256_digest(body),
            media_type=mt.OCI_INDEX,
            body=body,
            children=tuple(ChildRef(d, a, "linux") for d, a in children.items()),
        )
        self.engine.index.put_manifest(record, tag)
        return record.digest


def _registry_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegistryError)
    return exc.response()


@pytest.fixture
def acr(tmp_path) -> Iterator[AcrServer]:
    engine = Engine.open(tmp_path / "data")
    app = Starlette(routes=routes(engine), exception_handlers={RegistryError: _registry_error})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=10) as http:
            yield AcrServer(url=url, engine=engine, http=http)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.close()
