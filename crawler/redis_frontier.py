"""One crawl shared by several worker processes on any machines: a Redis frontier with scrapy-redis.

`partynews crawl --redis redis://HOST:PORT/DB` (or the setting `PARTYNEWS_REDIS_URL`) makes this process a
worker. The Scrapy add-on `RedisAddon` (in `ADDONS`; it does nothing without the setting) then switches on:

- the scheduler: scrapy-redis's `Scheduler` (shared priority queue, a sorted set) with its `RFPDupeFilter`
  (shared request fingerprints), `SCHEDULER_PERSIST` on, under per-crawl keys (`Frontier` below). The crawl key
  is made from the crawled sites (registry keys and base URLs), so workers started with the same `--site` and
  `--url` arguments share one crawl; `PARTYNEWS_REDIS_CRAWL` names it explicitly;
- requests in flight: a worker pops a request from the queue and, in the same Lua script, files it under its
  own in-flight hash; the entry is removed once the engine is done with the request (its response went through
  the spider and every item it yielded through the item pipelines, so everything it led to is either queued or
  written). Every worker refreshes an `alive` key with a TTL (`PARTYNEWS_REDIS_WORKER_TTL`, 15 s); a worker
  whose key expired (killed with SIGKILL, its machine gone) has its in-flight requests moved back to the queue
  by the remaining workers, which crawl them. A worker stopped gracefully puts its own back when it closes;
- idempotent seeding: the first worker to take the crawl's seed lock (SET NX) queues the start requests;
  the others start with an empty queue and take requests from it. The lock of a worker that died while
  seeding is taken over;
- closing: a worker stops when the queue and every worker's in-flight hash have been empty for
  `PARTYNEWS_REDIS_IDLE_CLOSE` seconds (10); the last one clears the crawl's request fingerprints and seed
  lock, so the next crawl (the next night) starts afresh and is incremental through the shared state;
- politeness across workers (`RedisPoliteness`): a request goes out only once it has taken its host's time
  slot in Redis (a Lua script on Redis's clock): one request per `DOWNLOAD_DELAY` per host across all workers,
  whatever their number;
- exactly-once writing (`ClaimPipeline`): see pipelines/state_redis.py.

Scrapy 2.19 shim: scrapy-redis 0.9 knows nothing of in-flight requests; Scrapy has no signal for "the engine is
done with this request", so `Scheduler.open` wraps the engine slot's `remove_request` (what the engine calls
then) to acknowledge the request. tests/test_redis_workers.py kills a worker with SIGKILL to check it.
"""
from __future__ import annotations

import hashlib
import logging
import time
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, DropItem, NotConfigured
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as _RedisScheduler

from pipelines.state_redis import alive_key, connect, redis_settings, worker_id_of

log = logging.getLogger(__name__)
TOKEN = "partynews_redis_token"

# pop(queue, inflight; worker alive key, alive ttl ms, token) -> {data, score} moved into the in-flight hash
_POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return nil end
redis.call('ZREM', KEYS[1], top[1])
redis.call('HSET', KEYS[2], ARGV[3], top[2] .. '\\n' .. top[1])
redis.call('SET', ARGV[1], '1', 'PX', ARGV[2])
return top[1]
"""

# recover(queue, inflight, alive key of the worker) -> requests moved back to the queue (-1: it is alive)
_RECOVER = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local entries = redis.call('HVALS', KEYS[2])
for _, entry in ipairs(entries) do
  local nl = string.find(entry, '\\n', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(entry, 1, nl - 1)), string.sub(entry, nl + 1))
end
redis.call('DEL', KEYS[2])
return #entries
"""

# seed(seed key; me, my alive key, alive-key prefix, ttl ms) -> 1 seed now, 0 someone else did or does
_SEED = """
redis.call('SET', ARGV[2], '1', 'PX', ARGV[4])
local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1]); return 1 end
if holder == 'done' or holder == ARGV[1] then return 0 end
if redis.call('EXISTS', ARGV[3] .. holder) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""

# take(slot key; interval ms) -> 0: the host's slot was free and is now taken; else ms until it frees.
# Taken at the moment the request goes out, not booked ahead: a worker whose reactor was busy when its booked
# time came would send late, right before another worker's punctual request (two requests with no gap).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < free then return free - now end
redis.call('SET', KEYS[1], now + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 60000)
return 0
"""


