"""Abandoned upload sessions expire, as distribution's upload purging does: a session nobody
has written to for a week is removed, file and index row, once at start and then daily.

Sessions whose file outlived its row (a monolithic POST killed mid-body never enters the index)
and rows whose file is gone go the same way.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from acrtui.engine.state import Engine
from acrtui.engine.storage.index import index_time

log = logging.getLogger("acrtui.engine")

UPLOAD_MAX_IDLE = timedelta(days=7)
EXPIRY_INTERVAL = timedelta(days=1)


def expire_uploads(engine: Engine, max_idle: timedelta = UPLOAD_MAX_IDLE, now: datetime | None = None) -> int:
    """Remove the upload sessions idle for longer than `max_idle`; return how many."""
    cutoff = (now or datetime.now(UTC)) - max_idle
    files = engine.blobs.uploads()
    expired = {upload_id for upload_id, written in files.items() if written < cutoff.timestamp()}
    expired.update(i for i in engine.index.uploads_started_before(index_time(cutoff)) if i not in files)
    for upload_id in expired:
        engine.blobs.remove_upload(upload_id)
        engine.index.delete_upload(upload_id)
    return len(expired)


async def expire_periodically(engine: Engine) -> None:
    """Run expire_uploads now and every EXPIRY_INTERVAL until cancelled; a failure is logged, not fatal."""
    while True:
        try:
            expired = await asyncio.to_thread(expire_uploads, engine)
        except Exception:
            log.exception("expiring abandoned upload sessions failed")
        else:
            if expired:
                log.info("expired %d abandoned upload session(s)", expired)
        await asyncio.sleep(EXPIRY_INTERVAL.total_seconds())
