"""Who may do what: the authorization seam and the lock (changeableAttributes) rules.

Every route states the access it needs through `Gate.check`, before touching storage. Today the
engine admits anonymous access to everything and enforces only the locks; authenticated access
(tokens, users, scopes) slots into `authorize` without any route changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from acrtui.engine.errors import RegistryError
from acrtui.engine.storage import Attributes

Action = Literal["pull", "push", "delete", "list"]


@dataclass(frozen=True)
class Access:
    """One access request in the registry token scope form: repository:<name>:<action>."""

    repository: str | None
    action: Action

    @property
    def scope(self) -> str:
        return "registry:catalog:*" if self.repository is None else f"repository:{self.repository}:{self.action}"


class Gate:
    def __init__(self, *, allow_anonymous: bool = True) -> None:
        self.allow_anonymous = allow_anonymous

    def authorize(self, request: Request, access: Access) -> None:
        """Raise UNAUTHORIZED when the request may not perform access."""
        if self.allow_anonymous:
            return
        raise RegistryError(
            "UNAUTHORIZED",
            detail=[{"Type": "repository" if access.repository else "registry", "Name": access.repository or "catalog", "Action": access.action}],
            headers={"WWW-Authenticate": f'Bearer realm="{request.base_url}oauth2/token",service="{request.url.hostname}",scope="{access.scope}"'},
        )


_LOCKS: dict[str, tuple[tuple[str, str], ...]] = {
    # ACR: a write-locked item can be neither overwritten nor deleted.
    "delete": (("delete_enabled", "deleteEnabled"), ("write_enabled", "writeEnabled")),
    "push": (("write_enabled", "writeEnabled"),),
    "pull": (("read_enabled", "readEnabled"),),
    "list": (("list_enabled", "listEnabled"),),
}


def ensure_allowed(what: str, attributes: Attributes, action: Action) -> None:
    """Refuse an action that a lock on `what` (e.g. "tag web:v1") forbids, naming the lock."""
    for field, name in _LOCKS[action]:
        if not getattr(attributes, field):
            raise RegistryError(
                "DENIED",
                f"{what} is locked ({name} is false): set {name} to true before you {action} it",
                detail={"attribute": name, "target": what},
            )