def crawl_key(spider, settings) -> str:
    explicit = settings.get("PARTYNEWS_REDIS_CRAWL")
    if explicit:
        return str(explicit)
    sites = sorted(f"{s.key} {s.base_url}" for s in getattr(spider, "sites", []))
    return hashlib.sha1("\n".join(sites).encode("utf-8")).hexdigest()[:12]


class Frontier:
    """The keys of one shared crawl and this worker's place in it."""

    def __init__(self, crawler, spider):
        settings = crawler.settings
        url, self.prefix, self.ttl = redis_settings(settings)
        self.r = connect(url)
        self.worker = worker_id_of(crawler)
        self.crawl = crawl_key(spider, settings)
        base = f"{self.prefix}:crawl:{self.crawl}"
        self.queue = f"{base}:requests"
        self.dupefilter = f"{base}:dupefilter"
        self.seed_key = f"{base}:seeded"
        self.workers = f"{base}:workers"
        self.polite = f"{base}:polite:"
        self.idle_close = settings.getfloat("PARTYNEWS_REDIS_IDLE_CLOSE", 10.0)
        self._pop = self.r.register_script(_POP)
        self._recover = self.r.register_script(_RECOVER)
        self._seed = self.r.register_script(_SEED)
        self._take = self.r.register_script(_TAKE)
        self._token = 0

    def inflight_key(self, worker: str) -> str:
        return f"{self.prefix}:crawl:{self.crawl}:inflight:{worker}"

    @property
    def alive(self) -> str:
        return alive_key(self.prefix, self.worker)

    @property
    def ttl_ms(self) -> int:
        return int(self.ttl * 1000)

    def heartbeat(self) -> None:
        pipe = self.r.pipeline()
        pipe.set(self.alive, "1", px=self.ttl_ms)
        pipe.sadd(self.workers, self.worker)
        pipe.execute()

    def pop(self) -> tuple[bytes, str] | None:
        self._token += 1
        token = f"{self._token}"
        data = self._pop(keys=[self.queue, self.inflight_key(self.worker)], args=[self.alive, self.ttl_ms, token])
        return (data, token) if data is not None else None

    def ack(self, token: str) -> None:
        self.r.hdel(self.inflight_key(self.worker), token)

    def recover_dead(self) -> int:
        """Move the in-flight requests of dead workers back to the queue; forget workers with nothing left."""
        moved = 0
        for raw in self.r.smembers(self.workers):
            other = raw.decode()
            if other == self.worker:
                continue
            n = int(self._recover(keys=[self.queue, self.inflight_key(other), alive_key(self.prefix, other)]))
            if n >= 0:
                self.r.srem(self.workers, other)
                if n:
                    log.warning("worker %s is gone: %d of its requests are back in the queue", other, n)
                moved += max(n, 0)
        return moved

    def requeue_own(self) -> int:
        """A worker that stops puts its unfinished requests back (its alive key is deleted first)."""
        self.r.delete(self.alive)
        n = int(self._recover(keys=[self.queue, self.inflight_key(self.worker), self.alive]))
        self.r.srem(self.workers, self.worker)
        return max(n, 0)

    def pending(self) -> int:
        """Requests queued or in flight anywhere in the crawl."""
        count = int(self.r.zcard(self.queue))
        for raw in self.r.smembers(self.workers):
            count += int(self.r.hlen(self.inflight_key(raw.decode())))
        return count

    def seeding_done(self) -> bool:
        """No worker is queueing start requests: seeding finished (or the crawl was finished and cleared by
        another worker), or the seeder died (the next idle worker to start takes its lock over)."""
        holder = self.r.get(self.seed_key)
        return holder is None or holder == b"done" or not self.r.exists(alive_key(self.prefix, holder.decode()))

    def try_seed(self) -> bool:
        return bool(self._seed(keys=[self.seed_key], args=[self.worker, self.alive, f"{self.prefix}:alive:",
                                                             self.ttl_ms]))

    def seeded(self) -> None:
        self.r.set(self.seed_key, "done")

    def finish(self) -> None:
        """The crawl is over: its fingerprints and seed lock go, so the next crawl starts afresh."""
        self.r.delete(self.dupefilter, self.seed_key)

    def take_slot(self, host: str, interval: float) -> float:
        """0 when this worker may request `host` now (the slot is taken); else seconds to wait and try again."""
        return int(self._take(keys=[self.polite + host], args=[int(interval * 1000)])) / 1000.0


