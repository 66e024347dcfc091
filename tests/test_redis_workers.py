"""Several workers sharing one crawl through a real Redis (`partynews crawl --redis`): a real redis-server on a
free loopback port, the real CLI as separate processes, a local fixture site (tests/fixtures/sites/quangninh-dcs).

- three workers write, between them, exactly the single-machine crawl's records (same ids, same texts), none
  twice, and `partynews merge` makes one run of them;
- a worker killed with SIGKILL mid-crawl loses nothing: its in-flight requests go back to the queue when its
  heartbeat expires and the other workers crawl them;
- politeness holds across workers: with DOWNLOAD_DELAY the server sees one request per delay, not three;
- the Redis state store behaves as the SQLite one, and a claimed article is written by one worker only.
"""
from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from crawler.demo.server import serve_packs
from crawler.merge import read_records, records_file

PACK = Path(__file__).parent / "fixtures" / "sites" / "quangninh-dcs"
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s", "PARTYNEWS_EXTRACT_WORKERS=0", "-s", "PARTYNEWS_STATUS_PAGE=0", "--no-warc"]
REDIS = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_port():
    assert REDIS is not None, "redis-server is missing: `make test` installs it (as root: apt-get install redis-server)"
    port = _free_port()
    tmp = tempfile.mkdtemp(prefix="redis-")
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def site():
    with serve_packs([PACK], first_ip=205) as (served,):
        yield served


def _cmd(base_url: str, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", "--url", base_url, "--allow-private", "--out", str(out),
            "--json", "--quiet", *FAST, *extra]


def _report(out: Path) -> dict | None:
    runs = [d for d in out.iterdir() if d.is_dir() and d.name != "latest"] if out.exists() else []
    assert len(runs) == 1, runs
    path = runs[0] / "report.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _records(out: Path) -> list[dict]:
    (run,) = [d for d in out.iterdir() if d.is_dir() and d.name != "latest"]
    path = records_file(run)
    return list(read_records(path)) if path else []


