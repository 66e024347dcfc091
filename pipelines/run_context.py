"""The run a Scrapy crawl writes: its id and folder, shared by the item pipelines and the report."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from pathlib import Path


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def run_id_of(crawler) -> str:
    run_id = crawler.settings.get("PARTYNEWS_RUN_ID")
    if run_id:
        return run_id
    if not hasattr(crawler, "_partynews_run_id"):
        crawler._partynews_run_id = new_run_id()
    return crawler._partynews_run_id


def run_dir_of(crawler) -> Path:
    path = Path(crawler.settings.get("PARTYNEWS_OUT") or "data") / run_id_of(crawler)
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_path_of(crawler) -> Path:
    configured = crawler.settings.get("PARTYNEWS_STATE")
    return Path(configured) if configured else Path(crawler.settings.get("PARTYNEWS_OUT") or "data") / "state.sqlite"
