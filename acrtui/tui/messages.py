"""Messages the panes send each other through the app (posted upward, handled by the screen)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class RepositoryChosen(Message):
    """The highlighted repository changed; the tag tree shows its tags."""

    repository: str


@dataclass
class ManifestChosen(Message):
    """A manifest in the tag tree was highlighted; the inspector shows it."""

    repository: str
    digest: str
    tags: list[str]


@dataclass
class RegistryChanged(Message):
    """Content changed (a delete, a lock): panes that show it reload."""

    repository: str


@dataclass
class ManifestMeasured(Message):
    """The inspector learnt a manifest's size (config and layers); the tag tree shows it."""

    digest: str
    size: int
