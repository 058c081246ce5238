"""acrtui: a terminal workbench for container registries."""

__version__ = "0.1.0"
