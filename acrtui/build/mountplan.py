"""Putting a RUN's `--mount`s on disk: cache directories (with their sharing locks), staged bind
sources, secret files and the mount points bwrap mounts onto.

Targets are resolved inside the root by the builder's rules (a symlink on the way stays inside the
image) and their mount points are made here, never by bwrap, which would follow an absolute symlink
out of the root. As `buildah bud` does, a mount point created for the run is removed afterwards
while the parent directories made for it stay in the layer; the builder leaves every mount target
out of its snapshots, so nothing under a target ever reaches a layer.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from acrtui.build.cache import BuildCache
from acrtui.build.context import Selection
from acrtui.build.mounts import MountSpec
from acrtui.build.rootfs import remove_tree, resolve_in_root
from acrtui.build.sandbox import SandboxMount, bwrap_supports, host_owner

LogSink = Callable[[str], None]
_IS_ROOT = os.geteuid() == 0
_LOCK_POLL_SECONDS = 0.05
_TMPFS_PERMS = 0o1777  # what a tmpfs gets under runc, and so under BuildKit

# What the builder found for each mount: the context files or a path in a stage's root to bind,
# a secret's bytes, or None (nothing to find: cache, tmpfs, an absent optional secret).
Source = Selection | Path | bytes | None


@dataclass
class _Mounted:
    spec: MountSpec
    source: Path | None = None
    is_dir: bool = True
    target: str = ""  # the target as bwrap gets it: with every symlink on the way resolved


class MountPlan:
    """The mounts of one RUN in `root`. `skip` lists the targets (relative to root) that the
    snapshots must leave out; `mounted()` prepares everything and undoes it afterwards."""

    def __init__(self, root: Path, specs: list[MountSpec], sources: list[Source], cache: BuildCache, log: LogSink,
                 run_as: tuple[int, int]) -> None:
        self.root = root
        self.run_as = run_as  # the run's uid and gid, which decide who owns a secret or cache on the host
        self.specs = specs
        self.sources = sources
        self.cache = cache
        self.log = log
        self.skip = frozenset(
            str(resolve_in_root(root, spec.target, follow_last=True).relative_to(root))
            for spec, source in zip(specs, sources) if spec.target and not (spec.type == "secret" and source is None)
        )

    @asynccontextmanager
    async def mounted(self) -> AsyncIterator[tuple[list[SandboxMount], dict[str, str]]]:
        """The bwrap mounts, in Dockerfile order, and the secrets to add to the environment."""
        locks: list[int] = []
        scratch: list[Path] = []
        created: list[Path] = []
        try:
            mounts, env = await self._prepare(locks, scratch, created)
            yield mounts, env
        finally:
            for path in reversed(created):
                _remove_stub(path)
            for fd in locks:
                os.close(fd)  # closing releases the flock
            for path in scratch:
                await asyncio.to_thread(remove_tree, path)

    async def _prepare(self, locks: list[int], scratch: list[Path], created: list[Path]) -> tuple[list[SandboxMount], dict[str, str]]:
        env: dict[str, str] = {}
        cache_dirs = await self._cache_dirs(locks, scratch)
        placed: list[_Mounted] = []
        for spec, source in zip(self.specs, self.sources):
            if spec.type == "secret":
                if source is None:
                    continue  # an optional secret nobody passed: no file, no variable
                assert isinstance(source, bytes)
                if spec.env:
                    env[spec.env] = os.fsdecode(source)
                if not spec.target:
                    continue
                mounted = _Mounted(spec, await asyncio.to_thread(self._secret_file, spec, source, scratch), is_dir=False)
            elif spec.type == "bind":
                path = await asyncio.to_thread(self._bind_source, spec, source, scratch)
                mounted = _Mounted(spec, path, is_dir=path.is_dir())
            elif spec.type == "cache":
                mounted = _Mounted(spec, cache_dirs[id(spec)])
            else:
                mounted = _Mounted(spec)
            host, mounted.target = self._mount_point(spec.target, placed)
            if host is not None:
                created.extend(_make_stub(host, mounted.is_dir))
            placed.append(mounted)
        mounts = [await self._sandbox_mount(m) for m in placed]
        return mounts, env

    def _mount_point(self, target: str, placed: list[_Mounted]) -> tuple[Path | None, str]:
        """Where the mount point of `target` is made on disk, and the path bwrap mounts on: in the
        root, or inside an earlier mount that holds it (in its source; inside a tmpfs, which holds
        no symlink yet, bwrap makes the point itself)."""
        for outer in reversed(placed):
            prefix = outer.spec.target + "/"
            if target.startswith(prefix):
                rest = target[len(prefix):]
                if outer.source is None:
                    return None, f"{outer.target}/{rest}"
                host = resolve_in_root(outer.source, rest, follow_last=True)
                return host, f"{outer.target}/{host.relative_to(outer.source)}"
        host = resolve_in_root(self.root, target, follow_last=True)
        return host, f"/{host.relative_to(self.root)}"

    async def _sandbox_mount(self, mounted: _Mounted) -> SandboxMount:
        spec = mounted.spec
        if spec.type == "tmpfs":
            size = spec.size
            if size is not None and not await bwrap_supports("--size"):
                self.log(f"  warning: this bubblewrap has no --size, so the tmpfs at {spec.target} has no size limit")
                size = None
            return SandboxMount("tmpfs", mounted.target, perms=_TMPFS_PERMS, size=size)
        readonly = spec.type == "secret" or spec.readonly
        return SandboxMount("ro-bind" if readonly else "bind", mounted.target, mounted.source)

    async def _cache_dirs(self, locks: list[int], scratch: list[Path]) -> dict[int, Path]:
        """Each cache mount's directory, locked as its `sharing` asks. Locks are taken in one
        order (by directory) so that two builds waiting on each other's caches cannot deadlock."""
        chosen: dict[int, Path] = {}
        held: dict[Path, Path] = {}  # one id mounted twice in this RUN is locked once
        caches = sorted((s for s in self.specs if s.type == "cache"), key=lambda s: str(self.cache.mount_dir(s.id)))
        for spec in caches:
            directory = self.cache.mount_dir(spec.id)
            if directory in held:
                chosen[id(spec)] = held[directory]
                continue
            exclusive = spec.sharing != "shared"
            fd = await _lock(directory.with_suffix(".lock"), exclusive, wait=spec.sharing != "private",
                             on_wait=lambda: self.log(f"  waiting for the cache mount {spec.id}, which another build holds"))
            if fd is None:
                # sharing=private and the shared directory is in use: this run gets a fresh one.
                directory = self.cache.temp_dir("cache-mount-")
                scratch.append(directory)
            else:
                locks.append(fd)
            if not directory.exists() or fd is None:
                await asyncio.to_thread(self._make_cache_dir, directory, spec)
            chosen[id(spec)] = held[self.cache.mount_dir(spec.id)] = directory
        return chosen

    def _bind_source(self, spec: MountSpec, source: Source, scratch: list[Path]) -> Path:
        """What to bind: context files staged (hard links, or copies when writable, so the run
        never changes the context); a stage's path as it is, or a copy when writable or when a
        later mount's point must be made inside it (the stage itself must not change)."""
        if isinstance(source, Selection):
            stage = self.cache.temp_dir("bind-")
            scratch.append(stage)
            return _stage_selection(source, stage / "src", copy=not spec.readonly)
        assert isinstance(source, Path)
        holds_another = any(other.target.startswith(spec.target + "/") for other in self.specs)
        if spec.readonly and not holds_another:
            return source
        stage = self.cache.temp_dir("bind-")
        scratch.append(stage)
        copy = stage / "src"
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, copy, symlinks=True)
        else:
            shutil.copy2(source, copy)
        return copy

    def _secret_file(self, spec: MountSpec, value: bytes, scratch: list[Path]) -> Path:
        # In memory where the host has /dev/shm, so that the secret never touches a disk.
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        directory = Path(tempfile.mkdtemp(prefix="acrtui-secret-", dir=shm))
        scratch.append(directory)
        path = directory / "secret"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(value)
        if _IS_ROOT:
            os.chown(path, *host_owner(spec.uid, spec.gid, *self.run_as))
        os.chmod(path, 0o400 if spec.mode is None else spec.mode)
        return path

    def _make_cache_dir(self, directory: Path, spec: MountSpec) -> None:
        directory.mkdir(exist_ok=True)
        if _IS_ROOT:
            os.chown(directory, *host_owner(spec.uid, spec.gid, *self.run_as))
        os.chmod(directory, 0o755 if spec.mode is None else spec.mode)


