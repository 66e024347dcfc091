"""Scrapy item pipelines: thin adapters around the cleaning core, each counting what it kept and dropped.

Usable one by one in another Scrapy project: ExtractPipeline expects items with url, status, headers,
body, site (dict or None) and fetched_at (see crawler.items.PageItem).
"""
from __future__ import annotations

import gzip
import json
import os

from scrapy import signals
from scrapy.exceptions import DropItem

from . import extract_pool, near_dup, prepared
from .core import CleanOptions
from .record import build_record, json_digest, public_fields, utc_now, validation_errors
from .run_context import run_dir_of, run_id_of
from .site import SiteInfo
from .state_access import dedup_store_of, state_of
from .warc_archive import WarcArchive


def _count_drop(stats, item_site: str | None, reason: str) -> None:
    stats.inc_value(f"partynews/dropped/{reason}")
    if item_site:
        stats.inc_value(f"partynews/site/{item_site}/dropped/{reason}")


def _fetch_info(item) -> dict:
    headers = {k.lower(): v for k, v in (item.get("headers") or {}).items()}
    return {"etag": headers.get("etag"), "last_modified": headers.get("last-modified"),
            "urls": tuple(u for u in (item.get("url"), item.get("requested_url")) if u)}


# drops that say nothing lasting about the page: it is fetched again next run
_TRANSIENT_DROPS = {"http_status", "invalid", "bot_challenge", "error_page", "extract_crashed", "extract_timeout"}


class _Base:
    remember_drops = False      # the page's URL is noted in the state, and not fetched again for a while

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def drop(self, record_or_item, reason: str, detail: str = ""):
        site = record_or_item.get("site")
        key = site.get("key") if isinstance(site, dict) else site
        _count_drop(self.stats, key, reason)
        if self.remember_drops and reason not in _TRANSIENT_DROPS:
            urls = (record_or_item.get("url"), record_or_item.get("requested_url"),
                    *((record_or_item.get("_fetch") or {}).get("urls") or ()))
            state_of(self.crawler).note_dropped(urls, reason, utc_now())
        raise DropItem(f"{reason}: {record_or_item.get('url')} {detail}".strip())


class ExtractPipeline(_Base):
    """Raw page -> clean record (or a counted drop)."""
    remember_drops = True

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.options = CleanOptions(
            min_words=settings.getint("PARTYNEWS_MIN_WORDS", 60),
            fold_tone_marks=settings.getbool("PARTYNEWS_FOLD_TONE_MARKS", False),
        )
        self.run_id = run_id_of(crawler)
        # extraction runs in a pool of worker processes (pipelines/extract_pool.py), or inline with 0 workers
        function = settings.get("PARTYNEWS_EXTRACT_FUNCTION") or extract_pool.DEFAULT_FUNCTION
        self.clean = extract_pool.load_function(function)
        workers = settings.get("PARTYNEWS_EXTRACT_WORKERS")
        workers = extract_pool.usable_cores() if workers in (None, "") else int(workers)
        self.pool = extract_pool.ExtractPool(
            workers, timeout=settings.getfloat("PARTYNEWS_EXTRACT_TIMEOUT", 60.0),
            max_pending=settings.getint("PARTYNEWS_EXTRACT_MAX_PENDING", 0) or None, function=function,
            max_tasks=settings.getint("PARTYNEWS_EXTRACT_MAX_TASKS", 0)) if workers > 0 else None
        self.stats.set_value("partynews/extract/workers", workers)
        self._prepare: tuple[bool, bool] | None = None

    def _prepared_for(self) -> tuple[bool, bool]:
        """(dedup, validate): whether the worker should prepare the near-duplicate inputs and the validation,
        i.e. whether this crawl's pipelines include the steps that read them (pipelines/prepared.py)."""
        if self._prepare is None:
            engine = getattr(self.crawler, "engine", None)
            scraper = getattr(engine, "scraper", None)
            steps = getattr(getattr(scraper, "itemproc", None), "middlewares", ())
            self._prepare = (any(isinstance(s, DedupPipeline) for s in steps),
                             any(isinstance(s, ValidatePipeline) for s in steps))
        return self._prepare

    def close_spider(self, spider=None):
        if self.pool is not None:
            self.stats.set_value("partynews/extract/max_in_flight", self.pool.max_in_flight)
            self.pool.close()
            self.pool = None

    async def process_item(self, item, spider=None):
        site = SiteInfo.from_mapping(item.get("site"))
        status = int(item.get("status") or 200)
        if status >= 300:
            self.drop(item, "http_status", str(status))
        build = {"url": item["url"], "site": site, "http_status": status, "run_id": self.run_id,
                 "fetched_at": item.get("fetched_at") or utc_now()}
        if self.pool is None:
            result = self.clean(item["body"], item["url"], item.get("headers"), site, self.options)
        else:
            # the record is built, and what later steps need of it computed, in the worker: off this thread
            dedup, validate = self._prepared_for()
            finish = {"build": build, "dedup": dedup, "validate": validate}
            result = await self.pool.clean(item["body"], item["url"], item.get("headers"), site, self.options,
                                           finish=finish)
        if not result.ok:
            self.drop(item, result.drop_reason, result.detail or "")
        record = build_record(result.record, **build) if self.pool is None else result.record
        record["_fetch"] = _fetch_info(item)
        self.stats.inc_value("partynews/extracted")
        return record


