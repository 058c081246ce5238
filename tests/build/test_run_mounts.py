"""RUN --mount in the native builder: cache, bind, tmpfs and secret mounts on the busybox base,
with real bwrap; what each leaves in (and keeps out of) layers, config, cache keys and the log."""

from __future__ import annotations

import asyncio
import fcntl
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from acrtui.build.backends import BuildahBackend, BuildRequest
from acrtui.build.builder import BuildOptions, NativeBuilder
from acrtui.build.cache import BuildCache
from acrtui.build.errors import BuildError
from acrtui.build.importer import copy_image
from acrtui.build.registry import RegistryStore
from acrtui.build.secrets import SecretSource, parse_secret
from acrtui.client import Profile, RegistryClient
from acrtui.engine.server import EmbeddedServer
from tests.support.tools import require_tool

SECRET = "s3cr3t-value-7f1c"


def all_names(built) -> set[str]:
    return {name for index in range(len(built.image.layers)) for name in built.layer_members(index)}


def _written(cache: BuildCache) -> bytes:
    """Everything the build cache holds on disk, layers decompressed, as one haystack."""
    out = bytearray()
    for path in cache.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out += gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return bytes(out)


# -- cache ------------------------------------------------------------------------------------


async def test_cache_mount_persists_between_builds_and_stays_out_of_layers(build, cache):
    dockerfile = ("FROM busybox\n"
                  "RUN --mount=type=cache,target=/var/cache/app,id=counter,sharing=locked "
                  "sh -c 'echo run >> /var/cache/app/count && wc -l < /var/cache/app/count > /seen'\n")
    first = await build(dockerfile)
    second = await build(dockerfile, no_cache=True)
    assert first.layer_file(2, "seen").strip() == b"1" and second.layer_file(2, "seen").strip() == b"2"
    assert (cache.mount_dir("counter") / "count").read_text() == "run\nrun\n"
    # As buildah bud: the mount point made for the run is gone, the parents made for it stay.
    assert not {n for n in all_names(second) if n.startswith("var/cache/app")}
    assert {"var", "var/cache"} <= set(second.layer_members(2))


async def test_cache_mount_mode_owner_readonly_and_private(build, cache):
    built = await build(
        "FROM busybox\n"
        "RUN --mount=type=cache,target=/c,id=owned,mode=0700,uid=1000,gid=1000 stat -c '%a %u %g' /c > /owner\n"
        "RUN --mount=type=cache,target=/c,id=owned,ro sh -c 'touch /c/x 2>/dev/null && echo rw > /ro || echo ro > /ro'\n"
        "RUN --mount=type=cache,target=/p,id=priv,sharing=private touch /p/made\n"
    )
    assert built.layer_file(2, "owner") == b"700 1000 1000\n"
    assert built.layer_file(3, "ro") == b"ro\n"
    assert (cache.mount_dir("priv") / "made").exists()  # nobody else held it, so the shared one was used


