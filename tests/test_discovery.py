"""Discovery from a base URL alone: each fixture site (tests/fixtures/sites, one per CMS family) is served live and
crawled with `partynews crawl --url BASE` and no registry entry for it. The crawl must find at least 95% of the
site's articles, write no record for a page that is not an article, write one record per article however many
URLs lead to it (print views, savefile links, redirects, tracking parameters, host spellings), and never fetch
an off-site link, a robots.txt-disallowed path or a document."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.demo.server import find_packs, serve_packs
from pipelines.record import validation_errors

FIXTURES = Path(__file__).parent / "fixtures" / "sites"
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


def _crawl(site, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--url", site.base_url, "--allow-private", "--out", str(out),
         "--state", str(out / "state.sqlite"), "--json", "--quiet", *FAST],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    records = [json.loads(line) for line in Path(report["files"]["articles"]).read_text(encoding="utf-8").splitlines()]
    return {"report": report, "records": records}


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    with serve_packs(find_packs(FIXTURES), first_ip=90) as served:
        with ThreadPoolExecutor(max_workers=len(served)) as pool:
            futures = {s.key: pool.submit(_crawl, s, tmp_path_factory.mktemp(s.key)) for s in served}
            results = {key: f.result() for key, f in futures.items()}
        for site in served:
            manifest = json.loads((site.pack / "manifest.json").read_text(encoding="utf-8"))
            results[site.key].update(site=site, manifest=manifest, log=site.request_log())
        yield results


SITES = [p.name for p in find_packs(FIXTURES)]


def _local(site, urls) -> set[str]:
    return {site.local_url(u) for u in urls}


@pytest.mark.parametrize("key", SITES)
def test_finds_at_least_95_percent_of_the_articles(crawls, key):
    crawl = crawls[key]
    wanted = _local(crawl["site"], [a["url"] for a in crawl["manifest"]["articles"]])
    found = wanted & {r["canonical_url"] for r in crawl["records"]}
    assert len(found) >= 0.95 * len(wanted), sorted(wanted - found)


@pytest.mark.parametrize("key", SITES)
def test_no_record_for_a_page_that_is_not_an_article(crawls, key):
    crawl = crawls[key]
    articles = _local(crawl["site"], [a["url"] for a in crawl["manifest"]["articles"]])
    extra = [r["url"] for r in crawl["records"] if r["canonical_url"] not in articles]
    assert extra == []
    # the fixture's non-article pages were reached and dropped with a reason, not just missed
    assert crawl["report"]["dropped"].get("not_article", 0) >= 1


@pytest.mark.parametrize("key", SITES)
def test_one_valid_record_per_article(crawls, key):
    records = crawls[key]["records"]
    for record in records:
        assert validation_errors(record) == [], record["url"]
    assert len({r["id"] for r in records}) == len(records)
    assert len({r["canonical_url"] for r in records}) == len(records)
    # the record of an article reached by a print view, a redirect or a variant carries the article's URL
    for record in records:
        assert "/print" not in record["canonical_url"] and "savefile" not in record["canonical_url"]
        assert "utm_" not in record["canonical_url"] and "zarsrc" not in record["canonical_url"]


@pytest.mark.parametrize("key", SITES)
def test_never_fetches_disallowed_paths_documents_or_offsite(crawls, key):
    crawl = crawls[key]
    site, manifest = crawl["site"], crawl["manifest"]
    fetched = {path.split("?")[0] for _, path, _ in crawl["log"]}
    for prefix in manifest["robots_disallow"]:
        assert not [p for p in fetched if p.startswith(prefix)], prefix
    for doc in manifest["documents"]:
        assert urlsplit(site.local_url(doc)).path not in fetched, doc
    skipped = crawl["report"]["skipped"]
    assert skipped.get("offsite", 0) >= 1 and skipped.get("not_html_link", 0) >= 1
    # every request of the crawl went to the fixture site itself: the server saw them all
    (only_site,) = crawl["report"]["sites"].values()
    assert only_site["pages_fetched"] <= len(crawl["log"])


@pytest.mark.parametrize("key", SITES)
def test_variants_of_an_article_url_lead_to_its_one_record(crawls, key):
    crawl = crawls[key]
    site, manifest = crawl["site"], crawl["manifest"]
    by_canonical = {r["canonical_url"]: r for r in crawl["records"]}
    # redirect targets, tracked links and host spellings all end in the article's record
    for redirect in manifest["redirects"]:
        assert site.local_url(redirect["to"]) in by_canonical, redirect
    for link in manifest["tracking_links"] + manifest["host_variant_links"]:
        assert site.local_url(link.split("?")[0]) in by_canonical, link
