"""A Helm chart as an OCI artifact, laid out as `helm push` does: the chart's metadata as the
config, the packaged chart (`<name>/…` in a tar.gz) as the one layer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from acrtui.oci import mediatypes as mt
from acrtui.oci.config import canonical_json, format_time
from acrtui.sample.description import DescriptionError, LayerSpec
from acrtui.sample.images import ImageFactory
from acrtui.sample.plan import Blob, PlannedManifest, manifest_json

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


def chart_manifest(directory: Path, created: datetime, factory: ImageFactory) -> PlannedManifest:
    try:
        metadata = yaml.safe_load((directory / "Chart.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DescriptionError(f"{directory / 'Chart.yaml'} is unreadable ({exc})") from None
    if not isinstance(metadata, dict) or not metadata.get("name") or not metadata.get("version"):
        raise DescriptionError(f"{directory / 'Chart.yaml'} needs a name and a version")
    name, version = str(metadata["name"]), str(metadata["version"])
    files = {
        f"{name}/{p.relative_to(directory).as_posix()}": p.read_text(encoding="utf-8")
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
    # helm's own packages hold only files, no directory entries.
    factory.add_layer(LayerSpec(name=f"chart {name}-{version}", files=files, directories=False))
    package = factory.layer(f"chart {name}-{version}").blob
    config = Blob.of(canonical_json(metadata))
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": config.descriptor(HELM_CONFIG),
        "layers": [package.descriptor(HELM_CHART)],
        "annotations": {
            "org.opencontainers.image.created": format_time(created),
            "org.opencontainers.image.description": str(metadata.get("description", "")),
            "org.opencontainers.image.title": name,
            "org.opencontainers.image.version": version,
        },
    }
    return PlannedManifest(
        raw=manifest_json(manifest), media_type=mt.OCI_MANIFEST, created=created, blobs=(config, package)
    )