def frontier_of(crawler, spider=None) -> Frontier | None:
    if not crawler.settings.get("PARTYNEWS_REDIS_URL"):
        return None
    frontier = getattr(crawler, "_partynews_frontier", None)
    if frontier is None:
        frontier = Frontier(crawler, spider or crawler.spider)
        crawler._partynews_frontier = frontier
    return frontier


# --------------------------------------------------------------------------------------------- scheduler

class InflightPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop files the request under this worker's in-flight hash."""

    frontier: Frontier

    def pop(self, timeout=0):
        popped = self.frontier.pop()
        if popped is None:
            return None
        data, token = popped
        request = self._decode_request(data)
        request.meta[TOKEN] = token
        return request


class Scheduler(_RedisScheduler):
    """scrapy-redis's scheduler on the crawl's keys, with in-flight tracking (see the module's doc)."""

    @classmethod
    def from_crawler(cls, crawler):
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        return instance

    def open(self, spider):
        frontier = frontier_of(self.crawler, spider)
        self.frontier = frontier
        self.queue_key = frontier.queue
        self.queue_cls = "crawler.redis_frontier.InflightPriorityQueue"
        self.df = RFPDupeFilter(self.server, key=frontier.dupefilter,
                                debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        InflightPriorityQueue.frontier = frontier
        frontier.heartbeat()
        result = super().open(spider)
        self._wrap_engine_slot()
        return result

    def _wrap_engine_slot(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is None or not hasattr(slot, "remove_request"):
            raise RuntimeError("partynews --redis: this Scrapy's engine has no slot.remove_request to hook")
        remove = slot.remove_request
        frontier = self.frontier

        def remove_request(request):
            token = request.meta.get(TOKEN)
            try:
                if token is not None:
                    frontier.ack(token)
            finally:
                remove(request)

        slot.remove_request = remove_request

    def has_pending_requests(self):
        return len(self) > 0

    # scrapy-redis 0.9 passes spider= to the stats, deprecated in Scrapy 2.19
    def enqueue_request(self, request):
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self):
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def close(self, reason):
        # SCHEDULER_PERSIST: the queue stays; this worker's unfinished requests go back to it
        n = self.frontier.requeue_own()
        if n:
            log.info("put %d unfinished requests back in the shared queue", n)
        return super().close(reason)


# --------------------------------------------------------------------------------------------- the worker

class RedisWorker:
    """Heartbeat, recovery of dead workers' requests, and when to stop (extension)."""

    def __init__(self, crawler):
        if not crawler.settings.get("PARTYNEWS_REDIS_URL"):
            raise NotConfigured
        self.crawler = crawler
        self.loop = None
        self.idle_since: float | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider):
        from twisted.internet import task

        self.frontier = frontier_of(self.crawler, spider)
        self.frontier.heartbeat()
        self.crawler.stats.set_value("partynews/redis/worker", self.frontier.worker)
        self.crawler.stats.set_value("partynews/redis/crawl", self.frontier.crawl)
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(min(1.0, self.frontier.ttl / 3), now=False)

    def beat(self):
        try:
            self.frontier.heartbeat()
            moved = self.frontier.recover_dead()
            if moved:
                self.crawler.stats.inc_value("partynews/redis/recovered", moved)
            engine = self.crawler.engine
            slot = getattr(engine, "_slot", None)
            if slot is not None and slot.closing is None:
                slot.nextcall.schedule()      # requests queued by other workers, or time to stop: not in 5 s
        except Exception:  # noqa: BLE001 (Redis briefly unreachable: the next beat tries again)
            log.exception("redis heartbeat failed")

    def idle(self, spider):
        frontier = self.frontier
        holder = frontier.r.get(frontier.seed_key)
        if holder not in (None, b"done") and not frontier.r.exists(alive_key(frontier.prefix, holder.decode())) \
                and frontier.try_seed():
            # the seeding worker died before it had queued every start request: this one does it again
            log.warning("the worker seeding the crawl (%s) is gone: seeding it again", holder.decode())
            for request in spider._start_requests():
                self.crawler.engine.crawl(request)
            frontier.seeded()
            raise DontCloseSpider
        if frontier.pending() or not frontier.seeding_done():
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < frontier.idle_close:
            raise DontCloseSpider
        self._finished = True

    def closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        frontier = self.frontier
        if reason == "finished" and getattr(self, "_finished", False) and not frontier.pending():
            frontier.finish()
        frontier.r.delete(frontier.alive)


