"""Manifest content negotiation with Accept, the way CNCF distribution does it.

Only a pull by tag is negotiated, and only when Accept names manifest media types at all (a bare
curl, `*/*` or no header takes whatever is stored). When the stored type is not acceptable:
an index or manifest list is answered with its linux/amd64 image if that one is acceptable,
anything else is MANIFEST_UNKNOWN saying which type is stored.
"""

from __future__ import annotations

from acrtui.oci import mediatypes as mt

# Manifest types a client may list, including Docker schema 1 ones that old clients still send.
_MANIFEST_TYPES = mt.MANIFESTS | {
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
}
DEFAULT_PLATFORM = ("linux", "amd64")


def accepted_types(accept: str | None) -> frozenset[str] | None:
    """The manifest types an Accept header lists, or None when it constrains nothing."""
    if not accept:
        return None
    types = frozenset(part.split(";", 1)[0].strip().lower() for part in accept.split(","))
    if "*/*" in types or not types & _MANIFEST_TYPES:
        return None
    return types
