"""The native builder against a busybox base in an OCI layout: instructions, layers, cache, errors."""

from __future__ import annotations

import asyncio
import io
import os
import tarfile

import pytest

from acrtui.build.errors import BuildError
from acrtui.build.platforms import parse_platform
from acrtui.build.dockerfile import DockerfileError
from tests.build.conftest import manifest_json

EVERYTHING = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox
ARG GREETING=hello
FROM ${BASE}:latest AS base
ARG GREETING
ARG LATE=${GREETING}-late
ENV APP_HOME=/srv/app GREETING=${GREETING}
ENV COMBINED="${APP_HOME} and ${UNSET:-fallback}"
LABEL org.example.title="demo app" version=1
WORKDIR $APP_HOME
COPY --chown=1000:1000 --chmod=0640 app.txt ./
COPY src/ ./src/
COPY *.cfg conf/
ADD bundle.tar.gz /opt/bundle/
ADD notes.txt /opt/notes.txt
RUN echo "$GREETING $LATE $COMBINED" > built.txt
USER app
WORKDIR sub
EXPOSE 80 8000-8001/udp
VOLUME ["/data"]
SHELL ["/bin/sh", "-c"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD wget -q localhost || exit 1
ONBUILD RUN echo triggered
MAINTAINER someone@example.com
ENTRYPOINT ["/bin/sh"]
CMD echo "$APP_HOME"
"""


def _bundle() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b"from the archive\n"
        info = tarfile.TarInfo("inner/file.txt")
        info.size = len(data)
        info.mode = 0o600
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


FILES = {
    "app.txt": "app\n",
    "src/main.py": "print('hi')\n",
    "src/pkg/util.py": "x = 1\n",
    "a.cfg": "a\n",
    "b.cfg": "b\n",
    "bundle.tar.gz": _bundle(),
    "notes.txt": "notes\n",
}


async def test_every_instruction(build):
    built = await build(EVERYTHING, FILES, build_args={"GREETING": "howdy"})
    cfg = built.config
    rc = cfg.config
    env = rc.env_dict()
    assert env["APP_HOME"] == "/srv/app" and env["GREETING"] == "howdy"
    assert env["COMBINED"] == "/srv/app and fallback"
    assert "LATE" not in env  # ARGs never reach the image
    assert rc.labels == {"org.example.title": "demo app", "version": "1"}
    assert rc.working_dir == "/srv/app/sub" and rc.user == "app"
    assert rc.exposed_ports == ["80/tcp", "8000/udp", "8001/udp"]
    assert rc.volumes == ["/data"] and rc.stop_signal == "SIGTERM" and rc.shell == ["/bin/sh", "-c"]
    assert rc.healthcheck.test == ["CMD-SHELL", "wget -q localhost || exit 1"]
    assert (rc.healthcheck.interval, rc.healthcheck.timeout, rc.healthcheck.retries) == (30_000_000_000, 5_000_000_000, 3)
    assert rc.on_build == ["RUN echo triggered"]
    assert rc.entrypoint == ["/bin/sh"] and rc.cmd == ["/bin/sh", "-c", 'echo "$APP_HOME"']
    assert cfg.author == "someone@example.com"
    assert cfg.created.timestamp() == 0 and cfg.os == "linux"
    assert len(cfg.diff_ids) == len(built.image.layers) == 2 + 6

    app = built.layer_members(2)
    assert app["srv/app/app.txt"].uid == 1000 and app["srv/app/app.txt"].mode == 0o640
    src = built.layer_members(3)
    assert {"srv/app/src/main.py", "srv/app/src/pkg/util.py", "srv/app/src/pkg"} <= set(src)
    cfgs = built.layer_members(4)
    assert {"srv/app/conf/a.cfg", "srv/app/conf/b.cfg"} <= set(cfgs)
    bundle = built.layer_members(5)
    assert bundle["opt/bundle/inner/file.txt"].mode == 0o600
    assert "opt/notes.txt" in built.layer_members(6)
    assert built.layer_file(7, "srv/app/built.txt") == b"howdy howdy-late /srv/app and fallback\n"
    manifest = manifest_json(built)
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
    assert all(l["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip" for l in manifest["layers"])


async def test_layers_are_reproducible(build, tmp_path):
    from acrtui.build.cache import BuildCache

    first = await build(EVERYTHING, FILES)
    os.utime(tmp_path / "ctx" / "app.txt", (12345, 12345))
    second = await build(EVERYTHING, FILES, use_cache=BuildCache(tmp_path / "other-cache"))
    assert first.result.digest == second.result.digest
    assert [l.digest for l in first.image.layers] == [l.digest for l in second.image.layers]
    assert second.result.cached_steps == 0


async def test_source_date_epoch(build, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    built = await build("FROM scratch\nCOPY a /a\n", {"a": "x"})
    assert built.config.created.timestamp() == 1700000000
    assert built.layer_members(0)["a"].mtime == 1700000000


async def test_unchanged_steps_come_from_the_cache(build, tmp_path):
    dockerfile = "FROM busybox\nRUN echo slow > /slow\nCOPY app.txt /app/\n"
    first = await build(dockerfile, {"app.txt": "1"})
    again = await build(dockerfile, {"app.txt": "1"})
    assert again.result.digest == first.result.digest and again.result.cached_steps == 2
    changed = await build(dockerfile, {"app.txt": "2"})
    assert changed.result.cached_steps == 1  # the RUN is reused, the COPY is redone
    assert changed.image.layers[:3] == first.image.layers[:3]
    assert changed.image.layers[3] != first.image.layers[3]


async def test_run_changes_become_a_layer_with_whiteouts(build):
    built = await build(
        "FROM busybox\n"
        "RUN mkdir -p /work/keep /work/gone /work/replaced && echo old > /work/old.txt && echo m > /work/mod.txt "
        "&& echo k > /work/keep/k && echo g > /work/gone/g && echo r > /work/replaced/r\n"
        "RUN echo new > /work/new.txt && echo changed >> /work/mod.txt && rm /work/old.txt && rm -rf /work/gone "
        "&& mv /work/replaced /work/replaced.tmp && mkdir /work/replaced && echo fresh > /work/replaced/f && rm /bin/ls\n"
    )
    members = built.layer_members(3)
    assert "work/new.txt" in members
    assert built.layer_file(3, "work/mod.txt") == b"m\nchanged\n"
    assert "work/.wh.old.txt" in members
    assert "work/.wh.gone" in members and "work/gone/.wh.g" not in members
    assert "bin/.wh.ls" in members
    assert "work/replaced/.wh..wh..opq" in members and "work/replaced/f" in members
    assert "work/keep/k" not in members  # unchanged files stay out of the layer
    assert all(m.mtime == 0 and m.uname == "" for m in members.values())


async def test_run_sees_env_user_workdir_and_shell(build):
    built = await build(
        "FROM busybox\n"
        "ARG BUILD_ONLY=visible\n"
        "ENV FROM_ENV=yes\n"
        "WORKDIR /w\n"
        "USER app\n"
        'RUN echo "$(id -u):$(pwd):$FROM_ENV:$BUILD_ONLY:$HOME" > /tmp/seen\n'
        'SHELL ["/bin/sh", "-xc"]\n'
        "RUN true\n"
    )
    assert built.layer_file(2, "tmp/seen") == b"1000:/w:yes:visible:/home/app\n"
    assert built.layer_members(2)["tmp/seen"].uid == 1000
    assert any(line.strip() == "+ true" for line in built.log)


async def test_run_heredoc_script_and_json_form(build):
    built = await build(
        "FROM busybox\n"
        "RUN <<EOF\n"
        "echo first > /one\n"
        "echo second > /two\n"
        "EOF\n"
        "RUN <<EOF\n"
        "#!/bin/sh -e\n"
        "echo shebang > /three\n"
        "EOF\n"
        'RUN ["/bin/sh", "-c", "echo json > /four"]\n'
        "COPY <<EOF /five\n"
        "home is $HOME_DIR\n"
        "EOF\n"
        "ENV HOME_DIR=/root\n"
        "COPY <<'EOF' /six\n"
        "literal $HOME_DIR\n"
        "EOF\n"
    )
    assert set(built.layer_members(2)) >= {"one", "two"}
    assert "three" in built.layer_members(3) and "four" in built.layer_members(4)
    assert built.layer_file(5, "five") == b"home is \n"
    assert built.layer_file(6, "six") == b"literal $HOME_DIR\n"


async def test_multi_stage_target_and_copy_from(build):
    dockerfile = (
        "FROM busybox AS builder\n"
        "RUN mkdir /out && echo artefact > /out/bin && ln -s bin /out/link\n"
        "FROM busybox AS unused\n"
        "RUN exit 1\n"
        "FROM scratch\n"
        "COPY --from=builder /out/ /app/\n"
        "COPY --from=0 /out/bin /single\n"
        "COPY --from=busybox /etc/passwd /passwd\n"
    )
    built = await build(dockerfile)
    assert len(built.image.layers) == 3
    members = built.layer_members(0)
    assert members["app/link"].issym() and members["app/link"].linkname == "bin"
    assert built.layer_file(0, "app/bin") == b"artefact\n"
    assert built.layer_file(1, "single") == b"artefact\n"
    assert b"app:x:1000" in built.layer_file(2, "passwd")
    target = await build(dockerfile, target="builder")
    assert len(target.image.layers) == 3  # the base's two and the RUN


async def test_onbuild_triggers_run_in_the_child(build, base_layout, cache, tmp_path):
    from tests.build.conftest import push_to_layout

    parent = await build("FROM busybox\nONBUILD RUN echo child > /from-trigger\n")
    await push_to_layout(parent.result, cache, base_layout, "withtrigger", "latest")
    child = await build("FROM withtrigger\n")
    assert "from-trigger" in child.layer_members(2)
    assert child.config.config.on_build == []


async def test_entrypoint_resets_inherited_cmd(build):
    built = await build("FROM busybox\nENTRYPOINT [\"/bin/echo\"]\n")
    assert built.config.config.cmd is None


async def test_dockerignore_and_symlinks(build, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / ".dockerignore").write_text("secret*\n*.log\n!keep.log\nbuild/\n")
    os.symlink("app.txt", ctx / "link")
    built = await build(
        "FROM scratch\nCOPY . /c/\n",
        {"app.txt": "a", "secret.key": "s", "x.log": "l", "keep.log": "k", "build/out": "o"},
    )
    names = set(built.layer_members(0))
    assert {"c/app.txt", "c/keep.log", "c/link", "c/Dockerfile"} <= names
    assert not names & {"c/secret.key", "c/x.log", "c/build", "c/build/out"}
    with pytest.raises(BuildError, match="excluded by .dockerignore"):
        await build("FROM scratch\nCOPY secret.key /\n")


async def test_multiple_platforms_make_an_index(build):
    built = await build("FROM scratch\nCOPY a /a\n", {"a": "x"},
                        platforms=[parse_platform("linux/amd64"), parse_platform("linux/arm64")])
    assert built.result.media_type == "application/vnd.oci.image.index.v1+json"
    archs = [i.platform.architecture for i in built.result.images]
    assert archs == ["amd64", "arm64"]
    assert ImageArch(built.result.images[1].config) == "arm64"


def ImageArch(raw: bytes) -> str:
    from acrtui.oci.config import ImageConfig

    return ImageConfig.from_json(raw).architecture


# -- bad input --------------------------------------------------------------------------------


async def test_syntax_error_names_the_place(build):
    with pytest.raises(DockerfileError, match=r"^Dockerfile:2: COPY: COPY needs"):
        await build("FROM scratch\nCOPY onlyone\n")


async def test_missing_copy_source_names_the_file(build):
    with pytest.raises(BuildError, match=r"COPY missing\.txt: missing\.txt does not exist in the build context"):
        await build("FROM scratch\nCOPY missing.txt /\n")
    with pytest.raises(BuildError, match="no file in the build context matches"):
        await build("FROM scratch\nCOPY *.nothing /\n")


async def test_copy_outside_the_context_is_refused(build, tmp_path):
    (tmp_path / "outside.txt").write_text("x")
    with pytest.raises(BuildError, match=r"COPY \.\./outside\.txt: the path is outside the build context"):
        await build("FROM scratch\nCOPY ../outside.txt /\n")


async def test_symlink_escaping_the_context_is_refused(build, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (tmp_path / "secret").write_text("x")
    os.symlink("../secret", ctx / "escape")
    with pytest.raises(BuildError, match="the symlink escape points to ../secret, outside the build context"):
        await build("FROM scratch\nCOPY . /\n")
    os.remove(ctx / "escape")
    os.symlink("/etc/passwd", ctx / "absolute")
    with pytest.raises(BuildError, match="the symlink absolute points to /etc/passwd, outside"):
        await build("FROM scratch\nCOPY absolute /x\n")


async def test_failing_run_shows_exit_code_and_output(build):
    with pytest.raises(BuildError) as info:
        await build("FROM busybox\nRUN echo about to fail && echo on stderr >&2 && exit 7\n")
    error = info.value
    assert error.exit_code == 7
    assert str(error) == "Dockerfile:2: RUN echo about to fail && echo on stderr >&2 && exit 7 failed with exit code 7"
    assert "about to fail" in error.log and "on stderr" in error.log


async def test_add_url_is_refused(build):
    with pytest.raises(BuildError, match="no internet access"):
        await build("FROM scratch\nADD https://example.com/x.tar.gz /\n")


async def test_missing_base_says_how_to_import(build):
    with pytest.raises(BuildError, match=r"the base image nothere:1\.0 is not in OCI layout .*acrtui import"):
        await build("FROM nothere:1.0\n")


async def test_unknown_user_and_bad_target(build):
    with pytest.raises(BuildError, match="user 'nobody' does not exist"):
        await build("FROM busybox\nUSER nobody\nRUN true\n")
    with pytest.raises(BuildError, match="--target nope names no stage"):
        await build("FROM scratch AS a\n", target="nope")


async def test_multiple_sources_need_a_directory_destination(build):
    with pytest.raises(BuildError, match="must end with /"):
        await build("FROM scratch\nCOPY a b /dest\n", {"a": "1", "b": "2"})


def _foreign_platform() -> str:
    from acrtui.build.platforms import host_platform

    return "linux/arm64" if host_platform().architecture != "arm64" else "linux/amd64"


@pytest.mark.skipif(
    os.path.exists(f"/proc/sys/fs/binfmt_misc/qemu-{'aarch64' if _foreign_platform().endswith('arm64') else 'x86_64'}"),
    reason="an emulator for the foreign architecture is installed, so RUN would succeed",
)
async def test_foreign_architecture_run_needs_an_emulator(build):
    foreign = _foreign_platform()
    with pytest.raises(BuildError, match="install an emulator"):
        await build("FROM scratch\nCOPY a /a\nRUN [\"/a\"]\n", {"a": "x"}, platforms=[parse_platform(foreign)])


async def test_pooled_root_gives_the_same_layers(build, base_layout, tmp_path):
    from acrtui.build.builder import BuildOptions, NativeBuilder
    from acrtui.build.cache import BuildCache
    from acrtui.build.rootfspool import RootfsPool

    dockerfile = "FROM busybox\nCOPY a /a\nRUN cat /a > /b && rm /bin/ls\n"
    cache = BuildCache(tmp_path / "pooled")
    pool = RootfsPool(cache)
    try:
        ctx = tmp_path / "ctx"
        results = []
        for content in ("one", "two"):
            plain = await build(dockerfile, {"a": content}, use_cache=BuildCache(tmp_path / f"plain-{content}"))
            pooled = await NativeBuilder(base_layout, cache, lambda l: None, pool=pool).build(BuildOptions(context=ctx))
            results.append((plain.result.digest, pooled.digest))
            await asyncio.sleep(0)  # let the refill start, as idle time between saves would
        assert all(plain == pooled for plain, pooled in results)
        assert pool.prepared() == 1  # the base is kept unpacked for the next build
    finally:
        await pool.close()


async def test_run_heredoc_inside_a_command_and_network_none(build):
    built = await build(
        "FROM busybox\n"
        "RUN cat <<EOF > /greeting && cat <<'RAW' > /raw\n"
        "hello $HOSTNAME\n"
        "EOF\n"
        "literal $HOME\n"
        "RAW\n"
        "RUN --network=none ip link 2>/dev/null | grep -c ': ' > /links || echo 1 > /links\n"
    )
    assert built.layer_file(2, "greeting") == b"hello acrtui-build\n"
    assert built.layer_file(2, "raw") == b"literal $HOME\n"
    assert built.layer_file(3, "links").strip() == b"1"  # only the loopback device


@pytest.mark.parametrize(
    "line,fragment",
    [
        ("EXPOSE 70000", "outside the port range"),
        ("EXPOSE 80/icmp", "use tcp, udp or sctp"),
        ("HEALTHCHECK --interval=soon CMD true", "is not a duration"),
        ("HEALTHCHECK --retries=0 CMD true", "--retries must be"),
        ("COPY --chmod=rwx a /a", "is not an octal mode"),
        ('ENV A="${B:?B is required}"', "B: B is required"),
    ],
)
async def test_bad_values_are_named(build, line, fragment):
    with pytest.raises(BuildError) as info:
        await build(f"FROM busybox\n{line}\n", {"a": "x"})
    assert str(info.value).startswith("Dockerfile:2: ") and fragment in str(info.value)


async def test_paths_through_symlinks_stay_inside(build, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host secret")
    os.symlink(str(outside), ctx / "linkdir")
    with pytest.raises(BuildError, match="goes through a symlink that points outside the build context"):
        await build("FROM scratch\nCOPY linkdir/secret /\n")
    os.remove(ctx / "linkdir")
    # In a stage, /hostetc -> /etc means the stage's /etc, never the host's.
    built = await build(
        "FROM busybox AS stage\nRUN ln -s /etc /hostetc && echo stage-only > /etc/marker\n"
        "FROM scratch\nCOPY --from=stage /hostetc/marker /marker\nCOPY --from=stage /hostetc/passwd /passwd\n"
    )
    assert built.layer_file(0, "marker") == b"stage-only\n"
    assert b"app:x:1000" in built.layer_file(1, "passwd")


async def test_run_without_bubblewrap_says_what_to_install(build, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(BuildError, match=r"RUN needs bubblewrap .* \(apt-get install bubblewrap\)"):
        await build("FROM busybox\nRUN true\n")


async def test_arg_scoping(build):
    built = await build(
        "ARG GLOBAL=g\n"
        "ARG TAG=latest\n"
        "FROM busybox:${TAG}\n"
        "RUN echo \"[$GLOBAL]\" > /not-declared\n"
        "ARG GLOBAL\n"
        "ARG SHADOW=arg\n"
        "ENV SHADOW=env\n"
        "ARG TARGETARCH\n"
        "RUN echo \"[$GLOBAL][$SHADOW][$TARGETARCH]\" > /declared\n"
        "FROM busybox\n"
        "RUN echo \"[$GLOBAL][$SHADOW]\" > /next-stage\n",
        target="0",
    )
    assert built.layer_file(2, "not-declared") == b"[]\n"
    from acrtui.build.platforms import host_platform

    assert built.layer_file(3, "declared") == f"[g][env][{host_platform().architecture}]\n".encode()
    other = await build("ARG GLOBAL=g\nFROM busybox\nARG GLOBAL\nRUN echo \"[$GLOBAL]\" > /x\n", build_args={"GLOBAL": "cli"})
    assert other.layer_file(2, "x") == b"[cli]\n"


def test_stale_temporary_files_are_swept(tmp_path):
    from acrtui.build.cache import STALE_TEMP_SECONDS, BuildCache

    cache = BuildCache(tmp_path / "c")
    old_dir, fresh = cache.temp_dir("rootfs-"), cache.temp_path()
    (old_dir / "x").write_text("left by a killed build")
    past = os.path.getmtime(old_dir) - STALE_TEMP_SECONDS - 60
    os.utime(old_dir, (past, past))
    BuildCache(tmp_path / "c")
    assert not old_dir.exists() and fresh.exists()


async def test_cached_copy_from_a_stage_does_not_unpack_it(build):
    dockerfile = ("FROM busybox AS tools\nRUN echo tool > /tool\n"
                  "FROM scratch\nCOPY --from=tools /tool /tool\nCOPY app.txt /\n")
    await build(dockerfile, {"app.txt": "1"})
    again = await build(dockerfile, {"app.txt": "2"})
    assert again.result.cached_steps == 2  # the RUN and the COPY --from
    assert again.layer_file(0, "tool") == b"tool\n" and again.layer_file(1, "app.txt") == b"2"
