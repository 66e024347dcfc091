"""Duplicate and near-duplicate texts across runs and sites: text keys, MinHash signatures and LSH buckets kept
in the crawl state SQLite file, behind two small interfaces (a Redis implementation can follow).

- Exact copies: `dedup_key` (SHA-256 of the comparison key: NFC, spaces, case and tone placement folded) of
  every written text, with the record that holds it. A later text with the same key and another record id is
  a copy: not written, its URL linked to the kept record.
- Near copies: a MinHash signature (datasketch, 128 permutations) of the text's word 5-shingles, cut into LSH
  bands; a band's hash is a bucket row in SQLite (indexed), so a query reads a handful of rows and keeps
  nothing per record in memory. Candidates are checked by the signatures' estimated Jaccard similarity; a
  record at or above the threshold is a near duplicate of the earliest most similar record indexed before it.
  Shingles keep Vietnamese diacritics (stripping them merges different words: "Đảng"/"đăng"/"đang") and keep
  every number as its own token: two templated announcements that differ only in names and numbers share
  few 5-shingles and are not linked.
- The same record id (canonical URL) is the same article, never its own duplicate: a re-run over the same
  pages finds its own earlier entries and skips them (the state store then says unchanged or updated).
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Protocol

import numpy as np
from datasketch import MinHash

from .core import dedup_key
from .normalize import comparison_key
from .sqlite_batch import Writes

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"            # datasketch >= 2.0: uint32 hash values, bijective permutations
SHINGLE = 5                    # words per shingle
DEFAULT_THRESHOLD = 0.8
MAX_CANDIDATES = 500           # per query, earliest first: a bucket shared by many copies stays cheap
_TOKEN = re.compile(r"\w+")


# --------------------------------------------------------------------------------------------- signatures

def tokens(text: str) -> list[str]:
    """Words of the comparison key: NFC, tone placement folded, case folded; diacritics and numbers kept."""
    return _TOKEN.findall(comparison_key(text))


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    words = tokens(text)
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i:i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


class MinHasher:
    """Text -> MinHash signature (uint32 array). The permutations are drawn once."""

    def __init__(self, num_perm: int = NUM_PERM, seed: int = SEED, shingle: int = SHINGLE):
        self.num_perm, self.seed, self.shingle = num_perm, seed, shingle
        self._permutations = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations

    def signature(self, text: str) -> np.ndarray:
        minhash = MinHash(num_perm=self.num_perm, seed=self.seed, permutations=self._permutations, scheme=SCHEME)
        minhash.update_batch(shingles(text, self.shingle))
        return np.asarray(minhash.hashvalues, dtype=np.uint32)


@lru_cache(maxsize=1)
def default_hasher() -> MinHasher:
    return MinHasher()


def _params(hasher: MinHasher) -> tuple:
    return hasher.num_perm, hasher.seed, hasher.shingle, SCHEME


def _text_digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def prepare(text: str, hasher: MinHasher | None = None) -> tuple:
    """What `Deduplicator.check` computes from the text alone (key and signature), computed ahead, e.g. in the
    extraction worker (pipelines/prepared.py), with what it was made of and with."""
    hasher = hasher or default_hasher()
    return _text_digest(text), dedup_key(text), _to_blob(hasher.signature(text)), _params(hasher)


def prepared_inputs(prepared, text: str, hasher: MinHasher) -> tuple[str | None, np.ndarray | None]:
    """(key, signature) from `prepare`'s result if it was made of this text with these MinHash parameters,
    else (None, None): the caller computes them."""
    if not prepared:
        return None, None
    digest, key, blob, params = prepared
    if params != _params(hasher) or digest != _text_digest(text):
        return None, None
    return key, _from_blob(blob)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets: the share of equal MinHash values."""
    return float(np.count_nonzero(a == b)) / len(a)


@lru_cache(maxsize=16)
def lsh_params(threshold: float, num_perm: int = NUM_PERM, fp_weight: float = 0.1,
               fn_weight: float = 0.9) -> tuple[int, int]:
    """(bands, rows) minimising the weighted false-positive and false-negative areas of the LSH S-curve (as
    datasketch's MinHashLSH does). Missed copies weigh more than extra candidates, which the signature check
    removes: at 0.8, 14 bands of 9 rows find 87% of pairs at similarity 0.8 and 99.9% at 0.9."""
    from scipy.integrate import quad

    best = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = quad(lambda s: 1 - (1 - s ** rows) ** bands, 0.0, threshold)[0]
            fn = quad(lambda s: (1 - s ** rows) ** bands, threshold, 1.0)[0]
            error = fp_weight * fp + fn_weight * fn
            if best is None or error < best[0]:
                best = (error, bands, rows)
    return best[1], best[2]


