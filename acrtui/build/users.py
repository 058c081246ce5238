"""Users and groups of an image: USER and --chown names resolved against its /etc/passwd and
/etc/group, HOME for RUN, and who owns what a sandboxed RUN created."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from acrtui.build.errors import BuildError
from acrtui.build.rootfs import Node, resolve_in_root


def split_user(user: str) -> tuple[str, str]:
    name, _, group = user.partition(":")
    return name, group


def _read_db(root: Path, name: str) -> list[list[str]]:
    path = resolve_in_root(root, f"etc/{name}", follow_last=True)
    try:
        return [line.split(":") for line in path.read_text(errors="replace").splitlines() if line and not line.startswith("#")]
    except OSError:
        return []


def lookup_user(root: Path, user: str, group: str, fail: Callable[[str], BuildError]) -> tuple[int, int]:
    """USER/--chown names resolved against the image's /etc/passwd and /etc/group."""
    uid = gid = None
    if user.isdigit():
        uid = int(user)
        for row in _read_db(root, "passwd"):
            if len(row) > 3 and row[2] == user and row[3].isdigit():
                gid = int(row[3])
                break
    else:
        for row in _read_db(root, "passwd"):
            if len(row) > 3 and row[0] == user:
                uid, gid = int(row[2]), int(row[3])
                break
        if uid is None:
            raise fail(f"user {user!r} does not exist in the image's /etc/passwd; create it with a RUN first or use a numeric id")
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            found = [int(row[2]) for row in _read_db(root, "group") if len(row) > 2 and row[0] == group]
            if not found:
                raise fail(f"group {group!r} does not exist in the image's /etc/group; create it first or use a numeric id")
            gid = found[0]
    return uid, gid if gid is not None else uid if uid == 0 else 0


def home_of(root: Path, uid: int) -> str:
    for row in _read_db(root, "passwd"):
        if len(row) > 5 and row[2] == str(uid):
            return row[5]
    return "/root" if uid == 0 else "/"


def owner_map(uid: int, gid: int) -> Callable[[Node], tuple[int, int]] | None:
    """Files the sandboxed process created appear on disk owned by us (the user namespace maps
    the USER onto the caller); record them as the USER's, keep every other owner."""
    mine = (os.geteuid(), os.getegid())
    if mine == (0, 0) and (uid, gid) == (0, 0):
        return None
    return lambda node: (uid, gid) if (node.uid, node.gid) == mine else (node.uid, node.gid)
