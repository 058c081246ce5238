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
class RunSpec:
    root: Path
    argv: Sequence[str]
    env: Mapping[str, str]
    uid: int
    gid: int
    workdir: str
    network: bool = True
    script: str | None = None  # a `RUN <<EOF` script with its own #! line, run as the program


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise BuildError(
            "RUN needs bubblewrap to isolate the command and it is not installed; "
            "install it (apt-get install bubblewrap) or use --backend buildah"
        )
    return path


SCRIPT_PATH = "/dev/.acrtui-run-script"


def _bwrap_argv(spec: RunSpec, script_file: str | None) -> list[str]:
    argv = [
        bwrap_path(),
        "--bind", str(spec.root), "/",
        "--proc", "/proc",
        "--dev", "/dev",
        "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--hostname", "acrtui-build",
        "--die-with-parent", "--new-session",
        "--clearenv",
        "--chdir", spec.workdir or "/",
    ]
    if not spec.network:
        argv.append("--unshare-net")
    if os.geteuid() != 0 or spec.uid != 0 or spec.gid != 0:
        argv += ["--unshare-user", "--uid", str(spec.uid), "--gid", str(spec.gid)]
    for key, value in spec.env.items():
        argv += ["--setenv", key, value]
    if script_file is not None:
        # /dev is the sandbox's own tmpfs, so the script never lands in the layer.
        argv += ["--ro-bind", script_file, SCRIPT_PATH]
        return argv + ["--", SCRIPT_PATH, *spec.argv]
    return argv + ["--", *spec.argv]


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
