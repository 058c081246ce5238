"""Build backends behind one interface: `native` (the default), `buildah` and `docker`.

Each takes a `BuildRequest` and the target registry, builds, pushes (unless told not to) and
returns a `BuildOutcome`. The native backend is acrtui's own builder; buildah runs as a
subprocess when installed; docker talks to a Docker engine through the `docker` SDK when
DOCKER_HOST or the default socket answers.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from acrtui.build.builder import BuildOptions, NativeBuilder
from acrtui.build.cache import BuildCache
from acrtui.build.context import ContentHasher
from acrtui.build.errors import BuildError
from acrtui.build.push import PushReport, push_result
from acrtui.build.registry import RegistryStore
from acrtui.build.rootfspool import RootfsPool
from acrtui.build.secrets import SecretSource
from acrtui.oci.manifest import Platform

LogSink = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    repository: str
    tag: str


@dataclass
class BuildRequest:
    context: Path
    targets: list[Target]
    dockerfile: Path | None = None
    platforms: list[Platform] = field(default_factory=list)
    build_args: dict[str, str] = field(default_factory=dict)
    target_stage: str | None = None
    push: bool = True
    no_cache: bool = False
    secrets: dict[str, SecretSource] = field(default_factory=dict)  # by id, for RUN --mount=type=secret


@dataclass(frozen=True)
class BuildOutcome:
    digest: str
    pushed: tuple[PushReport, ...]
    steps: int = 0
    cached_steps: int = 0
    seconds: float = 0.0

    @property
    def bytes_sent(self) -> int:
        return sum(p.bytes_sent for p in self.pushed)


class Backend(Protocol):
    name: str

    async def run(self, request: BuildRequest, log: LogSink) -> BuildOutcome: ...

    async def close(self) -> None: ...


def group_targets(targets: list[Target]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for t in targets:
        grouped.setdefault(t.repository, []).append(t.tag)
    return grouped


class NativeBackend:
    """acrtui's own builder. Kept across builds (watch, the TUI's Dev loop) it remembers file
    hashes and keeps base root file systems unpacked ahead of the next build; `close()` frees them."""

    name = "native"

    def __init__(self, store: RegistryStore | None, cache: BuildCache | None = None, hasher: ContentHasher | None = None,
                 on_step: Callable[[int, int, str], None] | None = None) -> None:
        self.store = store
        self.cache = cache or BuildCache()
        self.hasher = hasher or ContentHasher()
        self.on_step = on_step
        self.pool = RootfsPool(self.cache)

    async def close(self) -> None:
        await self.pool.close()

    async def run(self, request: BuildRequest, log: LogSink) -> BuildOutcome:
        started = time.monotonic()
        builder = NativeBuilder(self.store, self.cache, log, self.hasher, self.on_step, self.pool)
        result = await builder.build(BuildOptions(
            context=request.context, dockerfile=request.dockerfile, platforms=request.platforms,
            build_args=request.build_args, target=request.target_stage, no_cache=request.no_cache,
            secrets=request.secrets,
        ))
        reports: list[PushReport] = []
        if request.push:
            if self.store is None:
                raise BuildError("there is no registry to push to; pass --registry or --no-push")
            for repo, tags in group_targets(request.targets).items():
                reports.append(await push_result(result, self.store, self.cache, repo, tags, source=self.store))
        return BuildOutcome(result.digest, tuple(reports), result.steps, result.cached_steps, time.monotonic() - started)


async def _stream(argv: list[str], log: LogSink, what: str, env: dict[str, str] | None = None) -> None:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL, env=env, start_new_session=True,
    )
    tail: list[str] = []
    try:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            tail = (tail + [line])[-40:]
            log(line)
        code = await process.wait()
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    if code != 0:
        raise BuildError(f"{what} failed with exit code {code}", log="\n".join(tail), exit_code=code)


class BuildahBackend:
    """`buildah bud` then `buildah push` to the registry (plain http allowed for loopback)."""

    name = "buildah"

    def __init__(self, registry_url: str | None, insecure: bool = False) -> None:
        self.registry_url = registry_url
        self.insecure = insecure
        self.executable = shutil.which("buildah")
        if self.executable is None:
            raise BuildError("--backend buildah needs buildah, which is not installed; install it (apt-get install buildah) or use --backend native")

    async def run(self, request: BuildRequest, log: LogSink) -> BuildOutcome:
        started = time.monotonic()
        local = f"localhost/acrtui-build-{os.getpid()}-{int(started * 1000)}"
        argv = [self.executable, "bud", "--layers", "--isolation", "chroot", "-t", local]  # type: ignore[list-item]
        if request.dockerfile:
            argv += ["-f", str(request.dockerfile)]
        for platform in request.platforms:
            argv += ["--platform", str(platform)]
        for key, value in request.build_args.items():
            argv += ["--build-arg", f"{key}={value}"]
        if request.target_stage:
            argv += ["--target", request.target_stage]
        if request.no_cache:
            argv.append("--no-cache")
        for secret in request.secrets.values():
            argv += ["--secret", f"id={secret.id},src={secret.path}" if secret.path else f"id={secret.id},env={secret.env}"]
        argv.append(str(request.context))
        digest = ""
        reports: list[PushReport] = []
        with tempfile.TemporaryDirectory(prefix="acrtui-buildah-") as scratch:
            env = dict(os.environ)
            if self.registry_url:
                # Short FROM names resolve against the connected registry, as with the native builder.
                # A per-user registries.conf (under a private HOME) is the one way to keep the
                # system's short-name aliases (docker.io/…) out of the lookup.
                conf = Path(scratch) / ".config" / "containers" / "registries.conf"
                conf.parent.mkdir(parents=True)
                host = urlsplit(self.registry_url).netloc
                conf.write_text(
                    f'unqualified-search-registries = ["{host}"]\nshort-name-mode = "permissive"\n'
                    f'[[registry]]\nlocation = "{host}"\ninsecure = {"true" if self._plain_http() else "false"}\n'
                )
                env["HOME"] = scratch
            await self._build_and_push(argv, env, local, request, log, reports)
        digest = reports[-1].digest if reports else ""
        return BuildOutcome(digest, tuple(reports), seconds=time.monotonic() - started)

    async def _build_and_push(self, argv: list[str], env: dict[str, str], local: str, request: BuildRequest,
                              log: LogSink, reports: list[PushReport]) -> None:
        await _stream(argv, log, "buildah bud", env)
        try:
            if request.push:
                if not self.registry_url:
                    raise BuildError("there is no registry to push to; pass --registry or --no-push")
                host = urlsplit(self.registry_url).netloc
                for target in request.targets:
                    with tempfile.NamedTemporaryFile("r") as digestfile:
                        push = [self.executable, "push", "--digestfile", digestfile.name]  # type: ignore[list-item]
                        if self._plain_http():
                            push.append("--tls-verify=false")
                        push += [local, f"docker://{host}/{target.repository}:{target.tag}"]
                        await _stream(push, log, "buildah push", env)
                        digest = digestfile.read().strip()
                    reports.append(PushReport(target.repository, (target.tag,), digest, 0, 0, 0))
        finally:
            remove = await asyncio.create_subprocess_exec(self.executable, "rmi", local,  # type: ignore[arg-type]
                                                          stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            await remove.wait()

    async def close(self) -> None:
        return None

    def _plain_http(self) -> bool:
        return bool(self.registry_url) and (self.registry_url.startswith("http://") or self.insecure)  # type: ignore[union-attr]


class DockerBackend:
    """A Docker engine through the `docker` SDK, when DOCKER_HOST or the default socket answers."""

    name = "docker"

    def __init__(self, registry_url: str | None) -> None:
        self.registry_url = registry_url
        try:
            import docker
            from docker.errors import DockerException
        except ImportError:
            raise BuildError("--backend docker needs the docker Python package; install it (pip install docker) or use --backend native") from None
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        try:
            self.client = docker.from_env(timeout=10)
            self.client.ping()
        except DockerException:
            raise BuildError(f"no Docker engine answers at {where}; start one (or set DOCKER_HOST) or use --backend native") from None

    async def run(self, request: BuildRequest, log: LogSink) -> BuildOutcome:
        return await asyncio.to_thread(self._run, request, log)

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)

    def _run(self, request: BuildRequest, log: LogSink) -> BuildOutcome:
        from docker.errors import APIError, BuildError as DockerBuildError

        if request.secrets:
            raise BuildError("--secret needs BuildKit, which the docker SDK's build does not use; use --backend native or buildah")

        started = time.monotonic()
        host = urlsplit(self.registry_url).netloc if self.registry_url else ""
        names = [f"{host}/{t.repository}:{t.tag}" if host else f"{t.repository}:{t.tag}" for t in request.targets]
        try:
            image, stream = self.client.images.build(
                path=str(request.context), dockerfile=str(request.dockerfile) if request.dockerfile else None,
                tag=names[0], buildargs=request.build_args or None, target=request.target_stage,
                platform=str(request.platforms[0]) if request.platforms else None, nocache=request.no_cache, rm=True,
            )
            for chunk in stream:
                text = chunk.get("stream", "") if isinstance(chunk, dict) else ""
                for line in text.splitlines():
                    log(line)
            reports: list[PushReport] = []
            digest = image.id
            for name, target in zip(names, request.targets):
                image.tag(name)
                if request.push:
                    for status in self.client.images.push(name, stream=True, decode=True):
                        if "error" in status:
                            raise BuildError(f"docker push {name} failed: {status['error']}")
                        aux = status.get("aux") or {}
                        digest = aux.get("Digest", digest)
                    reports.append(PushReport(target.repository, (target.tag,), digest, 0, 0, 0))
        except DockerBuildError as exc:
            raise BuildError(f"the Docker engine's build failed: {exc.msg}") from None
        except APIError as exc:
            raise BuildError(f"the Docker engine refused the build: {exc.explanation or exc}") from None
        return BuildOutcome(digest, tuple(reports), seconds=time.monotonic() - started)
