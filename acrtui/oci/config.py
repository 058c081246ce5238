"""Image configs (OCI `application/vnd.oci.image.config.v1+json` and Docker's
`application/vnd.docker.container.image.v1+json`) parsed into dataclasses and written back
as canonical JSON.

The dataclasses are mutable on purpose: the builder starts from a base image's config and
edits it instruction by instruction. `to_json()` is canonical (sorted keys, compact, UTF-8,
UTC timestamps), so the same config always gives the same bytes and the same digest.
Fields this module does not model are kept in `extra` dicts and written back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from acrtui.oci.digest import Digest, InvalidDigest


class InvalidConfig(ValueError):
    """The bytes are not an image config we can read."""


T = TypeVar("T")


@dataclass
class Healthcheck:
    """HEALTHCHECK; durations are nanoseconds, as Docker stores them."""

    test: list[str] = field(default_factory=list)
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0

    @classmethod
    def from_json(cls, data: Any) -> "Healthcheck":
        data = _object(data, "config.Healthcheck")
        return cls(
            test=_str_list(data.get("Test"), "config.Healthcheck.Test") or [],
            interval=_int(data.get("Interval"), "config.Healthcheck.Interval"),
            timeout=_int(data.get("Timeout"), "config.Healthcheck.Timeout"),
            start_period=_int(data.get("StartPeriod"), "config.Healthcheck.StartPeriod"),
            start_interval=_int(data.get("StartInterval"), "config.Healthcheck.StartInterval"),
            retries=_int(data.get("Retries"), "config.Healthcheck.Retries"),
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Test": list(self.test)}
        for key, value in (
            ("Interval", self.interval),
            ("Timeout", self.timeout),
            ("StartPeriod", self.start_period),
            ("StartInterval", self.start_interval),
            ("Retries", self.retries),
        ):
            if value:
                out[key] = value
        return out


@dataclass
class RuntimeConfig:
    """The `config` object: how a container from this image runs.

    `entrypoint`, `cmd` and `shell` distinguish None (not set, inherit) from [] (set empty).
    """

    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    env: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    working_dir: str = ""
    user: str = ""
    exposed_ports: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    stop_signal: str = ""
    shell: list[str] | None = None
    healthcheck: Healthcheck | None = None
    on_build: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    _KNOWN = frozenset(
        {
            "Entrypoint",
            "Cmd",
            "Env",
            "Labels",
            "WorkingDir",
            "User",
            "ExposedPorts",
            "Volumes",
            "StopSignal",
            "Shell",
            "Healthcheck",
            "OnBuild",
        }
    )

    @classmethod
    def from_json(cls, data: Any) -> "RuntimeConfig":
        data = _object(data, "config")
        labels = data.get("Labels") or {}
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise InvalidConfig("image config field config.Labels is not an object of strings")
        healthcheck = data.get("Healthcheck")
        return cls(
            entrypoint=_str_list(data.get("Entrypoint"), "config.Entrypoint"),
            cmd=_str_list(data.get("Cmd"), "config.Cmd"),
            env=_str_list(data.get("Env"), "config.Env") or [],
            labels=dict(labels),
            working_dir=_str(data.get("WorkingDir"), "config.WorkingDir"),
            user=_str(data.get("User"), "config.User"),
            exposed_ports=_key_set(data.get("ExposedPorts"), "config.ExposedPorts"),
            volumes=_key_set(data.get("Volumes"), "config.Volumes"),
            stop_signal=_str(data.get("StopSignal"), "config.StopSignal"),
            shell=_str_list(data.get("Shell"), "config.Shell"),
            healthcheck=Healthcheck.from_json(healthcheck) if healthcheck is not None else None,
            on_build=_str_list(data.get("OnBuild"), "config.OnBuild") or [],
            extra={k: v for k, v in data.items() if k not in cls._KNOWN},
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        if self.entrypoint is not None:
            out["Entrypoint"] = list(self.entrypoint)
        if self.cmd is not None:
            out["Cmd"] = list(self.cmd)
        if self.shell is not None:
            out["Shell"] = list(self.shell)
        if self.env:
            out["Env"] = list(self.env)
        if self.labels:
            out["Labels"] = dict(self.labels)
        if self.working_dir:
            out["WorkingDir"] = self.working_dir
        if self.user:
            out["User"] = self.user
        if self.exposed_ports:
            out["ExposedPorts"] = {p: {} for p in self.exposed_ports}
        if self.volumes:
            out["Volumes"] = {v: {} for v in self.volumes}
        if self.stop_signal:
            out["StopSignal"] = self.stop_signal
        if self.healthcheck is not None:
            out["Healthcheck"] = self.healthcheck.to_obj()
        if self.on_build:
            out["OnBuild"] = list(self.on_build)
        return out

    def env_dict(self) -> dict[str, str]:
        """Env as a mapping; a later duplicate wins, as the runtime applies it."""
        out: dict[str, str] = {}
        for item in self.env:
            key, _, value = item.partition("=")
            out[key] = value
        return out

    def set_env(self, key: str, value: str) -> None:
        """Set one variable in place, keeping its position if it exists (ENV semantics)."""
        entry = f"{key}={value}"
        for i, item in enumerate(self.env):
            if item.partition("=")[0] == key:
                self.env[i] = entry
                return
        self.env.append(entry)


@dataclass
class HistoryEntry:
    created: datetime | None = None
    created_by: str = ""
    comment: str = ""
    author: str = ""
    empty_layer: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    _KNOWN = frozenset({"created", "created_by", "comment", "author", "empty_layer"})

    @classmethod
    def from_json(cls, data: Any, where: str) -> "HistoryEntry":
        data = _object(data, where)
        empty = data.get("empty_layer", False)
        if not isinstance(empty, bool):
            raise InvalidConfig(f"image config field {where}.empty_layer is not a boolean")
        return cls(
            created=_time(data.get("created"), f"{where}.created"),
            created_by=_str(data.get("created_by"), f"{where}.created_by"),
            comment=_str(data.get("comment"), f"{where}.comment"),
            author=_str(data.get("author"), f"{where}.author"),
            empty_layer=empty,
            extra={k: v for k, v in data.items() if k not in cls._KNOWN},
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        if self.created is not None:
            out["created"] = format_time(self.created)
        for key, value in (("created_by", self.created_by), ("comment", self.comment), ("author", self.author)):
            if value:
                out[key] = value
        if self.empty_layer:
            out["empty_layer"] = True
        return out


@dataclass
class ImageConfig:
    os: str = ""
    architecture: str = ""
    variant: str = ""
    os_version: str = ""
    created: datetime | None = None
    author: str = ""
    config: RuntimeConfig = field(default_factory=RuntimeConfig)
    diff_ids: list[str] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    _KNOWN = frozenset(
        {"os", "architecture", "variant", "os.version", "created", "author", "config", "rootfs", "history"}
    )

    @classmethod
    def from_json(cls, body: bytes | str) -> "ImageConfig":
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidConfig("image config is not valid JSON; the blob is corrupt or is not an image config") from None
        if not isinstance(data, dict):
            raise InvalidConfig("image config is not a JSON object; the blob is not an image config")
        rootfs = data.get("rootfs")
        diff_ids: list[str] = []
        if rootfs is not None:
            rootfs = _object(rootfs, "rootfs")
            rootfs_type = rootfs.get("type", "layers")
            if rootfs_type != "layers":
                raise InvalidConfig(f"image config rootfs.type is {rootfs_type!r}, but only 'layers' exists")
            diff_ids = _str_list(rootfs.get("diff_ids"), "rootfs.diff_ids") or []
            for i, diff_id in enumerate(diff_ids):
                try:
                    Digest.parse(diff_id)
                except InvalidDigest:
                    raise InvalidConfig(f"image config rootfs.diff_ids[{i}] is not a digest: {diff_id!r}") from None
        history = data.get("history") or []
        if not isinstance(history, list):
            raise InvalidConfig("image config field history is not a list")
        runtime = data.get("config")
        return cls(
            os=_str(data.get("os"), "os"),
            architecture=_str(data.get("architecture"), "architecture"),
            variant=_str(data.get("variant"), "variant"),
            os_version=_str(data.get("os.version"), "os.version"),
            created=_time(data.get("created"), "created"),
            author=_str(data.get("author"), "author"),
            config=RuntimeConfig.from_json(runtime) if runtime is not None else RuntimeConfig(),
            diff_ids=diff_ids,
            history=[HistoryEntry.from_json(h, f"history[{i}]") for i, h in enumerate(history)],
            extra={k: v for k, v in data.items() if k not in cls._KNOWN},
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out["os"] = self.os
        out["architecture"] = self.architecture
        if self.variant:
            out["variant"] = self.variant
        if self.os_version:
            out["os.version"] = self.os_version
        if self.created is not None:
            out["created"] = format_time(self.created)
        if self.author:
            out["author"] = self.author
        out["config"] = self.config.to_obj()
        out["rootfs"] = {"type": "layers", "diff_ids": list(self.diff_ids)}
        if self.history:
            out["history"] = [h.to_obj() for h in self.history]
        return out

    def to_json(self) -> bytes:
        """Canonical JSON: the same config always serialises to the same bytes."""
        return canonical_json(self.to_obj())

    def layer_history(self, layers: Sequence[T]) -> list[tuple[T, HistoryEntry | None]]:
        return pair_layers_with_history(layers, self.history)


def pair_layers_with_history(
    layers: Sequence[T], history: Sequence[HistoryEntry]
) -> list[tuple[T, HistoryEntry | None]]:
    """Pair each layer (a manifest's layer descriptors, diff_ids, …) with the history entry
    that created it.

    Entries marked empty_layer made no layer and are skipped. Missing or short history (some
    tools write none) leaves the remaining layers paired with None; surplus entries are ignored.
    """
    makers = iter([h for h in history if not h.empty_layer])
    return [(layer, next(makers, None)) for layer in layers]


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with `Z`, fractional seconds only when present (as Go writes it)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_time(text: str) -> datetime:
    """RFC 3339 as Go writes it (up to nanoseconds); naive times are taken as UTC."""
    base, dot, rest = text.partition(".")
    if dot:
        # Python keeps microseconds; Go writes up to nine fractional digits.
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{base}.{rest[:min(digits, 6)]}{rest[digits:]}"
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _time(value: Any, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidConfig(f"image config field {where} is not a timestamp string")
    try:
        return parse_time(value)
    except ValueError:
        raise InvalidConfig(f"image config field {where} is not an RFC 3339 timestamp: {value!r}") from None


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidConfig(f"image config field {where} is not a JSON object")
    return value


def _str(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidConfig(f"image config field {where} is not a string")
    return value


def _int(value: Any, where: str) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidConfig(f"image config field {where} is not an integer")
    return value


def _str_list(value: Any, where: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidConfig(f"image config field {where} is not a list of strings")
    return list(value)


def _key_set(value: Any, where: str) -> list[str]:
    """ExposedPorts and Volumes are objects whose keys matter and whose values are `{}`."""
    if value is None:
        return []
    if not isinstance(value, dict):
        raise InvalidConfig(f"image config field {where} is not an object")
    return sorted(value)
