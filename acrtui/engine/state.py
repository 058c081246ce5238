"""The engine's state: its stores and gate, opened from a data directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from acrtui.engine.access import Gate
from acrtui.engine.storage import BlobStore, FilesystemBlobStore, MetaIndex, SqliteMetaIndex


class DataDirError(Exception):
    """The data directory cannot be used; the message says why in one sentence."""


@dataclass
class Engine:
    data_dir: Path
    blobs: BlobStore
    index: MetaIndex
    gate: Gate = field(default_factory=Gate)

    @classmethod
    def open(cls, data_dir: Path, *, gate: Gate | None = None) -> "Engine":
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            probe = data_dir / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
            blobs = FilesystemBlobStore(data_dir)
            index = SqliteMetaIndex(data_dir / "index.sqlite3")
        except OSError as e:
            raise DataDirError(f"cannot use data directory {data_dir}: {e.strerror or e}; pick another with --data-dir") from None
        except Exception as e:  # sqlite3.DatabaseError on a corrupt or foreign file
            raise DataDirError(f"cannot open the registry index in {data_dir}: {e}; pick another --data-dir") from None
        return cls(data_dir=data_dir, blobs=blobs, index=index, gate=gate or Gate())

    def close(self) -> None:
        self.index.close()
