"""Content digests (`algorithm:hex`) as the OCI image spec defines them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# The image spec's grammar, restricted to the algorithms we can verify.
_DIGEST_RE = re.compile(r"^(sha256|sha512):([a-f0-9]+)$")
_HEX_LEN = {"sha256": 64, "sha512": 128}


class InvalidDigest(ValueError):
    """A string is not a digest this registry can verify."""


@dataclass(frozen=True, order=True)
class Digest:
    algorithm: str
    hex: str

    @classmethod
    def parse(cls, value: str) -> "Digest":
        m = _DIGEST_RE.match(value or "")
        if not m or len(m.group(2)) != _HEX_LEN[m.group(1)]:
            raise InvalidDigest(f"invalid digest {value!r}")
        return cls(m.group(1), m.group(2))

    @classmethod
    def of(cls, data: bytes, algorithm: str = "sha256") -> "Digest":
        return cls(algorithm, hashlib.new(algorithm, data).hexdigest())

    def hasher(self) -> "hashlib._Hash":
        return hashlib.new(self.algorithm)

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    @property
    def short(self) -> str:
        return self.hex[:12]


def is_digest(value: str) -> bool:
    try:
        Digest.parse(value)
    except InvalidDigest:
        return False
    return True


def sha256_digest(data: bytes) -> str:
    return str(Digest.of(data))