def band_buckets(signature: np.ndarray, bands: int, rows: int) -> list[int]:
    """One signed 64-bit bucket per band: a hash of the band number and its rows' values."""
    data = np.ascontiguousarray(signature, dtype="<u4")
    out = []
    for band in range(bands):
        digest = hashlib.blake2b(data[band * rows:(band + 1) * rows].tobytes(), digest_size=8,
                                 salt=band.to_bytes(2, "little")).digest()
        out.append(int.from_bytes(digest, "little", signed=True))
    return out


def _to_blob(signature: np.ndarray) -> bytes:
    return np.ascontiguousarray(signature, dtype="<u4").tobytes()


def _from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")


# --------------------------------------------------------------------------------------------- interfaces

@dataclass(frozen=True)
class Indexed:
    """A record in the near-duplicate index; `order` grows with the time it was first indexed."""
    id: str
    order: int
    signature: np.ndarray


@dataclass(frozen=True)
class KeptText:
    """The record that holds a text key."""
    id: str
    url: str
    run_id: str | None


class NearDupIndex(Protocol):
    def query(self, signature: np.ndarray) -> list[Indexed]: ...   # records sharing an LSH bucket
    def get(self, record_id: str) -> Indexed | None: ...
    def add(self, record_id: str, signature: np.ndarray, near_duplicate_of: str | None = None,
            run_id: str | None = None) -> None: ...               # replaces the id's entry, keeps its order
    def close(self) -> None: ...


class TextKeyStore(Protocol):
    def holder(self, key: str) -> KeptText | None: ...
    def claim(self, key: str, record_id: str, url: str, run_id: str | None) -> None: ...  # the id's text key
    def link(self, kept_id: str, url: str, kind: str, similarity: float, run_id: str | None) -> None: ...
    def links(self, kept_id: str) -> list[str]: ...
    def close(self) -> None: ...


# --------------------------------------------------------------------------------------------- SQLite

