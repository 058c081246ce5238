"""Where the embedded registry keeps its data, and the note a running `acrtui serve` leaves there.

Kept free of heavy imports: `acrtui build` and the TUI read the note before deciding whether to
start an engine of their own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

_NAME = "serve.json"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "acrtui" / "registry"


def write_marker(data_dir: Path, host: str, port: int) -> Path:
    reachable = "127.0.0.1" if host in {"", "0.0.0.0"} else "[::1]" if host == "::" else host
    path = data_dir / _NAME
    path.write_text(json.dumps({"url": f"http://{reachable}:{port}", "pid": os.getpid()}))
    return path


def running_server_url(data_dir: Path) -> str | None:
    """The URL of the `acrtui serve` that owns data_dir, if its process is still alive."""
    try:
        note = json.loads((data_dir / _NAME).read_text())
        pid, url = int(note["pid"]), str(note["url"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url
