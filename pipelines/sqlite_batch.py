"""Writes to an SQLite connection (in autocommit mode), each one atomic, grouped into one transaction of up to
`size` writes or `seconds`: a commit costs ~0.3 ms of CPU on the crawler's reactor thread and lets other threads
take the GIL, so a crawl commits once per batch instead of once per record.

Each write is a savepoint, so a failed write undoes only itself, as its own transaction did. Reads on the same
connection see the pending writes. A batch is committed when it is full or old, by `commit()` and before the
connection is closed; a killed process loses the batch in progress, which is why only writes that a resumed run
can redo are batched (crawler/runs.py reconciles the state and the dedup index with the records file).
With size 1 (the default) every write is its own transaction, as before.
"""
from __future__ import annotations

import sqlite3
import time


class Writes:
    """`with writes:` around the statements of one write."""

    def __init__(self, db: sqlite3.Connection, size: int = 1, seconds: float = 2.0):
        self.db, self.size, self.seconds = db, max(1, int(size)), seconds
        self.count = 0
        self.started = 0.0

    def __enter__(self):
        if self.size == 1:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.count, self.started = 0, time.monotonic()
        self.db.execute("SAVEPOINT write")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if self.size == 1:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
            return False
        if exc_type is not None:
            self.db.execute("ROLLBACK TO write")
            self.db.execute("RELEASE write")
            return False
        self.db.execute("RELEASE write")
        self.count += 1
        if self.count >= self.size or time.monotonic() - self.started >= self.seconds:
            self.commit()
        return False

    def commit(self) -> None:
        """Commit the pending batch, if any (at close, or whenever others must see it)."""
        if self.db.in_transaction:
            self.db.execute("COMMIT")
        self.count = 0
