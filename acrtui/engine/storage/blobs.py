"""Content-addressed blobs on the filesystem: `blobs/sha256/ab/<hex>`.

A blob becomes visible only after its bytes are fsynced under a temporary name, their digest is
verified and the file is renamed into place, so a process killed mid-write never leaves a
visible half blob. Upload sessions live as files under `uploads/` so they survive a restart
(resumable uploads), and their digest is computed incrementally while chunks arrive in order.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from acrtui.oci.digest import Digest

_CHUNK = 1 << 20


class DigestMismatch(ValueError):
    """The uploaded bytes do not hash to the digest the client named."""


class BlobUpload:
    """An upload in progress: an append-only file plus a running hash while writes stay in order."""

    def __init__(self, path: Path, upload_id: str) -> None:
        self.id = upload_id
        self.path = path
        self._hasher: "hashlib._Hash | None" = hashlib.sha256()
        self._hashed = 0

    @property
    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def write_at(self, offset: int, data: bytes) -> int:
        """Write data at offset (which the caller checked equals the current size); return new size."""
        writer = self.writer(offset)
        writer.write(data)
        return writer.finish()

    def writer(self, offset: int) -> "UploadWriter":
        """Start writing at offset (the caller checked it equals the current size), for a streamed chunk."""
        return UploadWriter(self, offset)

    def digest(self, algorithm: str) -> str:
        if algorithm == "sha256" and self._hasher is not None and self._hashed == self.size:
            return f"sha256:{self._hasher.hexdigest()}"
        h = hashlib.new(algorithm)
        with open(self.path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        return f"{algorithm}:{h.hexdigest()}"


class UploadWriter:
    """One chunk streamed into an upload: `finish` keeps it, `abort` puts the upload back as it was.

    The running hash is advanced on a copy, so an aborted chunk (a client gone mid-body) leaves
    both the file and the hash at the previous offset.
    """

    def __init__(self, upload: BlobUpload, offset: int) -> None:
        self._upload = upload
        self.offset = offset
        self.written = 0
        self._file = open(upload.path, "r+b")
        self._file.seek(offset)
        self._file.truncate()
        keep_hash = upload._hasher is not None and upload._hashed == offset
        self._hasher = upload._hasher.copy() if keep_hash and upload._hasher is not None else None

    def write(self, data: bytes) -> None:
        self._file.write(data)
        if self._hasher is not None:
            self._hasher.update(data)
        self.written += len(data)

    def finish(self) -> int:
        """Keep what was written; return the upload's new size."""
        self._file.close()
        end = self.offset + self.written
        self._upload._hasher = self._hasher
        self._upload._hashed = end
        return end

    def abort(self) -> None:
        try:
            self._file.truncate(self.offset)
        finally:
            self._file.close()


class BlobStore(ABC):
    """Where blob bytes live. Synchronous: the engine calls it from worker threads."""

    @abstractmethod
    def size(self, digest: str) -> int | None:
        """Size of the blob, or None when absent."""

    @abstractmethod
    def open(self, digest: str) -> BinaryIO:
        """Open the blob for reading; FileNotFoundError when absent."""

    @abstractmethod
    def put(self, digest: str, data: bytes) -> None:
        """Store bytes that must hash to digest (DigestMismatch otherwise)."""

    @abstractmethod
    def start_upload(self) -> BlobUpload: ...

    @abstractmethod
    def get_upload(self, upload_id: str) -> BlobUpload | None: ...

    @abstractmethod
    def commit_upload(self, upload: BlobUpload, digest: str) -> int:
        """Verify and move the upload into place; return the blob's size."""

    @abstractmethod
    def cancel_upload(self, upload: BlobUpload) -> None: ...

    @abstractmethod
    def uploads(self) -> dict[str, float]:
        """Every upload's id and when it was last written (seconds since the epoch)."""

    @abstractmethod
    def remove_upload(self, upload_id: str) -> None:
        """Forget the upload and its bytes (nothing happens when there is none)."""

    @abstractmethod
    def delete(self, digest: str) -> bool: ...

    @abstractmethod
    def iter_digests(self) -> Iterator[str]:
        """Every stored blob (for garbage collection)."""


class FilesystemBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs"
        self._uploads = root / "uploads"
        self._tmp = root / "tmp"
        for d in (self._blobs, self._uploads, self._tmp):
            d.mkdir(parents=True, exist_ok=True)
        # Temporary files belong to requests that died with a previous process.
        for leftover in self._tmp.iterdir():
            leftover.unlink(missing_ok=True)
        self._open_uploads: dict[str, BlobUpload] = {}
        self._lock = threading.Lock()

    def _path(self, digest: str) -> Path:
        d = Digest.parse(digest)
        return self._blobs / d.algorithm / d.hex[:2] / d.hex

    def size(self, digest: str) -> int | None:
        try:
            return self._path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def open(self, digest: str) -> BinaryIO:
        return open(self._path(digest), "rb")

    def _publish(self, tmp: Path, digest: str) -> None:
        target = self._path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        # rename is atomic; when two clients push the same blob, the second simply replaces identical bytes.
        os.replace(tmp, target)
        _fsync_dir(target.parent)

    def put(self, digest: str, data: bytes) -> None:
        if Digest.parse(digest) != Digest.of(data, Digest.parse(digest).algorithm):
            raise DigestMismatch(digest)
        if self.size(digest) == len(data):
            return
        tmp = self._tmp / uuid.uuid4().hex
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self._publish(tmp, digest)

    def start_upload(self) -> BlobUpload:
        upload_id = str(uuid.uuid4())
        upload = BlobUpload(self._uploads / upload_id, upload_id)
        upload.path.touch()
        with self._lock:
            self._open_uploads[upload_id] = upload
        return upload

    def get_upload(self, upload_id: str) -> BlobUpload | None:
        with self._lock:
            upload = self._open_uploads.get(upload_id)
            if upload is None:
                path = self._uploads / upload_id
                if not path.is_file():
                    return None
                # Survived a restart: the running hash is gone, commit will re-read the file.
                upload = BlobUpload(path, upload_id)
                upload._hasher = None
                self._open_uploads[upload_id] = upload
            return upload

    def commit_upload(self, upload: BlobUpload, digest: str) -> int:
        parsed = Digest.parse(digest)
        if upload.digest(parsed.algorithm) != str(parsed):
            raise DigestMismatch(digest)
        with open(upload.path, "rb+") as f:
            os.fsync(f.fileno())
        size = upload.size
        tmp = self._tmp / uuid.uuid4().hex
        os.replace(upload.path, tmp)
        with self._lock:
            self._open_uploads.pop(upload.id, None)
        if self.size(digest) == size:
            tmp.unlink(missing_ok=True)
        else:
            self._publish(tmp, digest)
        return size

    def cancel_upload(self, upload: BlobUpload) -> None:
        self.remove_upload(upload.id)

    def uploads(self) -> dict[str, float]:
        found = {}
        for path in self._uploads.iterdir():
            try:
                found[path.name] = path.stat().st_mtime
            except FileNotFoundError:
                continue  # finished or cancelled meanwhile
        return found

    def remove_upload(self, upload_id: str) -> None:
        with self._lock:
            self._open_uploads.pop(upload_id, None)
        (self._uploads / upload_id).unlink(missing_ok=True)

    def delete(self, digest: str) -> bool:
        try:
            self._path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def iter_digests(self) -> Iterator[str]:
        for algorithm_dir in self._blobs.iterdir():
            for prefix in algorithm_dir.iterdir():
                for blob in prefix.iterdir():
                    yield f"{algorithm_dir.name}:{blob.name}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
