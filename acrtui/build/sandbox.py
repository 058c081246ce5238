"""Running a RUN command isolated in a root file system, with bubblewrap.

Why bubblewrap (`bwrap`) rather than util-linux `unshare` + `chroot`: bwrap is one small program
made for exactly this. It creates the mount, PID, IPC and UTS namespaces, binds the root, mounts a
fresh /proc and a minimal /dev inside it, maps the user through a user namespace when we are not
root, drops to the Dockerfile's USER, and dies with its parent, all in one exec with no helper
binary needed inside the image. `unshare` + `chroot` would need root (or `--map-root-user`), a
separate /proc and /dev setup, and something inside the image to change user.

When we run as root (CI), bwrap runs without a user namespace for `USER root`, so `chown` and
friends work as they do under Docker; a non-root USER runs in a user namespace mapped onto the
caller, and the files it creates are recorded as owned by that USER. Without root, one user is
mapped (the caller, seen as root or as the USER inside), which is what unprivileged namespaces allow.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from acrtui.build.errors import BuildError

LogSink = Callable[[str], None]
MOUNT_POINTS = ("proc", "dev", "sys")
_TAIL_LINES = 40


@dataclass(frozen=True)
class SandboxMount:
    """One `RUN --mount`, as bwrap takes it: `kind` is bind, ro-bind or tmpfs; `target` is a path
    inside the root with no symlink on the way (the builder resolved it and made the mount point)."""

    kind: str
    target: str
    source: Path | None = None
    perms: int | None = None  # tmpfs only
    size: int | None = None  # tmpfs only, when bwrap supports --size


@dataclass(frozen=True)
class RunSpec:
    root: Path
    argv: Sequence[str]
    env: Mapping[str, str]
    uid: int
    gid: int
    workdir: str
    network: bool = True
    script: str | None = None  # a `RUN <<EOF` script with its own #! line, run as the program
    mounts: Sequence[SandboxMount] = ()


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise BuildError(
            "RUN needs bubblewrap to isolate the command and it is not installed; "
            "install it (apt-get install bubblewrap) or use --backend buildah"
        )
    return path


SCRIPT_PATH = "/dev/.acrtui-run-script"


def uses_user_namespace(uid: int, gid: int) -> bool:
    return os.geteuid() != 0 or uid != 0 or gid != 0


def host_owner(uid: int, gid: int, run_uid: int, run_gid: int) -> tuple[int, int]:
    """Who must own a file on the host for a run as run_uid:run_gid to see it owned by uid:gid. In a
    user namespace only the caller is mapped, and the run sees it as its own user."""
    if not uses_user_namespace(run_uid, run_gid):
        return uid, gid
    return os.geteuid() if uid == run_uid else uid, os.getegid() if gid == run_gid else gid


def _bwrap_argv(spec: RunSpec, script_file: str | None) -> list[str]:
    argv = [
        bwrap_path(),
        "--bind", str(spec.root), "/",
        "--proc", "/proc",
        "--dev", "/dev",
        *_mount_argv(spec.mounts),
        "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--hostname", "acrtui-build",
        "--die-with-parent", "--new-session",
        "--chdir", spec.workdir or "/",
    ]
    if not spec.network:
        argv.append("--unshare-net")
    if uses_user_namespace(spec.uid, spec.gid):
        argv += ["--unshare-user", "--uid", str(spec.uid), "--gid", str(spec.gid)]
    if script_file is not None:
        # /dev is the sandbox's own tmpfs, so the script never lands in the layer.
        argv += ["--ro-bind", script_file, SCRIPT_PATH]
        return argv + ["--", SCRIPT_PATH, *spec.argv]
    return argv + ["--", *spec.argv]


def _mount_argv(mounts: Sequence[SandboxMount]) -> list[str]:
    argv: list[str] = []
    for mount in mounts:
        if mount.kind == "tmpfs":
            if mount.perms is not None:
                argv += ["--perms", f"{mount.perms:o}"]
            if mount.size is not None:
                argv += ["--size", str(mount.size)]
            argv += ["--tmpfs", mount.target]
        else:
            argv += [f"--{mount.kind}", str(mount.source), mount.target]
    return argv


async def bwrap_supports(option: str) -> bool:
    """Whether the installed bwrap knows `option` (--size came with bubblewrap 0.7)."""
    if option not in _SUPPORTED:
        process = await asyncio.create_subprocess_exec(bwrap_path(), "--help", stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.STDOUT)
        out, _ = await process.communicate()
        _SUPPORTED[option] = f"{option} " in out.decode(errors="replace")
    return _SUPPORTED[option]


_SUPPORTED: dict[str, bool] = {}


async def run_isolated(spec: RunSpec, log: LogSink) -> None:
    """Run `spec.argv` in the root; each output line goes to `log`. A non-zero exit raises
    BuildError carrying the exit code and the output's last lines."""
    created = [name for name in MOUNT_POINTS if not (spec.root / name).exists()]
    for name in created:
        (spec.root / name).mkdir()
    workdir = spec.root / spec.workdir.lstrip("/")
    tail: list[str] = []
    script_file = None
    if spec.script is not None:
        fd, script_file = tempfile.mkstemp(prefix="acrtui-run-")
        with os.fdopen(fd, "w") as f:
            f.write(spec.script)
        os.chmod(script_file, 0o755)
    try:
        process = await asyncio.create_subprocess_exec(
            *_bwrap_argv(spec, script_file),
            # The environment goes to bwrap as its own (which it passes on), never as --setenv
            # arguments, so that secret values stay out of every process's command line.
            env=dict(spec.env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            assert process.stdout is not None
            while True:
                raw = await process.stdout.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                tail = (tail + [line])[-_TAIL_LINES:]
                log(line)
            code = await process.wait()
        except asyncio.CancelledError:
            _kill(process)
            await process.wait()
            raise
    finally:
        if script_file is not None:
            os.unlink(script_file)
        for name in created:
            path = spec.root / name
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    if code != 0:
        text = "\n".join(tail)
        if "bwrap:" in text and ("Operation not permitted" in text or "No permission" in text or "setting up uid map" in text):
            raise BuildError(
                "RUN cannot be isolated here because this system forbids unprivileged user namespaces; "
                "enable them (sysctl kernel.unprivileged_userns_clone=1) or run the build as root",
                log=text, exit_code=code,
            )
        if not workdir.exists() and "Can't chdir" in text:
            raise BuildError(f"RUN cannot start in WORKDIR {spec.workdir}; it does not exist", log=text, exit_code=code)
        command = " ".join(spec.argv) or "the heredoc script"
        raise BuildError(f"RUN {command} failed with exit code {code}", log=text, exit_code=code)


def _kill(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
