"""End to end: the real `partynews crawl` (Scrapy engine, spider, item pipelines, writer, report) against
the gold sites served as live web sites on 127.0.0.x, compared with the gold records."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from crawler.cli import demo_registry_entry
from crawler.demo.server import find_packs, serve_packs
from gold_cases import GOLD
from pipelines.record import validation_errors

FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    with serve_packs(find_packs(GOLD)) as served:
        registry = tmp / "sites.yaml"
        registry.write_text(yaml.safe_dump({"sites": [demo_registry_entry(s) for s in served]}, allow_unicode=True),
                            encoding="utf-8")
        out = tmp / "out"
        base = ["crawl", "--registry", str(registry), "--allow-private", "--out", str(out), "--json", "--quiet", *FAST]
        first = run_cli(*base, "--site", ",".join(s.key for s in served))
        assert first.returncode == 0, first.stderr[-3000:]
        report = json.loads(first.stdout)
        for site in served:
            site.clear_requests()
        second = run_cli(*base, "--site", ",".join(s.key for s in served))
        second_log = {s.key: s.request_log() for s in served}
        yield {"served": served, "report": report, "second": second, "second_log": second_log, "out": out,
               "records": read_jsonl(Path(report["files"]["articles"]))}


def _to_real(value, served):
    """Map the local mirror's origin back to the real site's, to compare with gold records."""
    if isinstance(value, str):
        for site in served:
            real = site.config["base_url"].rstrip("/")
            value = value.replace(site.base_url.rstrip("/"), real)
        return value
    if isinstance(value, list):
        return [_to_real(v, served) for v in value]
    if isinstance(value, dict):
        return {k: _to_real(v, served) for k, v in value.items()}
    return value


def test_every_record_is_valid_and_unique(crawl):
    records = crawl["records"]
    assert records
    for record in records:
        assert validation_errors(record) == [], record["url"]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))


def test_records_equal_the_gold_records(crawl):
    # matched by canonical URL: the crawl may reach a page by a link with tracking parameters
    by_canonical = {_to_real(r["canonical_url"], crawl["served"]): r for r in crawl["records"]}
    checked = 0
    for site in crawl["served"]:
        for page in site.articles:
            expected = page["expected"]
            real_url = page["real_url"]
            record = by_canonical.get(expected["canonical_url"])
            assert record is not None, f"no record for {real_url} (served at {page['url']})"
            record = _to_real(record, crawl["served"])
            for field in ("title", "lead", "text", "published_at", "published_precision", "date_source", "authors",
                          "category", "tags", "images"):
                assert record[field] == expected.get(field), (real_url, field)
            assert record["site"] == site.key and record["site_name"] == site.config["name"]
            checked += 1
    assert checked == len(crawl["records"])


def test_no_record_for_pages_that_are_not_articles(crawl):
    urls = {_to_real(r["url"], crawl["served"]) for r in crawl["records"]}
    for site in crawl["served"]:
        for page in site.other_pages:
            assert json.loads(Path(page["json"]).read_text(encoding="utf-8"))["url"] not in urls


def test_report_counts_match_the_output(crawl):
    report = crawl["report"]
    assert report["finish_reason"] == "finished"
    assert report["totals"]["written"] == len(crawl["records"])
    assert sum(s["written"] for s in report["sites"].values()) == len(crawl["records"])
    assert set(report["sites"]) == {s.key for s in crawl["served"]}
    run_dir = Path(report["files"]["report"]).parent
    assert json.loads((run_dir / "report.json").read_text(encoding="utf-8"))["run_id"] == report["run_id"]
    assert not list(run_dir.glob("*.part")) and not list(run_dir.glob("*.tmp"))
    # drops the served non-article pages are counted by reason
    assert report["dropped"].get("bot_challenge", 0) >= 1
    assert report["dropped"].get("error_page", 0) >= 0


def test_second_run_over_unchanged_sites_writes_nothing_new(crawl):
    second = crawl["second"]
    assert second.returncode == 0, second.stderr[-2000:]
    report = json.loads(second.stdout)
    assert report["totals"]["written"] == 0
    # every article is known: skipped without a fetch, or (undated ones, first seen within the revisit
    # window) asked for with a conditional request that the server answers 304
    totals = report["totals"]
    assert totals["skipped_known"] + totals["not_modified"] == len(crawl["records"])
    assert totals["unchanged"] == 0
    assert read_jsonl(Path(report["files"]["articles"])) == []
    article_paths = {urlsplit(r["url"]).path for r in crawl["records"]}
    fetched_in_full = [p for log in crawl["second_log"].values() for _, p, status in log
                       if urlsplit(p).path in article_paths and status != 304]
    assert fetched_in_full == []
