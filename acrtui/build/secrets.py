"""Build secrets: `acrtui build --secret id=NAME,src=PATH` (or `env=VAR`), as `docker build` takes them.

A secret is named here and read only when a `RUN --mount=type=secret` needs it, so a watch loop
sees an edited secret file on its next build. Its bytes never enter a layer, a cache key, the
image config or the log; `repr` shows where a secret comes from, never what it holds.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from acrtui.build.errors import BuildError

_KEYS = {"id", "src", "source", "env", "type"}


@dataclass(frozen=True)
class SecretSource:
    id: str
    path: Path | None = None  # a file, or
    env: str | None = None  # an environment variable of the acrtui process

    def read(self) -> bytes:
        if self.path is not None:
            try:
                return self.path.read_bytes()
            except OSError as exc:
                raise BuildError(f"secret {self.id}: cannot read {self.path} ({exc.strerror}); check the --secret src path") from None
        assert self.env is not None
        value = os.environ.get(self.env)
        if value is None:
            raise BuildError(f"secret {self.id}: the environment variable {self.env} is not set; export it or pass --secret id={self.id},src=FILE")
        return os.fsencode(value)


def parse_secret(text: str) -> SecretSource:
    """One --secret option: `id=NAME,src=PATH`, `id=NAME,env=VAR`, or `id=NAME` (the variable NAME)."""
    def fail(reason: str) -> BuildError:
        return BuildError(f"--secret {text}: {reason}")

    values: dict[str, str] = {}
    for field in next(csv.reader([text]), []):
        key, eq, value = field.partition("=")
        key = key.strip().lower()
        if key not in _KEYS or not eq:
            raise fail(f"{field!r} is not one of id=, src=, env=, type=; write it as id=NAME,src=PATH")
        values["src" if key == "source" else key] = value
    ident = values.get("id", "")
    if not ident:
        raise fail("the secret needs an id; write it as id=NAME,src=PATH")
    kind = values.get("type") or ("file" if "src" in values else "env")
    if kind not in ("file", "env"):
        raise fail(f"type={kind} is not file or env")
    if kind == "file":
        if "src" not in values or "env" in values:
            raise fail("a file secret takes src=PATH and no env=")
        path = Path(values["src"]).expanduser()
        if not path.is_file():
            raise fail(f"{path} is not a file; check the path")
        return SecretSource(ident, path=path)
    if "src" in values:
        raise fail("an env secret takes env=VAR and no src=")
    variable = values.get("env") or ident
    if variable not in os.environ:
        raise fail(f"the environment variable {variable} is not set; export it or give src=PATH")
    return SecretSource(ident, env=variable)


def parse_secrets(options: list[str]) -> dict[str, SecretSource]:
    """Every --secret by id; a later one with the same id replaces an earlier one, as in docker."""
    return {source.id: source for source in map(parse_secret, options)}
