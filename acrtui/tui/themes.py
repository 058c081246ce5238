"""Theme definition files (YAML or TOML) loaded into Textual themes.

acrtui ships dark, light and high-contrast under themes/; users add their own files under
$XDG_CONFIG_HOME/acrtui/themes/, and a user file with a shipped name replaces the shipped one.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path
from typing import Any

import yaml
from textual.theme import Theme

from acrtui.resources import themes_dir

DEFAULT_THEME = "dark"
THEME_SUFFIXES = (".yaml", ".yml", ".toml")
_FIELDS = {f.name for f in dataclasses.fields(Theme)}
# Colours the app's stylesheet uses for file-tree marks; derived when a user theme leaves them out.
_MARK_DEFAULTS = {"added": "success", "modified": "warning", "removed": "error"}


class ThemeError(ValueError):
    """A theme file cannot be used, or a theme name is unknown; the message is one sentence."""


def user_themes_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "acrtui" / "themes"


def load_theme_file(path: Path) -> Theme:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"Theme file {path} cannot be read ({exc.__class__.__name__}); fix or remove it.") from None
    if not isinstance(data, dict):
        raise ThemeError(f"Theme file {path} is not a mapping of theme fields; see the files in acrtui's themes/.")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ThemeError(f"Theme file {path} has unknown fields {', '.join(unknown)}; allowed: {', '.join(sorted(_FIELDS))}.")
    data.setdefault("name", path.stem)
    if "primary" not in data:
        raise ThemeError(f"Theme file {path} has no primary colour; add `primary: \"#rrggbb\"`.")
    variables: dict[str, Any] = dict(data.get("variables") or {})
    for mark, source in _MARK_DEFAULTS.items():
        variables.setdefault(mark, data.get(source) or data["primary"])
    data["variables"] = {str(k): str(v) for k, v in variables.items()}
    try:
        theme = Theme(**data)
        theme.to_color_system()
    except (TypeError, ValueError) as exc:
        raise ThemeError(f"Theme file {path} has an invalid value ({exc}); colours are #rrggbb or CSS names.") from None
    return theme


def _theme_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in THEME_SUFFIXES and p.is_file())


def available_themes(user_dir: Path | None = None) -> dict[str, Theme]:
    """Shipped themes, then the user's (which win on a name clash), by name."""
    themes: dict[str, Theme] = {}
    for path in _theme_files(themes_dir()) + _theme_files(user_dir or user_themes_dir()):
        theme = load_theme_file(path)
        themes[theme.name] = theme
    return themes


def pick_theme(name: str | None, themes: dict[str, Theme]) -> Theme:
    """The theme called `name` (the default when None), or a ThemeError listing the known names."""
    chosen = name or DEFAULT_THEME
    try:
        return themes[chosen]
    except KeyError:
        raise ThemeError(f"There is no theme named {chosen!r}; known themes: {', '.join(sorted(themes))}.") from None
