"""The whole sample as push plans, one per repository, generated from its description."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from acrtui.sample.chart import chart_manifest
from acrtui.sample.description import ManifestSpec, SampleDescription
from acrtui.sample.images import ImageFactory
from acrtui.sample.nightly import nightly_plan
from acrtui.sample.plan import PlannedManifest, RepositoryPlan
from acrtui.sample.referrers import sbom, signature


def sample_plans(description: SampleDescription, workdir: Path) -> list[RepositoryPlan]:
    """Every repository of the sample; `workdir` is scratch space for writing layers."""
    factory = ImageFactory(description.layers, workdir)
    plans = []
    for repository, entries in description.repositories.items():
        plan = RepositoryPlan(repository)
        for entry in entries:
            plan.manifests += _entry(description, factory, repository, entry)
        plans.append(plan)
    if description.nightly is not None:
        nightly = description.nightly
        plans.append(nightly_plan(nightly, description.images[nightly.image], factory))
    return plans


def _entry(
    description: SampleDescription, factory: ImageFactory, repository: str, entry: ManifestSpec
) -> list[PlannedManifest]:
    tagged = {"tags": entry.tags, "locked": entry.locked}
    if entry.chart is not None:
        assert entry.created is not None
        return [dataclasses.replace(chart_manifest(entry.chart, entry.created, factory), **tagged)]
    if entry.index:
        assert entry.created is not None
        children = [(description.images[name], factory.image(description.images[name])) for name in entry.index]
        index = factory.index(children, entry.created)
        return [m for _, m in children] + [dataclasses.replace(index, **tagged)]
    assert entry.image is not None
    spec = description.images[entry.image]
    image = dataclasses.replace(factory.image(spec), **tagged)
    out = [image]
    # One referrer per stage: without the referrers API each push rewrites the subject's tag index.
    for stage, kind in enumerate(entry.referrers, start=1):
        if kind == "signature":
            out.append(signature(image, stage))
        else:
            version = spec.runtime.labels.get("org.opencontainers.image.version", entry.tags[0])
            out.append(sbom(image, repository, version, factory.final_files(spec), stage))
    return out
