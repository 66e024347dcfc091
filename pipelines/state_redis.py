"""The crawl state in Redis, for several workers on several machines sharing one crawl (`partynews crawl
--redis URL`): the same `StateStore` interface as `SQLiteState` (pipelines/state.py), and the near-duplicate
index's two interfaces (`NearDupIndex`, `TextKeyStore` of pipelines/near_dup.py).

Keys (prefix `PARTYNEWS_REDIS_PREFIX`, default `partynews`), shared by every crawl that uses the Redis database,
as one state file is shared by every run that uses it:

    P:state:article:<id>     hash: canonical_url content_hash revision first_seen last_seen etag last_modified
                             published_at
    P:state:urls             hash: URL -> article id (every URL that led to an article)
    P:state:dropped          hash: URL -> "<seen>\\t<reason>" (pages dropped as not articles)
    P:state:claim:<id>       string: the worker writing the article's record right now (see `claim`)
    P:alive:<worker>         string with a TTL: the worker is alive (refreshed by its heartbeat)
    P:dedup:...  P:nd:...    the near-duplicate index (`RedisDedupStore`)

Exactly one worker writes a record: before writing an article's line, a worker `claim`s the article in one Lua
script, which refuses when the state already holds the same text (another worker wrote it) or when another
worker that is still alive holds the claim; `put` (after the line is in the file) stores the article and
releases the claim in one transaction. A claim held by a worker that died (its `alive` key expired) is void.
"""
from __future__ import annotations

import json
import os
import socket
import secrets

import numpy as np

from .state import ArticleState

DEFAULT_PREFIX = "partynews"
DEFAULT_WORKER_TTL = 15.0          # seconds without a heartbeat after which a worker counts as dead

_FIELDS = ("canonical_url", "content_hash", "revision", "first_seen", "last_seen", "etag", "last_modified",
           "published_at")


def connect(url: str):
    """A Redis client for `redis://HOST:PORT/DB` (bytes in and out)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True,
                                health_check_interval=30)


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def alive_key(prefix: str, worker: str) -> str:
    return f"{prefix}:alive:{worker}"


def _s(value) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# claim(article key, claim key; record hash, me, alive-key prefix, claim ttl, alive ttl ms)
_CLAIM = """
local stored = redis.call('HGET', KEYS[1], 'content_hash')
if stored and stored == ARGV[1] then return 0 end
redis.call('SET', ARGV[3] .. ARGV[2], '1', 'PX', ARGV[5])
local held = redis.call('GET', KEYS[2])
if held and held ~= ARGV[2] and redis.call('EXISTS', ARGV[3] .. held) == 1 then return -1 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4])
return 1
"""

# touch(article key, urls key; seen, etag, last_modified, id, urls...)
_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'last_seen', ARGV[1])
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'etag', ARGV[2]) end
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'last_modified', ARGV[3]) end
end
for i = 5, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[4]) end
return 1
"""


