"""sample-registry/registry.yaml read into dataclasses, checked before anything is generated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from acrtui.oci.config import parse_time
from acrtui.oci.manifest import Platform


class DescriptionError(ValueError):
    """registry.yaml is malformed; the message names the entry and what is wrong."""


@dataclass(frozen=True)
class LayerSpec:
    name: str
    directory: Path | None = None
    files: dict[str, str] = field(default_factory=dict)
    delete: tuple[str, ...] = ()
    opaque: tuple[str, ...] = ()
    executable: frozenset[str] = frozenset()
    directories: bool = True  # write parent directory entries, as a file system layer has


@dataclass(frozen=True)
class Step:
    created_by: str
    layer: str | None = None


@dataclass(frozen=True)
class RuntimeSpec:
    env: tuple[str, ...] = ()
    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    workdir: str = ""
    user: str = ""
    exposed_ports: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImageSpec:
    name: str
    platform: Platform
    created: datetime
    runtime: RuntimeSpec
    steps: tuple[Step, ...]
    docker_format: bool = False


@dataclass(frozen=True)
class ManifestSpec:
    """One manifest of a repository and the tags that point to it."""

    tags: tuple[str, ...]
    image: str | None = None
    index: tuple[str, ...] = ()
    chart: Path | None = None
    created: datetime | None = None
    locked: tuple[str, ...] = ()
    referrers: tuple[str, ...] = ()


@dataclass(frozen=True)
class NightlySpec:
    repository: str
    image: str
    tags: int
    days: int
    rebuilt: int


@dataclass(frozen=True)
class BusyboxSpec:
    repository: str
    tag: str
    binary: Path
    files: str  # a layer whose files join busybox in the root file system


@dataclass(frozen=True)
class SampleDescription:
    root: Path
    layers: dict[str, LayerSpec]
    images: dict[str, ImageSpec]
    repositories: dict[str, tuple[ManifestSpec, ...]]
    nightly: NightlySpec | None
    busybox: BusyboxSpec | None


REFERRER_KINDS = frozenset({"signature", "sbom"})


def load_description(root: Path) -> SampleDescription:
    path = root / "registry.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DescriptionError(f"cannot read {path}: {exc.strerror or exc}; reinstall acrtui") from None
    except yaml.YAMLError as exc:
        raise DescriptionError(f"{path} is not valid YAML ({exc})") from None
    data = _mapping(data, "registry.yaml")
    layers = {name: _layer(root, name, _mapping(v, f"layers.{name}")) for name, v in _mapping(data.get("layers"), "layers").items()}
    images = {name: _image(name, _mapping(v, f"images.{name}"), layers) for name, v in _mapping(data.get("images"), "images").items()}
    repositories = {
        repo: tuple(_manifest(root, f"repositories.{repo}[{i}]", _mapping(entry, f"repositories.{repo}[{i}]"), images)
                    for i, entry in enumerate(_list(entries, f"repositories.{repo}")))
        for repo, entries in _mapping(data.get("repositories"), "repositories").items()
    }
    nightly = _nightly(_mapping(data["nightly"], "nightly"), images) if data.get("nightly") else None
    busybox = _busybox(_mapping(data["busybox"], "busybox"), layers) if data.get("busybox") else None
    return SampleDescription(
        root=root, layers=layers, images=images, repositories=repositories, nightly=nightly, busybox=busybox
    )


def _layer(root: Path, name: str, data: dict[str, Any]) -> LayerSpec:
    where = f"layers.{name}"
    directory = None
    if data.get("dir") is not None:
        directory = root / _str(data["dir"], f"{where}.dir")
        if not directory.is_dir():
            raise DescriptionError(f"{where}.dir: {directory} is not a directory")
    files = {str(k): _str(v, f"{where}.files.{k}") for k, v in _mapping(data.get("files") or {}, f"{where}.files").items()}
    spec = LayerSpec(
        name=name,
        directory=directory,
        files=files,
        delete=tuple(_strs(data.get("delete"), f"{where}.delete")),
        opaque=tuple(_strs(data.get("opaque"), f"{where}.opaque")),
        executable=frozenset(_strs(data.get("executable"), f"{where}.executable")),
    )
    if not (spec.directory or spec.files or spec.delete or spec.opaque):
        raise DescriptionError(f"{where} is empty; give it a dir, files, delete or opaque")
    return spec


def _image(name: str, data: dict[str, Any], layers: dict[str, LayerSpec]) -> ImageSpec:
    where = f"images.{name}"
    parts = _str(data.get("platform"), f"{where}.platform").split("/")
    if len(parts) not in (2, 3):
        raise DescriptionError(f"{where}.platform must be os/arch[/variant]")
    platform = Platform(
        os=parts[0], architecture=parts[1], variant=parts[2] if len(parts) == 3 else "",
        os_version=str(data.get("os_version") or ""),
    )
    steps = []
    for i, raw in enumerate(_list(data.get("steps"), f"{where}.steps")):
        step = _mapping(raw, f"{where}.steps[{i}]")
        layer = step.get("layer")
        if layer is not None and layer not in layers:
            raise DescriptionError(f"{where}.steps[{i}] uses layer {layer!r}, which layers: does not define")
        steps.append(Step(created_by=_str(step.get("created_by"), f"{where}.steps[{i}].created_by"), layer=layer))
    if not any(s.layer for s in steps):
        raise DescriptionError(f"{where} has no step with a layer")
    runtime = _mapping(data.get("config") or {}, f"{where}.config")
    labels = _mapping(runtime.get("labels") or {}, f"{where}.config.labels")
    return ImageSpec(
        name=name,
        platform=platform,
        created=_time(data.get("created"), f"{where}.created"),
        runtime=RuntimeSpec(
            env=tuple(_strs(runtime.get("env"), f"{where}.config.env")),
            cmd=tuple(_strs(runtime["cmd"], f"{where}.config.cmd")) if "cmd" in runtime else None,
            entrypoint=tuple(_strs(runtime["entrypoint"], f"{where}.config.entrypoint")) if "entrypoint" in runtime else None,
            workdir=str(runtime.get("workdir") or ""),
            user=str(runtime.get("user") or ""),
            exposed_ports=tuple(_strs(runtime.get("exposed_ports"), f"{where}.config.exposed_ports")),
            labels={str(k): str(v) for k, v in labels.items()},
        ),
        steps=tuple(steps),
        docker_format=data.get("format", "oci") == "docker",
    )


def _manifest(root: Path, where: str, data: dict[str, Any], images: dict[str, ImageSpec]) -> ManifestSpec:
    kinds = [k for k in ("image", "index", "chart") if k in data]
    if len(kinds) != 1:
        raise DescriptionError(f"{where} needs exactly one of image, index or chart")
    tags = tuple(str(t) for t in _list(data.get("tags"), f"{where}.tags"))
    locked = tuple(str(t) for t in _strs(data.get("locked"), f"{where}.locked"))
    if any(t not in tags for t in locked):
        raise DescriptionError(f"{where}.locked names a tag that is not in its tags")
    referrers = tuple(_strs(data.get("referrers"), f"{where}.referrers"))
    if any(r not in REFERRER_KINDS for r in referrers):
        raise DescriptionError(f"{where}.referrers may only hold {', '.join(sorted(REFERRER_KINDS))}")
    named = [data["image"]] if "image" in data else _strs(data.get("index"), f"{where}.index")
    for image in named:
        if image not in images:
            raise DescriptionError(f"{where} uses image {image!r}, which images: does not define")
    chart = None
    if "chart" in data:
        chart = root / _str(data["chart"], f"{where}.chart")
        if not (chart / "Chart.yaml").is_file():
            raise DescriptionError(f"{where}.chart: {chart} has no Chart.yaml")
    if (chart is not None or "index" in data) and "created" not in data:
        raise DescriptionError(f"{where} needs a created time")
    return ManifestSpec(
        tags=tags,
        image=data.get("image"),
        index=tuple(named) if "index" in data else (),
        chart=chart,
        created=_time(data["created"], f"{where}.created") if "created" in data else None,
        locked=locked,
        referrers=referrers,
    )


def _nightly(data: dict[str, Any], images: dict[str, ImageSpec]) -> NightlySpec:
    spec = NightlySpec(
        repository=_str(data.get("repository"), "nightly.repository"),
        image=_str(data.get("image"), "nightly.image"),
        tags=_int(data.get("tags"), "nightly.tags"),
        days=_int(data.get("days"), "nightly.days"),
        rebuilt=_int(data.get("rebuilt"), "nightly.rebuilt"),
    )
    if spec.image not in images:
        raise DescriptionError(f"nightly.image {spec.image!r} is not defined under images:")
    if not 0 < spec.tags <= spec.days or spec.rebuilt > spec.tags:
        raise DescriptionError("nightly needs 0 < tags <= days and rebuilt <= tags")
    return spec


def _busybox(data: dict[str, Any], layers: dict[str, LayerSpec]) -> BusyboxSpec:
    spec = BusyboxSpec(
        repository=_str(data.get("repository"), "busybox.repository"),
        tag=_str(data.get("tag"), "busybox.tag"),
        binary=Path(_str(data.get("binary"), "busybox.binary")),
        files=_str(data.get("files"), "busybox.files"),
    )
    if spec.files not in layers:
        raise DescriptionError(f"busybox.files {spec.files!r} is not defined under layers:")
    return spec


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DescriptionError(f"{where} must be a mapping")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise DescriptionError(f"{where} must be a non-empty list")
    return value


def _strs(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DescriptionError(f"{where} must be a list of strings")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise DescriptionError(f"{where} must be a non-empty string")
    return value


def _int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise DescriptionError(f"{where} must be an integer")
    return value


def _time(value: Any, where: str) -> datetime:
    try:
        return parse_time(_str(value, where))
    except ValueError:
        raise DescriptionError(f"{where} must be an RFC 3339 time like 2026-01-02T03:04:05Z") from None
