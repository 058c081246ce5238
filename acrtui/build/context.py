"""Source trees for COPY and ADD: the build context (with .dockerignore) or a stage's root.

Selecting sources follows Docker: a source is a path or a glob (`*`, `?`, `[...]`, never crossing
`/`) relative to the tree's root; a directory source copies its contents; ignored files are
invisible. In the build context, a path that leaves the context (`../x`) and a symlink that points
out of it are refused, each with one sentence, because the image would otherwise depend on files
the context does not hold.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path

from acrtui.build.dockerignore import PatternMatcher
from acrtui.build.errors import BuildError
from acrtui.build.rootfs import resolve_in_root

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Entry:
    """One file system object found under a tree; `rel` is `/`-separated, relative to the root."""

    rel: str
    path: Path
    kind: str  # "file", "dir", "symlink"
    mode: int  # permission bits, including setuid/setgid/sticky
    size: int
    link: str = ""
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class Selection:
    """A matched source: the entry itself and, for a directory, everything below it."""

    source: Entry
    members: tuple[Entry, ...]  # for a directory: its descendants, `rel` relative to it


def _entry(path: Path, rel: str) -> Entry:
    st = path.lstat()
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return Entry(rel, path, "symlink", 0o777, 0, os.readlink(path), st.st_uid, st.st_gid)
    if stat.S_ISDIR(st.st_mode):
        return Entry(rel, path, "dir", mode, 0, "", st.st_uid, st.st_gid)
    if stat.S_ISREG(st.st_mode):
        return Entry(rel, path, "file", mode, st.st_size, "", st.st_uid, st.st_gid)
    return Entry(rel, path, "other", mode, 0, "", st.st_uid, st.st_gid)


class SourceTree:
    """A directory to copy from. `matcher` hides ignored paths; `confined` refuses symlinks that
    leave the root (the build context), while a stage root keeps its symlinks as they are."""

    def __init__(self, root: Path, *, label: str, matcher: PatternMatcher | None = None, confined: bool = True) -> None:
        self.root = root
        self.label = label
        self.matcher = matcher or PatternMatcher([])
        self.confined = confined
        self._all: list[Entry] | None = None

    def ignored(self, rel: str) -> bool:
        return bool(self.matcher.patterns) and self.matcher.matches(rel)

    def walk(self, top: str = "") -> list[Entry]:
        """Every visible entry below `top` (not `top` itself), sorted by path."""
        out: list[Entry] = []
        base = self._host(top, top) if top else self.root
        stack = [(base, top)]
        while stack:
            directory, rel_dir = stack.pop()
            try:
                names = os.listdir(directory)
            except OSError as exc:
                raise BuildError(f"cannot read {self.label} directory {rel_dir or '.'}: {exc.strerror}; check its permissions") from None
            for name in names:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                path = directory / name
                hidden = self.ignored(rel)
                entry = _entry(path, rel)
                if not hidden:
                    if entry.kind == "symlink":
                        self._check_link(entry)
                    out.append(entry)
                # An ignored directory may still hold a `!` exception, so look inside it then.
                if entry.kind == "dir" and (not hidden or self.matcher.has_exclusions):
                    stack.append((path, rel))
        out.sort(key=lambda e: e.rel)
        return out

    def _host(self, rel: str, source: str, instruction: str = "COPY") -> Path:
        """Where `rel` is on disk. Inside a stage's root, symlinks on the way resolve inside that
        root (as in the container); in the context, a directory symlink on the way must not lead out."""
        if not self.confined:
            return resolve_in_root(self.root, rel)
        path = self.root / rel
        parent = os.path.realpath(path.parent)
        root = os.path.realpath(self.root)
        if parent != root and not parent.startswith(root + os.sep):
            raise BuildError(
                f"{instruction} {source}: the path goes through a symlink that points outside the {self.label}; "
                "copy the files into the context instead of linking to them"
            )
        return path

    def _check_link(self, entry: Entry) -> None:
        if not self.confined:
            return
        target = entry.link
        if target.startswith("/"):
            resolved = posixpath.normpath(target)
            root = posixpath.normpath(str(self.root))
            inside = resolved == root or resolved.startswith(root + "/")
        else:
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry.rel), target))
            inside = not (resolved == ".." or resolved.startswith("../"))
        if not inside:
            raise BuildError(
                f"the symlink {entry.rel} points to {target}, outside the {self.label}; "
                "replace it with the file itself or a link that stays inside the context"
            )

    def _all_entries(self) -> list[Entry]:
        if self._all is None:
            self._all = self.walk()
        return self._all

    def select(self, source: str, instruction: str) -> list[Selection]:
        """The entries one COPY/ADD source names; a missing or ignored source is an error."""
        rel = self._relative(source, instruction)
        if _GLOB_CHARS & set(rel):
            pattern_parts = rel.split("/")
            matched = [
                e for e in self._all_entries()
                if len(e.rel.split("/")) == len(pattern_parts)
                and all(fnmatch.fnmatchcase(n, p.replace("[^", "[!")) for n, p in zip(e.rel.split("/"), pattern_parts))
            ]
            if not matched:
                raise BuildError(f"{instruction} {source}: no file in the {self.label} matches this pattern; check the path and .dockerignore")
            return [self._selection(e) for e in matched]
        if rel == ".":
            root = _entry(self.root, "")
            return [Selection(root, tuple(self._all_entries()))]
        path = self._host(rel, source, instruction)
        if not os.path.lexists(path) or self.ignored(rel):
            why = "is excluded by .dockerignore" if os.path.lexists(path) else "does not exist"
            raise BuildError(f"{instruction} {source}: {rel} {why} in the {self.label}; check the path and .dockerignore")
        entry = _entry(path, rel)
        if entry.kind == "symlink":
            entry = self._follow(entry, instruction, source)
        return [self._selection(entry)]

    def _follow(self, entry: Entry, instruction: str, source: str) -> Entry:
        """A source that is itself a symlink is copied as what it points to, as Docker does."""
        for _ in range(40):
            if entry.kind != "symlink":
                return entry
            self._check_link(entry)
            target = entry.link
            if target.startswith("/") and self.confined:
                rel = os.path.relpath(posixpath.normpath(target), self.root)
            else:
                # Inside a stage's root, links resolve as they would in the container.
                joined = target if target.startswith("/") else posixpath.join(posixpath.dirname(entry.rel), target)
                rel = posixpath.normpath("/" + joined).lstrip("/") or "."
            path = self._host(rel, source, instruction)
            if not os.path.lexists(path):
                raise BuildError(f"{instruction} {source}: the symlink points to {target}, which does not exist in the {self.label}")
            entry = _entry(path, rel)
        raise BuildError(f"{instruction} {source}: too many levels of symlinks in the {self.label}")

    def _selection(self, entry: Entry) -> Selection:
        if entry.kind != "dir":
            return Selection(entry, ())
        prefix = entry.rel + "/" if entry.rel else ""
        if self._all is not None:
            below = [e for e in self._all if e.rel.startswith(prefix)]
        else:
            below = self.walk(entry.rel)
        members = tuple(
            Entry(e.rel[len(prefix):], e.path, e.kind, e.mode, e.size, e.link, e.uid, e.gid) for e in below
        )
        return Selection(entry, members)

    def _relative(self, source: str, instruction: str) -> str:
        cleaned = posixpath.normpath("/" + source).lstrip("/") or "."
        lexical = posixpath.normpath(source.lstrip("/") if source.startswith("/") else source)
        if self.confined and (lexical == ".." or lexical.startswith("../")):
            raise BuildError(
                f"{instruction} {source}: the path is outside the {self.label}; "
                "a build can only copy files from inside its context directory, so move the file there"
            )
        return cleaned


class ContentHasher:
    """sha256 of file contents, remembered by (path, size, mtime, inode) so that an unchanged
    file is not read again by the next build in the same process (the watcher's case)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int, int, int], str] = {}

    def file_digest(self, path: Path) -> str:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
        known = self._known.get(key)
        if known is not None:
            return known
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
        self._known[key] = digest
        return digest

    def selection_digest(self, selections: list[Selection]) -> str:
        """One digest over what a COPY would write: names, kinds, modes, link targets, contents."""
        h = hashlib.sha256()
        for sel in selections:
            for entry in (sel.source, *sel.members):
                h.update(f"{entry.rel}\0{entry.kind}\0{entry.mode:o}\0{entry.link}\0".encode())
                if entry.kind == "file":
                    h.update(self.file_digest(entry.path).encode())
                h.update(b"\n")
        return h.hexdigest()
