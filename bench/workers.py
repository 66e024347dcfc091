#!/usr/bin/env python3
"""Pages per second of 1, 2 and 3 `partynews crawl --redis` workers on this machine against the local generated
site (bench/sitegen.py), with each worker's CPU seconds (user + system of the worker and its children).

    python bench/workers.py [--pages 1500] [--workers 1,2,3]

A fresh redis-server on a free loopback port (no persistence) and a fresh Redis database per round; politeness
delays off (the site is ours); extraction inline in each worker (PARTYNEWS_EXTRACT_WORKERS=0), so one worker is
one process. Pages/s = responses of all workers / wall time from the first start to the last exit.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s", "PARTYNEWS_EXTRACT_WORKERS=0", "-s", "PARTYNEWS_STATUS_PAGE=0", "-s", "PARTYNEWS_MAX_LISTING_PAGES=0",
        "--no-warc", "--quiet", "--json"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_round(n: int, base: str, redis_port: int, db: int, tmp: Path) -> dict:
    url = f"redis://127.0.0.1:{redis_port}/{db}"
    started = time.monotonic()
    procs = []
    for i in range(n):
        out = tmp / f"r{n}-w{i}"
        cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--url", base, "--allow-private", "--out", str(out),
               "--redis", url, "--redis-idle", "1", *FAST]
        procs.append(subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
    workers = []
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        report = json.loads(proc.stdout.read())
        workers.append({"responses": report["totals"]["responses"], "written": report["totals"]["written"],
                        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1)})
    wall = time.monotonic() - started
    # the idle wait at the end (PARTYNEWS_REDIS_IDLE_CLOSE) is not crawling: take it off the wall time
    wall -= 1.0
    responses = sum(w["responses"] for w in workers)
    return {"workers": n, "wall_s": round(wall, 1), "responses": responses,
            "written": sum(w["written"] for w in workers), "pages_per_s": round(responses / wall, 1),
            "per_worker": workers}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--workers", default="1,2,3")
    args = parser.parse_args()
    redis_server = shutil.which("redis-server")
    if not redis_server:
        print("bench/workers.py: redis-server is not installed (make redis)", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    port = free_port()
    redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp),
                              "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    site = subprocess.Popen([sys.executable, str(REPO / "bench" / "sitegen.py"), "--pages", str(args.pages)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = site.stdout.readline().split()
        assert line and line[0] == "READY", line
        base = f"http://127.0.0.1:{line[1]}/"
        time.sleep(0.5)
        rounds = []
        for db, n in enumerate(int(x) for x in args.workers.split(",")):
            result = run_round(n, base, port, db, tmp)
            rounds.append(result)
            print(f"{n} worker(s): {result['responses']} pages in {result['wall_s']} s = "
                  f"{result['pages_per_s']} pages/s; CPU s per worker: "
                  f"{', '.join(str(w['cpu_s']) for w in result['per_worker'])}", flush=True)
        cores = len(os.sched_getaffinity(0))
        print(f"{cores} cores: a worker is one process, CPU-bound (extraction, parsing, Scrapy's own work); the "
              "local site and redis-server take CPU from the same cores, so past "
              f"{cores} busy processes more workers only share the cores (the per-worker CPU seconds add up to "
              "about the same total)")
        print(json.dumps({"bench": "workers", "pages": args.pages, "cores": cores, "rounds": rounds}))
    finally:
        site.terminate()
        redis.terminate()
        site.wait(10)
        redis.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
