"""`.dockerignore` with Docker's exact semantics (moby/patternmatcher and its ignorefile reader).

Reading: lines starting with `#` are comments, surrounding whitespace is trimmed, a leading `!`
makes an exception, each pattern is path-cleaned and a leading `/` dropped (patterns are always
relative to the context root). Matching: the last pattern that matches a path decides; a pattern
matches a path or any of its parent directories; `*` and `?` never cross `/`, `**` crosses any
number of directories (including none), `\\` escapes the next character, `[...]` is a class.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

_REGEX_SPECIAL = set(".+()|{}$")


class PatternError(ValueError):
    """A .dockerignore pattern is malformed."""


class _Kind(Enum):
    EXACT = "exact"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    REGEX = "regex"


@dataclass(frozen=True)
class Pattern:
    text: str  # cleaned, without the leading "!"
    exclusion: bool
    kind: _Kind
    regex: re.Pattern[str] | None

    def match(self, path: str) -> bool:
        if self.kind is _Kind.EXACT:
            return path == self.text
        if self.kind is _Kind.PREFIX:
            return path.startswith(self.text[:-2])
        if self.kind is _Kind.SUFFIX:
            suffix = self.text[2:]
            if path.endswith(suffix):
                return True
            # "**/foo" also matches "foo" itself.
            return suffix.startswith("/") and path == suffix[1:]
        assert self.regex is not None
        return self.regex.match(path) is not None


def _clean(path: str) -> str:
    """Go's filepath.Clean."""
    return posixpath.normpath(path) if path else "."


def compile_pattern(raw: str) -> Pattern:
    text = raw.strip()
    exclusion = False
    if text.startswith("!"):
        if len(text) == 1:
            raise PatternError('illegal exclusion pattern: "!"')
        exclusion, text = True, text[1:]
    text = _clean(text)
    kind = _Kind.EXACT
    regex = "^"
    i = 0
    while i < len(text):
        ch = text[i]
        token_start = i
        if ch == "*":
            if i + 1 < len(text) and text[i + 1] == "*":
                i += 1
                if i + 1 < len(text) and text[i + 1] == "/":
                    i += 1  # "**/" is "**"
                if i + 1 >= len(text):
                    # Trailing "**" accepts everything below, as in .gitignore.
                    if kind is _Kind.EXACT:
                        kind = _Kind.PREFIX
                    else:
                        regex += ".*"
                        kind = _Kind.REGEX
                else:
                    regex += "(.*/)?"
                    kind = _Kind.REGEX
                if token_start == 0:
                    kind = _Kind.SUFFIX
            else:
                regex += "[^/]*"
                kind = _Kind.REGEX
        elif ch == "?":
            regex += "[^/]"
            kind = _Kind.REGEX
        elif ch in _REGEX_SPECIAL:
            regex += "\\" + ch
        elif ch == "\\":
            if i + 1 < len(text):
                i += 1
                regex += re.escape(text[i])
            else:
                regex += "\\\\"
            kind = _Kind.REGEX
        elif ch in "[]":
            regex += ch
            kind = _Kind.REGEX
        else:
            regex += ch
        i += 1
    compiled = None
    if kind is _Kind.REGEX:
        try:
            compiled = re.compile(regex + "(/.*)?$", re.S)
        except re.error:
            raise PatternError(f"malformed pattern {raw.strip()!r}") from None
    elif "[" in text and "]" not in text:
        raise PatternError(f"malformed pattern {raw.strip()!r}")
    return Pattern(text=text, exclusion=exclusion, kind=kind, regex=compiled)


class PatternMatcher:
    def __init__(self, patterns: list[str]) -> None:
        self.patterns = [compile_pattern(p) for p in patterns if p.strip()]
        self.has_exclusions = any(p.exclusion for p in self.patterns)

    def matches(self, path: str) -> bool:
        """Whether `path` (relative, `/`-separated) is ignored: it or a parent directory matches."""
        parent = posixpath.dirname(path) or "."
        parent_dirs = parent.split("/")
        matched = False
        for pattern in self.patterns:
            # An include only matters while not yet matched; an exception only once matched.
            if pattern.exclusion != matched:
                continue
            hit = pattern.match(path)
            if not hit and parent != ".":
                hit = any(pattern.match("/".join(parent_dirs[: i + 1])) for i in range(len(parent_dirs)))
            if hit:
                matched = not pattern.exclusion
        return matched


def read_ignore_file(text: str) -> list[str]:
    """The patterns of a .dockerignore file, normalised as Docker reads them."""
    out: list[str] = []
    for number, line in enumerate(text.splitlines()):
        if number == 0:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = _clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        out.append("!" + pattern if invert else pattern)
    return out


def load_matcher(context: Path, dockerfile: Path | None = None) -> PatternMatcher:
    """The context's ignore rules: `<Dockerfile>.dockerignore` beside the Dockerfile wins over
    the context's `.dockerignore`, as BuildKit does."""
    candidates = []
    if dockerfile is not None:
        candidates.append(dockerfile.with_name(dockerfile.name + ".dockerignore"))
    candidates.append(context / ".dockerignore")
    for candidate in candidates:
        if candidate.is_file():
            return PatternMatcher(read_ignore_file(candidate.read_text(encoding="utf-8", errors="replace")))
    return PatternMatcher([])