async def test_locked_waits_and_private_steps_aside_while_another_holds_the_cache(base_layout, cache, tmp_path):
    directory = cache.mount_dir("held")
    holder = os.open(directory.with_suffix(".lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as a concurrent build's locked mount would

    async def start(name: str, sharing: str, log: list[str]) -> asyncio.Task:
        ctx = tmp_path / name
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(f"FROM busybox\nRUN --mount=type=cache,target=/c,id=held,sharing={sharing} touch /c/{name}\n")
        return asyncio.create_task(NativeBuilder(base_layout, cache, log.append).build(BuildOptions(context=ctx)))

    try:
        await (await start("private", "private", []))
        assert not (directory / "private").exists()  # it ran on a fresh directory instead of waiting
        log: list[str] = []
        locked = await start("locked", "locked", log)
        while not any("waiting for the cache mount held, which another build holds" in line for line in log):
            if locked.done():
                locked.result()
                pytest.fail("the locked build did not wait for the held cache")
            await asyncio.sleep(0.05)
        assert not (directory / "locked").exists()
    finally:
        os.close(holder)
    await locked
    assert (directory / "locked").exists()


# -- bind -------------------------------------------------------------------------------------


async def test_bind_from_context_reads_without_copying_and_keys_on_content(build):
    dockerfile = ("FROM busybox\n"
                  "RUN --mount=type=bind,source=conf.txt,target=/mnt/conf.txt cat /mnt/conf.txt > /copied\n")
    first = await build(dockerfile, {"conf.txt": "v1\n", "other.txt": "a"})
    assert first.layer_file(2, "copied") == b"v1\n"
    assert "mnt/conf.txt" not in all_names(first) and "mnt" in first.layer_members(2)
    unrelated = await build(dockerfile, {"conf.txt": "v1\n", "other.txt": "b"})
    assert unrelated.result.cached_steps == 1 and unrelated.result.digest == first.result.digest
    edited = await build(dockerfile, {"conf.txt": "v2\n", "other.txt": "b"})
    assert edited.result.cached_steps == 0 and edited.layer_file(2, "copied") == b"v2\n"


async def test_bind_is_read_only_unless_rw_and_rw_writes_are_discarded(build, tmp_path):
    built = await build(
        "FROM busybox\n"
        "RUN --mount=target=/src sh -c 'echo x > /src/conf.txt 2>/dev/null && echo rw > /ro || echo ro > /ro'\n"
        "RUN --mount=type=bind,target=/src,readwrite sh -c 'echo changed > /src/conf.txt && touch /src/new && cat /src/conf.txt > /after'\n"
        "RUN --mount=type=bind,target=/src ls /src > /listing\n",
        {"conf.txt": "original\n"},
    )
    assert built.layer_file(2, "ro") == b"ro\n"
    assert built.layer_file(3, "after") == b"changed\n"
    assert (tmp_path / "ctx" / "conf.txt").read_text() == "original\n" and not (tmp_path / "ctx" / "new").exists()
    assert built.layer_file(4, "listing") == b"Dockerfile\nconf.txt\n"  # the rw run's writes are gone
    assert not {n for n in all_names(built) if n == "src" or n.startswith("src/")}


async def test_bind_honours_dockerignore_and_refuses_paths_outside(build, tmp_path):
    built = await build("FROM busybox\nRUN --mount=target=/src ls -A /src > /listing\n",
                        {".dockerignore": "secret.key\n", "secret.key": "k", "app.txt": "a"})
    assert built.layer_file(2, "listing") == b".dockerignore\nDockerfile\napp.txt\n"
    (tmp_path / "outside.txt").write_text("x")
    with pytest.raises(BuildError) as info:
        await build("FROM busybox\nRUN --mount=source=../outside.txt,target=/o cat /o\n")
    assert str(info.value).startswith("Dockerfile:2: RUN: --mount source ../outside.txt: the path is outside the build context")


async def test_bind_from_a_named_stage_and_an_image(build):
    built = await build(
        "FROM busybox AS tools\n"
        "RUN mkdir /out && echo tool-output > /out/t\n"
        "FROM busybox\n"
        "RUN --mount=type=bind,from=tools,source=/out,target=/tools cat /tools/t > /got\n"
        "RUN --mount=from=busybox,source=/etc/passwd,target=/theirs grep -c : /theirs > /lines\n"
    )
    assert built.layer_file(2, "got") == b"tool-output\n"
    assert built.layer_file(3, "lines") == b"2\n"
    assert not {n for n in all_names(built) if n.startswith(("tools", "theirs"))}


async def test_nested_mounts_leave_the_context_and_the_stage_alone(build, cache, tmp_path):
    built = await build(
        "FROM busybox AS tools\nRUN mkdir /out && echo t > /out/t\n"
        "FROM busybox\n"
        "RUN --mount=target=/src --mount=type=cache,target=/src/cache,id=nested "
        "--mount=from=tools,source=/out,target=/t --mount=type=cache,target=/t/deep/c,id=nested "
        "sh -c 'cat /src/app.txt /t/t > /out; touch /src/cache/hit; ls /t/deep/c > /same'\n"
        "COPY --from=tools /out/ /copied/\n",
        {"app.txt": "a\n"},
    )
    assert built.layer_file(2, "out") == b"a\nt\n" and built.layer_file(2, "same") == b"hit\n"
    assert sorted(os.listdir(tmp_path / "ctx")) == ["Dockerfile", "app.txt"]
    assert set(built.layer_members(3)) == {"copied/t"}  # no mount point was made in the stage
    assert (cache.mount_dir("nested") / "hit").exists()


async def test_a_target_through_a_symlink_lands_inside_the_image(build, cache, tmp_path):
    outside = tmp_path / "host-dir"
    built = await build(
        "FROM busybox\n"
        f"RUN mkdir /real && ln -s /real /via && ln -s {outside} /escape\n"
        "RUN --mount=type=cache,target=/via/c,id=linked --mount=type=tmpfs,target=/escape/t "
        "sh -c 'touch /via/c/x /escape/t/y && ls /real/c > /seen'\n"
    )
    assert built.layer_file(3, "seen") == b"x\n" and (cache.mount_dir("linked") / "x").exists()
    assert not outside.exists()  # the absolute link was followed inside the image, never on the host
    assert not {n for n in built.layer_members(3) if n.startswith(("real/c", "via/"))}


# -- tmpfs ------------------------------------------------------------------------------------


async def test_tmpfs_is_empty_sized_and_leaves_nothing(build):
    built = await build(
        "FROM busybox\nRUN mkdir -p /work && echo kept > /work/old\n"
        "RUN --mount=type=tmpfs,target=/work,size=1m sh -c "
        "'ls -A /work | wc -l > /count; echo junk > /work/j; df -k /work | tail -1 > /df; stat -c %a /work > /perm'\n"
    )
    assert built.layer_file(3, "count").strip() == b"0"
    assert built.layer_file(3, "df").split()[1] == b"1024"
    assert built.layer_file(3, "perm") == b"1777\n"
    assert not {n for n in built.layer_members(3) if n.startswith("work")}  # neither the junk nor a whiteout of /work/old


# -- secrets ----------------------------------------------------------------------------------

SECRET_DOCKERFILE = (
    "FROM busybox\n"
    "USER app\n"
    "RUN --mount=type=secret,id=token,uid=1000 sh -c 'wc -c < /run/secrets/token > /tmp/len; stat -c %a /run/secrets/token > /tmp/perm'\n"
    "RUN --mount=type=secret,id=token,env=TOKEN sh -c 'printf %s \"$TOKEN\" | wc -c > /tmp/env; test ! -e /run/secrets/token && echo no-file >> /tmp/env'\n"
    "RUN --mount=type=secret,id=absent sh -c 'test ! -e /run/secrets/absent && echo none > /tmp/absent'\n"
)


async def test_secret_as_file_and_env_never_stored(build, cache, tmp_path):
    source = tmp_path / "token.txt"
    source.write_text(SECRET)
    built = await build(SECRET_DOCKERFILE, secrets={"token": SecretSource("token", path=source)})
    assert built.layer_file(2, "tmp/len").strip() == str(len(SECRET)).encode()
    assert built.layer_file(2, "tmp/perm") == b"400\n"
    assert built.layer_file(3, "tmp/env").split() == [str(len(SECRET)).encode(), b"no-file"]
    assert built.layer_file(4, "tmp/absent") == b"none\n"
    assert not {n for n in all_names(built) if n.startswith("run/secrets/")}
    assert SECRET.encode() not in _written(cache)
    assert SECRET not in built.image.config.decode() and not any(SECRET in line for line in built.log)
    # The value is not in the cache key: another value reuses every step.
    source.write_text("another-value")
    again = await build(SECRET_DOCKERFILE, secrets={"token": SecretSource("token", path=source)})
    assert again.result.cached_steps == 3 and again.result.digest == built.result.digest


async def test_secret_from_environment(build, monkeypatch):
    monkeypatch.setenv("MY_TOKEN", SECRET)
    built = await build("FROM busybox\nRUN --mount=type=secret,id=tok,target=/etc/tok,mode=0440 sh -c 'cat /etc/tok > /dev/null && stat -c %a /etc/tok > /perm'\n",
                        secrets={"tok": parse_secret("id=tok,env=MY_TOKEN")})
    assert built.layer_file(2, "perm") == b"440\n"
    assert "etc/tok" not in all_names(built)


async def test_missing_required_secret_is_one_sentence(build):
    with pytest.raises(BuildError) as info:
        await build("FROM busybox\nRUN --mount=type=secret,id=npmrc,required true\n")
    assert str(info.value) == ("Dockerfile:2: RUN: the secret npmrc is required but was not given; "
                               "pass --secret id=npmrc,src=FILE")


@pytest.mark.parametrize("option,message", [
    ("src=/etc/hostname", "--secret src=/etc/hostname: the secret needs an id; write it as id=NAME,src=PATH"),
    ("id=a,src=/does/not/exist", "--secret id=a,src=/does/not/exist: /does/not/exist is not a file; check the path"),
    ("id=a,colour=blue", "--secret id=a,colour=blue: 'colour=blue' is not one of id=, src=, env=, type=; write it as id=NAME,src=PATH"),
    ("id=a,type=ssh", "--secret id=a,type=ssh: type=ssh is not file or env"),
    ("id=ACRTUI_TEST_UNSET_VAR", "--secret id=ACRTUI_TEST_UNSET_VAR: the environment variable ACRTUI_TEST_UNSET_VAR is not set; export it or give src=PATH"),
])
def test_secret_option_errors_are_one_sentence(option, message):
    with pytest.raises(BuildError) as info:
        parse_secret(option)
    assert str(info.value) == message


# -- bad specs --------------------------------------------------------------------------------


@pytest.mark.parametrize("mount,fragment", [
    ("type=volume,target=/x", "unknown mount type volume; use bind, cache, tmpfs or secret"),
    ("type=cache,target=/x,colour=red", "unknown key colour for a cache mount; it takes gid, id, mode, ro, rw, sharing, target, uid"),
    ("type=ssh", "ssh mounts are not supported"),
    ("type=cache", "a cache mount needs target=<path>"),
    ("type=tmpfs,target=.", "cannot mount over the root directory"),
    ("type=cache,target=/x,sharing=sometimes", "sharing=sometimes is not one of shared, private, locked"),
])
async def test_bad_mount_specs_name_the_line(build, mount, fragment):
    with pytest.raises(BuildError) as info:
        await build(f"FROM busybox\nRUN --mount={mount} true\n")
    text = str(info.value)
    assert text.startswith(f"Dockerfile:2: RUN: --mount={mount}: ") and fragment in text and "\n" not in text


async def test_a_relative_target_is_under_workdir(build, cache):
    built = await build("FROM busybox\nWORKDIR /app\n"
                        "RUN --mount=type=cache,target=deps touch deps/hit && test ! -e /deps\n")
    assert built.result.steps == 3 and (cache.mount_dir("deps") / "hit").exists()
    assert not {n for n in all_names(built) if n.startswith("app/deps")}


async def test_mount_values_expand_variables(build, cache):
    built = await build("FROM busybox\nARG CACHE_ID=from-arg\n"
                        "RUN --mount=type=cache,id=${CACHE_ID},target=/c touch /c/hit\n")
    assert built.result.steps == 3 and (cache.mount_dir("from-arg") / "hit").exists()


# -- the command line, against the embedded engine ----------------------------------------------


def _acrtui(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_CACHE_HOME=str(home / "cache"), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"))
    return subprocess.run([sys.executable, "-m", "acrtui", *args], capture_output=True, text=True, timeout=180, env=env)


def test_cli_secret_reaches_the_run_but_not_the_pushed_image(base_layout, tmp_path):
    with EmbeddedServer(tmp_path / "engine") as server:
        async def seed() -> None:
            async with RegistryClient(Profile(name="e", url=server.url)) as client:
                await copy_image(base_layout, "", "busybox:latest", RegistryStore(client), "busybox", "latest",
                                 BuildCache(tmp_path / "seed-cache"), lambda line: None)

        asyncio.run(seed())
        ctx = tmp_path / "ctx"
        ctx.mkdir()
        (ctx / "Dockerfile").write_text("FROM busybox\nRUN --mount=type=secret,id=tok,required wc -c < /run/secrets/tok > /len\n")
        (tmp_path / "tok").write_text(SECRET)
        done = _acrtui("build", "--secret", f"id=tok,src={tmp_path / 'tok'}", "-t", "app:s", "--registry", server.url,
                       str(ctx), home=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert SECRET not in done.stdout + done.stderr

        async def pulled() -> tuple[bytes, bytes]:
            async with RegistryClient(Profile(name="e", url=server.url)) as client:
                fetched = await client.get_manifest("app", "s")
                config = await client.get_config("app", fetched.manifest)
                layer = json.loads(fetched.raw)["layers"][-1]["digest"]
                target = tmp_path / "layer.tar.gz"
                await RegistryStore(client).fetch_blob("app", layer, target)
                return config.to_json(), gzip.decompress(target.read_bytes())

        config, layer = asyncio.run(pulled())
        assert SECRET.encode() not in config and SECRET.encode() not in layer
        with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
            # /run/secrets was made for the mount and stays, empty, as buildah bud leaves it.
            assert {m.name for m in tar.getmembers()} == {"len", "run", "run/secrets"}

    bad = _acrtui("build", "--no-push", "--secret", "id=tok,src=/does/not/exist", str(ctx), home=tmp_path)
    assert bad.returncode == 1 and "Traceback" not in bad.stdout + bad.stderr
    assert bad.stdout.splitlines()[-1] == "acrtui build: --secret id=tok,src=/does/not/exist: /does/not/exist is not a file; check the path"


# -- compared with buildah --------------------------------------------------------------------


def test_created_cache_mount_point_matches_buildah(tmp_path):
    """A cache mount on a path the image lacks: buildah bud drops the mount point from the layer and
    keeps the parent directories it made for it. The native builder does the same."""
    buildah = require_tool("buildah", "buildah")
    busybox = require_tool("busybox", "busybox-static")
    require_tool("bwrap", "bubblewrap")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    shutil.copy(busybox, ctx / "busybox")
    (ctx / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "true"]\n'  # buildah puts its own /dev, /etc … stubs into the first RUN's layer
        'RUN --mount=type=cache,target=/newdir/cache ["/bin/busybox", "sh", "-c", "/bin/busybox echo hi > /newdir/cache/x"]\n'
    )
    storage = ["--root", str(tmp_path / "root"), "--runroot", str(tmp_path / "run"), "--storage-driver", "vfs"]
    env = dict(os.environ, TMPDIR=str(tmp_path))  # where buildah keeps its cache mounts
    subprocess.run([buildah, *storage, "bud", "--layers", "--isolation", "chroot", "-t", "localhost/mountpoint", str(ctx)],
                   check=True, capture_output=True, timeout=300, env=env)
    try:
        subprocess.run([buildah, *storage, "push", "localhost/mountpoint", f"oci:{tmp_path / 'oci'}:m"],
                       check=True, capture_output=True, timeout=300, env=env)
    finally:
        subprocess.run([buildah, *storage, "rmi", "--all", "--force"], capture_output=True, timeout=120, env=env)
    layout = tmp_path / "oci"
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads((layout / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_text())
    with tarfile.open(layout / "blobs" / "sha256" / manifest["layers"][-1]["digest"][7:]) as tar:
        theirs = {m.name.rstrip("/") for m in tar.getmembers()}

    ours_result = asyncio.run(NativeBuilder(None, BuildCache(tmp_path / "cache"), lambda line: None).build(BuildOptions(context=ctx)))
    with tarfile.open(BuildCache(tmp_path / "cache").blob_path(ours_result.images[0].layers[-1].digest), "r:gz") as tar:
        ours = {m.name.rstrip("/") for m in tar.getmembers()}
    assert theirs == ours == {"newdir"}


async def test_buildah_backend_gets_the_secrets_too(tmp_path, monkeypatch):
    require_tool("buildah", "buildah")
    busybox = require_tool("busybox", "busybox-static")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    shutil.copy(busybox, ctx / "busybox")
    # required=true, because a bare `required` makes buildah 1.28 panic.
    (ctx / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        'RUN --mount=type=secret,id=file,required=true --mount=type=secret,id=var,required=true '
        '["/bin/busybox", "sh", "-c", "/bin/busybox wc -c < /run/secrets/file; /bin/busybox wc -c < /run/secrets/var"]\n'
    )
    (tmp_path / "file").write_text("12345")
    monkeypatch.setenv("ACRTUI_TEST_VAR", "123")
    secrets = {s.id: s for s in (parse_secret(f"id=file,src={tmp_path / 'file'}"), parse_secret("id=var,env=ACRTUI_TEST_VAR"))}
    log: list[str] = []
    await BuildahBackend(None).run(BuildRequest(context=ctx, targets=[], push=False, secrets=secrets), log.append)
    counts = [line.strip() for line in log if line.strip().isdigit()]
    assert counts == ["5", "3"]
