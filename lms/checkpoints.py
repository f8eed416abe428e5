"""SQLite: copy the write-ahead log back into the database off the request path.

By default the commit that fills the WAL past wal_autocheckpoint copies it back
itself, and that request waits for tens of megabytes of writes. Instead, a write
that leaves a large WAL asks a background thread of this process for a PASSIVE
checkpoint, which waits for no reader or writer; once the WAL is copied back the
next writer starts it again from the beginning. Under steady writes new pages
arrive while it copies, so the WAL is restarted by the automatic checkpoint
(lms.WAL_AUTOCHECKPOINT_PAGES) after all, but that finds most pages copied.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

log = logging.getLogger(__name__)

#: WAL file size from which a write asks for a checkpoint.
WAL_BYTES = 4 * 2**20
#: Seconds between two checkpoints of one database asked for by this process.
INTERVAL = 0.2

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-checkpoint")
_lock = threading.Lock()
#: Database path -> when its last checkpoint was asked for (time.monotonic()).
_asked: dict[str, float] = {}


def after_write(engine: Engine) -> bool:
    """Ask for a background checkpoint if the WAL has grown; return if asked."""
    if engine.dialect.name != "sqlite":
        return False
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return False
    try:
        size = os.stat(f"{path}-wal").st_size
    except OSError:
        return False
    now = time.monotonic()
    with _lock:
        if size < WAL_BYTES or now - _asked.get(path, -INTERVAL) < INTERVAL:
            return False
        _asked[path] = now
    _executor.submit(checkpoint, path)
    return True


def checkpoint(path: str) -> tuple[int, int, int] | None:
    """Run a PASSIVE checkpoint; return SQLite's (busy, WAL frames, copied)."""
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=0)) as connection:
            return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error as error:  # busy, or the database went away
        log.info("background checkpoint skipped: %s", error)
        return None
