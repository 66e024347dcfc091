"""Run folders and what a scheduler sees: one run at a time per state, gzip output, and crawls killed at
random moments (SIGKILL) and resumed with `--resume` until done: every output line is valid JSON, no article
appears twice, all of them are there, and the state store agrees with the output. SIGTERM stops a run
gracefully, with its files whole, in bounded time."""
from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.runs import reconcile, repair_records, unfinished_run
from pipelines.record import validation_errors
from pipelines.state import SQLiteState, StateLocked, lock_state, release_state

REPO = Path(__file__).resolve().parent.parent
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
PAGES = 500


def crawl_cmd(url: str, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", "--url", url, "--allow-private", "--out", str(out),
            "--json", "--quiet", *FAST, *extra]


@pytest.fixture(scope="module")
def big_site():
    """A 500-article site (bench/sitegen.py: fixture chrome, distinct texts), in its own process."""
    proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "sitegen.py"), "--pages", str(PAGES), "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY"), line
        yield f"http://127.0.0.1:{line.split()[1]}/"
    finally:
        proc.kill()
        proc.wait(10)


def _lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return fh.read().splitlines()


def test_kills_at_random_moments_lose_nothing_and_duplicate_nothing(big_site, tmp_path):
    out = tmp_path / "out"
    rng = random.Random(20261122)
    kills = 0
    for attempt in range(6):
        proc = subprocess.Popen(crawl_cmd(big_site, out, *(["--resume"] if attempt else [])),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 5.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(30)
    assert kills >= 5
    final = subprocess.run(crawl_cmd(big_site, out, "--resume"), capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-3000:]
    report = json.loads(final.stdout)

    run_dirs = [d for d in out.iterdir() if d.is_dir() and not d.is_symlink()]
    lines = [line for d in run_dirs for f in d.glob("articles.jsonl*") for line in _lines(f)]
    records = [json.loads(line) for line in lines]               # every line is whole, valid JSON
    assert all(validation_errors(r) == [] for r in records)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == PAGES                    # all there, none twice
    assert report["totals"]["written"] == len(_lines(Path(report["files"]["articles"])))
    assert not list(Path(report["files"]["report"]).parent.glob("*.part"))
    # the state agrees with the output
    db = sqlite3.connect(out / "state.sqlite")
    state = dict(db.execute("SELECT id, content_hash FROM articles").fetchall())
    db.close()
    assert state == {r["id"]: r["content_hash"] for r in records}


def test_sigterm_stops_gracefully_with_whole_files(big_site, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(crawl_cmd(big_site, out), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    _wait_for_records(out, 20)            # mid-crawl: started (signal handlers in place) and writing
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=60)       # bounded: in-flight requests finish or time out
    report = json.loads(stdout)
    assert report["finish_reason"] == "shutdown"
    run_dir = Path(report["files"]["report"]).parent
    assert not list(run_dir.glob("*.part"))
    records = [json.loads(line) for line in _lines(Path(report["files"]["articles"]))]
    assert len(records) == report["totals"]["written"]
    assert not (out / "latest").exists()            # only a completed run moves `latest`
    # the next run picks up where this one stopped
    rest = subprocess.run(crawl_cmd(big_site, out), capture_output=True, text=True, timeout=600)
    assert rest.returncode == 0, rest.stderr[-3000:]
    second = json.loads(rest.stdout)
    ids = [r["id"] for r in records] + [json.loads(x)["id"] for x in _lines(Path(second["files"]["articles"]))]
    assert len(ids) == len(set(ids)) == PAGES


def test_a_plain_run_after_a_kill_writes_nothing_twice(big_site, tmp_path):
    """Without --resume: the killed run stays unfinished, and the new run first puts the killed run's records in
    the state (the state commits in batches, so its last ones may be only in the file), then skips them."""
    out = tmp_path / "out"
    proc = subprocess.Popen(crawl_cmd(big_site, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_records(out, 60)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    (killed,) = [d for d in out.iterdir() if d.is_dir()]
    rest = subprocess.run(crawl_cmd(big_site, out), capture_output=True, text=True, timeout=600)
    assert rest.returncode == 0, rest.stderr[-3000:]
    assert (killed / ".reconciled").exists() and not (killed / "report.json").exists()
    ids = [json.loads(x)["id"] for x in _lines(killed / "articles.jsonl.part")]
    ids += [json.loads(x)["id"] for x in _lines(Path(json.loads(rest.stdout)["files"]["articles"]))]
    assert len(ids) == len(set(ids)) == PAGES


def test_a_scrapy_crawl_after_a_killed_one_writes_nothing_twice(big_site, tmp_path):
    """Scrapy-native use (`scrapy crawl party_news`, no partynews command to reconcile first): the crawl's
    ReconcileKilledRuns extension puts the killed run's records in the state before the new run opens it."""
    out = tmp_path / "out"
    settings = [f"PARTYNEWS_OUT={out}", "PARTYNEWS_ALLOW_PRIVATE=1", "LOG_LEVEL=WARNING",
                *(x for x in FAST if x != "-s")]
    cmd = [sys.executable, "-m", "scrapy", "crawl", "party_news", "-a", f"url={big_site}",
           *(arg for kv in settings for arg in ("-s", kv))]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_records(out, 60)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    (killed,) = [d for d in out.iterdir() if d.is_dir()]
    rest = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rest.returncode == 0, rest.stderr[-3000:]
    assert (killed / ".reconciled").exists() and not (killed / "report.json").exists()
    (finished,) = [d for d in out.iterdir() if d.is_dir() and not d.is_symlink() and d != killed]
    ids = [json.loads(x)["id"] for x in _lines(killed / "articles.jsonl.part")]
    ids += [json.loads(x)["id"] for x in _lines(finished / "articles.jsonl")]
    assert len(ids) == len(set(ids)) == PAGES


def _wait_for_records(out: Path, n: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parts = list(out.glob("*/articles.jsonl.part"))
        if parts and parts[0].read_bytes().count(b"\n") >= n:
            return
        time.sleep(0.1)
    raise AssertionError(f"no {n} records written in {timeout} s")


def test_a_second_run_on_the_same_state_refuses_to_start(tmp_path):
    state = tmp_path / "out" / "state.sqlite"
    lock_state(state)                   # this process plays the running crawl
    try:
        proc = subprocess.run(crawl_cmd("http://127.0.0.1:9/", tmp_path / "out"), capture_output=True, text=True,
                              timeout=120)
    finally:
        release_state(state)
    assert proc.returncode == 4
    assert "another run" in proc.stderr and str(os.getpid()) in proc.stderr
    with pytest.raises(StateLocked):
        lock_state_in_child(state)


def lock_state_in_child(state: Path) -> None:
    """Locks are per process: a child process holding the lock makes this one's attempt fail."""
    child = subprocess.Popen([sys.executable, "-c", "import sys,time; from pipelines.state import lock_state; "
                              f"lock_state({str(state)!r}); print('locked', flush=True); time.sleep(30)"],
                             stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert child.stdout.readline().strip() == "locked"
        lock_state(state)
    finally:
        child.kill()
        child.wait(10)
        release_state(state)


def test_gzip_output_and_reprocess(big_site, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(crawl_cmd(big_site, out, "--gzip", "-s", "CLOSESPIDER_ITEMCOUNT=40"), capture_output=True,
                          text=True, timeout=600)
    report = json.loads(proc.stdout)
    path = Path(report["files"]["articles"])
    assert path.name == "articles.jsonl.gz"
    records = [json.loads(x) for x in _lines(path)]
    assert len(records) == report["totals"]["written"] >= 40
    rebuilt = subprocess.run([sys.executable, "-m", "crawler.cli", "reprocess", str(path.parent), "--out",
                              str(tmp_path / "again"), "--json", "--quiet"], capture_output=True, text=True, timeout=600)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    again = [json.loads(x) for x in _lines(Path(json.loads(rebuilt.stdout)["files"]["articles"]))]
    assert sorted(again, key=lambda r: r["id"]) == sorted(records, key=lambda r: r["id"])


# -- the pieces, on files a killed run leaves ------------------------------------------------------------------

def _record(n: int) -> dict:
    return {"id": f"{n:024x}", "canonical_url": f"https://x.dcs.vn/a-{n}.html", "content_hash": f"h{n}",
            "revision": 1, "fetched_at": "2026-11-22T00:00:00Z", "published_at": None}


def test_a_torn_last_line_is_cut_and_the_state_reconciled(tmp_path):
    run = tmp_path / "20261122T000000Z-abcd"
    run.mkdir()
    lines = [json.dumps(_record(n)) + "\n" for n in range(3)]
    (run / "articles.jsonl.part").write_text("".join(lines) + '{"id": "torn', encoding="utf-8")
    assert unfinished_run(tmp_path) == run
    path = repair_records(run)
    assert path.read_text(encoding="utf-8") == "".join(lines)
    state = SQLiteState(tmp_path / "state.sqlite")
    state.put(_record(0), "2026-11-22T00:00:00Z")         # the kill came after line 1's state write, before 2's
    assert reconcile(path, state) == 3
    assert state.count() == 3 and state.get(_record(2)["id"]).content_hash == "h2"
    state.close()
    (run / "report.json").write_text("{}", encoding="utf-8")
    assert unfinished_run(tmp_path) is None


def test_a_torn_gzip_member_is_cut(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    part = run / "articles.jsonl.gz.part"
    with gzip.open(part, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(_record(1)) + "\n")
    with open(part, "ab") as raw:                          # a second segment, killed mid-line
        gz = gzip.GzipFile(fileobj=raw, mode="wb")
        gz.write((json.dumps(_record(2)) + "\n" + '{"id": "to').encode())
        gz.flush()
    repair_records(run)
    with gzip.open(part, "rt", encoding="utf-8") as fh:
        assert [json.loads(x)["id"] for x in fh.read().splitlines()] == [_record(1)["id"], _record(2)["id"]]


def test_reconcile_restores_the_state_and_dedup_writes_of_a_lost_batch(tmp_path):
    from crawler.runs import reconcile
    from fixtures.textbank import THEME_SENTENCES
    from pipelines.core import dedup_key
    from pipelines.near_dup import SQLiteDedupStore
    from pipelines.state import SQLiteState

    text = " ".join(THEME_SENTENCES["dang"][:8])
    record = {"id": "a" * 24, "canonical_url": "https://a.dcs.vn/tin/1.html", "content_hash": "c" * 64, "revision": 1,
              "text": text, "fetched_at": "2026-11-21T00:00:00Z", "run_id": "r1", "near_duplicate_of": None}
    part = tmp_path / "articles.jsonl.part"
    part.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    state, store = SQLiteState(tmp_path / "s.sqlite"), SQLiteDedupStore(tmp_path / "s.sqlite")
    assert reconcile(part, state, store) == 1
    assert state.get("a" * 24) is not None and store.get("a" * 24) is not None
    assert store.holder(dedup_key(text)).id == "a" * 24
    assert reconcile(part, state, store) == 1 and store.count() == 1       # nothing twice
    state.close()
    store.close()
