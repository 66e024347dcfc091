"""Extraction in a pool of worker processes (pipelines/extract_pool.py): real crawls of locally served fixture
sites with `partynews crawl`.

* The pool changes nothing in the output: the same records as with extraction inline on the reactor thread
  (a smaller version of benchmark 2 of bench/perf.py, as a correctness check; no timing is asserted).
* A page whose worker dies, or hangs past PARTYNEWS_EXTRACT_TIMEOUT, costs that page only: it is dropped with
  the reason `extract_crashed` / `extract_timeout` in report.json, and every other article is still written.
* Back-pressure: never more pages in the pool than PARTYNEWS_EXTRACT_MAX_PENDING.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.demo.server import serve_packs
from extract_pool_hooks import CRASH, HANG

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures" / "sites"
SITES = ["quangninh-dcs", "baoninhbinh"]
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
RUN_FIELDS = ("fetched_at", "run_id")      # differ between two runs by design


def _crawl(sites, out: Path, *settings: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    urls = [arg for s in sites for arg in ("--url", s.base_url)]
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", *urls, "--allow-private", "--out", str(out),
         "--state", str(out / "state.sqlite"), "--json", *FAST, "-s", "LOG_LEVEL=INFO", *settings],
        capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    lines = Path(report["files"]["articles"]).read_text(encoding="utf-8").splitlines()
    records = {}
    for line in lines:
        record = json.loads(line)
        for name in RUN_FIELDS:
            record.pop(name)
        records[record["url"]] = record
    stats = {m.group(1): int(m.group(2)) for m in re.finditer(r"'(partynews/extract/[\w/]+)': (\d+)", proc.stderr)}
    return {"report": report, "records": records, "stats": stats}


def _copy_pack(name: str, dest: Path, marks: dict[str, bytes] | None = None) -> Path:
    pack = dest / name
    shutil.copytree(FIXTURES / name, pack)
    for page, marker in (marks or {}).items():
        path = pack / "pages" / f"{page}.html"
        path.write_bytes(path.read_bytes().replace(b"</body>", marker + b"\n</body>", 1))
    return pack


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    root = tmp_path_factory.mktemp("packs")
    clean = [_copy_pack(name, root / "clean") for name in SITES]
    manifest = json.loads((FIXTURES / "quangninh-dcs" / "manifest.json").read_text(encoding="utf-8"))
    crash_page, hang_page = manifest["articles"][1], manifest["articles"][2]
    marked = [_copy_pack("quangninh-dcs", root / "marked", {crash_page["name"]: CRASH, hang_page["name"]: HANG})]
    return {"clean": clean, "marked": marked, "crashed": crash_page, "hung": hang_page}


@pytest.fixture(scope="module")
def inline_and_pool(packs, tmp_path_factory):
    with serve_packs(packs["clean"], first_ip=170) as served:
        inline = _crawl(served, tmp_path_factory.mktemp("inline"), "-s", "PARTYNEWS_EXTRACT_WORKERS=0")
        pooled = _crawl(served, tmp_path_factory.mktemp("pool"), "-s", "PARTYNEWS_EXTRACT_WORKERS=2",
                        "-s", "PARTYNEWS_EXTRACT_MAX_PENDING=3")
    return inline, pooled


def test_same_records_with_and_without_the_pool(inline_and_pool):
    inline, pooled = inline_and_pool
    assert len(inline["records"]) >= 55          # both sites' articles (31 + 33), give or take discovery
    assert inline["stats"]["partynews/extract/workers"] == 0
    assert pooled["stats"]["partynews/extract/workers"] == 2
    assert sorted(pooled["records"]) == sorted(inline["records"])
    for url, record in inline["records"].items():
        assert pooled["records"][url] == record, url
    assert pooled["report"]["dropped"] == inline["report"]["dropped"]


def test_pool_never_holds_more_pages_than_its_bound(inline_and_pool):
    _, pooled = inline_and_pool
    assert 1 <= pooled["stats"]["partynews/extract/max_in_flight"] <= 3


def test_a_crashed_or_hung_worker_costs_one_page(packs, inline_and_pool, tmp_path):
    inline, _ = inline_and_pool
    with serve_packs(packs["marked"], first_ip=175) as served:
        site = served[0]
        run = _crawl(served, tmp_path, "-s", "PARTYNEWS_EXTRACT_WORKERS=2", "-s", "PARTYNEWS_EXTRACT_TIMEOUT=4",
                     "-s", "PARTYNEWS_EXTRACT_FUNCTION=extract_pool_hooks.clean_page")
        lost = {site.local_url(packs["crashed"]["url"]), site.local_url(packs["hung"]["url"])}
    dropped = run["report"]["dropped"]
    assert dropped.get("extract_crashed") == 1, dropped
    assert dropped.get("extract_timeout") == 1, dropped
    (per_site,) = run["report"]["sites"].values()          # counted per site too, like every other drop
    assert per_site["dropped"].get("extract_crashed") == 1 and per_site["dropped"].get("extract_timeout") == 1

    def by_path(records):
        return {urlsplit(url)._replace(scheme="", netloc="").geturl(): record for url, record in records.items()}

    # every other article of the site is written, as the inline crawl of the unmarked copy wrote it
    expected = by_path({u: r for u, r in inline["records"].items() if urlsplit(u).hostname == "127.0.0.170"})
    got = by_path(run["records"])
    lost_paths = {urlsplit(u)._replace(scheme="", netloc="").geturl() for u in lost}
    assert len(expected) >= 25
    assert not lost_paths & set(got)
    assert set(got) | lost_paths == set(expected)
    for path, record in got.items():
        for name in ("title", "lead", "text", "published_at", "authors", "category", "tags"):
            assert record[name] == expected[path][name], (path, name)



def test_the_worker_builds_and_prepares_the_record_as_the_pipelines_would():
    """pipelines/prepared.py: the record built in the worker is the one built inline, and the validation and
    near-duplicate inputs made there are what ValidatePipeline and DedupPipeline would compute. Checked in a
    spawned process, as in the pool (and so that this test process does not load the cleaning core)."""
    import multiprocessing

    from prepared_check import check_prepared

    page = next(p for p in sorted((Path(__file__).parent / "gold").rglob("*.html")))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(check_prepared, (str(page),)) == []