class RedisState:
    """`StateStore` on Redis; safe for many processes at once (no file lock: every write is one transaction
    or one Lua script)."""

    def __init__(self, client, prefix: str = DEFAULT_PREFIX, worker_id: str | None = None,
                 worker_ttl: float = DEFAULT_WORKER_TTL):
        self.r = client
        self.prefix = prefix
        self.worker_id = worker_id or new_worker_id()
        self.worker_ttl = worker_ttl
        self._claim = self.r.register_script(_CLAIM)
        self._touch = self.r.register_script(_TOUCH)

    @classmethod
    def from_url(cls, url: str, **kwargs) -> "RedisState":
        return cls(connect(url), **kwargs)

    def _article(self, article_id: str) -> str:
        return f"{self.prefix}:state:article:{article_id}"

    @property
    def _urls(self) -> str:
        return f"{self.prefix}:state:urls"

    @property
    def _dropped(self) -> str:
        return f"{self.prefix}:state:dropped"

    def _claim_key(self, article_id: str) -> str:
        return f"{self.prefix}:state:claim:{article_id}"

    # -- StateStore
    def get(self, article_id: str) -> ArticleState | None:
        values = self.r.hmget(self._article(article_id), _FIELDS)
        if values[1] is None:
            return None
        v = [_s(x) for x in values]
        return ArticleState(article_id, v[0] or "", v[1], int(v[2] or 1), v[3] or "", v[4] or "", v[5], v[6], v[7])

    def lookup_url(self, url: str) -> ArticleState | None:
        article_id = self.r.hget(self._urls, url)
        return self.get(_s(article_id)) if article_id is not None else None

    def put(self, record: dict, seen_at: str, *, etag: str | None = None, last_modified: str | None = None,
            urls: tuple[str, ...] = ()) -> None:
        key = self._article(record["id"])
        fields = {"canonical_url": record["canonical_url"], "content_hash": record["content_hash"],
                  "revision": int(record["revision"]), "last_seen": seen_at, "etag": etag or "",
                  "last_modified": last_modified or "", "published_at": record.get("published_at") or ""}
        pipe = self.r.pipeline(transaction=True)
        pipe.hsetnx(key, "first_seen", seen_at)
        pipe.hset(key, mapping=fields)
        # SQLite keeps NULLs; here an empty field is deleted so that it reads back as None
        empty = [name for name in ("etag", "last_modified", "published_at") if not fields[name]]
        if empty:
            pipe.hdel(key, *empty)
        mapping = {u: record["id"] for u in dict.fromkeys((record["canonical_url"], *urls)) if u}
        if mapping:
            pipe.hset(self._urls, mapping=mapping)
        pipe.delete(self._claim_key(record["id"]))
        pipe.execute()

    def touch(self, article_id: str, seen_at: str, *, etag: str | None = None, last_modified: str | None = None,
              urls: tuple[str, ...] = ()) -> None:
        self._touch(keys=[self._article(article_id), self._urls],
                    args=[seen_at, etag or "", last_modified or "", article_id,
                          *dict.fromkeys(u for u in urls if u)])

    def note_dropped(self, urls, reason: str, seen_at: str) -> None:
        mapping = {u: f"{seen_at}\t{reason}" for u in dict.fromkeys(u for u in urls if u)}
        if mapping:
            self.r.hset(self._dropped, mapping=mapping)

    def dropped_since(self, url: str, since: str, before: str = "9999") -> str | None:
        value = _s(self.r.hget(self._dropped, url))
        if not value:
            return None
        seen, _, reason = value.partition("\t")
        return reason if since <= seen < before else None

    def close(self) -> None:
        try:
            self.r.close()
        except Exception:    # noqa: BLE001 (closing a connection that is already gone)
            pass

    # -- exactly-once writing across workers
    def claim(self, record: dict) -> int:
        """Take the right to write this record: 1 granted; 0 the state already holds this text (another
        worker wrote it); -1 another live worker is writing it."""
        ttl = max(60, int(self.worker_ttl * 20))
        return int(self._claim(keys=[self._article(record["id"]), self._claim_key(record["id"])],
                               args=[record["content_hash"], self.worker_id, f"{self.prefix}:alive:", ttl,
                                     int(self.worker_ttl * 1000)]))

    def count(self) -> int:
        return sum(1 for _ in self.r.scan_iter(match=f"{self.prefix}:state:article:*", count=1000))


# --------------------------------------------------------------------------------------------- near duplicates

