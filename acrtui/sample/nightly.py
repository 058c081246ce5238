"""The nightly repository: one image a night over a year and more, for pruning to chew on.

Which nights have a build and which were built twice follows from the counts alone (spread
evenly, no randomness), so every seed makes the same tags and digests.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime, timedelta

from acrtui.sample.description import ImageSpec, LayerSpec, NightlySpec, Step
from acrtui.sample.images import ImageFactory
from acrtui.sample.plan import RepositoryPlan

# A rebuild happens this long after the night's first build, which it replaces under the tag.
REBUILD_DELAY = timedelta(hours=3)


def nightly_plan(spec: NightlySpec, base: ImageSpec, factory: ImageFactory) -> RepositoryPlan:
    plan = RepositoryPlan(spec.repository)
    latest = base.created
    built = _spread(spec.days, spec.tags)  # days before `latest` that had a build
    rebuilt = set(built[i] for i in _spread(len(built), spec.rebuilt)) if spec.rebuilt else set()
    for days_ago in built:
        when = latest - timedelta(days=days_ago)
        tag = f"nightly-{when:%Y-%m-%d}"
        week = f"{when.isocalendar().year}-W{when.isocalendar().week:02d}"
        layer = f"nightly-{week}"
        factory.add_layer(LayerSpec(name=layer, files={"opt/nightly/BUILD": f"nightly build, week {week}\n"}))
        if days_ago in rebuilt:
            first = when - REBUILD_DELAY
            plan.manifests.append(factory.image(_night(base, first, layer, f"{tag} first build")))
        plan.manifests.append(dataclasses.replace(factory.image(_night(base, when, layer, tag)), tags=(tag,)))
    return plan


def _night(base: ImageSpec, when: datetime, layer: str, build: str) -> ImageSpec:
    revision = hashlib.sha1(build.encode()).hexdigest()
    labels = {**base.runtime.labels, "org.opencontainers.image.revision": revision}
    layered = [s for s in base.steps if s.layer]
    steps = (*layered, Step(f"RUN ./build.sh --revision {revision[:12]} > /opt/nightly/BUILD", layer),
             *(s for s in base.steps if not s.layer))
    return dataclasses.replace(
        base, created=when, steps=steps, runtime=dataclasses.replace(base.runtime, labels=labels)
    )


def _spread(total: int, count: int) -> list[int]:
    """`count` distinct values in range(total), evenly spread, always including 0."""
    return sorted({(i * total) // count for i in range(count)})
