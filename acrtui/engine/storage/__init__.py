"""Storage behind two small interfaces: content-addressed blobs and the metadata index."""

from acrtui.engine.storage.blobs import BlobStore, BlobUpload, FilesystemBlobStore
from acrtui.engine.storage.index import MetaIndex
from acrtui.engine.storage.records import (
    Attributes,
    ChildRef,
    ManifestLookup,
    ManifestRecord,
    RepositoryRecord,
    TagRecord,
    UploadRecord,
)
from acrtui.engine.storage.sqlite_index import SqliteMetaIndex

__all__ = [
    "Attributes",
    "BlobStore",
    "BlobUpload",
    "ChildRef",
    "FilesystemBlobStore",
    "ManifestLookup",
    "ManifestRecord",
    "MetaIndex",
    "RepositoryRecord",
    "SqliteMetaIndex",
    "TagRecord",
    "UploadRecord",
]
