"""`RUN --mount` specs: the CSV-ish text (`type=cache,target=/root/.cache,sharing=locked`) parsed
into a `MountSpec`, with BuildKit's keys, aliases and defaults.

Supported types are bind (the default), cache, tmpfs and secret; ssh is refused because builds
here have no agent to forward. Each value is expanded with the stage's variables, as BuildKit does.
"""

from __future__ import annotations

import csv
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from acrtui.build.values import is_octal_mode

TYPES = ("bind", "cache", "tmpfs", "secret")
_ALIASES = {"dst": "target", "destination": "target", "src": "source", "readonly": "ro", "readwrite": "rw"}
_BOOL_KEYS = {"ro", "rw", "required"}
_KEYS = {
    "bind": {"type", "target", "source", "from", "ro", "rw"},
    "cache": {"type", "target", "id", "ro", "rw", "sharing", "mode", "uid", "gid"},
    "tmpfs": {"type", "target", "size"},
    "secret": {"type", "target", "id", "env", "required", "mode", "uid", "gid"},
}
_SIZE_RE = re.compile(r"(\d+)\s*([kmg]?)b?", re.I)
_TRUE = {"1", "t", "true"}
_FALSE = {"0", "f", "false"}


class MountError(ValueError):
    """A --mount spec that cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class MountSpec:
    type: str
    target: str  # absolute and normalized; "" only for a secret exposed as an environment variable
    source: str = ""  # bind: the path in the context or in `from`
    from_: str = ""  # bind: a stage (name or index) or an image
    readonly: bool = False
    id: str = ""  # cache and secret
    sharing: str = "shared"  # cache: shared, private or locked
    mode: int | None = None
    uid: int = 0
    gid: int = 0
    size: int | None = None  # tmpfs, in bytes
    env: str = ""  # secret: also expose it as this environment variable
    required: bool = False  # secret

    def key_text(self) -> str:
        """What the step's cache key records of this mount: the spec, never a secret's value."""
        return json.dumps(asdict(self), sort_keys=True)


def _fields(raw: str) -> list[str]:
    try:
        return next(csv.reader([raw]), [])
    except csv.Error as exc:
        raise MountError(f"--mount={raw} is not a comma-separated list of key=value ({exc})") from None


def mount_from(raw: str) -> str | None:
    """The unexpanded `from=` of a spec, so that the stages a build needs can be found up front."""
    for field in _fields(raw):
        key, _, value = field.partition("=")
        if key.strip().lower() == "from":
            return value
    return None


def parse_mount(raw: str, expand: Callable[[str], str], workdir: str = "/") -> MountSpec:
    """A `--mount` value; a relative target is taken from `workdir`, as BuildKit does."""
    def fail(reason: str) -> MountError:
        return MountError(f"--mount={raw}: {reason}")

    values: dict[str, str] = {}
    for field in _fields(raw):
        key, eq, value = field.partition("=")
        key = key.strip().lower()
        key = _ALIASES.get(key, key)
        if not key:
            raise fail("a field has no key; write key=value pairs separated by commas")
        if not eq:
            if key not in _BOOL_KEYS:
                raise fail(f"{key} needs a value ({key}=…)")
            value = "true"
        if key in values:
            raise fail(f"{key} is given twice")
        values[key] = expand(value) if eq else value
    kind = values.get("type", "bind")
    if kind == "ssh":
        raise fail("ssh mounts are not supported because builds here have no SSH agent to forward; fetch private sources before the build and bind them from the context")
    if kind not in TYPES:
        raise fail(f"unknown mount type {kind}; use bind, cache, tmpfs or secret")
    for key in values:
        if key not in _KEYS[kind]:
            if kind == "cache" and key in ("from", "source"):
                raise fail("cache mounts seeded from= another stage are not supported; populate the cache in the RUN itself")
            raise fail(f"unknown key {key} for a {kind} mount; it takes {', '.join(sorted(_KEYS[kind] - {'type'}))}")

    def flag(key: str) -> bool | None:
        if key not in values:
            return None
        text = values[key].lower()
        if text not in _TRUE | _FALSE:
            raise fail(f"{key}={values[key]} is not true or false")
        return text in _TRUE

    def number(key: str) -> int:
        text = values.get(key, "0")
        if not text.isdigit():
            raise fail(f"{key}={text} is not a whole number")
        return int(text)

    ro, rw = flag("ro"), flag("rw")
    readonly = (ro if ro is not None else rw is False) if kind != "bind" else (ro is not False and not rw)
    mode = None
    if "mode" in values:
        if not is_octal_mode(values["mode"]):
            raise fail(f"mode={values['mode']} is not an octal mode such as 0755")
        mode = int(values["mode"], 8)
    sharing = values.get("sharing", "shared")
    if sharing not in ("shared", "private", "locked"):
        raise fail(f"sharing={sharing} is not one of shared, private, locked")
    size = None
    if "size" in values:
        match = _SIZE_RE.fullmatch(values["size"].strip())
        if not match:
            raise fail(f"size={values['size']} is not a size such as 64m")
        size = int(match.group(1)) * 1024 ** " kmg".index(match.group(2).lower() or " ")
    target = values.get("target", "")
    ident = values.get("id", "")
    env = values.get("env", "")
    if kind == "secret":
        ident = ident or posixpath.basename(target)
        if not ident:
            raise fail("a secret mount needs id=<name> (or a target to take it from)")
        if not target and not env:
            target = f"/run/secrets/{ident}"
        if env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
            raise fail(f"env={env} is not a valid environment variable name")
    if not target and kind != "secret":
        raise fail(f"a {kind} mount needs target=<path>")
    if kind == "cache":
        # BuildKit names a cache by its target as written, before WORKDIR is applied.
        ident = ident or posixpath.normpath(target)
    if target:
        target = posixpath.normpath(posixpath.join("/", workdir, target))
        if target == "/":
            raise fail("cannot mount over the root directory; pick a directory below it")
    return MountSpec(
        type=kind, target=target, source=values.get("source", ""), from_=values.get("from", ""), readonly=readonly,
        id=ident, sharing=sharing, mode=mode, uid=number("uid"), gid=number("gid"), size=size, env=env,
        required=bool(flag("required")),
    )
