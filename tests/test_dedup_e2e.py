"""Corpus hygiene end to end: two fixture sites (tests/fixtures/republished, written by make_republished.py) where a
provincial portal's articles are republished by a city paper with another headline, a "(ĐCSVN) -" prefix, an
extra photo caption and the new tone-mark spelling, crawled with the real `partynews crawl` from their base
URLs. The exact copy is written once with the copy's URL in `duplicate_urls`; the near copies carry
`near_duplicate_of`; two announcements that differ only in names and numbers stay apart; a re-run over the
same pages does not take any record for a duplicate of itself; across runs the index is found again."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.demo.server import find_packs, serve_packs
from pipelines.record import record_id, validation_errors

ROOT = Path(__file__).parent / "fixtures" / "republished"
MANIFEST = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
# fetch known articles again: the re-run must meet its own records, not skip them
AGAIN = ["-s", "PARTYNEWS_INCREMENTAL=0"]


def _crawl(sites, out: Path, state: Path, *extra: str) -> dict:
    urls = [arg for site in sites for arg in ("--url", site.base_url)]
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", *urls, "--allow-private", "--out", str(out),
         "--state", str(state), "--json", "--quiet", *FAST, *extra],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    path = Path(report["files"]["articles"])
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return {"report": report, "records": records}


@pytest.fixture(scope="module")
def served():
    with serve_packs(find_packs(ROOT), first_ip=110) as sites:
        yield {s.key: s for s in sites}


@pytest.fixture(scope="module")
def together(served, tmp_path_factory):
    """Both sites in one run, then the same run again (same state file), the second time dropping near copies."""
    tmp = tmp_path_factory.mktemp("together")
    sites = list(served.values())
    first = _crawl(sites, tmp / "out", tmp / "state.sqlite")
    again = _crawl(sites, tmp / "out", tmp / "state.sqlite", *AGAIN, "-s", "PARTYNEWS_NEAR_DUP_ACTION=drop")
    return {"first": first, "again": again, "state": tmp / "state.sqlite"}


@pytest.fixture(scope="module")
def one_after_other(served, tmp_path_factory):
    """The portal in one run, the city paper in the next: the copies meet the portal's records of the run before."""
    tmp = tmp_path_factory.mktemp("apart")
    portal = _crawl([served["rep-portal"]], tmp / "out", tmp / "state.sqlite")
    city = _crawl([served["rep-citypaper"]], tmp / "out", tmp / "state.sqlite")
    return {"portal": portal, "city": city, "state": tmp / "state.sqlite"}


def _local(served, real_url: str) -> str:
    for site in served.values():
        try:
            return site.local_url(real_url)
        except ValueError:
            continue
    raise AssertionError(real_url)


def _by_url(records) -> dict:
    return {r["canonical_url"]: r for r in records}


def test_all_articles_are_found_and_valid(together, served):
    records = together["first"]["records"]
    for record in records:
        assert validation_errors(record) == [], record["url"]
    wanted = {_local(served, u) for u in [*MANIFEST["portal"].values(), *MANIFEST["citypaper"].values()]}
    wanted |= {_local(served, u) for pair in MANIFEST["near"] + MANIFEST["distinct"] for u in pair}
    copies = {_local(served, u) for pair in MANIFEST["exact"] for u in pair}   # one of each pair is written
    assert wanted - copies <= set(_by_url(records))
    assert len(set(_by_url(records)) & copies) == len(MANIFEST["exact"])


def test_exact_copy_is_written_once_and_linked(together, served):
    records = _by_url(together["first"]["records"])
    report = together["first"]["report"]
    for pair in MANIFEST["exact"]:
        a, b = (_local(served, u) for u in pair)
        # one of the two is kept (the sites are crawled at the same time), the other is its duplicate URL
        assert (a in records) != (b in records), (a, b)
        kept, copy = (a, b) if a in records else (b, a)
        assert records[kept]["duplicate_urls"] == [copy]
    assert report["dropped"].get("duplicate", 0) == len(MANIFEST["exact"])
    others = [r for r in records.values() if r["duplicate_urls"]]
    assert len(others) == len(MANIFEST["exact"])


def test_near_copies_are_flagged_with_the_earlier_record(together, served):
    records = _by_url(together["first"]["records"])
    flagged = {r["canonical_url"]: r["near_duplicate_of"] for r in records.values() if r["near_duplicate_of"]}
    expected = {}
    for pair in MANIFEST["near"]:
        a, b = (_local(served, u) for u in pair)
        assert a in records and b in records
        # whichever was indexed first is the original
        assert (flagged.get(a) == records[b]["id"]) != (flagged.get(b) == records[a]["id"]), (a, b, flagged)
        expected[a if a in flagged else b] = True
    assert set(flagged) == set(expected)       # nothing else is flagged, the announcements included


def test_announcements_differing_in_names_and_numbers_are_distinct(together, served):
    records = _by_url(together["first"]["records"])
    for pair in MANIFEST["distinct"]:
        for url in pair:
            record = records[_local(served, url)]
            assert record["near_duplicate_of"] is None and record["duplicate_urls"] == []


def test_rerun_does_not_flag_records_as_duplicates_of_themselves(together):
    first, again = together["first"]["report"], together["again"]["report"]
    kept = len(together["first"]["records"])
    # every page was fetched and extracted again
    assert again["totals"]["articles_extracted"] == first["totals"]["articles_extracted"]
    # the exact copy is a copy again; with PARTYNEWS_NEAR_DUP_ACTION=drop the near copies are dropped; every
    # other record is its own earlier record: unchanged, never a (near) duplicate of itself
    assert again["dropped"].get("duplicate", 0) == len(MANIFEST["exact"])
    assert again["dropped"].get("near_duplicate", 0) == len(MANIFEST["near"])
    assert again["totals"]["unchanged"] == kept - len(MANIFEST["near"])
    assert again["totals"]["written"] == 0 and together["again"]["records"] == []


def test_state_file_holds_the_index_next_to_the_crawl_state(together):
    db = sqlite3.connect(together["state"])
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"dedup_texts", "dedup_links", "near_dup_signatures", "near_dup_buckets"} <= tables
    written = len(together["first"]["records"])
    assert db.execute("SELECT COUNT(*) FROM near_dup_signatures").fetchone()[0] == written
    assert db.execute("SELECT COUNT(*) FROM dedup_texts").fetchone()[0] == written
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_copies_found_across_runs(one_after_other, served):
    portal = _by_url(one_after_other["portal"]["records"])
    city_run = one_after_other["city"]
    city = _by_url(city_run["records"])
    for pair in MANIFEST["exact"]:
        original, copy = (_local(served, u) for u in pair)
        assert original in portal and copy not in city
        # the kept record was written by the run before: the link is kept in the state file
        db = sqlite3.connect(one_after_other["state"])
        links = db.execute("SELECT url, kind FROM dedup_links WHERE kept_id = ?", (portal[original]["id"],)).fetchall()
        assert links == [(copy, "exact")]
    assert city_run["report"]["dropped"].get("duplicate", 0) == len(MANIFEST["exact"])
    for pair in MANIFEST["near"]:
        original, copy = (_local(served, u) for u in pair)
        assert city[copy]["near_duplicate_of"] == portal[original]["id"] == record_id(original)
    assert all(r["near_duplicate_of"] is None for r in portal.values())
