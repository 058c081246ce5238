"""Abandoned upload sessions expire: a week without a write removes the session, file and row."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from acrtui.engine.expiry import UPLOAD_MAX_IDLE, expire_uploads
from acrtui.engine.server import EmbeddedServer
from tests.engine.v2 import V2, error_code

WEEK_AGO = time.time() - UPLOAD_MAX_IDLE.total_seconds() - 60


def _age(engine_server, location: str) -> None:
    """Make the session at `location` look untouched for over a week."""
    path = engine_server.data_dir / "uploads" / location.rsplit("/", 1)[1]
    os.utime(path, (WEEK_AGO, WEEK_AGO))


def test_idle_sessions_expire_and_active_ones_stay(engine_server, v2):
    idle, active = v2.start("app"), v2.start("app")
    assert v2.http.patch(idle, content=b"abc").status_code == 202
    assert v2.http.patch(active, content=b"abc").status_code == 202
    _age(engine_server, idle)
    # A monolithic POST killed mid-body leaves a file the index never heard of.
    orphan = engine_server.data_dir / "uploads" / "0123abcd-0000-4000-8000-000000000000"
    orphan.write_bytes(b"half a blob")
    os.utime(orphan, (WEEK_AGO, WEEK_AGO))

    assert expire_uploads(engine_server.engine) == 2
    assert error_code(v2.http.get(idle)) == "BLOB_UPLOAD_UNKNOWN"
    assert not orphan.exists()
    assert v2.http.get(active).status_code == 204
    assert v2.http.patch(active, content=b"def").headers["range"] == "0-5"
    assert expire_uploads(engine_server.engine) == 0


def test_rows_whose_file_is_gone_expire_by_their_start(engine_server, v2):
    location = v2.start("app")
    (engine_server.data_dir / "uploads" / location.rsplit("/", 1)[1]).unlink()
    later = datetime.now(UTC) + timedelta(days=8)
    assert expire_uploads(engine_server.engine, now=later) == 1
    assert engine_server.engine.index.uploads_started_before("9999") == []


def test_the_server_expires_idle_sessions_when_it_starts(tmp_path):
    with EmbeddedServer(tmp_path / "registry") as server:
        v2 = V2(server.url)
        kept, dropped = v2.start("app"), v2.start("app")
        v2.close()
    os.utime(tmp_path / "registry" / "uploads" / dropped.rsplit("/", 1)[1], (WEEK_AGO, WEEK_AGO))
    with EmbeddedServer(tmp_path / "registry") as server:
        v2 = V2(server.url)
        try:
            assert v2.http.get(kept).status_code == 204
            assert error_code(v2.http.get(dropped)) == "BLOB_UPLOAD_UNKNOWN"
        finally:
            v2.close()