class SQLiteDedupStore:
    """Both interfaces on the crawl state SQLite file (its own tables, its own connection, WAL).

    Tables: `dedup_texts` (text key -> record), `dedup_links` (kept record -> URLs of its copies, exact or
    near, with the run that saw them), `near_dup_signatures` (record -> signature, in indexing order),
    `near_dup_buckets` ((bucket, record order), WITHOUT ROWID: the LSH lookup is an index range scan),
    `dedup_meta` (the MinHash parameters the stored signatures were made with, and the band layout).
    """

    def __init__(self, path: str | Path, threshold: float = DEFAULT_THRESHOLD, hasher: MinHasher | None = None,
                 state=None):
        """`state`: an SQLiteState of the same file whose connection and write batches to share (a crawl's),
        so that one transaction holds the writes of both (SQLite has one writer per file)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.hasher = hasher or default_hasher()
        self.bands, self.rows = lsh_params(threshold, self.hasher.num_perm)
        self._own_db = state is None
        if state is not None:
            self.db, self.writes = state.db, state.writes
        else:
            self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.writes = Writes(self.db)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """CREATE TABLE IF NOT EXISTS dedup_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
               CREATE TABLE IF NOT EXISTS dedup_texts (
                   key TEXT PRIMARY KEY, id TEXT NOT NULL, url TEXT NOT NULL, run_id TEXT);
               CREATE INDEX IF NOT EXISTS dedup_texts_id ON dedup_texts (id);
               CREATE TABLE IF NOT EXISTS dedup_links (
                   kept_id TEXT NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL, similarity REAL NOT NULL,
                   run_id TEXT, PRIMARY KEY (kept_id, url));
               CREATE TABLE IF NOT EXISTS near_dup_signatures (
                   seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, signature BLOB NOT NULL,
                   near_duplicate_of TEXT, run_id TEXT);
               CREATE TABLE IF NOT EXISTS near_dup_buckets (
                   bucket INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (bucket, seq)) WITHOUT ROWID;"""
        )
        self._check_meta()

    # -- parameters
    def _check_meta(self) -> None:
        want = {"num_perm": str(self.hasher.num_perm), "seed": str(self.hasher.seed), "scheme": SCHEME,
                "shingle": str(self.hasher.shingle)}
        have = dict(self.db.execute("SELECT name, value FROM dedup_meta").fetchall())
        stored = {k: have[k] for k in want if k in have}
        if stored and stored != want:
            raise ValueError(f"{self.path}: near-duplicate signatures were made with {stored}, not {want}; "
                             "drop the near_dup_* tables to rebuild the index")
        layout = f"{self.bands}x{self.rows}"
        with self._tx():
            for name, value in want.items():
                self.db.execute("INSERT OR REPLACE INTO dedup_meta VALUES (?, ?)", (name, value))
            if have.get("bands") not in (None, layout):
                self._rebucket()       # another threshold: the same signatures, cut into other bands
            self.db.execute("INSERT OR REPLACE INTO dedup_meta VALUES ('bands', ?)", (layout,))

    def _rebucket(self) -> None:
        self.db.execute("DELETE FROM near_dup_buckets")
        for seq, blob in self.db.execute("SELECT seq, signature FROM near_dup_signatures").fetchall():
            self._insert_buckets(seq, _from_blob(blob))

    def _insert_buckets(self, seq: int, signature: np.ndarray) -> None:
        self.db.executemany("INSERT OR IGNORE INTO near_dup_buckets (bucket, seq) VALUES (?, ?)",
                            [(b, seq) for b in band_buckets(signature, self.bands, self.rows)])

    def _tx(self):
        return self.writes

    # -- NearDupIndex
    def query(self, signature: np.ndarray) -> list[Indexed]:
        buckets = band_buckets(signature, self.bands, self.rows)
        rows = self.db.execute(
            f"""SELECT s.seq, s.id, s.signature FROM near_dup_signatures s
                WHERE s.seq IN (SELECT seq FROM near_dup_buckets WHERE bucket IN ({','.join('?' * len(buckets))}))
                ORDER BY s.seq LIMIT {MAX_CANDIDATES}""", buckets).fetchall()
        return [Indexed(id=rid, order=seq, signature=_from_blob(blob)) for seq, rid, blob in rows]

    def get(self, record_id: str) -> Indexed | None:
        row = self.db.execute("SELECT seq, signature FROM near_dup_signatures WHERE id = ?", (record_id,)).fetchone()
        return Indexed(id=record_id, order=row[0], signature=_from_blob(row[1])) if row else None

    def add(self, record_id: str, signature: np.ndarray, near_duplicate_of: str | None = None,
            run_id: str | None = None) -> None:
        with self._tx():
            self._add(record_id, signature, near_duplicate_of, run_id)

    def _add(self, record_id, signature, near_duplicate_of, run_id) -> None:
        old = self.get(record_id)
        if old is not None:
            self.db.executemany("DELETE FROM near_dup_buckets WHERE bucket = ? AND seq = ?",
                                [(b, old.order) for b in band_buckets(old.signature, self.bands, self.rows)])
            self.db.execute("UPDATE near_dup_signatures SET signature = ?, near_duplicate_of = ?, run_id = ? "
                            "WHERE seq = ?", (_to_blob(signature), near_duplicate_of, run_id, old.order))
            seq = old.order
        else:
            seq = self.db.execute(
                "INSERT INTO near_dup_signatures (id, signature, near_duplicate_of, run_id) VALUES (?, ?, ?, ?)",
                (record_id, _to_blob(signature), near_duplicate_of, run_id)).lastrowid
        self._insert_buckets(seq, signature)

    # -- TextKeyStore
    def holder(self, key: str) -> KeptText | None:
        row = self.db.execute("SELECT id, url, run_id FROM dedup_texts WHERE key = ?", (key,)).fetchone()
        return KeptText(*row) if row else None

    def claim(self, key: str, record_id: str, url: str, run_id: str | None) -> None:
        with self._tx():
            self._claim(key, record_id, url, run_id)

    def _claim(self, key, record_id, url, run_id) -> None:
        # an updated article's old text is no longer its text
        self.db.execute("DELETE FROM dedup_texts WHERE id = ? AND key <> ?", (record_id, key))
        self.db.execute("INSERT OR REPLACE INTO dedup_texts (key, id, url, run_id) VALUES (?, ?, ?, ?)",
                        (key, record_id, url, run_id))

    def link(self, kept_id: str, url: str, kind: str, similarity: float, run_id: str | None) -> None:
        self.db.execute("INSERT OR REPLACE INTO dedup_links (kept_id, url, kind, similarity, run_id) "
                        "VALUES (?, ?, ?, ?, ?)", (kept_id, url, kind, similarity, run_id))

    def links(self, kept_id: str) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT url FROM dedup_links WHERE kept_id = ? AND kind = 'exact' ORDER BY rowid", (kept_id,))]

    def record_written(self, key: str, record_id: str, url: str, signature: np.ndarray,
                       near_duplicate_of: str | None, run_id: str | None) -> None:
        """Text key and signature of a written record, in one transaction."""
        with self._tx():
            self._claim(key, record_id, url, run_id)
            self._add(record_id, signature, near_duplicate_of, run_id)

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM near_dup_signatures").fetchone()[0]

    def close(self) -> None:
        self.writes.commit()
        if self._own_db:
            self.db.close()


# --------------------------------------------------------------------------------------------- the decision

@dataclass
class Verdict:
    """What a record is: `new` text, the `same` article again, an `exact` copy or a `near` copy of `kept_id`."""
    kind: str
    key: str
    signature: np.ndarray | None = None
    kept_id: str | None = None
    kept_run_id: str | None = None
    similarity: float = 0.0


class Deduplicator:
    """Decides, per record, whether its text is new, the same article again, or a copy of another record.

    `check` only reads; `written` stores the record's key and signature once its line is in the file, so a
    record that is dropped later (or a killed run) never becomes the original of a copy. Records between the
    two (in flight in the pipelines) are kept in `pending` and checked too.
    """

    def __init__(self, texts: TextKeyStore, index: NearDupIndex, hasher: MinHasher,
                 threshold: float = DEFAULT_THRESHOLD):
        self.texts, self.index, self.hasher, self.threshold = texts, index, hasher, threshold
        self.pending: dict[str, tuple[str, np.ndarray, str | None]] = {}   # id -> (key, signature, run_id)

    def check(self, record_id: str, text: str, run_id: str | None = None, *, key: str | None = None,
              signature: np.ndarray | None = None) -> Verdict:
        """`key` and `signature`, when given, are the text's (see `prepare`): not computed again."""
        key = key if key is not None else dedup_key(text)
        held = self._pending_holder(key) or self.texts.holder(key)
        if held is not None and held.id != record_id:
            return Verdict("exact", key, kept_id=held.id, kept_run_id=held.run_id, similarity=1.0)
        if signature is None:
            signature = self.hasher.signature(text)
        best = self._nearest(record_id, signature)
        if best is not None:
            other, sim, other_run = best
            return Verdict("near", key, signature, kept_id=other, kept_run_id=other_run, similarity=sim)
        return Verdict("same" if held is not None else "new", key, signature)

    def _pending_holder(self, key: str) -> KeptText | None:
        for rid, (pkey, _, run_id) in self.pending.items():
            if pkey == key:
                return KeptText(rid, "", run_id)
        return None

    def _nearest(self, record_id: str, signature: np.ndarray) -> tuple[str, float, str | None] | None:
        own = self.index.get(record_id)
        candidates: Iterable[tuple[str, int, np.ndarray, str | None]] = (
            (c.id, c.order, c.signature, None) for c in self.index.query(signature))
        if own is None:     # in-flight records of this run are earlier than a record never indexed
            pending = [(rid, -1, sig, run_id) for rid, (_, sig, run_id) in self.pending.items()]
            candidates = [*candidates, *pending]
        best = None
        for other, order, other_sig, other_run in candidates:
            if other == record_id or (own is not None and order >= own.order):
                continue        # itself, or a record indexed after it: never its original
            sim = similarity(signature, other_sig)
            if sim >= self.threshold and (best is None or sim > best[1]):
                best = (other, sim, other_run)
        return best

    def hold(self, record_id: str, verdict: Verdict, run_id: str | None) -> None:
        """The record goes on through the pipelines: in flight until `written` or `forget`."""
        self.pending[record_id] = (verdict.key, verdict.signature, run_id)

    def forget(self, record_id: str) -> None:
        self.pending.pop(record_id, None)

    def written(self, record_id: str, url: str, near_duplicate_of: str | None, run_id: str | None) -> None:
        entry = self.pending.pop(record_id, None)
        if entry is None:
            return
        key, signature, _ = entry
        store = self.texts
        if isinstance(store, SQLiteDedupStore) and store is self.index:
            store.record_written(key, record_id, url, signature, near_duplicate_of, run_id)
        else:
            self.texts.claim(key, record_id, url, run_id)
            self.index.add(record_id, signature, near_duplicate_of, run_id)
