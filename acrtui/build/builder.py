"""The native builder: a parsed Dockerfile and a context become OCI images, one per platform.

Each stage starts from its base (an image from the `ImageSource`, an earlier stage, or scratch) and
runs its instructions in order. Metadata instructions edit the image config; COPY, ADD and RUN
make layers. Every layer-making step has a cache key (parent chain + instruction as expanded +
content of its inputs); a hit reuses the stored layer without touching the file system. The root
file system is only unpacked when a RUN (or a name lookup) needs it, and then kept up to date for
the rest of the stage, so a typical edit-and-rebuild only re-tars the changed COPY.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import posixpath
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from acrtui.build import shellwords
from acrtui.build.cache import BuildCache
from acrtui.build.context import ContentHasher, Selection, SourceTree
from acrtui.build.copying import archive_entries, context_entry, is_archive
from acrtui.build.dockerfile import Dockerfile, Heredoc, Instruction, Stage, load_dockerfile, parse_trigger
from acrtui.build.dockerignore import load_matcher
from acrtui.build.errors import BuildError
from acrtui.build.layerindex import LayerIndex
from acrtui.build.layers import LayerEntry, source_date_epoch, write_layer
from acrtui.build.mountplan import MountPlan, Source
from acrtui.build.mounts import MountError, MountSpec, mount_from, parse_mount
from acrtui.build.platforms import check_can_run, host_platform, parse_platform, platform_args
from acrtui.build.rootfs import apply_layer, diff, remove_tree, resolve_in_root, snapshot
from acrtui.build.rootfspool import RootfsPool
from acrtui.build.users import home_of, lookup_user, owner_map, split_user
from acrtui.build.values import is_octal_mode, parse_duration, parse_ports
from acrtui.build.sandbox import MOUNT_POINTS, RunSpec, run_isolated
from acrtui.build.secrets import SecretSource
from acrtui.build.shellwords import ExpansionError
from acrtui.build.store import ImageSource, verify_blob
from acrtui.oci import mediatypes as mt
from acrtui.oci.config import Healthcheck, HistoryEntry, ImageConfig, canonical_json
from acrtui.oci.digest import sha256_digest
from acrtui.oci.manifest import Platform, parse_manifest
from acrtui.oci.reference import ImageReference

LogSink = Callable[[str], None]
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ["/bin/sh", "-c"]
_GZIP_TYPES = {mt.DOCKER_LAYER_GZIP: mt.OCI_LAYER_GZIP}


@dataclass(frozen=True)
class Layer:
    digest: str
    diff_id: str
    size: int
    media_type: str
    origin: str | None = None  # repository of the base image it came from, for cross-repo mounts


@dataclass
class BuildOptions:
    context: Path
    dockerfile: Path | None = None
    platforms: list[Platform] = field(default_factory=list)
    build_args: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    no_cache: bool = False
    epoch: int | None = None
    secrets: dict[str, SecretSource] = field(default_factory=dict)  # by id, for RUN --mount=type=secret


@dataclass(frozen=True)
class PlatformImage:
    platform: Platform
    manifest: bytes
    digest: str
    config: bytes
    config_digest: str
    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class BuildResult:
    images: tuple[PlatformImage, ...]
    manifest: bytes  # what a tag points to: the image manifest, or an index for several platforms
    media_type: str
    digest: str
    steps: int
    cached_steps: int


@dataclass
class _State:
    config: ImageConfig
    layers: list[Layer]
    chain: str
    platform: Platform
    args: dict[str, str | None] = field(default_factory=dict)
    cmd_set: bool = False
    rootfs: Path | None = None
    applied: int = 0
    base_count: int = 0  # layers that came from the base image


class NativeBuilder:
    """Builds without a Docker engine. One instance per build; `log` receives every line."""

    def __init__(self, source: ImageSource | None, cache: BuildCache, log: LogSink,
                 hasher: ContentHasher | None = None, on_step: Callable[[int, int, str], None] | None = None,
                 pool: RootfsPool | None = None) -> None:
        self.source = source
        self.pool = pool
        self.cache = cache
        self.log = log
        self.hasher = hasher or ContentHasher()
        self.on_step = on_step or (lambda n, total, text: None)
        self.index = LayerIndex(cache.root / "index")
        self._temp: list[Path] = []
        self._steps = 0
        self._total = 0
        self._cached = 0

    async def build(self, options: BuildOptions) -> BuildResult:
        dockerfile_path = options.dockerfile or options.context / "Dockerfile"
        if not options.context.is_dir():
            raise BuildError(f"the build context {options.context} is not a directory; pass the directory holding your files")
        display = os.path.relpath(dockerfile_path, options.context) if dockerfile_path.is_relative_to(options.context) else str(dockerfile_path)
        dockerfile = load_dockerfile(dockerfile_path, display)
        matcher = load_matcher(options.context, dockerfile_path)
        self._context = SourceTree(options.context, label="build context", matcher=matcher)
        self._dockerfile = dockerfile
        self._options = options
        self._epoch = source_date_epoch() if options.epoch is None else options.epoch
        platforms = options.platforms or [host_platform()]
        try:
            images = []
            for target_platform in platforms:
                images.append(await self._build_platform(dockerfile, target_platform))
        finally:
            await asyncio.to_thread(self._cleanup)
            if self.pool is not None:
                self.pool.refill(self._ensure_blob)
        if len(images) == 1:
            image = images[0]
            return BuildResult((image,), image.manifest, mt.OCI_MANIFEST, image.digest, self._steps, self._cached)
        index = canonical_json({
            "schemaVersion": 2,
            "mediaType": mt.OCI_INDEX,
            "manifests": [
                {"mediaType": mt.OCI_MANIFEST, "digest": i.digest, "size": len(i.manifest), "platform": _platform_json(i.platform)}
                for i in images
            ],
        })
        return BuildResult(tuple(images), index, mt.OCI_INDEX, sha256_digest(index), self._steps, self._cached)

    # -- stages ---------------------------------------------------------------------------

    async def _build_platform(self, dockerfile: Dockerfile, target: Platform) -> PlatformImage:
        self._target_platform = target
        auto = platform_args(target, host_platform())
        meta: dict[str, str | None] = {}
        for ins in dockerfile.meta_args:
            env = {**auto, **{k: v for k, v in meta.items() if v is not None}}
            for name, value in self._arg_values(ins, env, meta_scope=None):
                meta[name] = value
        self._meta = meta
        self._auto = auto
        final = self._final_stage(dockerfile)
        needed = self._needed_stages(dockerfile, final)
        self._total = sum(1 + len(dockerfile.stages[i].instructions) for i in needed)
        self._steps = 0
        self._cached = 0
        self._stages: dict[int, _State] = {}
        for stage in dockerfile.stages:
            if stage.index in needed:
                self._stages[stage.index] = await self._build_stage(stage)
            if stage.index == final:
                break
        state = self._stages[final]
        return await asyncio.to_thread(self._assemble, state)

    def _final_stage(self, dockerfile: Dockerfile) -> int:
        if not self._options.target:
            return len(dockerfile.stages) - 1
        index = dockerfile.stage_index(self._options.target)
        if index is None:
            names = ", ".join(s.name for s in dockerfile.stages if s.name) or "none are named"
            raise BuildError(f"--target {self._options.target} names no stage in {dockerfile.path} (stages: {names})")
        return index

    def _meta_env(self) -> dict[str, str]:
        return {**self._auto, **{k: v for k, v in self._meta.items() if v is not None}}

    def _needed_stages(self, dockerfile: Dockerfile, final: int) -> set[int]:
        needed: set[int] = set()
        todo = [final]
        while todo:
            index = todo.pop()
            if index in needed:
                continue
            needed.add(index)
            stage = dockerfile.stages[index]
            refs = [self._expand_meta(stage.base, stage.line, "FROM")]
            refs += [i.flags["from"] for i in stage.instructions if i.command == "COPY" and "from" in i.flags]
            refs += [ref for i in stage.instructions for ref in map(mount_from, i.mounts) if ref]
            for ref in refs:
                dep = dockerfile.stage_index(ref)
                if dep is not None and dep < index:
                    todo.append(dep)
        return needed

    def _expand_meta(self, text: str, line: int, command: str) -> str:
        try:
            return shellwords.expand_word(text, self._meta_env(), self._dockerfile.escape)
        except ExpansionError as exc:
            raise BuildError(f"{self._dockerfile.path}:{line}: {command}: {exc}") from None

    async def _build_stage(self, stage: Stage) -> _State:
        base = self._expand_meta(stage.base, stage.line, "FROM")
        platform = self._target_platform
        if stage.platform:
            platform = parse_platform(self._expand_meta(stage.platform, stage.line, "FROM"))
        self._step(f"FROM {base}" + (f" AS {stage.name}" if stage.name else ""))
        state = await self._base_state(base, platform, stage)
        triggers = state.config.config.on_build
        state.config.config.on_build = []
        for number, trigger in enumerate(triggers):
            self.log(f"  ONBUILD {trigger}")
            instruction = parse_trigger(trigger, stage.line, f"{self._dockerfile.path} (ONBUILD of {base})", self._dockerfile.escape)
            await self._run_instruction(state, instruction, count=False)
        for instruction in stage.instructions:
            await self._run_instruction(state, instruction)
        return state

    async def _base_state(self, base: str, platform: Platform, stage: Stage) -> _State:
        earlier = self._dockerfile.stage_index(base)
        if earlier is not None and earlier < stage.index and earlier in self._stages:
            parent = self._stages[earlier]
            config = ImageConfig.from_json(parent.config.to_json())
            return _State(config, list(parent.layers), parent.chain, parent.platform, base_count=parent.base_count)
        if base.lower() == "scratch":
            config = ImageConfig(os=platform.os, architecture=platform.architecture, variant=platform.variant)
            return _State(config, [], _hash("scratch", str(platform)), platform)
        config, layers, digest = await self._pull(base, platform, f"{self._dockerfile.path}:{stage.line}: FROM")
        return _State(config, layers, _hash("image", digest), platform, base_count=len(layers))

    async def _pull(self, reference: str, platform: Platform, where: str) -> tuple[ImageConfig, list[Layer], str]:
        try:
            ref = ImageReference.parse(reference)
        except ValueError:
            raise BuildError(f"{where} {reference} is not a valid image reference") from None
        if self.source is None:
            raise BuildError(f"{where} {reference} needs a registry to pull from; run the build against a registry (--registry) or use FROM scratch")
        if ref.registry and ref.registry not in self.source.description:
            raise BuildError(
                f"{where} {reference} is on another registry, but bases resolve against the connected one; "
                f"bring it in with `acrtui import {reference} -t {ref.repository}:{ref.tag or 'latest'}` and use FROM {ref.repository}:{ref.tag or 'latest'}"
            )
        repo = ref.repository
        fetched = await self.source.get_manifest(repo, ref.reference)
        if fetched is None:
            raise BuildError(
                f"{where} the base image {repo}:{ref.reference} is not in {self.source.description}; "
                f"bring it in with `acrtui import <image-or-path> -t {repo}:{ref.tag or 'latest'}`"
            )
        manifest = parse_manifest(fetched.raw, fetched.media_type)
        digest = fetched.digest
        if manifest.is_index:
            chosen = _choose_platform(manifest.manifests, platform)
            if chosen is None:
                have = ", ".join(str(d.platform) for d in manifest.manifests if d.platform) or "none"
                raise BuildError(f"{where} {reference} has no image for {platform} (it has: {have}); build with --platform set to one of those")
            fetched = await self.source.get_manifest(repo, chosen.digest)
            if fetched is None:
                raise BuildError(f"{where} {reference} lists {chosen.digest} for {platform}, but the registry does not have it")
            manifest = parse_manifest(fetched.raw, fetched.media_type)
            digest = fetched.digest
        assert manifest.config is not None
        config_path = await self._ensure_blob(repo, manifest.config.digest)
        config = ImageConfig.from_json(config_path.read_bytes())
        if len(config.diff_ids) != len(manifest.layers):
            raise BuildError(f"{where} {reference} is inconsistent: its config lists {len(config.diff_ids)} layers, its manifest {len(manifest.layers)}")
        layers = [
            Layer(d.digest, diff_id, d.size, _GZIP_TYPES.get(d.media_type, d.media_type), repo)
            for d, diff_id in zip(manifest.layers, config.diff_ids)
        ]
        if config.architecture and config.architecture != platform.architecture and not manifest.is_index:
            self.log(f"  warning: {reference} is {config.os}/{config.architecture}, not {platform}")
        return config, layers, digest

    async def _ensure_blob(self, repo: str | None, digest: str) -> Path:
        path = self.cache.blob_path(digest)
        if path.is_file():
            return path
        if self.source is None or repo is None:
            raise BuildError(f"blob {digest} is not in the build cache and there is no registry to fetch it from")
        tmp = self.cache.temp_path()
        await self.source.fetch_blob(repo, digest, tmp)
        await asyncio.to_thread(verify_blob, tmp, digest)
        os.replace(tmp, path)
        return path

    # -- instructions ---------------------------------------------------------------------

    def _step(self, text: str, count: bool = True) -> None:
        if count:
            self._steps += 1
        self.on_step(self._steps, self._total, text)
        self.log(f"[{self._steps}/{self._total}] {text}")

    def _env(self, state: _State) -> dict[str, str]:
        """What `$VAR` sees: the stage's ARGs, overridden by its ENV."""
        args = {k: v for k, v in state.args.items() if v is not None}
        return {**args, **state.config.config.env_dict()}

    def _fail(self, ins: Instruction, message: str) -> BuildError:
        return BuildError(f"{self._dockerfile.path}:{ins.line}: {ins.command}: {message}")

    def _expand(self, state: _State, ins: Instruction, text: str, env: dict[str, str] | None = None) -> str:
        try:
            return shellwords.expand_word(text, self._env(state) if env is None else env, self._dockerfile.escape)
        except ExpansionError as exc:
            raise self._fail(ins, str(exc)) from None

    async def _run_instruction(self, state: _State, ins: Instruction, count: bool = True) -> None:
        handler = getattr(self, f"_do_{ins.command.lower()}")
        if ins.command not in ("COPY", "ADD", "RUN"):
            self._step(ins.original, count)
        await handler(state, ins, count)

    def _history(self, state: _State, created_by: str, empty: bool) -> None:
        state.config.history.append(HistoryEntry(created=_time(self._epoch), created_by=created_by, comment="acrtui", empty_layer=empty))

    def _chain(self, state: _State, text: str) -> None:
        state.chain = _hash(state.chain, text)

    async def _do_arg(self, state: _State, ins: Instruction, count: bool) -> None:
        for name, value in self._arg_values(ins, self._env(state), meta_scope=self._meta, state=state):
            state.args[name] = value
            self._chain(state, f"ARG {name}={value}")

    def _arg_values(self, ins: Instruction, env: dict[str, str], meta_scope: dict[str, str | None] | None,
                    state: _State | None = None) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for word in ins.args:
            name, eq, default = word.partition("=")
            if name in self._options.build_args:
                value: str | None = self._options.build_args[name]
            elif eq:
                try:
                    value = shellwords.expand_word(default, env, self._dockerfile.escape)
                except ExpansionError as exc:
                    raise BuildError(f"{self._dockerfile.path}:{ins.line}: ARG: {exc}") from None
            elif meta_scope is not None and name in meta_scope:
                value = meta_scope[name]
            elif name in self._auto:
                value = self._auto[name]
            else:
                value = None
            out.append((name, value))
        return out

    async def _do_env(self, state: _State, ins: Instruction, count: bool) -> None:
        env = self._env(state)
        pairs = []
        for word in ins.args:
            key, _, raw = word.partition("=")
            pairs.append((self._expand(state, ins, key, env), self._expand(state, ins, raw, env)))
        for key, value in pairs:
            state.config.config.set_env(key, value)
        text = "ENV " + " ".join(f"{k}={v}" for k, v in pairs)
        self._chain(state, text)
        self._history(state, text, True)

    async def _do_label(self, state: _State, ins: Instruction, count: bool) -> None:
        pairs = []
        for word in ins.args:
            key, _, raw = word.partition("=")
            pairs.append((self._expand(state, ins, key), self._expand(state, ins, raw)))
        for key, value in pairs:
            state.config.config.labels[key] = value
        text = "LABEL " + " ".join(f"{k}={v}" for k, v in pairs)
        self._chain(state, text)
        self._history(state, text, True)

    async def _do_maintainer(self, state: _State, ins: Instruction, count: bool) -> None:
        state.config.author = self._expand(state, ins, ins.args[0])
        self._history(state, f"MAINTAINER {state.config.author}", True)

    async def _do_workdir(self, state: _State, ins: Instruction, count: bool) -> None:
        path = self._expand(state, ins, ins.args[0])
        current = state.config.config.working_dir or "/"
        state.config.config.working_dir = posixpath.normpath(posixpath.join(current, path))
        self._chain(state, f"WORKDIR {state.config.config.working_dir}")
        self._history(state, f"WORKDIR {state.config.config.working_dir}", True)

    async def _do_user(self, state: _State, ins: Instruction, count: bool) -> None:
        state.config.config.user = self._expand(state, ins, ins.args[0])
        self._chain(state, f"USER {state.config.config.user}")
        self._history(state, f"USER {state.config.config.user}", True)

    async def _do_expose(self, state: _State, ins: Instruction, count: bool) -> None:
        ports = list(state.config.config.exposed_ports)
        for raw in ins.args:
            for word in shellwords.expand_words(raw, self._env(state), self._dockerfile.escape):
                ports.extend(parse_ports(word, lambda m: self._fail(ins, m)))
        state.config.config.exposed_ports = sorted(set(ports))
        self._chain(state, "EXPOSE " + " ".join(state.config.config.exposed_ports))
        self._history(state, "EXPOSE " + " ".join(ins.args), True)

    async def _do_volume(self, state: _State, ins: Instruction, count: bool) -> None:
        volumes = list(state.config.config.volumes)
        for raw in ins.args:
            value = self._expand(state, ins, raw)
            if not value.strip():
                raise self._fail(ins, "VOLUME needs a non-empty path")
            volumes.append(value)
        state.config.config.volumes = sorted(set(volumes))
        self._chain(state, "VOLUME " + " ".join(volumes))
        self._history(state, "VOLUME " + " ".join(ins.args), True)

    async def _do_stopsignal(self, state: _State, ins: Instruction, count: bool) -> None:
        state.config.config.stop_signal = self._expand(state, ins, ins.args[0])
        self._history(state, f"STOPSIGNAL {state.config.config.stop_signal}", True)

    async def _do_shell(self, state: _State, ins: Instruction, count: bool) -> None:
        state.config.config.shell = list(ins.args)
        self._chain(state, "SHELL " + json.dumps(ins.args))
        self._history(state, "SHELL " + json.dumps(ins.args), True)

    def _shell(self, state: _State) -> list[str]:
        return list(state.config.config.shell or DEFAULT_SHELL)

    def _command(self, state: _State, ins: Instruction, args: list[str]) -> list[str]:
        return list(args) if ins.json_form else self._shell(state) + [args[0]] if args else []

    async def _do_cmd(self, state: _State, ins: Instruction, count: bool) -> None:
        state.config.config.cmd = self._command(state, ins, ins.args)
        state.cmd_set = True
        self._history(state, f"CMD {json.dumps(state.config.config.cmd)}", True)

    async def _do_entrypoint(self, state: _State, ins: Instruction, count: bool) -> None:
        state.config.config.entrypoint = self._command(state, ins, ins.args)
        if not state.cmd_set:
            # As in Docker: an ENTRYPOINT resets a CMD inherited from the base image.
            state.config.config.cmd = None
        self._history(state, f"ENTRYPOINT {json.dumps(state.config.config.entrypoint)}", True)

    async def _do_healthcheck(self, state: _State, ins: Instruction, count: bool) -> None:
        text = ins.args[0].strip()
        keyword, _, rest = text.partition(" ")
        if keyword.upper() == "NONE":
            state.config.config.healthcheck = Healthcheck(test=["NONE"])
        else:
            rest = rest.strip()
            if not rest:
                raise self._fail(ins, "HEALTHCHECK CMD needs a command")
            parsed = None
            if rest.startswith("["):
                try:
                    parsed = json.loads(rest)
                except ValueError:
                    parsed = None
            test = ["CMD", *parsed] if isinstance(parsed, list) else ["CMD-SHELL", rest]
            check = Healthcheck(test=test)
            for flag, attribute in (("interval", "interval"), ("timeout", "timeout"),
                                    ("start-period", "start_period"), ("start-interval", "start_interval")):
                if flag in ins.flags:
                    setattr(check, attribute, parse_duration(ins.flags[flag], lambda m: self._fail(ins, m)))
            if "retries" in ins.flags:
                if not ins.flags["retries"].isdigit() or int(ins.flags["retries"]) < 1:
                    raise self._fail(ins, "--retries must be a whole number of at least 1")
                check.retries = int(ins.flags["retries"])
            state.config.config.healthcheck = check
        self._history(state, ins.original, True)

    async def _do_onbuild(self, state: _State, ins: Instruction, count: bool) -> None:
        state.config.config.on_build.append(ins.args[0].strip())
        self._history(state, ins.original, True)

    # -- COPY / ADD -------------------------------------------------------------------------

    async def _do_copy(self, state: _State, ins: Instruction, count: bool) -> None:
        await self._copy(state, ins, count, add=False)

    async def _do_add(self, state: _State, ins: Instruction, count: bool) -> None:
        await self._copy(state, ins, count, add=True)

    async def _copy(self, state: _State, ins: Instruction, count: bool, add: bool) -> None:
        env = self._env(state)
        words = [self._expand(state, ins, a, env) if not _is_heredoc_token(a) else a for a in ins.args]
        sources, dest = words[:-1], words[-1]
        flags = {k: self._expand(state, ins, v, env) for k, v in ins.flags.items()}
        if add:
            for src in sources:
                if "://" in src or src.startswith("git@"):
                    raise self._fail(ins, f"ADD cannot fetch {src} because builds here have no internet access; download it into the build context and ADD it from there")
            if "checksum" in flags:
                raise self._fail(ins, "ADD --checksum only applies to URLs, which builds here cannot fetch")
        if "chmod" in flags and not is_octal_mode(flags["chmod"]):
            raise self._fail(ins, f"--chmod={flags['chmod']} is not an octal mode such as 0644")
        workdir = state.config.config.working_dir or "/"
        dest_abs = posixpath.normpath(posixpath.join(workdir, dest))
        dest_is_dir_syntax = dest.endswith("/") or dest in (".", "./") or dest.endswith("/.")
        from_ref = flags.get("from")
        self._step(ins.original, count)
        heredocs = {d.name: d for d in ins.heredocs}
        inline: list[tuple[str, bytes]] = []
        for src in sources:
            if _is_heredoc_token(src):
                doc = heredocs[_heredoc_name(src)]
                inline.append((doc.name, self._expand_heredoc(state, ins, doc).encode()))
        paths = [src for src in sources if not _is_heredoc_token(src)]

        async def select(tree: SourceTree) -> list[Selection]:
            selections: list[Selection] = []
            for src in paths:
                selections.extend(await asyncio.to_thread(tree.select, src, ins.command))
            if len(selections) + len(inline) > 1 and not dest_is_dir_syntax:
                raise self._fail(ins, f"{dest} must end with / because more than one source is copied into it")
            return selections

        if from_ref is None:
            context_selections = await select(self._context)
            # The context is hashed; a stage or image source is pinned by its own chain instead,
            # so a cached COPY --from never unpacks the other stage.
            source_key = await asyncio.to_thread(self.hasher.selection_digest, context_selections)
        else:
            source_key, open_tree = await self._from_source(from_ref, state, ins)
        inline_digest = _hash(*(f"{n}\0{sha256_digest(c)}" for n, c in inline))
        key_text = json.dumps([ins.command, sources, dest_abs, dest_is_dir_syntax, sorted(flags.items()), source_key, inline_digest])
        self._chain(state, key_text)

        async def make() -> list[LayerEntry]:
            selections = context_selections if from_ref is None else await select(await open_tree())
            into_dir = dest_is_dir_syntax or len(selections) + len(inline) > 1
            return await self._copy_entries(state, ins, selections, inline, dest_abs, into_dir, flags, add)

        await self._layer_step(state, ins, self._history_text(ins, sources, dest), make)

    def _history_text(self, ins: Instruction, sources: list[str], dest: str) -> str:
        return f"{ins.command} {' '.join(sources)} {dest}"

    def _expand_heredoc(self, state: _State, ins: Instruction, doc: Heredoc) -> str:
        if not doc.expand:
            return doc.content
        try:
            # Only variables are expanded in a heredoc body; quotes stay as written.
            escape = self._dockerfile.escape
            return "".join(shellwords.expand_word(_protect_quotes(part, escape), self._env(state), escape)
                           for part in doc.content.splitlines(keepends=True))
        except ExpansionError as exc:
            raise self._fail(ins, str(exc)) from None

    async def _from_source(self, ref: str, state: _State, ins: Instruction,
                           flag: str = "--from") -> tuple[str, Callable[[], Awaitable[SourceTree]]]:
        """COPY --from (or RUN --mount from): the source's cache key, and how to unpack it when the step must run."""
        index = self._dockerfile.stage_index(ref)
        if index is not None and index in self._stages:
            other = self._stages[index]

            async def stage_tree() -> SourceTree:
                return SourceTree(await self._materialize(other), label=f"stage {ref}", confined=False)

            return other.chain, stage_tree
        where = f"{self._dockerfile.path}:{ins.line}: {ins.command} {flag}"
        config, layers, digest = await self._pull(ref, state.platform, where)
        image = _State(config, layers, _hash("image", digest), state.platform)

        async def image_tree() -> SourceTree:
            return SourceTree(await self._materialize(image), label=f"image {ref}", confined=False)

        return image.chain, image_tree

    async def _copy_entries(self, state: _State, ins: Instruction, selections: list[Selection], inline: list[tuple[str, bytes]],
                            dest: str, dest_is_dir: bool, flags: dict[str, str], add: bool) -> list[LayerEntry]:
        uid, gid = await self._owner(state, ins, flags.get("chown"))
        chmod = int(flags["chmod"], 8) if "chmod" in flags else None
        # The image's listing is only read when it changes the result: to learn whether a
        # destination without a trailing / is an existing directory, and to give directories
        # COPY creates the --chown owner. Otherwise missing parents are created as 0755 root
        # when the layer is applied, which is what Docker does too.
        single = not dest_is_dir
        listings = await self._listings(state) if (single or "chown" in flags) else None
        existing = LayerIndex.lookup(listings, dest) if listings is not None else None
        into_dir = dest_is_dir or (existing is not None and existing.kind == "dir")
        entries: list[LayerEntry] = []
        target_dir = dest.lstrip("/")

        def mode_of(entry_mode: int) -> int:
            return chmod if chmod is not None else entry_mode

        def emit_dir(name: str) -> None:
            if name and listings is not None and LayerIndex.lookup(listings, name) is None:
                entries.append(LayerEntry(name, "dir", mode_of(0o755), uid, gid))

        for name, data in inline:
            path = posixpath.join(target_dir, name) if into_dir else target_dir
            emit_dir(posixpath.dirname(path))
            entries.append(LayerEntry(path, "file", mode_of(0o644), uid, gid, data=data))
        for sel in selections:
            source = sel.source
            if source.kind == "dir":
                emit_dir(target_dir)
                for member in sel.members:
                    entries.append(context_entry(posixpath.join(target_dir, member.rel), member, uid, gid, chmod))
                continue
            if add and source.kind == "file" and is_archive(source.path):
                emit_dir(target_dir)
                entries.extend(await asyncio.to_thread(archive_entries, source.path, target_dir, flags.get("chown") is not None, uid, gid))
                continue
            path = posixpath.join(target_dir, posixpath.basename(source.rel) or source.path.name) if into_dir else target_dir
            emit_dir(posixpath.dirname(path))
            entries.append(context_entry(path, source, uid, gid, chmod))
        return entries

    async def _listings(self, state: _State) -> list[dict[str, list]]:
        listings = []
        for layer in state.layers:
            blob = await self._ensure_blob(layer.origin, layer.digest)
            listings.append(await asyncio.to_thread(self.index.listing, layer.diff_id, blob))
        return listings

    async def _owner(self, state: _State, ins: Instruction, spec: str | None) -> tuple[int, int]:
        if not spec:
            return 0, 0
        user, _, group = spec.partition(":")
        if user.isdigit() and (not group or group.isdigit()):
            return int(user), int(group) if group else int(user)
        root = await self._materialize(state)
        return lookup_user(root, user, group, lambda m: self._fail(ins, m))

    # -- RUN --------------------------------------------------------------------------------

    async def _do_run(self, state: _State, ins: Instruction, count: bool) -> None:
        if ins.flags.get("security", "sandbox") != "sandbox":
            raise self._fail(ins, "RUN --security=insecure is not supported; builds always run sandboxed")
        network = ins.flags.get("network", "default")
        if network not in ("default", "none", "host"):
            raise self._fail(ins, f"--network={network} is not one of default, none, host")
        argv, script = self._run_argv(state, ins)
        env = self._env(state)
        specs = [self._mount_spec(state, ins, raw, env) for raw in ins.mounts]
        env.setdefault("PATH", DEFAULT_PATH)
        user = state.config.config.user or "0"
        workdir = state.config.config.working_dir or "/"
        self._step(ins.original, count)
        key: list = ["RUN", argv, script, sorted(env.items()), user, workdir, network]
        openers: list[Callable[[], Awaitable[Source]]] = []
        if specs:
            mount_keys = []
            for spec in specs:
                mount_key, opener = await self._mount_source(state, ins, spec)
                mount_keys.append([spec.key_text(), mount_key])
                openers.append(opener)
            key.append(mount_keys)
        self._chain(state, json.dumps(key))

        async def make() -> list[LayerEntry]:
            check_can_run(state.platform)
            root = await self._materialize(state)
            uid, gid = lookup_user(root, *split_user(user), lambda m: self._fail(ins, m))
            env.setdefault("HOME", home_of(root, uid))
            directory = resolve_in_root(root, workdir, follow_last=True)
            if not directory.exists():
                directory.mkdir(parents=True, mode=0o755)
            plan = MountPlan(root, specs, [await opener() for opener in openers], self.cache, self.log, (uid, gid))
            skip = frozenset(MOUNT_POINTS) | plan.skip
            before = await asyncio.to_thread(snapshot, root, skip)
            try:
                async with plan.mounted() as (mounts, secret_env):
                    spec = RunSpec(root, argv, {**env, **secret_env}, uid, gid, workdir, network != "none", script, mounts)
                    await run_isolated(spec, lambda line: self.log(f"  {line}"))
            except BuildError as exc:
                raise BuildError(f"{self._dockerfile.path}:{ins.line}: {ins.original} failed with exit code {exc.exit_code}"
                                 if exc.exit_code is not None and exc.message.startswith("RUN ") else exc.message,
                                 log=exc.log, exit_code=exc.exit_code) from None
            after = await asyncio.to_thread(snapshot, root, skip)
            owner = owner_map(uid, gid)
            return diff(root, before, after, owner)

        await self._layer_step(state, ins, ins.original, make, ran_in_rootfs=True)

    def _mount_spec(self, state: _State, ins: Instruction, raw: str, env: dict[str, str]) -> MountSpec:
        try:
            workdir = state.config.config.working_dir or "/"
            return parse_mount(raw, lambda value: self._expand(state, ins, value, env), workdir)
        except MountError as exc:
            raise self._fail(ins, str(exc)) from None

    async def _mount_source(self, state: _State, ins: Instruction, spec: MountSpec) -> tuple[str, Callable[[], Awaitable[Source]]]:
        """A mount's part of the step's cache key (bound files by content, a stage by its chain;
        never a cache's contents or a secret's value), and how to get what it mounts when the step runs."""

        async def nothing() -> Source:
            return None

        if spec.type == "secret":
            secret = self._options.secrets.get(spec.id)
            if secret is None:
                if spec.required:
                    raise self._fail(ins, f"the secret {spec.id} is required but was not given; pass --secret id={spec.id},src=FILE")
                return "", nothing

            async def value() -> Source:
                try:
                    data = await asyncio.to_thread(secret.read)
                except BuildError as exc:
                    raise self._fail(ins, exc.message) from None
                if spec.env and b"\0" in data:
                    raise self._fail(ins, f"the secret {spec.id} holds a NUL byte, so it cannot be the variable {spec.env}; mount it as a file instead")
                return data

            return "", value
        if spec.type != "bind":
            return "", nothing
        if spec.from_:
            chain, open_tree = await self._from_source(spec.from_, state, ins, "--mount from")

            async def in_stage() -> Source:
                tree = await open_tree()
                path = resolve_in_root(tree.root, spec.source, follow_last=True)
                if not os.path.lexists(path):
                    raise self._fail(ins, f"--mount source {spec.source or '/'} does not exist in {tree.label}; check the path")
                return path

            return chain, in_stage
        try:
            selections = await asyncio.to_thread(self._context.select, spec.source or ".", "--mount source")
        except BuildError as exc:
            raise self._fail(ins, exc.message) from None
        if len(selections) != 1:
            raise self._fail(ins, f"--mount source {spec.source} matches {len(selections)} paths; a bind mount takes one file or directory")
        digest = await asyncio.to_thread(self.hasher.selection_digest, selections)

        async def in_context() -> Source:
            return selections[0]

        return digest, in_context

    def _run_argv(self, state: _State, ins: Instruction) -> tuple[list[str], str | None]:
        """The argv to execute and, for a `RUN <<EOF` script with a #! line, the script text."""
        if ins.json_form:
            return list(ins.args), None
        command = ins.args[0] if ins.args else ""
        if ins.heredocs:
            if len(ins.heredocs) == 1 and _is_heredoc_token(command.strip()):
                content = ins.heredocs[0].content
                if content.startswith("#!"):
                    return [], content
                return self._shell(state) + [content], None
            body = command
            for doc in ins.heredocs:
                body += "\n" + doc.content + doc.name
            return self._shell(state) + [body], None
        return self._shell(state) + [command], None

    async def _layer_step(self, state: _State, ins: Instruction, created_by: str,
                          make: Callable[[], Awaitable[list[LayerEntry]]], ran_in_rootfs: bool = False) -> None:
        key = state.chain
        cached = None if self._options.no_cache else self.cache.lookup(key)
        if cached is not None:
            self._cached += 1
            self.log("  cached")
            layer = Layer(cached.digest, cached.diff_id, cached.size, mt.OCI_LAYER_GZIP)
        else:
            entries = await make()
            tmp = self.cache.temp_path(".tar.gz")
            blob = await asyncio.to_thread(write_layer, entries, tmp, self._epoch)
            blob = self.cache.adopt(blob)
            self.cache.store(key, blob)
            layer = Layer(blob.digest, blob.diff_id, blob.size, mt.OCI_LAYER_GZIP)
            self.log(f"  layer {blob.digest[7:19]} ({human_size(blob.size)})")
        state.layers.append(layer)
        if ran_in_rootfs and cached is None:
            state.applied = len(state.layers)
        self._history(state, created_by, False)

    async def _materialize(self, state: _State) -> Path:
        """The stage's root file system on disk, with every layer so far applied."""
        if state.rootfs is None:
            taken = None
            if self.pool is not None:
                taken = await self.pool.take([(l.origin, l.digest) for l in state.layers], state.base_count)
            state.rootfs, state.applied = taken or (self.cache.temp_dir("rootfs-"), 0)
            self._temp.append(state.rootfs)
        for layer in state.layers[state.applied:]:
            blob = await self._ensure_blob(layer.origin, layer.digest)
            await asyncio.to_thread(apply_layer, state.rootfs, blob)
        state.applied = len(state.layers)
        return state.rootfs

    # -- assembly ---------------------------------------------------------------------------

    def _assemble(self, state: _State) -> PlatformImage:
        config = state.config
        config.os = state.platform.os or "linux"
        config.architecture = state.platform.architecture
        config.variant = state.platform.variant
        config.created = _time(self._epoch)
        config.diff_ids = [layer.diff_id for layer in state.layers]
        raw_config = config.to_json()
        config_digest = sha256_digest(raw_config)
        self.cache.put_bytes(config_digest, raw_config)
        manifest = canonical_json({
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "config": {"mediaType": mt.OCI_CONFIG, "digest": config_digest, "size": len(raw_config)},
            "layers": [{"mediaType": l.media_type, "digest": l.digest, "size": l.size} for l in state.layers],
        })
        return PlatformImage(state.platform, manifest, sha256_digest(manifest), raw_config, config_digest, tuple(state.layers))

    def _cleanup(self) -> None:
        for path in self._temp:
            remove_tree(path)
        self._temp.clear()


def _hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _time(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _platform_json(platform: Platform) -> dict[str, str]:
    out = {"architecture": platform.architecture, "os": platform.os}
    if platform.variant:
        out["variant"] = platform.variant
    return out


def _choose_platform(descriptors, platform: Platform):
    for d in descriptors:
        p = d.platform
        if p and p.os == platform.os and p.architecture == platform.architecture and (not platform.variant or p.variant == platform.variant):
            return d
    return None


def _is_heredoc_token(word: str) -> bool:
    from acrtui.build.dockerfile import _HEREDOC_RE

    match = _HEREDOC_RE.fullmatch(word)
    return match is not None


def _heredoc_name(word: str) -> str:
    from acrtui.build.dockerfile import _HEREDOC_RE

    match = _HEREDOC_RE.fullmatch(word)
    assert match is not None
    return match.group(3)


def _protect_quotes(text: str, escape: str) -> str:
    """Escape quotes (and the escape character, except before `$`) so that word processing
    expands variables but keeps everything else as written."""
    out = text.replace(escape, escape * 2).replace(escape * 2 + "$", escape + "$")
    return out.replace("'", escape + "'").replace('"', escape + '"')
