"""Seeding a registry with the sample: generate the plans, push them concurrently, then give
tags and manifests their ages and locks.

Seeding is idempotent. Everything is content-addressed and deterministic, so running it again
over a half-seeded registry (a first run that was killed) pushes only what is missing and
lands on the same state; a marker file written at the very end makes later starts skip it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import tempfile
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from acrtui.build.errors import BuildError
from acrtui.client import RegistryClient
from acrtui.oci.digest import is_digest
from acrtui.resources import sample_registry_dir
from acrtui.sample.busybox import import_busybox
from acrtui.sample.description import BusyboxSpec, LayerSpec, load_description
from acrtui.sample.generate import sample_plans
from acrtui.sample.plan import Blob, PlannedManifest, RepositoryPlan

# (repository, tag or digest, when): give that tag or manifest its creation and update time.
Backdate = Callable[[str, str, datetime], object]
Progress = Callable[[str], object]

CONCURRENCY = 4


@dataclass(frozen=True)
class SeedResult:
    seeded: bool  # False when the marker said the registry was seeded before
    repositories: tuple[str, ...] = ()
    manifests: int = 0
    tags: int = 0
    notes: tuple[str, ...] = ()  # what this registry could not take (e.g. locks), one sentence each


def index_backdate(set_times: Callable[..., object]) -> Backdate:
    """A Backdate over the embedded engine's `MetaIndex.set_times(repository, tag=|digest=, when=)`,
    whose times are RFC 3339 UTC strings with microseconds (they sort as text)."""

    def backdate(repository: str, reference: str, when: datetime) -> None:
        key = "digest" if is_digest(reference) else "tag"
        stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        set_times(repository, **{key: reference}, when=stamp)

    return backdate


async def seed_sample_registry(
    client: RegistryClient,
    *,
    marker: Path | None = None,
    progress: Progress | None = None,
    backdate: Backdate | None = None,
    source: Path | None = None,
) -> SeedResult:
    """Push the sample registry through `client`, unless `marker` exists; write `marker` when done.

    `progress` gets one line per repository as it completes. `backdate`, when given, is called
    for every tag and manifest with its sample age (registries without ACR metadata read ages
    from the image configs' `created`, which carry the same times). Registry failures raise
    the client's RegistryError, whose message is one sentence.
    """
    if marker is not None and marker.exists():
        return SeedResult(seeded=False)
    description = load_description(source or sample_registry_dir())
    with tempfile.TemporaryDirectory(prefix="acrtui-sample-") as workdir:
        plans = await asyncio.to_thread(sample_plans, description, Path(workdir))
        seeder = _Seeder(client, progress, backdate, await client.supports_acr())
        pushes = [seeder.repository(plan) for plan in plans]
        if description.busybox is not None:
            busybox = description.busybox
            pushes.append(seeder.busybox(busybox, description.layers[busybox.files], Path(workdir)))
        await _all(pushes)
    if marker is not None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"seeded": seeder.done}, indent=2) + "\n", encoding="utf-8")
    imported = len(seeder.done) - len(plans)  # base/busybox, when the host has busybox
    return SeedResult(
        seeded=True,
        repositories=tuple(seeder.done),
        manifests=sum(len(p.manifests) for p in plans) + imported,
        tags=sum(p.tag_count for p in plans) + imported,
        notes=tuple(seeder.notes),
    )


@dataclass
class _Seeder:
    client: RegistryClient
    progress: Progress | None
    backdate: Backdate | None
    locks: bool  # the registry has ACR's lock attributes
    notes: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # repositories pushed, in the order they completed
    _slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONCURRENCY))
    _first_push: dict[str, tuple[str, asyncio.Future[None]]] = field(default_factory=dict)

    async def repository(self, plan: RepositoryPlan) -> None:
        await _all(self._blob(plan.name, blob) for blob in plan.blobs().values())
        for stage in plan.stages():
            await _all(self._manifest(plan.name, m) for m in stage)
        await self._done(plan.name, f"{_count(plan.tag_count, 'tag')} on {_count(len(plan.manifests), 'manifest')}")

    async def busybox(self, spec: BusyboxSpec, files: LayerSpec, workdir: Path) -> None:
        missing = f"so there is no {spec.repository}:{spec.tag} for the Dev loop's sample contexts to build on"
        try:
            digest = await import_busybox(self.client, spec, files, workdir)
        except BuildError as exc:
            self.notes.append(f"importing {spec.binary} failed ({exc}), {missing}")
            return
        if digest is None:
            self.notes.append(
                f"{spec.binary} is missing or does not run, {missing}; install busybox-static and import a root "
                f"file system with it (acrtui import DIR -t {spec.repository}:{spec.tag})"
            )
            return
        await self._done(spec.repository, f"{_count(1, 'tag')}, imported from {spec.binary}")

    async def _done(self, repository: str, summary: str) -> None:
        self.done.append(repository)
        if self.progress is not None:
            await _call(self.progress, f"{repository}: {summary}")

    async def _blob(self, repository: str, blob: Blob) -> None:
        """Upload a blob once; other repositories that need it mount it from the first one."""
        first = self._first_push.get(blob.digest)
        if first is None:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            # Nobody may be waiting on it: mark the outcome seen so a failure is not reported twice.
            done.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._first_push[blob.digest] = (repository, done)
            try:
                async with self._slots:
                    await self.client.push_blob(repository, blob.digest, blob.data)
            except asyncio.CancelledError:
                done.cancel()
                raise
            except Exception as exc:
                done.set_exception(exc)
                raise
            done.set_result(None)
            return
        source, done = first
        try:
            await asyncio.shield(done)
        except (Exception, asyncio.CancelledError):
            task = asyncio.current_task()
            if not done.done() or (task is not None and task.cancelling()):
                raise  # we were cancelled ourselves
            source = None  # the first upload failed or was cancelled; try our own
        async with self._slots:
            await self.client.push_blob(repository, blob.digest, blob.data, mount_from=source)

    async def _manifest(self, repository: str, manifest: PlannedManifest) -> None:
        references = manifest.tags or (manifest.digest,)
        async with self._slots:
            await self._put(repository, references[0], manifest)
        await _all(self._tag(repository, tag, manifest) for tag in references[1:])
        if self.backdate is not None:
            for reference in (manifest.digest, *manifest.tags):
                await _call(self.backdate, repository, reference, manifest.created)
        for tag in manifest.locked:
            await self._lock(repository, tag)

    async def _tag(self, repository: str, tag: str, manifest: PlannedManifest) -> None:
        async with self._slots:
            await self._put(repository, tag, manifest)

    async def _put(self, repository: str, reference: str, manifest: PlannedManifest) -> None:
        if reference in manifest.locked:
            # A locked tag refuses writes, even of what it holds: a rerun after the lock is done.
            head = await self.client.head_manifest(repository, reference)
            if head is not None and head.digest == manifest.digest:
                return
        await self.client.put_manifest(repository, reference, manifest.raw, manifest.media_type)

    async def _lock(self, repository: str, tag: str) -> None:
        if not self.locks:
            self.notes.append(f"{self.client.host} has no lock attributes, so {repository}:{tag} is not locked")
            return
        async with self._slots:
            await self.client.set_tag_locks(repository, tag, write_enabled=False, delete_enabled=False)


async def _all(coroutines: Iterable[Coroutine[object, object, None]]) -> None:
    """Run concurrently; the first failure cancels the rest and is raised as itself (a
    RegistryError's one sentence, not an exception group)."""
    try:
        async with asyncio.TaskGroup() as group:
            for coroutine in coroutines:
                group.create_task(coroutine)
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


async def _call(callback: Callable[..., object], *args: object) -> None:
    """Call a callback that may be a plain function or a coroutine function."""
    result = callback(*args)
    if inspect.isawaitable(result):
        await result  # type: ignore[misc]