@pytest.fixture(scope="module")
def single(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    proc = subprocess.run(_cmd(site.base_url, out), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = _records(out)
    assert len(records) >= 30
    return {r["id"]: r for r in records}


def _workers(site, tmp: Path, redis_url: str, n: int = 3, extra=(), ids: bool = False,
             first: int = 0) -> list[tuple[subprocess.Popen, Path]]:
    """Workers `first` .. `first + n - 1` of one Redis crawl; with `ids`, worker i's id is `w<i>`."""
    procs = []
    for i in range(first, first + n):
        out = tmp / f"w{i}"
        named = ("-s", f"PARTYNEWS_REDIS_WORKER_ID=w{i}") if ids else ()
        procs.append((subprocess.Popen(_cmd(site.base_url, out, "--redis", redis_url, "--redis-idle", "2", *extra, *named),
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), out))
    return procs


def _wait(procs, timeout=240) -> list[str]:
    logs = []
    for proc, _ in procs:
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for p, _ in procs:
                p.kill()
            raise
        assert proc.returncode in (0, -signal.SIGKILL), err[-3000:]
        logs.append(err)
    return logs


def _union(outs) -> list[dict]:
    return [r for out in outs for r in _records(out)]


def test_three_workers_write_the_single_machine_records_once(site, single, redis_port, tmp_path):
    url = f"redis://127.0.0.1:{redis_port}/1"
    procs = _workers(site, tmp_path, url)
    _wait(procs)
    union = _union(out for _, out in procs)
    ids = [r["id"] for r in union]
    assert len(ids) == len(set(ids)), "a record was written twice"
    assert set(ids) == set(single)
    assert {r["id"]: r["text"] for r in union} == {i: r["text"] for i, r in single.items()}
    reports = [_report(out) for _, out in procs]
    assert all(r["finish_reason"] == "finished" for r in reports)
    assert sum(1 for r in reports if r["totals"]["written"]) >= 2, "the work was not shared"
    # one crawl: every page fetched once across the workers (robots.txt by the seeding worker only)
    assert sum(r["totals"]["responses"] for r in reports) <= sum(1 for _ in single) + 40
    # the crawl is over: its fingerprints and seed lock are gone, the queue and in-flight hashes empty
    import redis

    client = redis.Redis.from_url(url)
    assert not [k for k in client.keys("partynews:crawl:*") if not k.endswith(b":workers")]

    merged = tmp_path / "merged"
    run = subprocess.run([sys.executable, "-m", "crawler.cli", "merge", *[str(_run_dir(o)) for _, o in procs],
                          "--out", str(merged), "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    records = list(read_records(merged / "articles.jsonl"))
    assert sorted(r["id"] for r in records) == sorted(single)
    assert report["totals"]["written"] == len(single) == report["totals"]["new"]
    assert report["totals"]["responses"] == sum(r["totals"]["responses"] for r in reports)
    (entry,) = report["sites"].values()
    assert entry["written"] == len(single)


def _run_dir(out: Path) -> Path:
    (run,) = [d for d in out.iterdir() if d.is_dir() and d.name != "latest"]
    return run


def test_a_worker_killed_with_sigkill_loses_nothing(site, single, redis_port, tmp_path):
    url = f"redis://127.0.0.1:{redis_port}/2"
    site.delay = 0.15          # slow pages: requests stay in flight long enough to be caught there
    try:
        # The victim starts alone and is frozen (SIGSTOP) once it holds leased requests, so that it cannot finish
        # them before it dies; then the others start and it is killed. (Started together on a loaded machine,
        # one worker can start seconds after the others and find the small site crawled already.)
        extra = ("-s", "PARTYNEWS_REDIS_WORKER_TTL=3")
        procs = _workers(site, tmp_path, url, n=1, extra=extra, ids=True)
        victim = procs[0][0]
        import redis

        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            victim.send_signal(signal.SIGSTOP)
            if sum(client.hlen(k) for k in client.keys("partynews:crawl:*:inflight:w0")) > 0:
                break
            victim.send_signal(signal.SIGCONT)
            time.sleep(0.02)
        else:
            victim.kill()
            pytest.fail("the victim held no leased request in 2 minutes")
        procs += _workers(site, tmp_path, url, n=2, extra=extra, ids=True, first=1)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        logs = _wait(procs[1:])
    finally:
        site.delay = 0.0
    union = _union(out for _, out in procs)
    ids = [r["id"] for r in union]
    assert len(ids) == len(set(ids)), "a record was written twice"
    assert set(ids) == set(single), f"lost: {sorted(set(single) - set(ids))}"
    assert _report(procs[0][1]) is None          # the victim never finished
    survivors = [_report(out) for _, out in procs[1:]]
    assert sum(r["totals"]["written"] for r in survivors) >= 1
    # documented behaviour: the victim's in-flight requests came back to the queue (not left to the next run)
    assert any("of its requests are back in the queue" in log for log in logs), logs
    assert not client.keys("partynews:crawl:*:inflight:*")
    assert all(client.zcard(k) == 0 for k in client.keys("partynews:crawl:*:requests"))


def test_politeness_holds_across_workers(site, redis_port, tmp_path):
    url = f"redis://127.0.0.1:{redis_port}/3"
    stamps: list[tuple] = []
    original = site.log_request

    def log_request(method, path, status):
        stamps.append((time.monotonic(), method, path, status))
        original(method, path, status)

    site.log_request = log_request
    delay = 0.25
    try:
        procs = _workers(site, tmp_path, url, extra=("-s", f"DOWNLOAD_DELAY={delay}",
                                                     "-s", "CLOSESPIDER_PAGECOUNT=12"))
        _wait(procs)
    finally:
        del site.log_request
    assert len(stamps) >= 20
    gaps = [(b[0] - a[0], b[1:]) for a, b in zip(stamps, stamps[1:])]
    # one request per DOWNLOAD_DELAY for the host across the three workers (a little slack for thread timing)
    assert min(g for g, _ in gaps) >= delay * 0.8, sorted(gaps)[:5]
    assert stamps[-1][0] - stamps[0][0] >= (len(stamps) - 1) * delay * 0.95


def test_redis_state_store_and_claims(redis_port):
    from pipelines.state_redis import RedisDedupStore, RedisState, connect

    client = connect(f"redis://127.0.0.1:{redis_port}/4")
    client.flushdb()
    a = RedisState(client, worker_id="a", worker_ttl=1)
    b = RedisState(connect(f"redis://127.0.0.1:{redis_port}/4"), worker_id="b", worker_ttl=1)
    record = {"id": "x1", "canonical_url": "https://s/a-1.html", "content_hash": "h1", "revision": 1,
              "published_at": "2026-01-01T00:00:00+07:00"}
    assert a.get("x1") is None and a.lookup_url("https://s/a-1.html") is None
    assert a.claim(record) == 1
    assert b.claim(record) == -1                 # a, alive, is writing it
    a.put(record, "2026-01-02T00:00:00Z", etag='"e1"', urls=("https://s/a-1.html?utm=1",))
    assert b.claim(record) == 0                  # written: same text in the state
    got = b.lookup_url("https://s/a-1.html?utm=1")
    assert (got.id, got.content_hash, got.revision, got.etag, got.last_modified, got.first_seen) == \
        ("x1", "h1", 1, '"e1"', None, "2026-01-02T00:00:00Z")
    b.touch("x1", "2026-01-03T00:00:00Z", last_modified="Mon, 01 Jan 2026 00:00:00 GMT", urls=("https://s/p/1",))
    got = a.lookup_url("https://s/p/1")
    assert (got.last_seen, got.first_seen, got.etag, got.last_modified) == \
        ("2026-01-03T00:00:00Z", "2026-01-02T00:00:00Z", '"e1"', "Mon, 01 Jan 2026 00:00:00 GMT")
    changed = dict(record, content_hash="h2", revision=2)
    assert a.claim(changed) == 1
    time.sleep(1.2)                              # a dies (its alive key expires) before writing: void claim
    assert b.claim(changed) == 1
    b.put(changed, "2026-01-04T00:00:00Z")
    assert a.get("x1").revision == 2 and a.get("x1").first_seen == "2026-01-02T00:00:00Z"
    a.note_dropped(["https://s/v/1", None], "not_article", "2026-01-05T00:00:00Z")
    assert b.dropped_since("https://s/v/1", "2026-01-01") == "not_article"
    assert b.dropped_since("https://s/v/1", "2026-02-01") is None
    assert b.dropped_since("https://s/v/1", "2026-01-01", before="2026-01-05") is None

    from pipelines import near_dup

    store = RedisDedupStore(client, threshold=0.8)
    text = " ".join(f"từ{i} của bài viết số một" for i in range(60))
    sig = store.hasher.signature(text)
    dedup = near_dup.Deduplicator(store, store, store.hasher, 0.8)
    assert dedup.check("r1", text, "run").kind == "new"
    verdict = dedup.check("r1", text, "run")
    dedup.hold("r1", verdict, "run")
    dedup.written("r1", "https://s/r1", None, "run")
    other = RedisDedupStore(connect(f"redis://127.0.0.1:{redis_port}/4"), threshold=0.8)
    assert other.holder(near_dup.dedup_key(text)).id == "r1"
    assert [c.id for c in other.query(sig)] == ["r1"]
    near = text.replace("từ59", "chữ59")
    assert near_dup.Deduplicator(other, other, other.hasher, 0.8).check("r2", near).kind == "near"
    assert near_dup.Deduplicator(other, other, other.hasher, 0.8).check("r3", text).kind == "exact"
    other.link("r1", "https://s/r3", "exact", 1.0, "run")
    assert store.links("r1") == ["https://s/r3"]