class RedisPoliteness:
    """One request per `PARTYNEWS_REDIS_DOMAIN_INTERVAL` (default `DOWNLOAD_DELAY`) seconds per host across all
    workers (downloader middleware, last before the download): a request takes its host's slot in Redis when the
    slot is free and goes out at once, or waits until it frees and tries again. Within a worker, one request per
    host at a time tries (a local lock), so Redis sees one attempt per worker and interval, not one per queued
    request."""

    def __init__(self, crawler):
        if not crawler.settings.get("PARTYNEWS_REDIS_URL"):
            raise NotConfigured
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("PARTYNEWS_REDIS_DOMAIN_INTERVAL")   # set by RedisAddon
        self.locks: dict = {}           # host -> DeferredLock; dropped when nobody waits on it

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        if self.interval <= 0:
            return None
        from twisted.internet import reactor
        from twisted.internet.defer import DeferredLock
        from twisted.internet.task import deferLater
        from scrapy.utils.defer import maybe_deferred_to_future

        host = urlsplit(request.url).netloc.lower()
        lock = self.locks.setdefault(host, DeferredLock())
        await maybe_deferred_to_future(lock.acquire())
        try:
            frontier = frontier_of(self.crawler)
            while (wait := frontier.take_slot(host, self.interval)) > 0:
                self.crawler.stats.inc_value("partynews/redis/politeness_waits")
                await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        finally:
            lock.release()
            if not lock.locked and not lock.waiting:
                self.locks.pop(host, None)
        return None


class ClaimPipeline:
    """Between the state step and the writer: a record is written only by the worker that claims its article
    in Redis (pipelines/state_redis.py); another worker's copy is dropped as `written_elsewhere`."""

    def __init__(self, crawler):
        if not crawler.settings.get("PARTYNEWS_REDIS_URL"):
            raise NotConfigured
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, record, spider=None):
        from pipelines.state_access import state_of

        state = state_of(self.crawler)
        if state.claim(record) > 0:
            return record
        stats = self.crawler.stats
        stats.inc_value("partynews/dropped/written_elsewhere")
        if record.get("site"):
            stats.inc_value(f"partynews/site/{record['site']}/dropped/written_elsewhere")
        raise DropItem(f"written_elsewhere: {record.get('url')} (another worker wrote article {record['id']})")


class RedisAddon:
    """Scrapy add-on (ADDONS): turns a crawl into a worker of a shared Redis crawl when PARTYNEWS_REDIS_URL is
    set; otherwise changes nothing."""

    def update_settings(self, settings):
        url = settings.get("PARTYNEWS_REDIS_URL")
        if not url:
            return
        prio = "addon"
        settings.set("SCHEDULER", "crawler.redis_frontier.Scheduler", priority=prio)
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority=prio)
        settings.set("SCHEDULER_QUEUE_CLASS", "crawler.redis_frontier.InflightPriorityQueue", priority=prio)
        settings.set("SCHEDULER_PERSIST", True, priority=prio)
        settings.set("SCHEDULER_FLUSH_ON_START", False, priority=prio)
        settings.set("SCHEDULER_IDLE_BEFORE_CLOSE", 0, priority=prio)   # never block the reactor in a pop
        settings.set("REDIS_URL", url, priority=prio)
        # politeness: the Redis lease (RedisPoliteness) spaces a host's requests across all workers; a local
        # delay after the lease would bunch them again, so the lease replaces DOWNLOAD_DELAY and AutoThrottle
        interval = settings.get("PARTYNEWS_REDIS_DOMAIN_INTERVAL")
        if interval in (None, ""):
            interval = settings.getfloat("DOWNLOAD_DELAY")
            settings.set("PARTYNEWS_REDIS_DOMAIN_INTERVAL", interval, priority=50)
        if float(interval) > 0:
            settings.set("DOWNLOAD_DELAY", 0, priority=50)
            settings.set("AUTOTHROTTLE_ENABLED", False, priority=50)
        settings["DOWNLOADER_MIDDLEWARES"]["crawler.redis_frontier.RedisPoliteness"] = 940
        settings["ITEM_PIPELINES"]["crawler.redis_frontier.ClaimPipeline"] = 450
        settings["EXTENSIONS"]["crawler.redis_frontier.RedisWorker"] = 800


def seed_gate(crawler):
    """For the spider's start(): None without Redis; else the crawl's Frontier, whose `try_seed()` says whether
    this worker queues the start requests (and `seeded()` says it has)."""
    return frontier_of(crawler)
