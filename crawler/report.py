"""The run report: report.json next to the records (machine-readable) and its human summary."""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals

from pipelines.run_context import run_dir_of, run_id_of

_SITE_PREFIX = "partynews/site/"


def _iso(value) -> str | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _site_entry() -> dict:
    return {"pages_fetched": 0, "listing_pages": 0, "written": 0, "new": 0, "updated": 0, "unchanged": 0,
            "not_modified": 0, "skipped_known": 0, "dropped": {}, "errors": 0, "errors_by_kind": {}, "http_errors": 0,
            "duration_seconds": None}


def build_report(stats: dict, *, run_id: str, reason: str, run_dir: Path, site_keys: list[str],
                 files: dict | None = None, resumed: dict | None = None) -> dict:
    sites: dict[str, dict] = {key: _site_entry() for key in site_keys}
    dropped: dict[str, int] = {}
    errors: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith(_SITE_PREFIX):
            site, _, counter = key[len(_SITE_PREFIX):].partition("/")
            entry = sites.setdefault(site, _site_entry())
            if counter.startswith("dropped/"):
                entry["dropped"][counter[len("dropped/"):]] = value
            elif counter.startswith("errors/"):
                entry["errors_by_kind"][counter[len("errors/"):]] = value
            elif counter in ("first_response", "last_response"):
                entry[counter] = value
            else:
                entry[counter] = value
        elif key.startswith("partynews/dropped/"):
            dropped[key[len("partynews/dropped/"):]] = value
        elif key.startswith("partynews/errors/"):
            errors[key[len("partynews/errors/"):]] = value
        elif key.startswith("partynews/skipped/"):
            skipped[key[len("partynews/skipped/"):]] = value
    for entry in sites.values():
        first, last = entry.pop("first_response", None), entry.pop("last_response", None)
        if first is not None and last is not None:
            entry["duration_seconds"] = round(last - first, 3)
        entry["dropped"] = dict(sorted(entry["dropped"].items()))
    resumed = resumed or {}
    started, finished = stats.get("start_time"), stats.get("finish_time") or datetime.now(timezone.utc)
    duration = (finished - started).total_seconds() if isinstance(started, datetime) and isinstance(finished, datetime) else None
    statuses = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("downloader/response_status_count/")}
    return {
        "run_id": run_id,
        "finish_reason": reason,
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "duration_seconds": round(duration, 3) if duration is not None else None,
        "totals": {
            "requests": stats.get("downloader/request_count", 0),
            "responses": stats.get("downloader/response_count", 0),
            "bytes": stats.get("downloader/response_bytes", 0),
            "articles_extracted": stats.get("partynews/extracted", 0),
            "written": stats.get("partynews/written", 0) + resumed.get("written", 0),
            "new": stats.get("partynews/articles/new", 0),
            "updated": stats.get("partynews/articles/updated", 0),
            "unchanged": stats.get("partynews/articles/unchanged", 0),
            "not_modified": stats.get("partynews/articles/not_modified", 0),
            "skipped_known": stats.get("partynews/articles/skipped_known", 0),
            "near_duplicates_flagged": stats.get("partynews/dedup/near_duplicate_flagged", 0),
            "duplicates_of_earlier_runs": stats.get("partynews/dedup/linked_to_earlier_run", 0),
            "dropped": sum(dropped.values()),
        },
        "dropped": dict(sorted(dropped.items())),
        "errors": dict(sorted(errors.items())),
        "skipped": dict(sorted(skipped.items())),
        "http_status": dict(sorted(statuses.items())),
        "retries": _retries(stats),
        "sites": dict(sorted(sites.items())),
        "resumed": resumed or None,
        "files": {"articles": str(run_dir / "articles.jsonl"), "report": str(run_dir / "report.json"), **(files or {})},
    }


