"""Crawl state that outlives runs, behind a small interface; the embedded default is an SQLite file.

Per canonical article it keeps first/last seen, the content hash and the revision number, so a later run
writes a record only for a new or changed article.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class ArticleState:
    id: str
    canonical_url: str
    content_hash: str
    revision: int
    first_seen: str
    last_seen: str


class StateStore(Protocol):
    def get(self, article_id: str) -> ArticleState | None: ...
    def put(self, record: dict, seen_at: str) -> None: ...
    def touch(self, article_id: str, seen_at: str) -> None: ...
    def close(self) -> None: ...


class SQLiteState:
    """One SQLite file; WAL mode so a killed run leaves it consistent."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            """CREATE TABLE IF NOT EXISTS articles (
                   id TEXT PRIMARY KEY,
                   canonical_url TEXT NOT NULL,
                   content_hash TEXT NOT NULL,
                   revision INTEGER NOT NULL,
                   first_seen TEXT NOT NULL,
                   last_seen TEXT NOT NULL)"""
        )

    def get(self, article_id: str) -> ArticleState | None:
        row = self.db.execute(
            "SELECT id, canonical_url, content_hash, revision, first_seen, last_seen FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        return ArticleState(*row) if row else None

    def put(self, record: dict, seen_at: str) -> None:
        self.db.execute(
            """INSERT INTO articles (id, canonical_url, content_hash, revision, first_seen, last_seen)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET content_hash = excluded.content_hash,
                   revision = excluded.revision, last_seen = excluded.last_seen,
                   canonical_url = excluded.canonical_url""",
            (record["id"], record["canonical_url"], record["content_hash"], record["revision"], seen_at, seen_at),
        )

    def touch(self, article_id: str, seen_at: str) -> None:
        self.db.execute("UPDATE articles SET last_seen = ? WHERE id = ?", (seen_at, article_id))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def close(self) -> None:
        self.db.close()
