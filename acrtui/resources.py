"""Where the data shipped with acrtui lives: themes/ and sample-registry/.

In a source checkout (editable install) they sit at the repository root; an installed wheel
carries them under acrtui/_data/ (pyproject.toml force-includes them there).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


class MissingResource(FileNotFoundError):
    """A directory that should ship with acrtui is absent: the installation is incomplete."""


def resource_dir(name: str) -> Path:
    """The directory of a shipped resource (`themes` or `sample-registry`)."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise MissingResource(f"acrtui's {name}/ directory is missing; reinstall acrtui (pip install --force-reinstall acrtui).")


def themes_dir() -> Path:
    return resource_dir("themes")


def sample_registry_dir() -> Path:
    return resource_dir("sample-registry")