def _retries(stats: dict) -> dict:
    """Scrapy's RetryMiddleware counters: attempts repeated, by reason, and requests that ran out of retries
    (those end under `errors`); plus Retry-After waits honoured and refused as too long."""
    reasons = {k[len("retry/reason_count/"):]: v for k, v in stats.items() if k.startswith("retry/reason_count/")}
    return {
        "count": stats.get("retry/count", 0),
        "gave_up": stats.get("retry/max_reached", 0),
        "by_reason": dict(sorted(reasons.items())),
        "retry_after_waited": stats.get("partynews/retry_after/waited", 0),
        "retry_after_too_long": stats.get("partynews/retry_after/too_long", 0),
    }


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def format_summary(report: dict) -> str:
    t = report["totals"]
    lines = [
        f"run {report['run_id']}: {report['finish_reason']} in {report.get('duration_seconds') or 0:.1f}s",
        f"  {t['responses']} pages fetched, {t['articles_extracted']} articles extracted, {t['written']} written "
        f"({t['new']} new, {t['updated']} updated), {t['unchanged']} unchanged, "
        f"{t.get('not_modified', 0)} not modified (304), {t.get('skipped_known', 0)} known and not fetched, "
        f"{t['dropped']} dropped",
    ]
    if report["dropped"]:
        lines.append("  dropped: " + ", ".join(f"{k} {v}" for k, v in report["dropped"].items()))
    if report["errors"]:
        lines.append("  errors: " + ", ".join(f"{k} {v}" for k, v in report["errors"].items()))
    if report["skipped"]:
        lines.append("  skipped: " + ", ".join(f"{k} {v}" for k, v in report["skipped"].items()))
    width = max((len(k) for k in report["sites"]), default=4)
    lines.append(f"  {'site':<{width}}  fetched  new  updated  unchanged  known  dropped  errors  seconds")
    for key, s in report["sites"].items():
        seconds = s.get("duration_seconds")
        lines.append(f"  {key:<{width}}  {s.get('pages_fetched', 0):>7}  {s.get('new', 0):>3}  {s.get('updated', 0):>7}  "
                     f"{s.get('unchanged', 0) + s.get('not_modified', 0):>9}  {s.get('skipped_known', 0):>5}  "
                     f"{sum(s.get('dropped', {}).values()):>7}  {s.get('errors', 0):>6}  "
                     f"{'' if seconds is None else f'{seconds:.1f}':>7}")
    lines.append(f"  records: {report['files']['articles']}")
    lines.append(f"  report:  {report['files']['report']}")
    return "\n".join(lines)


class RunReport:
    """Writes report.json when the spider closes (after the pipelines have closed their files)."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_closed(self, spider, reason):
        run_dir = run_dir_of(self.crawler)
        stats = dict(self.crawler.stats.get_stats())
        stats.setdefault("finish_time", datetime.now(timezone.utc))
        keys = [s.key for s in getattr(spider, "sites", [])]
        files = {}
        for name in ("articles.jsonl.gz", "articles.jsonl"):
            if (run_dir / name).exists():
                files["articles"] = str(run_dir / name)
                break
        if (run_dir / "pages.warc.gz").exists():
            files["warc"] = str(run_dir / "pages.warc.gz")
        resumed = getattr(self.crawler, "_partynews_resumed", None)
        report = build_report(stats, run_id=run_id_of(self.crawler), reason=reason, run_dir=run_dir, site_keys=keys,
                              files=files, resumed=resumed)
        write_json_atomic(run_dir / "report.json", report)
        if reason == "finished":
            point_latest(run_dir)
        self.crawler._partynews_report = report
        if self.crawler.settings.getbool("PARTYNEWS_STATUS_PAGE", True):
            try:  # <run>/status.html over every run of the folder; a convenience that never fails the run
                from crawler.status_page import write_after_run

                write_after_run(run_dir)
            except Exception:
                logging.getLogger(__name__).exception("could not write the status page in %s", run_dir)


def point_latest(run_dir: Path) -> None:
    """<out>/latest -> the run folder, swapped atomically, only once the run is complete."""
    link = run_dir.parent / "latest"
    tmp = run_dir.parent / f".latest.{os.getpid()}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(run_dir.name, tmp)
    os.replace(tmp, link)