class RedisDedupStore:
    """`NearDupIndex` and `TextKeyStore` (pipelines/near_dup.py) on Redis, shared by every worker.

    Keys: `P:dedup:texts` (hash: text key -> JSON {id, url, run_id}), `P:dedup:key_of` (hash: record id -> its
    text key), `P:dedup:links:<kept id>` (hash: URL -> JSON {kind, similarity, run_id, seq}), `P:nd:sig` (hash:
    record id -> signature bytes), `P:nd:order` (hash: record id -> indexing order), `P:nd:seq` (counter),
    `P:nd:b:<bucket>` (set of record ids: one LSH band bucket), `P:nd:meta` (MinHash parameters, band layout).
    """

    def __init__(self, client, prefix: str = DEFAULT_PREFIX, threshold: float | None = None, hasher=None):
        from . import near_dup

        self.r = client
        self.p = prefix
        self.hasher = hasher or near_dup.default_hasher()
        self.bands, self.rows = near_dup.lsh_params(threshold or near_dup.DEFAULT_THRESHOLD, self.hasher.num_perm)
        self._nd = near_dup
        self._check_meta()

    def _check_meta(self) -> None:
        want = {"num_perm": str(self.hasher.num_perm), "seed": str(self.hasher.seed), "scheme": self._nd.SCHEME,
                "shingle": str(self.hasher.shingle)}
        have = {_s(k): _s(v) for k, v in self.r.hgetall(f"{self.p}:nd:meta").items()}
        stored = {k: have[k] for k in want if k in have}
        if stored and stored != want:
            raise ValueError(f"Redis {self.p}:nd:*: near-duplicate signatures were made with {stored}, not {want}")
        layout = f"{self.bands}x{self.rows}"
        if have.get("bands") not in (None, layout):
            self._rebucket()
        self.r.hset(f"{self.p}:nd:meta", mapping={**want, "bands": layout})

    def _buckets(self, signature) -> list[str]:
        return [f"{self.p}:nd:b:{b}" for b in self._nd.band_buckets(signature, self.bands, self.rows)]

    def _rebucket(self) -> None:
        for key in list(self.r.scan_iter(match=f"{self.p}:nd:b:*", count=1000)):
            self.r.delete(key)
        for rid, blob in self.r.hgetall(f"{self.p}:nd:sig").items():
            sig = np.frombuffer(blob, dtype="<u4")
            pipe = self.r.pipeline()
            for bucket in self._buckets(sig):
                pipe.sadd(bucket, rid)
            pipe.execute()

    # -- NearDupIndex
    def query(self, signature) -> list:
        ids = self.r.sunion(self._buckets(signature))
        if not ids:
            return []
        ids = list(ids)
        orders = self.r.hmget(f"{self.p}:nd:order", ids)
        sigs = self.r.hmget(f"{self.p}:nd:sig", ids)
        found = sorted((int(o), _s(i), s) for i, o, s in zip(ids, orders, sigs) if o is not None and s is not None)
        return [self._nd.Indexed(id=i, order=o, signature=np.frombuffer(s, dtype="<u4"))
                for o, i, s in found[:self._nd.MAX_CANDIDATES]]

    def get(self, record_id: str):
        order, sig = self.r.hget(f"{self.p}:nd:order", record_id), self.r.hget(f"{self.p}:nd:sig", record_id)
        if order is None or sig is None:
            return None
        return self._nd.Indexed(id=record_id, order=int(order), signature=np.frombuffer(sig, dtype="<u4"))

    def add(self, record_id: str, signature, near_duplicate_of: str | None = None, run_id: str | None = None) -> None:
        old = self.get(record_id)
        order = old.order if old is not None else self.r.incr(f"{self.p}:nd:seq")
        pipe = self.r.pipeline(transaction=True)
        if old is not None:
            for bucket in self._buckets(old.signature):
                pipe.srem(bucket, record_id)
        pipe.hset(f"{self.p}:nd:sig", record_id, np.ascontiguousarray(signature, dtype="<u4").tobytes())
        pipe.hset(f"{self.p}:nd:order", record_id, order)
        for bucket in self._buckets(signature):
            pipe.sadd(bucket, record_id)
        pipe.execute()

    # -- TextKeyStore
    def holder(self, key: str):
        value = self.r.hget(f"{self.p}:dedup:texts", key)
        if value is None:
            return None
        data = json.loads(value)
        return self._nd.KeptText(data["id"], data["url"], data.get("run_id"))

    def claim(self, key: str, record_id: str, url: str, run_id: str | None) -> None:
        old = _s(self.r.hget(f"{self.p}:dedup:key_of", record_id))
        pipe = self.r.pipeline(transaction=True)
        if old and old != key:       # an updated article's old text is no longer its text
            pipe.hdel(f"{self.p}:dedup:texts", old)
        pipe.hset(f"{self.p}:dedup:texts", key, json.dumps({"id": record_id, "url": url, "run_id": run_id}))
        pipe.hset(f"{self.p}:dedup:key_of", record_id, key)
        pipe.execute()

    def link(self, kept_id: str, url: str, kind: str, similarity: float, run_id: str | None) -> None:
        seq = self.r.incr(f"{self.p}:dedup:link_seq")
        self.r.hset(f"{self.p}:dedup:links:{kept_id}", url,
                    json.dumps({"kind": kind, "similarity": similarity, "run_id": run_id, "seq": seq}))

    def links(self, kept_id: str) -> list[str]:
        entries = [(json.loads(v), _s(u)) for u, v in self.r.hgetall(f"{self.p}:dedup:links:{kept_id}").items()]
        return [u for data, u in sorted(entries, key=lambda e: e[0]["seq"]) if data["kind"] == "exact"]

    def count(self) -> int:
        return int(self.r.hlen(f"{self.p}:nd:sig"))

    def close(self) -> None:
        pass            # the client belongs to the crawl's RedisState


def worker_id_of(crawler) -> str:
    """This process's worker id in the shared crawl (one per crawler)."""
    if not getattr(crawler, "_partynews_worker_id", None):
        crawler._partynews_worker_id = crawler.settings.get("PARTYNEWS_REDIS_WORKER_ID") or new_worker_id()
    return crawler._partynews_worker_id


def redis_settings(settings) -> tuple[str, str, float]:
    """(URL, key prefix, worker TTL) of the crawl's Redis, from the settings."""
    return (settings.get("PARTYNEWS_REDIS_URL"), settings.get("PARTYNEWS_REDIS_PREFIX") or DEFAULT_PREFIX,
            settings.getfloat("PARTYNEWS_REDIS_WORKER_TTL", DEFAULT_WORKER_TTL))
