"""The build cache on disk (under the XDG cache dir): blobs by digest, finished steps by key, and
the directories of `RUN --mount=type=cache` by id.

A step's key is a sha256 over its parent chain, the instruction as expanded, and the content of
its inputs, so an unchanged step finds its layer here and costs a file lookup. Blobs pulled for
base images live here too, so a base is fetched once per machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from acrtui.build.layers import LayerBlob


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "acrtui" / "build"


@dataclass(frozen=True)
class StepRecord:
    digest: str
    diff_id: str
    size: int


STALE_TEMP_SECONDS = 24 * 3600


class BuildCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_dir()
        for sub in ("blobs/sha256", "steps", "tmp", "mounts"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._sweep_temp()

    def _sweep_temp(self) -> None:
        """Remove what a killed build left in tmp/; a day old is long past any running build."""
        cutoff = time.time() - STALE_TEMP_SECONDS
        with os.scandir(self.root / "tmp") as entries:
            for entry in entries:
                try:
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        if entry.is_dir(follow_symlinks=False):
                            shutil.rmtree(entry.path, ignore_errors=True)
                        else:
                            os.unlink(entry.path)
                except FileNotFoundError:
                    continue  # another process swept it first

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / "sha256" / digest.split(":", 1)[1]

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def mount_dir(self, ident: str) -> Path:
        """Where the cache mount `ident` lives (not created here); ids may hold any character."""
        return self.root / "mounts" / hashlib.sha256(ident.encode()).hexdigest()[:32]

    def temp_path(self, suffix: str = "") -> Path:
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", suffix=suffix)
        os.close(fd)
        return Path(name)

    def temp_dir(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(dir=self.root / "tmp", prefix=prefix))

    def adopt(self, layer: LayerBlob) -> LayerBlob:
        """Move a freshly written blob into the store under its digest."""
        target = self.blob_path(layer.digest)
        os.replace(layer.path, target)
        return LayerBlob(layer.digest, layer.diff_id, layer.size, target)

    def put_bytes(self, digest: str, data: bytes) -> Path:
        target = self.blob_path(digest)
        if not target.is_file():
            tmp = self.temp_path()
            tmp.write_bytes(data)
            os.replace(tmp, target)
        return target

    def lookup(self, key: str) -> LayerBlob | None:
        path = self.root / "steps" / f"{key}.json"
        try:
            record = StepRecord(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None
        blob = self.blob_path(record.digest)
        if not blob.is_file():
            return None
        return LayerBlob(record.digest, record.diff_id, record.size, blob)

    def store(self, key: str, layer: LayerBlob) -> None:
        tmp = self.temp_path(".json")
        tmp.write_text(json.dumps(asdict(StepRecord(layer.digest, layer.diff_id, layer.size))))
        os.replace(tmp, self.root / "steps" / f"{key}.json")
