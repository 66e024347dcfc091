"""Crawl state that outlives runs, behind a small interface; the embedded default is an SQLite file.

Per canonical article it keeps first/last seen, the content hash, the revision number, the HTTP validators
(ETag, Last-Modified) and the publication date, so that a later run skips what it already has, revisits recent
articles with conditional requests, and writes a record only for a new or changed article. Every URL that led
to an article (the canonical one, the one fetched, the one before redirects) maps to its id, so the spider can
tell a known article from a link before fetching it.

Only one run may hold a state at a time: `lock_state()` takes an exclusive lock on a file beside it, which
the operating system releases when the process ends, however it ends.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .sqlite_batch import Writes

_HELD_LOCKS: dict[str, int] = {}


@dataclass(frozen=True)
class ArticleState:
    id: str
    canonical_url: str
    content_hash: str
    revision: int
    first_seen: str
    last_seen: str
    etag: str | None = None
    last_modified: str | None = None
    published_at: str | None = None


class StateStore(Protocol):
    def get(self, article_id: str) -> ArticleState | None: ...
    def lookup_url(self, url: str) -> ArticleState | None: ...
    def put(self, record: dict, seen_at: str, *, etag: str | None = None, last_modified: str | None = None,
            urls: tuple[str, ...] = ()) -> None: ...
    def touch(self, article_id: str, seen_at: str, *, etag: str | None = None, last_modified: str | None = None,
              urls: tuple[str, ...] = ()) -> None: ...
    def note_dropped(self, urls, reason: str, seen_at: str) -> None: ...
    def dropped_since(self, url: str, since: str, before: str = "9999") -> str | None: ...
    def close(self) -> None: ...


class StateLocked(RuntimeError):
    """Another run holds this state."""


_COLUMNS = "id, canonical_url, content_hash, revision, first_seen, last_seen, etag, last_modified, published_at"


class SQLiteState:
    """One SQLite file; WAL mode and one transaction per write, so a killed run leaves it consistent. With
    `batch` > 1 (a crawl: PARTYNEWS_STATE_BATCH), up to that many writes, or `batch_seconds`, share one
    transaction (pipelines/sqlite_batch.py); reads see them at once, a killed run loses them and `--resume`
    redoes them from the records file (crawler/runs.py)."""

    def __init__(self, path: str | Path, batch: int = 1, batch_seconds: float = 2.0):
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
        # columns added after the first release: a state file written by an older version is upgraded in place
        have = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
        for column in ("etag", "last_modified", "published_at"):
            if column not in have:
                self.db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT")
        self.db.execute("CREATE TABLE IF NOT EXISTS urls (url TEXT PRIMARY KEY, id TEXT NOT NULL)")
        # pages that were fetched and dropped (a listing with an article-shaped URL, a video page, a print view
        # of a known article): not fetched again until PARTYNEWS_RECHECK_DROPPED_DAYS have passed
        self.db.execute("CREATE TABLE IF NOT EXISTS dropped (url TEXT PRIMARY KEY, reason TEXT NOT NULL, "
                        "seen TEXT NOT NULL)")
        self.writes = Writes(self.db, batch, batch_seconds)

    def get(self, article_id: str) -> ArticleState | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()
        return ArticleState(*row) if row else None

    def lookup_url(self, url: str) -> ArticleState | None:
        row = self.db.execute(
            f"SELECT {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))} FROM urls u "
            "JOIN articles a ON a.id = u.id WHERE u.url = ?", (url,)).fetchone()
        return ArticleState(*row) if row else None

    def put(self, record: dict, seen_at: str, *, etag: str | None = None, last_modified: str | None = None,
            urls: tuple[str, ...] = ()) -> None:
        with self._transaction():
            self.db.execute(
                f"""INSERT INTO articles ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET content_hash = excluded.content_hash,
                       revision = excluded.revision, last_seen = excluded.last_seen,
                       canonical_url = excluded.canonical_url, etag = excluded.etag,
                       last_modified = excluded.last_modified, published_at = excluded.published_at""",
                (record["id"], record["canonical_url"], record["content_hash"], record["revision"], seen_at, seen_at,
                 etag, last_modified, record.get("published_at")),
            )
            self._add_urls(record["id"], (record["canonical_url"], *urls))

    def touch(self, article_id: str, seen_at: str, *, etag: str | None = None, last_modified: str | None = None,
              urls: tuple[str, ...] = ()) -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE articles SET last_seen = ?, etag = COALESCE(?, etag), "
                "last_modified = COALESCE(?, last_modified) WHERE id = ?",
                (seen_at, etag, last_modified, article_id))
            self._add_urls(article_id, urls)

    def note_dropped(self, urls, reason: str, seen_at: str) -> None:
        with self._transaction():
            self.db.executemany(
                "INSERT INTO dropped (url, reason, seen) VALUES (?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                "reason = excluded.reason, seen = excluded.seen",
                [(u, reason, seen_at) for u in dict.fromkeys(u for u in urls if u)])

    def dropped_since(self, url: str, since: str, before: str = "9999") -> str | None:
        row = self.db.execute("SELECT reason FROM dropped WHERE url = ? AND seen >= ? AND seen < ?",
                              (url, since, before)).fetchone()
        return row[0] if row else None

    def _add_urls(self, article_id: str, urls) -> None:
        self.db.executemany("INSERT INTO urls (url, id) VALUES (?, ?) ON CONFLICT(url) DO UPDATE SET id = excluded.id",
                            [(u, article_id) for u in dict.fromkeys(u for u in urls if u)])

    def _transaction(self):
        return self.writes

    def commit(self) -> None:
        self.writes.commit()

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def close(self) -> None:
        self.writes.commit()
        self.db.close()


class ReplayState:
    """The state as it was before an archived run (`prior` of each article, from the run's WARC file), for
    rebuilding that run's records exactly; it learns from the replay as the real store did, in memory."""

    def __init__(self, priors: dict[str, dict | None]):
        self.known: dict[str, ArticleState] = {
            article_id: ArticleState(article_id, "", prior["content_hash"], prior["revision"], "", "")
            for article_id, prior in priors.items() if prior}

    def get(self, article_id: str) -> ArticleState | None:
        return self.known.get(article_id)

    def lookup_url(self, url: str) -> ArticleState | None:
        return None

    def put(self, record: dict, seen_at: str, **_) -> None:
        self.known[record["id"]] = ArticleState(record["id"], record["canonical_url"], record["content_hash"],
                                                record["revision"], seen_at, seen_at)

    def touch(self, article_id: str, seen_at: str, **_) -> None:
        pass

    def note_dropped(self, urls, reason: str, seen_at: str) -> None:
        pass

    def dropped_since(self, url: str, since: str, before: str = "9999") -> str | None:
        return None

    def close(self) -> None:
        pass


def lock_state(path: str | Path) -> None:
    """Hold an exclusive lock on `<state>.lock` for the rest of this process; StateLocked if another process
    holds it. Idempotent within one process."""
    lock_path = str(Path(path)) + ".lock"
    if lock_path in _HELD_LOCKS:
        return
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        os.close(fd)
        raise StateLocked(f"another run (pid {holder or '?'}) is using the crawl state {path}; "
                          "wait for it to finish, or give this run its own --state") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
    _HELD_LOCKS[lock_path] = fd


def release_state(path: str | Path) -> None:
    fd = _HELD_LOCKS.pop(str(Path(path)) + ".lock", None)
    if fd is not None:
        os.close(fd)
