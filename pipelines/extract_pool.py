"""Extraction off the Twisted reactor thread: a pool of worker processes running the cleaning core.

Extraction (HTML parsing and tree walking) is CPU work. Run inline in `ExtractPipeline.process_item` it
occupies the reactor thread, so a crawl is bound to one core. `ExtractPool` sends each page to one of N
worker processes (pebble's ProcessPool, started with `spawn`: a worker inherits nothing from the crawler and
loads the rules once, in its initializer) and hands the result back to the reactor as an awaitable.

* Back-pressure: at most `max_pending` pages are in the pool (queued or running). A page waiting for a slot
  keeps its response in Scrapy's scraper slot, whose size (SCRAPER_SLOT_MAX_ACTIVE_SIZE) makes the engine
  stop taking requests from the scheduler while it is full, so downloads slow down to what the pool cleans.
* A page whose worker dies (segfault, os._exit, out-of-memory kill) or runs past `timeout` seconds costs that
  page only: pebble replaces the worker and the page comes back as a drop with reason `extract_crashed` or
  `extract_timeout`. An exception raised by the cleaning function is re-raised, as it would be inline.

Settings (crawler/settings.py): PARTYNEWS_EXTRACT_WORKERS (default: the usable cores; 0 = inline),
PARTYNEWS_EXTRACT_TIMEOUT, PARTYNEWS_EXTRACT_MAX_PENDING, PARTYNEWS_EXTRACT_MAX_TASKS, PARTYNEWS_EXTRACT_FUNCTION.
"""
from __future__ import annotations

import importlib
import multiprocessing
import os
from concurrent.futures import CancelledError, TimeoutError as FutureTimeout
from typing import Callable

from pebble import ProcessExpired, ProcessPool
from twisted.internet import defer

from .core import CleanResult

DEFAULT_FUNCTION = "pipelines.core.clean_page"
CRASHED = "extract_crashed"
TIMED_OUT = "extract_timeout"

_function: Callable | None = None       # the cleaning function, in a worker process


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_function(path: str) -> Callable:
    """`package.module.function` -> the function."""
    module, _, name = path.rpartition(".")
    if not module:
        raise ValueError(f"not a dotted path to a function: {path!r}")
    return getattr(importlib.import_module(module), name)


_WARMUP = ("<html lang='vi'><head><title>Khởi động</title></head><body><article><h1>Hội nghị Ban Chấp hành</h1>"
           "<p>Sáng nay, Ban Chấp hành Đảng bộ tỉnh tổ chức hội nghị lần thứ mười lăm để thảo luận và cho ý kiến "
           "về các nội dung quan trọng của công tác xây dựng Đảng trong thời gian tới.</p></article></body></html>")


def _init_worker(path: str) -> None:
    """Once per worker: import the cleaning function and fill its caches (rules, family profiles, language
    model) on a small page, so the first real page is not slowed down (nor timed out) by loading them."""
    global _function
    _function = load_function(path)
    try:
        _function(_WARMUP.encode("utf-8"), "http://warmup.invalid/tin-tuc/khoi-dong-123.html",
                  {"Content-Type": "text/html; charset=utf-8"}, None, None)
    except Exception:  # noqa: BLE001 - a failing warm-up must not stop the worker; the real page reports it
        pass


def _clean_in_worker(body: bytes, url: str, headers, site, options, finish: dict | None = None) -> CleanResult:
    result = _function(body, url, headers, site, options)
    record = result.record
    if finish is not None and record is not None:
        from .prepared import finish as finish_record

        record = finish_record(record, **finish)
    # only what the item pipeline reads crosses the process boundary (not the dropped page's fields)
    return CleanResult(record=record, drop_reason=result.drop_reason, detail=result.detail)


class ExtractPool:
    """A pool of `workers` processes running `function` (a dotted path, default the cleaning core's
    `clean_page`) with a per-page `timeout` and at most `max_pending` pages in it. Use from the reactor thread."""

    def __init__(self, workers: int, timeout: float | None = 60.0, max_pending: int | None = None,
                 function: str = DEFAULT_FUNCTION, max_tasks: int = 0):
        if workers < 1:
            raise ValueError("an ExtractPool needs at least one worker")
        load_function(function)          # fail early, in the crawler, on a bad path
        self.workers = workers
        self.timeout = timeout if timeout and timeout > 0 else None
        self.max_pending = max(1, max_pending or 2 * workers)
        self._pool = ProcessPool(max_workers=workers, max_tasks=max_tasks, initializer=_init_worker,
                                 initargs=(function,), context=multiprocessing.get_context("spawn"))
        self._slots = defer.DeferredSemaphore(self.max_pending)
        self.in_flight = 0
        self.max_in_flight = 0

    async def clean(self, body: bytes, url: str, headers, site, options, finish: dict | None = None) -> CleanResult:
        """The cleaning function's result for one page, computed in a worker; a crashed or timed-out worker
        gives a drop (`extract_crashed`, `extract_timeout`). Waits for a slot while the pool is full. With
        `finish` (the arguments of pipelines.prepared.finish), the result's record is the full record, built and
        prepared in the worker."""
        from scrapy.utils.defer import maybe_deferred_to_future

        await maybe_deferred_to_future(self._slots.acquire())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            future = self._pool.schedule(_clean_in_worker, args=(body, url, headers, site, options, finish),
                                         timeout=self.timeout)
            done = await maybe_deferred_to_future(_deferred_of(future))
        finally:
            self.in_flight -= 1
            self._slots.release()
        try:
            return done.result()
        except FutureTimeout:
            return CleanResult(record=None, drop_reason=TIMED_OUT, detail=f"no result after {self.timeout:g} s")
        except ProcessExpired as exc:
            return CleanResult(record=None, drop_reason=CRASHED, detail=f"worker died (exit code {exc.exitcode})")
        except CancelledError:
            return CleanResult(record=None, drop_reason=CRASHED, detail="pool shut down")

    def close(self, wait: float = 30.0) -> None:
        """Stop the workers (at close_spider, when no page is left in the pool)."""
        self._pool.close()
        try:
            self._pool.join(timeout=wait)
        except TimeoutError:
            self._pool.stop()
            self._pool.join(timeout=wait)


def _deferred_of(future) -> defer.Deferred:
    """A Deferred fired on the reactor thread with the (done) future, whatever thread completes it."""
    from twisted.internet import reactor

    d: defer.Deferred = defer.Deferred()
    future.add_done_callback(lambda f: reactor.callFromThread(d.callback, f))
    return d
