"""The `/` filter: a regular expression, inverted by a leading `!`."""

from __future__ import annotations

import re
from collections.abc import Callable

Predicate = Callable[[str], bool]


class InvalidFilter(ValueError):
    """The pattern is not a regular expression; the message is one sentence."""


def compile_filter(text: str) -> Predicate | None:
    """A predicate over names, or None when the filter is empty (show everything)."""
    invert = text.startswith("!")
    pattern = text[1:] if invert else text
    if not pattern:
        return None
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise InvalidFilter(f"The filter {pattern!r} is not a valid regular expression ({exc.msg}); fix it or press escape.") from None
    if invert:
        return lambda name: regex.search(name) is None
    return lambda name: regex.search(name) is not None