class DedupPipeline(_Base):
    """One record per canonical URL within a run, and one per text across runs and sites (pipelines/near_dup.py).

    An exact copy (same normalised text, another record id) is counted as dropped `duplicate` and its URL is
    linked to the kept record: in `crawler._partynews_duplicate_urls` when the kept record is in this run (the
    writer merges them into its `duplicate_urls`), and in the state file's `dedup_links` table always. A near
    copy (MinHash Jaccard >= PARTYNEWS_NEAR_DUP_THRESHOLD with a record indexed before it) gets
    `near_duplicate_of`, or is dropped as `near_duplicate` with PARTYNEWS_NEAR_DUP_ACTION=drop. A record's
    text key and signature are stored once it has been written (signal item_scraped)."""
    remember_drops = True

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.threshold = settings.getfloat("PARTYNEWS_NEAR_DUP_THRESHOLD", near_dup.DEFAULT_THRESHOLD)
        self.action = (settings.get("PARTYNEWS_NEAR_DUP_ACTION") or "flag").strip().lower()
        if self.action not in ("flag", "drop"):
            raise ValueError(f"PARTYNEWS_NEAR_DUP_ACTION must be 'flag' or 'drop', not {self.action!r}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"PARTYNEWS_NEAR_DUP_THRESHOLD must be in (0, 1], not {self.threshold}")
        self.run_id = run_id_of(crawler)
        self.ids: set[str] = set()
        self.in_flight: dict[str, str] = {}          # fetched URL -> record id, until written or dropped
        self.store = None
        self.dedup = None
        crawler._partynews_duplicate_urls = {}
        crawler.signals.connect(self._written, signal=signals.item_scraped)
        crawler.signals.connect(self._not_written, signal=signals.item_dropped)
        crawler.signals.connect(self._not_written, signal=signals.item_error)

    def open_spider(self, spider=None):
        self.store = dedup_store_of(self.crawler, self.threshold)      # SQLite, or Redis with --redis
        self.dedup = near_dup.Deduplicator(self.store, self.store, self.store.hasher, self.threshold)

    def close_spider(self, spider=None):
        if self.store is not None:
            self.store.close()
            self.store = None

    def process_item(self, record, spider=None):
        if record["id"] in self.ids:
            self.drop(record, "duplicate", "same canonical URL")
        key, signature = near_dup.prepared_inputs(record.pop(prepared.DEDUP, None), record["text"], self.dedup.hasher)
        verdict = self.dedup.check(record["id"], record["text"], self.run_id, key=key, signature=signature)
        url = record["canonical_url"]
        if verdict.kind == "exact":
            self.store.link(verdict.kept_id, url, "exact", 1.0, self.run_id)
            if verdict.kept_run_id == self.run_id:
                urls = self.crawler._partynews_duplicate_urls.setdefault(verdict.kept_id, [])
                if url not in urls:
                    urls.append(url)
            else:
                self.stats.inc_value("partynews/dedup/linked_to_earlier_run")
            self.drop(record, "duplicate", f"same text as {verdict.kept_id}")
        if verdict.kind == "near":
            if self.action == "drop":
                self.store.link(verdict.kept_id, url, "near", verdict.similarity, self.run_id)
                self.drop(record, "near_duplicate", f"{verdict.similarity:.2f} like {verdict.kept_id}")
            record["near_duplicate_of"] = verdict.kept_id
            self.stats.inc_value("partynews/dedup/near_duplicate_flagged")
        self.ids.add(record["id"])
        self.in_flight[record["url"]] = record["id"]
        self.dedup.hold(record["id"], verdict, self.run_id)
        return record

    def _written(self, item, response=None, spider=None):
        if isinstance(item, dict) and item.get("id") and self.dedup is not None:
            self.in_flight.pop(item.get("url"), None)
            self.dedup.written(item["id"], item["canonical_url"], item.get("near_duplicate_of"), self.run_id)

    def _not_written(self, item, response=None, spider=None, **kwargs):
        record_id = self.in_flight.pop(item.get("url"), None) if hasattr(item, "get") else None
        if record_id is not None and self.dedup is not None:
            self.dedup.forget(record_id)


class ValidatePipeline(_Base):
    """JSON Schema validation; an invalid record is a bug, reported and never written."""

    def process_item(self, record, spider=None):
        done = record.pop(prepared.VALIDATION, None)        # made in the extraction worker, if it was
        public = public_fields(record)
        errors = done[1] if done is not None and done[0] == json_digest(public) else validation_errors(public)
        if errors:
            self.crawler.spider.logger.error("invalid record %s: %s", record.get("url"), "; ".join(errors[:5]))
            self.drop(record, "invalid", "; ".join(errors[:3]))
        return record


class WarcArchivePipeline(_Base):
    """Archives every page handed to the pipelines, raw, in the run's WARC file (before anything can drop it)."""

    def open_spider(self, spider=None):
        enabled = self.crawler.settings.getbool("PARTYNEWS_WARC", True)
        self.archive = WarcArchive(run_dir_of(self.crawler)) if enabled else None
        self.crawler._partynews_warc = self.archive

    def process_item(self, item, spider=None):
        if self.archive is not None:
            self.archive.write_page(item)
        return item

    def close_spider(self, spider=None):
        if self.archive is not None:
            self.archive.close()
        self.crawler._partynews_warc = None


class StatePipeline(_Base):
    """Across runs: an unchanged article is not written again; a changed one is a new revision."""

    def open_spider(self, spider=None):
        self.state = state_of(self.crawler)

    def process_item(self, record, spider=None):
        known = self.state.get(record["id"])
        archive = getattr(self.crawler, "_partynews_warc", None)
        if archive is not None:
            prior = {"revision": known.revision, "content_hash": known.content_hash} if known else None
            archive.write_prior(record["url"], record["id"], prior)
        site = record.get("site")
        if known is None:
            self.stats.inc_value("partynews/articles/new")
            if site:
                self.stats.inc_value(f"partynews/site/{site}/new")
            return record
        if known.content_hash == record["content_hash"]:
            fetch = record.get("_fetch") or {}
            self.state.touch(record["id"], utc_now(), etag=fetch.get("etag"), last_modified=fetch.get("last_modified"),
                             urls=fetch.get("urls") or ())
            self.stats.inc_value("partynews/articles/unchanged")
            if site:
                self.stats.inc_value(f"partynews/site/{site}/unchanged")
            raise DropItem(f"unchanged: {record['url']}")
        record["revision"] = known.revision + 1
        record["previous_content_hash"] = known.content_hash
        self.stats.inc_value("partynews/articles/updated")
        if site:
            self.stats.inc_value(f"partynews/site/{site}/updated")
        return record


class JsonlWriterPipeline(_Base):
    """Appends each record as one line to <run>/articles.jsonl.part (or .jsonl.gz.part with
    PARTYNEWS_GZIP), flushed line by line, and renames the file when the run closes; a line is in the file
    before the state store records it, so a killed run never marks an article as written that is not (and
    `--resume` reconciles the other way round). Links to later copies of a kept text
    (`crawler._partynews_duplicate_urls`, filled by the de-duplication step) are merged into the kept records
    when the run closes."""

    def open_spider(self, spider=None):
        self.dir = run_dir_of(self.crawler)
        name = "articles.jsonl.gz" if self.crawler.settings.getbool("PARTYNEWS_GZIP") else "articles.jsonl"
        self.final = self.dir / name
        self.part = self.dir / (name + ".part")
        # gzip: one member per run segment, flushed per line (a resumed run appends a member)
        self.fh = gzip.open(self.part, "at", encoding="utf-8") if name.endswith(".gz") else \
            open(self.part, "a", encoding="utf-8")
        self.state = state_of(self.crawler)

    def process_item(self, record, spider=None):
        fetch = record.get("_fetch") or {}
        public = public_fields(record)
        self.fh.write(json.dumps(public, ensure_ascii=False) + "\n")
        self.fh.flush()
        self.state.put(public, public["fetched_at"], etag=fetch.get("etag"), last_modified=fetch.get("last_modified"),
                       urls=fetch.get("urls") or ())
        self.stats.inc_value("partynews/written")
        if public.get("site"):
            self.stats.inc_value(f"partynews/site/{public['site']}/written")
        return record

    def close_spider(self, spider=None):
        self.fh.flush()
        if hasattr(self.fh, "fileobj") and self.fh.fileobj is not None:
            self.fh.fileobj.flush()
        self.fh.close()
        links = getattr(self.crawler, "_partynews_duplicate_urls", None) or {}
        if links:
            _merge_duplicate_urls(self.part, links)
        with open(self.part, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(self.part, self.final)


def _open_text(path, mode: str):
    return gzip.open(path, mode + "t", encoding="utf-8") if str(path).endswith((".gz", ".gz.part", ".gz.tmp")) \
        else open(path, mode, encoding="utf-8")


def _merge_duplicate_urls(part, links: dict[str, list[str]]) -> None:
    """Rewrite the run's records file line by line, adding the URLs of later copies to each kept record."""
    tmp = part.with_name(part.name.replace(".part", ".tmp"))
    with _open_text(part, "r") as src, _open_text(tmp, "w") as dst:
        for line in src:
            record = json.loads(line)
            extra = links.get(record["id"])
            if extra:
                record["duplicate_urls"] = sorted(set(record.get("duplicate_urls") or []) | set(extra))
                line = json.dumps(record, ensure_ascii=False) + "\n"
            dst.write(line)
    os.replace(tmp, part)
