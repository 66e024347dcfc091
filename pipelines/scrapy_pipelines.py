"""Scrapy item pipelines: thin adapters around the cleaning core, each counting what it kept and dropped.

Usable one by one in another Scrapy project: ExtractPipeline expects items with url, status, headers,
body, site (dict or None) and fetched_at (see crawler.items.PageItem).
"""
from __future__ import annotations

import json
import os

from scrapy.exceptions import DropItem

from .core import CleanOptions, clean_page, dedup_key
from .record import build_record, utc_now, validation_errors
from .run_context import run_dir_of, run_id_of, state_path_of
from .site import SiteInfo
from .state import SQLiteState


def _count_drop(stats, item_site: str | None, reason: str) -> None:
    stats.inc_value(f"partynews/dropped/{reason}")
    if item_site:
        stats.inc_value(f"partynews/site/{item_site}/dropped/{reason}")


def _state_of(crawler) -> SQLiteState:
    if getattr(crawler, "_partynews_state", None) is None:
        crawler._partynews_state = SQLiteState(state_path_of(crawler))
    return crawler._partynews_state


class _Base:
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
        raise DropItem(f"{reason}: {record_or_item.get('url')} {detail}".strip())


class ExtractPipeline(_Base):
    """Raw page -> clean record (or a counted drop)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.options = CleanOptions(
            min_words=settings.getint("PARTYNEWS_MIN_WORDS", 60),
            fold_tone_marks=settings.getbool("PARTYNEWS_FOLD_TONE_MARKS", False),
        )
        self.run_id = run_id_of(crawler)

    def process_item(self, item, spider=None):
        site = SiteInfo.from_mapping(item.get("site"))
        status = int(item.get("status") or 200)
        if status >= 300:
            self.drop(item, "http_status", str(status))
        result = clean_page(item["body"], item["url"], item.get("headers"), site, self.options)
        if not result.ok:
            self.drop(item, result.drop_reason, result.detail or "")
        record = build_record(result.record, url=item["url"], site=site, http_status=status, run_id=self.run_id,
                              fetched_at=item.get("fetched_at"))
        self.stats.inc_value("partynews/extracted")
        return record


class DedupPipeline(_Base):
    """One record per canonical URL and per text within a run."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.ids: set[str] = set()
        self.texts: set[str] = set()

    def process_item(self, record, spider=None):
        if record["id"] in self.ids:
            self.drop(record, "duplicate", "same canonical URL")
        key = dedup_key(record["text"])
        if key in self.texts:
            self.drop(record, "duplicate", "same text")
        self.ids.add(record["id"])
        self.texts.add(key)
        return record


class ValidatePipeline(_Base):
    """JSON Schema validation; an invalid record is a bug, reported and never written."""

    def process_item(self, record, spider=None):
        errors = validation_errors(record)
        if errors:
            self.crawler.spider.logger.error("invalid record %s: %s", record.get("url"), "; ".join(errors[:5]))
            self.drop(record, "invalid", "; ".join(errors[:3]))
        return record


class StatePipeline(_Base):
    """Across runs: an unchanged article is not written again; a changed one is a new revision."""

    def open_spider(self, spider=None):
        self.state = _state_of(self.crawler)

    def process_item(self, record, spider=None):
        known = self.state.get(record["id"])
        if known is None:
            self.stats.inc_value("partynews/articles/new")
            return record
        if known.content_hash == record["content_hash"]:
            self.state.touch(record["id"], utc_now())
            self.stats.inc_value("partynews/articles/unchanged")
            site = record.get("site")
            if site:
                self.stats.inc_value(f"partynews/site/{site}/unchanged")
            raise DropItem(f"unchanged: {record['url']}")
        record["revision"] = known.revision + 1
        record["previous_content_hash"] = known.content_hash
        self.stats.inc_value("partynews/articles/updated")
        return record


class JsonlWriterPipeline(_Base):
    """Appends each record as one line to <run>/articles.jsonl.part, flushed line by line, and renames the
    file to articles.jsonl when the run closes; a line is in the file before the state store records it,
    so a killed run never marks an article as written that is not."""

    def open_spider(self, spider=None):
        self.dir = run_dir_of(self.crawler)
        self.part = self.dir / "articles.jsonl.part"
        self.final = self.dir / "articles.jsonl"
        self.fh = open(self.part, "a", encoding="utf-8")
        self.state = _state_of(self.crawler)

    def process_item(self, record, spider=None):
        self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.fh.flush()
        self.state.put(record, record["fetched_at"])
        self.stats.inc_value("partynews/written")
        if record.get("site"):
            self.stats.inc_value(f"partynews/site/{record['site']}/written")
        return record

    def close_spider(self, spider=None):
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.part, self.final)
        state = getattr(self.crawler, "_partynews_state", None)
        if state is not None:
            state.close()
            self.crawler._partynews_state = None

