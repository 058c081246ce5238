"""Repository names, tags and image references, validated against the distribution spec."""

from __future__ import annotations

import re
from dataclasses import dataclass

from acrtui.oci.digest import is_digest

# Distribution spec: <name> is path components of [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* joined by "/".
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
MAX_NAME_LENGTH = 255


def is_valid_name(name: str) -> bool:
    return len(name) <= MAX_NAME_LENGTH and bool(NAME_RE.match(name))


def is_valid_tag(tag: str) -> bool:
    return bool(TAG_RE.match(tag))


def is_valid_reference(reference: str) -> bool:
    """A manifest reference is a tag or a digest."""
    return is_valid_tag(reference) or is_digest(reference)


@dataclass(frozen=True)
class ImageReference:
    """`[registry/]repository[:tag][@digest]` as users type it."""

    registry: str | None
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def reference(self) -> str:
        """What goes after /manifests/: the digest when pinned, else the tag (default latest)."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        out = f"{self.registry}/{self.repository}" if self.registry else self.repository
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    @classmethod
    def parse(cls, text: str) -> "ImageReference":
        rest, digest = (text.split("@", 1) + [None])[:2] if "@" in text else (text, None)
        tag = None
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > slash:
            rest, tag = rest[:colon], rest[colon + 1 :]
        registry = None
        first, _, remainder = rest.partition("/")
        if remainder and ("." in first or ":" in first or first == "localhost"):
            registry, rest = first, remainder
        if not is_valid_name(rest):
            raise ValueError(f"invalid repository name {rest!r} in {text!r}")
        if tag is not None and not is_valid_tag(tag):
            raise ValueError(f"invalid tag {tag!r} in {text!r}")
        if digest is not None and not is_digest(digest):
            raise ValueError(f"invalid digest {digest!r} in {text!r}")
        return cls(registry, rest, tag, digest)