async def _lock(path: Path, exclusive: bool, wait: bool, on_wait: Callable[[], None]) -> int | None:
    """An flock on `path` (shared or exclusive); None when busy and not waiting. It is polled, not
    blocked on, so that cancelling the build (a newer save) stops the wait at once."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    operation = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    told = False
    try:
        while True:
            try:
                fcntl.flock(fd, operation)
                return fd
            except BlockingIOError:
                if not wait:
                    os.close(fd)
                    return None
                if not told:
                    on_wait()
                    told = True
                await asyncio.sleep(_LOCK_POLL_SECONDS)
    except BaseException:
        os.close(fd)
        raise


def _stage_selection(selection: Selection, dest: Path, copy: bool) -> Path:
    source = selection.source
    if source.kind != "dir":
        _place_file(source.path, dest, copy)
        return dest
    dest.mkdir()
    for member in selection.members:
        path = dest / member.rel
        # A file kept by a `!` exception inside an ignored directory comes without that directory.
        path.parent.mkdir(parents=True, exist_ok=True)
        if member.kind == "dir":
            path.mkdir(exist_ok=True)
            os.chmod(path, member.mode)
        elif member.kind == "symlink":
            os.symlink(member.link, path)
        elif member.kind == "file":
            _place_file(member.path, path, copy)
    os.chmod(dest, source.mode)
    return dest


def _place_file(source: Path, dest: Path, copy: bool) -> None:
    if not copy:
        try:
            os.link(source, dest)
            return
        except OSError:
            pass  # another file system: copy instead
    shutil.copy2(source, dest)


def _make_stub(host: Path, is_dir: bool) -> list[Path]:
    """Make the mount point and missing parents (0755); return the mount point when it was made."""
    if os.path.lexists(host):
        return []
    missing = []
    parent = host.parent
    while not os.path.lexists(parent):
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        directory.mkdir()
        os.chmod(directory, 0o755)
    if is_dir:
        host.mkdir()
        os.chmod(host, 0o755)
    else:
        host.touch(mode=0o644)
    return [host]


def _remove_stub(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        elif path.is_file() and path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass  # the run put something there after all: it stays, as any other file it made
