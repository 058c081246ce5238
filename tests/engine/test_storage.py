"""The storage layer on its own: blob publication, metadata transactions, keyset paging."""

from __future__ import annotations

import hashlib
import threading

import pytest

from acrtui.engine.storage import Attributes, ChildRef, FilesystemBlobStore, ManifestRecord, SqliteMetaIndex
from acrtui.engine.storage.blobs import DigestMismatch


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_blob_put_and_upload(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    store.put(_digest(b"hello"), b"hello")
    assert store.size(_digest(b"hello")) == 5
    with pytest.raises(DigestMismatch):
        store.put(_digest(b"x"), b"y")

    upload = store.start_upload()
    upload.write_at(0, b"hel")
    upload.write_at(3, b"lo world")
    with pytest.raises(DigestMismatch):
        store.commit_upload(upload, _digest(b"hello"))
    assert store.commit_upload(upload, _digest(b"hello world")) == 11
    with store.open(_digest(b"hello world")) as f:
        assert f.read() == b"hello world"
    assert sorted(store.iter_digests()) == sorted([_digest(b"hello"), _digest(b"hello world")])


def test_upload_survives_restart_and_rehashes(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    upload = store.start_upload()
    upload.write_at(0, b"abc")
    reopened = FilesystemBlobStore(tmp_path).get_upload(upload.id)
    assert reopened is not None and reopened.size == 3
    reopened.write_at(3, b"def")
    assert FilesystemBlobStore(tmp_path).commit_upload(reopened, _digest(b"abcdef")) == 6


def test_leftover_temporary_files_are_invisible_and_cleaned(tmp_path):
    FilesystemBlobStore(tmp_path)
    (tmp_path / "tmp" / "half-written").write_bytes(b"partial")
    store = FilesystemBlobStore(tmp_path)
    assert list(store.iter_digests()) == []
    assert not (tmp_path / "tmp" / "half-written").exists()


def _manifest(repo: str, body: bytes, **kw) -> ManifestRecord:
    return ManifestRecord(repository=repo, digest=_digest(body), media_type="application/vnd.oci.image.manifest.v1+json", body=body, **kw)


def test_manifest_tags_and_cascade(tmp_path):
    index = SqliteMetaIndex(tmp_path / "i.db")
    index.link_blob("app", _digest(b"layer"), 5)
    m = _manifest("app", b"m1", blobs=(_digest(b"layer"),))
    assert index.put_manifest(m, "v1") is None
    assert index.put_manifest(m, "latest") is None
    m2 = _manifest("app", b"m2")
    assert index.put_manifest(m2, "latest") == m.digest
    assert index.tags_of("app", m.digest) == ["v1"]
    idx = _manifest("app", b"idx", children=(ChildRef(m.digest, "amd64", "linux"),))
    index.put_manifest(idx, None)
    assert index.parents_of("app", m.digest) == [idx.digest]
    assert index.get_manifest("app", idx.digest).children == (ChildRef(m.digest, "amd64", "linux", ""),)
    assert index.delete_manifest("app", m.digest) == ["v1"]
    assert index.get_tag("app", "v1") is None
    assert index.parents_of("app", m.digest) == [idx.digest]  # the index still names it
    repo = index.get_repository("app")
    assert (repo.manifest_count, repo.tag_count) == (2, 1)


def test_paging_by_name_and_time(tmp_path):
    index = SqliteMetaIndex(tmp_path / "i.db")
    m = _manifest("r", b"m")
    for i in range(25):
        index.put_manifest(m, f"t{i:02d}")
    page1 = index.list_tags("r", last=None, limit=10, include_hidden=False)
    page3 = index.list_tags("r", last="t19", limit=10, include_hidden=False)
    assert [t.name for t in page1] == [f"t{i:02d}" for i in range(10)]
    assert [t.name for t in page3] == [f"t{i:02d}" for i in range(20, 25)]
    newest = index.list_tags("r", last=None, limit=3, include_hidden=False, order="timedesc")
    assert [t.name for t in newest] == ["t24", "t23", "t22"]
    after = index.list_tags("r", last="t22", limit=2, include_hidden=False, order="timedesc")
    assert [t.name for t in after] == ["t21", "t20"]
    index.set_tag_attributes("r", "t00", Attributes(list_enabled=False))
    assert "t00" not in [t.name for t in index.list_tags("r", last=None, limit=None, include_hidden=False)]
    assert index.list_tags("r", last=None, limit=0, include_hidden=False) == []


def test_concurrent_writers_share_one_index(tmp_path):
    index = SqliteMetaIndex(tmp_path / "i.db")
    m = _manifest("r", b"m")

    def push(k: int) -> None:
        for i in range(50):
            index.put_manifest(m, f"w{k}-{i}")

    threads = [threading.Thread(target=push, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert index.get_repository("r").tag_count == 200


def test_set_times_reorders_time_listing(tmp_path):
    index = SqliteMetaIndex(tmp_path / "i.db")
    m = _manifest("r", b"m")
    index.put_manifest(m, "old")
    index.put_manifest(m, "new")
    assert index.set_times("r", tag="new", when="2020-01-01T00:00:00.000000Z")
    assert index.set_times("r", digest=m.digest, when="2020-01-01T00:00:00.000000Z")
    assert not index.set_times("r", tag="missing", when="2020-01-01T00:00:00.000000Z")
    assert [t.name for t in index.list_tags("r", last=None, limit=None, include_hidden=True, order="timeasc")] == ["new", "old"]
    assert index.get_manifest("r", m.digest).created.startswith("2020")
    assert index.set_times("r", tag="old", when="2021-06-01T00:00:00.000000Z")
    repo = index.get_repository("r")
    assert (repo.created, repo.updated) == ("2020-01-01T00:00:00.000000Z", "2021-06-01T00:00:00.000000Z")


def test_upload_writer_abort_restores_file_and_hash(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    upload = store.start_upload()
    upload.write_at(0, b"abc")
    writer = upload.writer(3)
    writer.write(b"partial chunk")
    writer.abort()
    assert upload.size == 3
    writer = upload.writer(3)
    writer.write(b"def")
    assert writer.finish() == 6
    assert upload.digest("sha256") == _digest(b"abcdef")
    assert store.commit_upload(upload, _digest(b"abcdef")) == 6


def test_lean_lookups_for_serving(tmp_path):
    index = SqliteMetaIndex(tmp_path / "i.db")
    assert index.lookup_manifest("app", "v1") is None and index.tag_names("app", last=None, limit=None) is None
    assert index.repository_attributes("app") is None and index.blob_link("app", _digest(b"l")) is None
    index.link_blob("app", _digest(b"l"), 1)
    m = _manifest("app", b"m1")
    index.put_manifest(m, "v1")
    index.put_manifest(m, "v2")
    index.set_tag_attributes("app", "v2", Attributes(read_enabled=False, list_enabled=False))
    by_tag = index.lookup_manifest("app", "v2")
    assert (by_tag.digest, by_tag.body, by_tag.tag_attributes) == (m.digest, b"m1", Attributes(read_enabled=False, list_enabled=False))
    by_digest = index.lookup_manifest("app", m.digest)
    assert by_digest.tag_attributes is None and by_digest.repository_attributes == Attributes()
    assert index.tag_names("app", last=None, limit=None) == ["v1"]  # v2 is hidden
    assert index.tag_names("app", last="v1", limit=5) == []
    index.set_repository_attributes("app", Attributes(write_enabled=False))
    assert index.repository_attributes("app") == Attributes(write_enabled=False)
    assert index.blob_link("app", _digest(b"l")) == (1, Attributes(write_enabled=False))


def test_full_tag_listing_is_remembered_until_any_write(tmp_path):
    index = SqliteMetaIndex(tmp_path / "i.db")
    m = _manifest("big", b"m")
    for i in range(1200):
        index.put_manifest(m, f"t{i:04d}")
    names = index.tag_names("big", last=None, limit=None)
    assert len(names) == 1200 and names == sorted(names)
    names.append("mutating the answer changes nothing")
    assert index.tag_names("big", last="t1197", limit=None) == ["t1198", "t1199"]
    assert index.tag_names("big", last="t0000", limit=2) == ["t0001", "t0002"]
    index.delete_tag("big", "t0001")
    assert index.tag_names("big", last="t0000", limit=2) == ["t0002", "t0003"]
    assert len(index.tag_names("big", last=None, limit=None)) == 1199
    # Another process writing to the same file invalidates it too.
    other = SqliteMetaIndex(tmp_path / "i.db")
    other.put_manifest(m, "zz")
    assert index.tag_names("big", last="t1199", limit=None) == ["zz"]
