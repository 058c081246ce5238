"""`acrtui build`, `acrtui import` and `acrtui watch`: argument handling, output, exit codes.

Which registry a command talks to is decided by start-up code (acrtui.cli), which hands in
`open_registry(target)`: an async context manager giving a RegistryClient.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import string
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TextIO

from acrtui.build.backends import Backend, BuildahBackend, BuildOutcome, BuildRequest, DockerBackend, NativeBackend, Target
from acrtui.build.builder import human_size
from acrtui.build.cache import BuildCache
from acrtui.build.context import ContentHasher
from acrtui.build.dockerfile import DockerfileError
from acrtui.build.errors import BuildError
from acrtui.build.platforms import parse_platform
from acrtui.build.registry import RegistryStore
from acrtui.build.secrets import parse_secrets
from acrtui.build.watch import WatchEvent, Watcher
from acrtui.client import RegistryClient, RegistryError
from acrtui.oci.reference import ImageReference

OpenRegistry = Callable[[str | None], AbstractAsyncContextManager[RegistryClient]]


def run_id() -> str:
    """An ACR-style run id: two letters and a short random suffix."""
    return "dv" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(4))


def parse_targets(tags: list[str]) -> list[Target]:
    targets = []
    for text in tags:
        try:
            ref = ImageReference.parse(text)
        except ValueError as exc:
            raise BuildError(f"-t {text}: {exc}; use REPO:TAG such as app:dev") from None
        if ref.digest:
            raise BuildError(f"-t {text} pins a digest; give REPO:TAG")
        targets.append(Target(ref.repository, ref.tag or "latest"))
    return targets


def check_hosts(tags: list[str], host: str) -> None:
    """A -t that names a registry must name the one the command pushes to."""
    for text in tags:
        named = ImageReference.parse(text).registry
        if named and named != host:
            raise BuildError(f"-t {text} names registry {named}, but this command pushes to {host}; drop the host or pass --registry {named}")


def build_request(args: argparse.Namespace) -> BuildRequest:
    context = Path(args.context)
    build_args: dict[str, str] = {}
    for item in args.build_args:
        key, eq, value = item.partition("=")
        if not key:
            raise BuildError(f"--build-arg {item} is not KEY=VALUE")
        if eq:
            build_args[key] = value
        elif key in os.environ:
            # As docker build does: a bare KEY takes its value from the environment.
            build_args[key] = os.environ[key]
    targets = parse_targets(args.tags)
    push = not args.no_push
    if push and not targets:
        raise BuildError("give at least one -t REPO:TAG to push to, or --no-push")
    platforms = [parse_platform(p) for p in args.platform.split(",")] if args.platform else []
    return BuildRequest(
        context=context, targets=targets, dockerfile=Path(args.dockerfile) if args.dockerfile else None,
        platforms=platforms, build_args=build_args, target_stage=args.target, push=push, no_cache=args.no_cache,
        secrets=parse_secrets(args.secrets),
    )


def make_backend(name: str, client: RegistryClient | None, cache: BuildCache, hasher: ContentHasher | None = None,
                 on_step: Callable[[int, int, str], None] | None = None) -> Backend:
    if name == "buildah":
        return BuildahBackend(client.url if client else None, client.profile.insecure if client else False)
    if name == "docker":
        return DockerBackend(client.url if client else None)
    return NativeBackend(RegistryStore(client) if client else None, cache, hasher, on_step)


def describe(outcome: BuildOutcome, host: str | None) -> str:
    """The one line a finished build ends with."""
    if not outcome.pushed:
        return f"built {outcome.digest} in {outcome.seconds:.2f}s ({outcome.cached_steps}/{outcome.steps} steps cached, not pushed)"
    names = ", ".join(f"{host + '/' if host else ''}{p.repository}:{t}" for p in outcome.pushed for t in p.tags)
    return (f"pushed {names} {outcome.digest} in {outcome.seconds:.2f}s "
            f"({human_size(outcome.bytes_sent)} sent, {outcome.cached_steps}/{outcome.steps} steps cached)")


def _fail(out: TextIO, command: str, exc: BaseException) -> int:
    message = exc.message if isinstance(exc, (BuildError, RegistryError)) else str(exc)
    print(f"acrtui {command}: {message}", file=out)
    log = getattr(exc, "log", "")
    if log:
        print(log, file=out)
    return 1


async def _with_timeout(coro, timeout: float | None):
    if timeout is None:
        return await coro
    try:
        return await asyncio.wait_for(coro, timeout)
    except asyncio.TimeoutError:
        raise BuildError(f"the build ran longer than --timeout {timeout:g}s and was stopped; raise --timeout or speed up the slow step") from None


def build_command(args: argparse.Namespace, open_registry: OpenRegistry, out: TextIO = sys.stdout) -> int:
    return asyncio.run(_build(args, open_registry, out))


async def _build(args: argparse.Namespace, open_registry: OpenRegistry, out: TextIO) -> int:
    try:
        request = build_request(args)
        print(f"Run ID: {run_id()}", file=out, flush=True)

        def log(line: str) -> None:
            print(line, file=out, flush=True)

        async with open_registry(args.registry) as client:
            check_hosts(args.tags, client.host)
            backend = make_backend(args.backend, client, BuildCache())
            try:
                outcome = await _with_timeout(backend.run(request, log), args.timeout)
            finally:
                await backend.close()
            print(describe(outcome, client.host), file=out, flush=True)
        return 0
    except (BuildError, DockerfileError, RegistryError) as exc:
        return _fail(out, "build", exc)


def import_command(args: argparse.Namespace, open_registry: OpenRegistry, out: TextIO = sys.stdout) -> int:
    return asyncio.run(_import(args, open_registry, out))


async def _import(args: argparse.Namespace, open_registry: OpenRegistry, out: TextIO) -> int:
    from contextlib import asynccontextmanager

    from acrtui.build.importer import copy_image, import_image

    @asynccontextmanager
    async def remote(host: str):
        async with open_registry(host) as other:
            yield RegistryStore(other)

    try:
        targets = parse_targets(args.tags)
        platform = parse_platform(args.platform) if args.platform else None
        cache = BuildCache()
        async with open_registry(args.registry) as client:
            check_hosts(args.tags, client.host)
            store = RegistryStore(client)
            first = targets[0]
            digest = await import_image(args.source, store, first.repository, first.tag, cache,
                                        lambda line: print(line, file=out, flush=True), platform, remote)
            for target in targets[1:]:
                await copy_image(store, first.repository, digest, store, target.repository, target.tag, cache, lambda line: None)
            names = ", ".join(f"{client.host}/{t.repository}:{t.tag}" for t in targets)
            print(f"imported {names} {digest}", file=out, flush=True)
        return 0
    except (BuildError, RegistryError) as exc:
        return _fail(out, "import", exc)


def watch_command(args: argparse.Namespace, open_registry: OpenRegistry, out: TextIO = sys.stdout) -> int:
    try:
        return asyncio.run(_watch(args, open_registry, out))
    except KeyboardInterrupt:
        return 0


async def _watch(args: argparse.Namespace, open_registry: OpenRegistry, out: TextIO) -> int:
    try:
        request = build_request(args)
        async with open_registry(args.registry) as client:
            check_hosts(args.tags, client.host)
            cache = BuildCache()
            hasher = ContentHasher()
            lines: list[str] = []
            backend = make_backend(args.backend, client, cache, hasher)
            dockerfile = request.dockerfile or request.context / "Dockerfile"

            async def build() -> BuildOutcome:
                lines.clear()
                return await _with_timeout(backend.run(request, lines.append), args.timeout)

            def report(event: WatchEvent) -> None:
                if event.kind == "built":
                    print(f"#{event.number} {describe(event.outcome, client.host)}", file=out, flush=True)  # type: ignore[arg-type]
                elif event.kind == "failed":
                    assert event.error is not None
                    print(f"#{event.number} failed after {event.seconds:.2f}s: {event.error.message}", file=out, flush=True)
                    shown = event.error.log or "\n".join(lines[-20:])
                    if shown:
                        print(shown, file=out, flush=True)
                elif event.kind == "cancelled":
                    print(f"#{event.number} cancelled by a newer save", file=out, flush=True)

            print(f"watching {request.context} (Ctrl+C to stop)", file=out, flush=True)
            try:
                await Watcher(request.context, dockerfile, build, report).run()
            finally:
                await backend.close()
        return 0
    except (BuildError, DockerfileError, RegistryError) as exc:
        return _fail(out, "watch", exc)
