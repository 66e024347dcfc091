"""The one crawl-state store of a crawl, shared by the spider (is this link a known article?) and the item
pipelines (new, changed or unchanged?), opened on first use and closed when the engine stops."""
from __future__ import annotations

from scrapy import signals

from .run_context import state_path_of
from .state import ReplayState, SQLiteState, StateStore, lock_state
from .warc_archive import read_priors


def state_of(crawler) -> StateStore:
    store = getattr(crawler, "_partynews_state", None)
    if store is None:
        replay = crawler.settings.get("PARTYNEWS_REPLAY_RUN")
        if replay:
            store = ReplayState(read_priors(replay))
        elif crawler.settings.get("PARTYNEWS_REDIS_URL"):
            # several workers share one crawl (`partynews crawl --redis`): no file lock, atomic writes in Redis
            from .state_redis import RedisState, connect, redis_settings, worker_id_of

            url, prefix, ttl = redis_settings(crawler.settings)
            store = RedisState(connect(url), prefix=prefix, worker_id=worker_id_of(crawler), worker_ttl=ttl)
        else:
            path = state_path_of(crawler)
            lock_state(path)          # `partynews crawl` took it already; `scrapy crawl` takes it here
            store = SQLiteState(path, batch=crawler.settings.getint("PARTYNEWS_STATE_BATCH", 1),
                                batch_seconds=crawler.settings.getfloat("PARTYNEWS_STATE_BATCH_SECONDS", 2.0))
        crawler._partynews_state = store

        def close() -> None:
            if getattr(crawler, "_partynews_state", None) is store:
                store.close()
                crawler._partynews_state = None

        crawler._partynews_state_close = close        # the signal holds a weak reference: keep it alive
        crawler.signals.connect(close, signal=signals.engine_stopped)
    return store


def dedup_store_of(crawler, threshold: float):
    """The near-duplicate index's store (pipelines/near_dup.py): in the state SQLite file, or in Redis when the
    crawl's state is there (PARTYNEWS_REDIS_URL)."""
    from . import near_dup

    if crawler.settings.get("PARTYNEWS_REDIS_URL") and not crawler.settings.get("PARTYNEWS_REPLAY_RUN"):
        from .state_redis import RedisDedupStore, connect, redis_settings

        url, prefix, _ = redis_settings(crawler.settings)
        return RedisDedupStore(connect(url), prefix=prefix, threshold=threshold)
    state = state_of(crawler) if not crawler.settings.get("PARTYNEWS_REPLAY_RUN") else None
    if isinstance(state, SQLiteState) and state.writes.size > 1:
        # the same file: one connection, so that the batched writes of both share one transaction
        return near_dup.SQLiteDedupStore(state.path, threshold=threshold, state=state)
    return near_dup.SQLiteDedupStore(state_path_of(crawler), threshold=threshold)
