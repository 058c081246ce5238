"""`acrtui build` and `acrtui import` as a user runs them, against docker-registry and the engine."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from acrtui.build.cache import BuildCache
from acrtui.build.importer import copy_image
from acrtui.build.registry import RegistryStore
from acrtui.client import Profile, RegistryClient
from tests.support.tools import require_tool


def acrtui(*args: str, env_home, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_CACHE_HOME=str(env_home / "cache"), XDG_DATA_HOME=str(env_home / "data"),
               XDG_CONFIG_HOME=str(env_home / "config"))
    return subprocess.run([sys.executable, "-m", "acrtui", *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def seeded(distribution, base_layout, tmp_path):
    """docker-registry with busybox:latest."""

    async def seed() -> None:
        async with RegistryClient(Profile(name="d", url=distribution.url)) as client:
            await copy_image(base_layout, "", "busybox:latest", RegistryStore(client), "busybox", "latest",
                             BuildCache(tmp_path / "seed-cache"), lambda l: None)

    asyncio.run(seed())
    return distribution


def context(tmp_path, dockerfile: str, **files: str):
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (ctx / name).write_text(text)
    return ctx


def test_build_prints_run_id_streams_log_and_ends_with_the_digest(seeded, tmp_path):
    ctx = context(tmp_path, "FROM busybox\nRUN echo from-run\nCOPY a.txt /\n", **{"a.txt": "a"})
    done = acrtui("build", "-t", "app:dev", "-t", "app:latest", "--registry", seeded.url, str(ctx), env_home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Run ID: dv")
    assert "[1/3] FROM busybox" in lines and "  from-run" in lines
    host = seeded.url.split("://")[1]
    assert lines[-1].startswith(f"pushed {host}/app:dev, {host}/app:latest sha256:")


def test_build_errors_are_one_sentence(seeded, tmp_path):
    ctx = context(tmp_path, "FROM busybox\nCOPY nothere.txt /\n")
    done = acrtui("build", "-t", "app:dev", "--registry", seeded.url, str(ctx), env_home=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == (
        "acrtui build: COPY nothere.txt: nothere.txt does not exist in the build context; check the path and .dockerignore")
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN echo partial output; exit 3\n")
    done = acrtui("build", "-t", "app:dev", "--registry", seeded.url, str(ctx), env_home=tmp_path)
    assert done.returncode == 1
    assert "acrtui build: Dockerfile:2: RUN echo partial output; exit 3 failed with exit code 3" in done.stdout
    assert done.stdout.rstrip().endswith("partial output")
    (ctx / "Dockerfile").write_text("FROM busybox\nCOPY\n")
    done = acrtui("build", "--no-push", "--registry", seeded.url, str(ctx), env_home=tmp_path)
    assert done.stdout.splitlines()[-1] == "acrtui build: Dockerfile:2: COPY: COPY needs at least one source and a destination"


def test_timeout_stops_the_build(seeded, tmp_path):
    ctx = context(tmp_path, "FROM busybox\nRUN echo started && sleep 30\n")
    done = acrtui("build", "-t", "slow:1", "--timeout", "2", "--registry", seeded.url, str(ctx), env_home=tmp_path, timeout=60)
    assert done.returncode == 1
    assert "acrtui build: the build ran longer than --timeout 2s and was stopped" in done.stdout
    assert not _running("sleep 30"), "the RUN was left running after the timeout"


def _running(command: str) -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().replace(b"\0", b" ").strip() == command.encode():
                return True
        except OSError:
            continue
    return False


def test_docker_backend_without_an_engine_says_so(seeded, tmp_path):
    ctx = context(tmp_path, "FROM busybox\n")
    done = acrtui("build", "-t", "a:b", "--backend", "docker", "--registry", seeded.url, str(ctx), env_home=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1].startswith("acrtui build: no Docker engine answers at ")


def test_buildah_backend_builds_and_pushes(seeded, tmp_path):
    require_tool("buildah", "buildah")
    ctx = context(tmp_path, "FROM busybox\nCOPY a.txt /a.txt\n", **{"a.txt": "a"})
    done = acrtui("build", "-t", "viabuildah:1", "--backend", "buildah", "--registry", seeded.url, str(ctx),
                  env_home=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[-1].startswith(f"pushed {seeded.url.split('://')[1]}/viabuildah:1 sha256:")


# -- import ---------------------------------------------------------------------------------


def _manifest(url: str, repo: str, tag: str) -> dict:
    async def get() -> dict:
        async with RegistryClient(Profile(name="d", url=url)) as client:
            fetched = await client.get_manifest(repo, tag)
            config = await client.get_config(repo, fetched.manifest)
            return {"manifest": json.loads(fetched.raw), "config": config, "digest": fetched.digest}

    return asyncio.run(get())


def test_import_oci_layout_and_from_another_registry(seeded, base_layout, tmp_path):
    done = acrtui("import", f"{base_layout.path}:busybox:latest", "-t", "bb:1", "--registry", seeded.url, env_home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    imported = _manifest(seeded.url, "bb", "1")
    assert done.stdout.splitlines()[-1].endswith(imported["digest"])
    # Registry to registry: docker-registry → a second docker-registry.
    from tests.support.distribution import run_distribution

    other_dir = tmp_path / "other"
    other_dir.mkdir()
    with run_distribution(other_dir) as other:
        host = seeded.url.split("://")[1]
        done = acrtui("import", f"{host}/bb:1", "-t", "copied:2", "--registry", other.url, env_home=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert _manifest(other.url, "copied", "2")["digest"] == imported["digest"]


def test_import_docker_archive_and_build_on_it(seeded, base_layout, tmp_path):
    skopeo = require_tool("skopeo", "skopeo")
    archive = tmp_path / "saved.tar"
    subprocess.run([skopeo, "copy", f"oci:{base_layout.path}:busybox:latest", f"docker-archive:{archive}:busybox:saved"],
                   check=True, capture_output=True, timeout=60)
    done = acrtui("import", str(archive), "-t", "fromsave:1", "--registry", seeded.url, env_home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    imported = _manifest(seeded.url, "fromsave", "1")
    assert len(imported["config"].diff_ids) == 2
    ctx = context(tmp_path, "FROM fromsave:1\nRUN echo ok > /ok\n")
    built = acrtui("build", "-t", "child:1", "--registry", seeded.url, str(ctx), env_home=tmp_path)
    assert built.returncode == 0, built.stdout


def test_import_root_file_system_directory_and_tarball(seeded, tmp_path):
    busybox = require_tool("busybox", "busybox-static")
    rootfs = tmp_path / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    shutil.copy(busybox, rootfs / "bin" / "busybox")
    os.symlink("busybox", rootfs / "bin" / "sh")
    os.symlink("busybox", rootfs / "bin" / "echo")
    done = acrtui("import", str(rootfs), "-t", "tiny:dir", "--registry", seeded.url, env_home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    from_dir = _manifest(seeded.url, "tiny", "dir")
    assert len(from_dir["manifest"]["layers"]) == 1 and from_dir["config"].os == "linux"
    ctx = context(tmp_path, "FROM tiny:dir\nRUN echo it runs > /proof\n")
    built = acrtui("build", "-t", "onrootfs:1", "--registry", seeded.url, str(ctx), env_home=tmp_path)
    assert built.returncode == 0, built.stdout

    tarball = tmp_path / "rootfs.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(rootfs, arcname=".")
    done = acrtui("import", str(tarball), "-t", "tiny:tar", "--registry", seeded.url, env_home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(_manifest(seeded.url, "tiny", "tar")["manifest"]["layers"]) == 1


def test_import_bad_sources(seeded, tmp_path):
    done = acrtui("import", "alpine:3.19", "-t", "a:1", "--registry", seeded.url, env_home=tmp_path)
    assert done.returncode == 1
    assert "names no registry and there is no internet to reach Docker Hub" in done.stdout
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a tar")
    done = acrtui("import", str(junk), "-t", "a:1", "--registry", seeded.url, env_home=tmp_path)
    assert done.returncode == 1 and "is not a tar archive" in done.stdout


def test_without_registry_commands_use_an_engine_on_the_default_data_dir(base_layout, tmp_path):
    done = acrtui("import", f"{base_layout.path}:busybox:latest", "-t", "base/busybox:latest", env_home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "data" / "acrtui" / "registry").is_dir()
    ctx = context(tmp_path, "FROM base/busybox:latest\nRUN echo in-process > /where\n")
    built = acrtui("build", "-t", "local/app:1", str(ctx), env_home=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    assert built.stdout.splitlines()[-1].startswith("pushed 127.0.0.1:")


def test_watch_pushes_on_every_save_one_line_each(seeded, tmp_path):
    import select
    import signal
    import time

    ctx = context(tmp_path, "FROM busybox\nCOPY a.txt /a.txt\n", **{"a.txt": "1"})
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    process = subprocess.Popen([sys.executable, "-m", "acrtui", "watch", str(ctx), "-t", "watched:dev", "--registry", seeded.url],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)

    def next_result(timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.2)
            if ready:
                line = process.stdout.readline()
                if line.startswith("#"):
                    return line.rstrip("\n")
        raise AssertionError("no result line from acrtui watch")

    try:
        first = next_result()
        assert first.startswith(f"#1 pushed {seeded.url.split('://')[1]}/watched:dev sha256:")
        time.sleep(0.5)
        (ctx / "a.txt").write_text("2")
        second = next_result()
        assert second.startswith("#2 pushed") and second.split()[3] != first.split()[3]
        (ctx / "Dockerfile").write_text("FROM busybox\nCOPY gone.txt /\n")
        third = next_result()
        assert third.startswith("#3 failed after ") and "gone.txt does not exist" in third
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_tag_for_another_registry_is_refused(seeded, tmp_path):
    ctx = context(tmp_path, "FROM busybox\n")
    done = acrtui("build", "-t", "elsewhere.azurecr.io/app:1", "--registry", seeded.url, str(ctx), env_home=tmp_path)
    assert done.returncode == 1
    assert "names registry elsewhere.azurecr.io, but this command pushes to" in done.stdout
    host = seeded.url.split("://")[1]
    done = acrtui("build", "-t", f"{host}/app:1", "--build-arg", "HOME", "--registry", seeded.url, str(ctx), env_home=tmp_path)
    assert done.returncode == 0, done.stdout


def test_without_registry_commands_use_the_acrtui_serve_running_on_the_default_data_dir(base_layout, tmp_path):
    from tests.support.tools import free_port, wait_for_port

    port = free_port()
    data_dir = tmp_path / "data" / "acrtui" / "registry"
    serve = subprocess.Popen([sys.executable, "-m", "acrtui", "serve", "--port", str(port), "--data-dir", str(data_dir),
                              "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        done = acrtui("import", f"{base_layout.path}:busybox:latest", "-t", "served/busybox:1", env_home=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.splitlines()[-1].startswith(f"imported 127.0.0.1:{port}/served/busybox:1 sha256:")
    finally:
        serve.terminate()
        serve.wait(timeout=15)
    assert not (data_dir / "serve.json").exists()  # a stopped serve takes its note away
